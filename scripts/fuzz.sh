#!/usr/bin/env bash
# Fuzzes every reader that takes a user's file with libFuzzer, under AddressSanitizer and
# UndefinedBehaviorSanitizer (the build-sanitize build of scripts/setup.sh --sanitize).
#   scripts/fuzz.sh [seconds per target] [target...]      default: 600 s, every target
#   scripts/fuzz.sh --seeds                              rewrite the generated seed (checkpoint)
# Targets: config annotation_xml points_json label_png saliency_png checkpoint
# (tests/fuzz/fuzz_<target>.cpp). Each starts from its checked-in seeds (tests/fuzz/corpus/) and
# a working corpus kept in .cache/fuzz/<target>; an input that crashes, leaks, trips a
# sanitizer or runs past 10 s is saved under .cache/fuzz/findings/<target>/ and fails the run.
# WSSS_FUZZ_JOBS=2 fuzzes two targets at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(config annotation_xml points_json label_png saliency_png checkpoint)
BUILD_DIR=${WSSS_BUILD_DIR:-build-sanitize}
SEEDS=tests/fuzz/corpus

if [ "${1:-}" = "--seeds" ]; then
  scripts/setup.sh --sanitize fuzz_checkpoint
  WSSS_FUZZ_WRITE_SEED="$SEEDS/checkpoint/small_network.pt" "$BUILD_DIR/fuzz/fuzz_checkpoint"
  echo "fuzz: wrote $SEEDS/checkpoint/small_network.pt"
  exit 0
fi

SECONDS_PER_TARGET=${1:-600}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${ALL_TARGETS[@]}")
for target in "${TARGETS[@]}"; do
  [ -f "tests/fuzz/fuzz_$target.cpp" ] || { echo "error: no fuzz target '$target' (targets: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

scripts/setup.sh --sanitize "${TARGETS[@]/#/fuzz_}"
source scripts/sanitizer_options.sh

# One target: fuzz for the given time, then report executions, corpus size and findings.
fuzz_one() {
  local target=$1
  local corpus=.cache/fuzz/$target findings=.cache/fuzz/findings/$target
  local log=.cache/fuzz/$target.log
  # Findings of an earlier run are gone once fixed: each fixed input is kept as a regression
  # seed in tests/fuzz/corpus/<target>/ instead.
  rm -rf "$findings"
  mkdir -p "$corpus" "$findings"
  local status=0 started=$SECONDS
  "$BUILD_DIR/fuzz/fuzz_$target" "$corpus" "$SEEDS/$target" \
      -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  local runs cov
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  local saved
  saved=$(find "$findings" -type f | wc -l)
  printf 'fuzz: %-15s %6s s  %10s runs  coverage %6s  corpus %5s  findings %s  (exit %s)\n' \
      "$target" "$((SECONDS - started))" "${runs:-?}" "${cov:-?}" "$(ls "$corpus" | wc -l)" "$saved" "$status"
  if ((status != 0 || saved != 0)); then
    echo "fuzz: $target failed; its log is $log, the inputs are in $findings/" >&2
    grep -m3 -E 'ERROR|SUMMARY|runtime error|abort|does not name|non-wsss' "$log" >&2 || true
    return 1
  fi
}

failed=0
jobs=${WSSS_FUZZ_JOBS:-1}
pids=()
for target in "${TARGETS[@]}"; do
  fuzz_one "$target" &
  pids+=($!)
  if ((${#pids[@]} >= jobs)); then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
