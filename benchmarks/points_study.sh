#!/usr/bin/env bash
# The point-supervision study of docs/points.md on the synthetic dataset: per seed, the same
# network and budget under image labels, clicks with L_point alone, clicks with L_point + L_pm,
# the two ablations of the pseudo-masks (no spatial filter, no refinement) and full
# supervision; the final val mIoU of the segmentation head from each run's metrics.jsonl, and
# the pseudo-label mIoU on train (`wsss eval --target pseudo --split train`).
#   benchmarks/points_study.sh [--rows "baseline points ..."] ITERATIONS SEED... [key=value ...]
#   benchmarks/points_study.sh 1000 0 1 2
# Runs go to runs/points-study/<iterations>/<row>-s<seed>; a run already finished is reused;
# the table is printed at the end and written to runs/points-study/<iterations>/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
WSSS=${WSSS:-build/wsss}
ROWS="baseline point_only points no_spatial no_refine full"
if [[ ${1:-} == --rows ]]; then ROWS=$2; shift 2; fi
ITERATIONS=$1; shift
SEEDS=(); while [[ $# -gt 0 && $1 != *=* ]]; do SEEDS+=("$1"); shift; done
EXTRA=("$@")
OUT=runs/points-study/$ITERATIONS
mkdir -p "$OUT"

row_config() {
  case $1 in
    baseline) echo "configs/toy/baseline.yaml" ;;
    point_only) echo "configs/toy/points.yaml point.mask_weight=0" ;;
    points) echo "configs/toy/points.yaml" ;;
    no_spatial) echo "configs/toy/points.yaml point.sigma=0" ;;
    no_refine) echo "configs/toy/points.yaml point.refine=false" ;;
    full) echo "configs/toy/full.yaml" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
  esac
}

final_val() {  # the last evaluation's mIoU in a metrics.jsonl
  python3 -c 'import json,sys
v=[json.loads(l)["eval"]["mIoU"] for l in open(sys.argv[1]) if "\"eval\"" in l]
print(f"{v[-1]:.2f}")' "$1"
}

for row in $ROWS; do
  read -r -a spec <<<"$(row_config "$row")"
  config=${spec[0]}; overrides=("${spec[@]:1}")
  for seed in "${SEEDS[@]}"; do
    run=$OUT/$row-s$seed
    common=(seed="$seed" train.iterations="$ITERATIONS" "${overrides[@]}" "${EXTRA[@]}")
    if [[ ! -f $run/checkpoints/last.pt ]] || ! grep -q '"eval"' "$run/metrics.jsonl" 2>/dev/null; then
      rm -rf "$run"
      "$WSSS" train --config "$config" --work-dir "$run" "${common[@]}" >"$run.log" 2>&1
    fi
    # Pseudo-labels on train: the clicks' masks, or the CAM's; full supervision has none.
    if [[ $row != full && ! -f $run/eval-train-pseudo/metrics.json ]]; then
      "$WSSS" eval --config "$config" --checkpoint "$run/checkpoints/last.pt" --split train \
        --target pseudo --work-dir "$run/eval-train-pseudo" "${common[@]}" >>"$run.log" 2>&1
    fi
  done
done

{
  echo "| row | iterations | val mIoU by seed | mean | train pseudo-label mIoU by seed | mean |"
  echo "|---|---|---|---|---|---|"
  for row in $ROWS; do
    vals=(); pseudos=()
    for seed in "${SEEDS[@]}"; do
      run=$OUT/$row-s$seed
      vals+=("$(final_val "$run/metrics.jsonl")")
      if [[ -f $run/eval-train-pseudo/metrics.json ]]; then
        pseudos+=("$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["mIoU"])' "$run/eval-train-pseudo/metrics.json")")
      fi
    done
    mean() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(f"{sum(v)/len(v):.2f}" if v else "")' "$@"; }
    echo "| $row | $ITERATIONS | ${vals[*]} | $(mean "${vals[@]}") | ${pseudos[*]:-} | $(mean "${pseudos[@]:-}") |"
  done
} | tee "$OUT/table.md"
