#!/usr/bin/env bash
# Everything a GPU must show, in one run of at most about 8 minutes, from the bundle that
# scripts/gpu-bundle.sh writes (dist/gpu/gpu-check.sh):
#   ./gpu-check.sh REPORT_DIR
# writes REPORT_DIR/gpu-report.md and gpu-report.json (device, driver, every figure, every
# failure with the end of its log) and REPORT_DIR/logs/, and exits 1 when a correctness check
# failed. Each part has its own time limit. The parts:
#   tests      every test binary with CUDA visible (the CPU/CUDA agreement tests run)
#   train      wsss train of each shipped toy config, 200 steps, bf16 + channels_last: finite
#              losses, a checkpoint, wsss eval of it
#   resume     train.deterministic: a run stopped by SIGTERM and resumed ends with the same
#              weights as an unbroken one; without it, how far apart they end
#   bench      wsss bench --what train (configs/voc/baseline.yaml: ResNet-50, crop 448, batch 8,
#              random weights) and --what methods of the selfguided, pss and aamr VOC configs
#   infer      wsss eval (multi-scale + flip) and wsss pseudo (CCI) throughput on 500 x 375 images
#   distributed  wsss train under torchrun at world size 1 (NCCL on the GPU, Gloo on the CPU):
#              the path itself, its images/s and the seconds a step spends summing gradients
#   reference  the same step in PyTorch eager against ours, side by side
# Without a GPU every part still runs, on the CPU at a proof size, and is reported as skipped
# for CUDA: that proves the script, not the GPU path.
set -uo pipefail
BUNDLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if (($# != 1)); then
  echo "usage: gpu-check.sh REPORT_DIR" >&2
  exit 2
fi
mkdir -p "$1"
REPORT=$(cd "$1" && pwd)
LOGS=$REPORT/logs
WORK=${WSSS_CHECK_WORK:-$(mktemp -d /tmp/wsss-gpu-check.XXXXXX)}
mkdir -p "$LOGS" "$WORK"
: >"$REPORT/parts.tsv"
: >"$REPORT/figures.tsv"
RUN="$BUNDLE/run.sh"
TOOLS="$BUNDLE/gpu_check_tools.py"
export WSSS_PYTHON=${WSSS_PYTHON:-python3}
export WSSS_TEST_TMP=$WORK/test_tmp
cd "$BUNDLE"
START=$(date +%s)
export START

# One line per part: name, status (pass | fail | skipped), seconds, note.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$REPORT/parts.tsv"; }
figure() { printf '%s\t%s\n' "$1" "$2" >>"$REPORT/figures.tsv"; }
# part NAME LIMIT_SECONDS COMMAND...: runs a program or one of the functions below under a time
# limit into logs/NAME.log.
# WSSS_CHECK_SKIP, a regular expression, skips the parts whose names it matches.
# WSSS_CHECK_BUDGET (seconds, default 480) bounds the whole check: a part gets at most what is
# left of it, and a part that would start with under 20 seconds left is skipped.
BUDGET=${WSSS_CHECK_BUDGET:-480}
part() {
  local name=$1 limit=$2
  shift 2
  if [ -n "${WSSS_CHECK_SKIP:-}" ] && [[ $name =~ $WSSS_CHECK_SKIP ]]; then
    record "$name" skipped 0 "not run: WSSS_CHECK_SKIP"
    return 0
  fi
  local left=$((BUDGET - ($(date +%s) - START)))
  if ((left < 20)); then
    record "$name" skipped 0 "not run: the check's ${BUDGET}s budget was spent"
    return 0
  fi
  ((limit > left)) && limit=$left
  local begin=$(date +%s)
  echo "gpu-check: $name (limit ${limit}s)"
  timeout --kill-after=10 "$limit" bash -c '"$@"' bash "$@" >"$LOGS/$name.log" 2>&1
  local code=$?
  local seconds=$(($(date +%s) - begin))
  local last=$(grep -v '^\s*$' "$LOGS/$name.log" | tail -1 | cut -c1-160)
  if ((code == 0)) && [ "${DEVICE:-}" = cpu ] && [[ ! $name =~ ^tests-wsss ]]; then
    # A CUDA part run on the CPU proves the script, not the GPU path.
    record "$name" skipped "$seconds" "no CUDA device: ran on the CPU at proof size: $last"
  elif ((code == 0)); then
    record "$name" pass "$seconds" "$last"
  elif ((code == 124 || code == 137)); then
    record "$name" fail "$seconds" "timed out after ${limit}s"
  else
    record "$name" fail "$seconds" "exit code $code"
  fi
  return $code
}
export RUN TOOLS WORK REPORT

# --- the machine ---
"$RUN" true 2>"$LOGS/environment.log" || {
  record environment fail 0 "run.sh cannot start: see logs/environment.log"
  "$WSSS_PYTHON" "$TOOLS" report "$REPORT"
  exit 1
}
export WSSS_TORCH_LIB=$("$WSSS_PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
{
  echo "bundle commit: $(cat "$BUNDLE/COMMIT" 2>/dev/null)"
  "$WSSS_PYTHON" -c 'import torch, platform; print("torch", torch.__version__, "python", platform.python_version())'
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  ldd --version | head -1
  "$RUN" ldd "$BUNDLE/bin/wsss"
} >>"$LOGS/environment.log" 2>&1
if "$RUN" ldd "$BUNDLE/bin/wsss" | grep -q "not found"; then
  record environment fail 0 "a library of bin/wsss is not found: see logs/environment.log"
else
  record environment pass 0 ""
fi
figure device "$("$WSSS_PYTHON" -c 'import torch; print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")')"
figure driver "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1 || echo none)"
figure torch "$("$WSSS_PYTHON" -c 'import torch; print(torch.__version__)')"
figure bundle_commit "$(cat "$BUNDLE/COMMIT" 2>/dev/null)"
if "$WSSS_PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  DEVICE=cuda
else
  DEVICE=cpu
fi
figure check_device "$DEVICE"
# Sizes: the real ones on a GPU, a proof size on the CPU.
if [ "$DEVICE" = cuda ]; then
  TRAIN_STEPS=200; RESUME_STEPS=200; BENCH_BATCHES=8; BENCH_SIZE=""; INFER_IMAGES=60
  REF_BATCHES=8; INFER_SIZE="eval.scales=[0.5,0.75,1.0,1.25,1.5] eval.flip=true"
else
  TRAIN_STEPS=12; RESUME_STEPS=16; BENCH_BATCHES=1; INFER_IMAGES=2; REF_BATCHES=1
  BENCH_SIZE="data.augment.crop_size=128 train.batch_size=2"
  INFER_SIZE="eval.scales=[1.0] eval.flip=false cci.scales=[1.0] cci.flip=false cci.rounds=1"
fi
skipped_note() { [ "$DEVICE" = cuda ] || echo "no CUDA device: ran on the CPU at proof size"; }

# --- tests: the agreement tests first, then every test of every binary ---
TEST_BINARIES=$(cd "$BUNDLE/bin" && ls wsss_test_*)
for binary in $TEST_BINARIES; do
  part "tests-cuda-$binary" 120 "$RUN" "$binary" "[cuda]"
done
pids=()
for binary in $TEST_BINARIES; do
  part "tests-$binary" 360 "$RUN" "$binary" &
  pids+=($!)
done
# The toy trainings and the resume checks use the GPU while the suites mostly use the CPU.
train_one() {
  local name=$1 run=$WORK/train-$1
  # The shipped warm-ups of RCM and MAM (500 steps) are longer than this run.
  local short=()
  [ "$name" = pss ] && short=(rcm.warmup_iters=$((TRAIN_STEPS / 4)) mam.warmup_iters=$((TRAIN_STEPS / 4)))
  "$RUN" wsss train --config "configs/toy/$name.yaml" --work-dir "$run" device="$DEVICE" "${short[@]}" \
    train.iterations=$TRAIN_STEPS train.amp=true train.channels_last=true \
    train.eval_interval=$TRAIN_STEPS train.checkpoint_interval=$((TRAIN_STEPS / 2)) \
    data.workers=4 &&
    "$WSSS_PYTHON" "$TOOLS" finite "$run/metrics.jsonl" $TRAIN_STEPS &&
    test -f "$run/checkpoints/last.pt" &&
    "$RUN" wsss eval --config "configs/toy/$name.yaml" --checkpoint "$run/checkpoints/last.pt" \
      --work-dir "$run/eval" device="$DEVICE" &&
    "$WSSS_PYTHON" "$TOOLS" figure-from-json "$run/eval/metrics.json" mIoU "train_${name}_val_miou" \
      >>"$REPORT/figures.tsv"
}
export -f train_one
export DEVICE TRAIN_STEPS RESUME_STEPS WSSS_TORCH_LIB
for name in baseline pss selfguided aamr full; do
  part "train-$name" 120 train_one "$name"
done

# --- exact resume on the device ---
resume_one() {
  local mode=$1 base=$WORK/resume-$1
  local overrides=(device="$DEVICE" train.iterations=$RESUME_STEPS train.deterministic="$2"
                   train.checkpoint_interval=1000 train.eval_interval=0 data.workers=2
                   train.log_interval=1)
  "$RUN" wsss train --config configs/toy/baseline.yaml --work-dir "$base/straight" "${overrides[@]}" ||
    return 1
  "$RUN" wsss train --config configs/toy/baseline.yaml --work-dir "$base/broken" "${overrides[@]}" \
    >"$base.broken.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do
    [ "$(wc -l <"$base/broken/metrics.jsonl" 2>/dev/null || echo 0)" -ge $((RESUME_STEPS / 2)) ] && break
    sleep 0.1
  done
  kill -TERM "$pid"
  wait "$pid"
  local code=$?
  cat "$base.broken.log"
  [ "$code" -eq 143 ] || { echo "the stopped run exited $code, not 143"; return 1; }
  "$RUN" wsss train --config configs/toy/baseline.yaml --work-dir "$base/broken" --resume \
    "${overrides[@]}" || return 1
  "$WSSS_PYTHON" "$TOOLS" compare "$base/straight/checkpoints/last.pt" \
    "$base/broken/checkpoints/last.pt" "resume_${mode}" >>"$REPORT/figures.tsv"
}
export -f resume_one
part resume-deterministic 150 resume_one deterministic true
if ! grep -q "^resume_deterministic_equal	true$" "$REPORT/figures.tsv"; then
  if grep -q "^resume-deterministic	pass" "$REPORT/parts.tsv"; then
    sed -i '$d' "$REPORT/parts.tsv"
    record resume-deterministic fail 0 "the resumed run's weights differ from the unbroken run's"
  fi
fi
part resume-default 150 resume_one default false ||
  true  # without determinism a difference is a figure, not a failure

# The suites run beside the trainings and the resume checks, and end before anything is timed.
for pid in "${pids[@]}"; do wait "$pid"; done

# --- throughput: the training step, the method parts, inference ---
VOC_RANDOM=(data.root=datasets/toy model.pretrained= device="$DEVICE")
part bench-train 150 "$RUN" wsss bench --config configs/voc/baseline.yaml --what train \
  --batches $BENCH_BATCHES "${VOC_RANDOM[@]}" $BENCH_SIZE
# --- the reference: the same step in PyTorch eager ---
if [ -x "$BUNDLE/benchmarks/step_vs_python.sh" ]; then
  for config in configs/toy/baseline.yaml configs/voc/baseline.yaml configs/toy/selfguided.yaml; do
    name=$(basename "$(dirname "$config")")-$(basename "$config" .yaml)
    extra=(device="$DEVICE" data.root=datasets/toy)
    [[ $config == configs/voc/* ]] && extra=("${VOC_RANDOM[@]}" $BENCH_SIZE)
    part "reference-$name" 150 "$RUN" "$BUNDLE/benchmarks/step_vs_python.sh" \
      --wsss "$BUNDLE/bin/wsss" --python "$WSSS_PYTHON" --batches $REF_BATCHES \
      "$config" "${extra[@]}"
  done
else
  record reference skipped 0 "benchmarks/step_vs_python.sh is not in the bundle"
fi

for method in selfguided pss aamr; do
  part "bench-methods-$method" 120 "$RUN" wsss bench --config "configs/voc/$method.yaml" \
    --what methods --batches $BENCH_BATCHES "${VOC_RANDOM[@]}" $BENCH_SIZE
done
part bench-refine 60 "$RUN" wsss bench --config configs/voc/selfguided.yaml --what refine \
  --batches $BENCH_BATCHES "${VOC_RANDOM[@]}" $BENCH_SIZE

infer() {
  "$WSSS_PYTHON" "$TOOLS" upscale datasets/toy "$WORK/toy500" 500 375 "$INFER_IMAGES" || return 1
  local voc=(data.root="$WORK/toy500" model.pretrained= model.batch_norm=trainable device="$DEVICE")
  "$RUN" wsss train --config configs/voc/baseline.yaml --work-dir "$WORK/voc" "${voc[@]}" \
    train.iterations=2 train.batch_size=2 train.warmup_iters=0 train.eval_interval=0 \
    seg.warmup_iters=0 || return 1
  "$RUN" wsss eval --config configs/voc/baseline.yaml --checkpoint "$WORK/voc/checkpoints/last.pt" \
    --work-dir "$WORK/voc/eval" "${voc[@]}" $INFER_SIZE || return 1
  "$WSSS_PYTHON" "$TOOLS" figure-from-json "$WORK/voc/eval/metrics.json" images_per_second \
    eval_ms_flip_images_per_second >>"$REPORT/figures.tsv"
  "$RUN" wsss pseudo --config configs/voc/baseline.yaml --checkpoint "$WORK/voc/checkpoints/last.pt" \
    --split val --work-dir "$WORK/voc/pseudo" "${voc[@]}" $INFER_SIZE || return 1
  "$WSSS_PYTHON" "$TOOLS" figure-from-json "$WORK/voc/pseudo/metrics.json" images_per_second \
    pseudo_cci_images_per_second >>"$REPORT/figures.tsv"
}
export -f infer
export INFER_IMAGES INFER_SIZE
part infer 180 infer

# --- torchrun at world size 1: the distributed path (docs/distributed.md) ---
distributed() {
  local run=$WORK/distributed
  "$WSSS_PYTHON" -m torch.distributed.run --no-python --nproc-per-node 1 \
    --master-addr 127.0.0.1 --master-port 29533 "$RUN" wsss train \
    --config configs/toy/baseline.yaml --work-dir "$run" device="$DEVICE" \
    train.iterations=$TRAIN_STEPS train.eval_interval=$TRAIN_STEPS \
    train.checkpoint_interval=$TRAIN_STEPS data.workers=4 &&
    "$WSSS_PYTHON" "$TOOLS" finite "$run/metrics.jsonl" $TRAIN_STEPS &&
    test -f "$run/checkpoints/last.pt" &&
    "$WSSS_PYTHON" "$TOOLS" step-mean "$run/metrics.jsonl" gradient_sync_s \
      distributed_gradient_sync_s >>"$REPORT/figures.tsv" &&
    "$WSSS_PYTHON" "$TOOLS" step-mean "$run/metrics.jsonl" images_per_s \
      distributed_images_per_s >>"$REPORT/figures.tsv"
}
export -f distributed
part distributed 120 distributed

figure check_seconds $(($(date +%s) - START))
if [ "$DEVICE" != cuda ]; then
  figure note "$(skipped_note)"
fi
"$WSSS_PYTHON" "$TOOLS" report "$REPORT"
