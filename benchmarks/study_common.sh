# Helpers of the method studies (points_study.sh, matlabel_study.sh), sourced by them.

# The last evaluation's val mIoU in a run's metrics.jsonl, two decimals.
final_val() {
  python3 -c 'import json,sys
v=[json.loads(l)["eval"]["mIoU"] for l in open(sys.argv[1]) if "\"eval\"" in l]
print(f"{v[-1]:.2f}")' "$1"
}

# A score of a metrics.json by its path of keys (e.g. mIoU, or boundary mIoU), two decimals.
json_score() {
  python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for key in sys.argv[2:]: v=v[key]
print(f"{v:.2f}")' "$@"
}

# The mean of the numbers given, two decimals; "-" when there are none (empty words are skipped).
mean() {
  python3 -c 'import sys
v=[float(x) for x in sys.argv[1:] if x]
print(f"{sum(v)/len(v):.2f}" if v else "-")' "$@"
}

# Trains a study run unless it finished (a last.pt and an evaluation in metrics.jsonl):
# train_once WSSS RUN CONFIG key=value...; the log goes to RUN.log.
train_once() {
  local wsss=$1 run=$2 config=$3; shift 3
  if [[ ! -f $run/checkpoints/last.pt ]] || ! grep -q '"eval"' "$run/metrics.jsonl" 2>/dev/null; then
    rm -rf "$run"
    "$wsss" train --config "$config" --work-dir "$run" "$@" >"$run.log" 2>&1
  fi
}

# Reads a study's arguments, [--rows "ROW ..."] [--tag TAG] ITERATIONS SEED... [key=value ...],
# into ROWS (kept when --rows is absent), ITERATIONS, SEEDS and EXTRA, and makes OUT, the
# study's folder runs/<study>/<iterations>, or runs/<study>/<iterations>-<TAG> (a tuning sweep
# whose overrides must not mix with the study's runs): parse_study_arguments STUDY "$@".
parse_study_arguments() {
  local study=$1 tag=""; shift
  while [[ ${1:-} == --* ]]; do
    case $1 in
      --rows) ROWS=$2 ;;
      --tag) tag=-$2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
  done
  ITERATIONS=$1; shift
  SEEDS=(); while [[ $# -gt 0 && $1 != *=* ]]; do SEEDS+=("$1"); shift; done
  EXTRA=("$@")
  OUT=runs/$study/$ITERATIONS$tag
  mkdir -p "$OUT"
}
