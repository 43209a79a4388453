#!/usr/bin/env bash
# The point-supervision study of docs/points.md on the synthetic dataset: per seed, the same
# network and budget under image labels, clicks with L_point alone, clicks with L_point + L_pm,
# the two ablations of the pseudo-masks (no spatial filter, no refinement) and full
# supervision; the final val mIoU of the segmentation head from each run's metrics.jsonl, and
# the pseudo-label mIoU on train (`wsss eval --target pseudo --split train`).
#   benchmarks/points_study.sh [--rows "baseline points ..."] [--tag TAG] ITERATIONS SEED... [key=value ...]
#   benchmarks/points_study.sh 1000 0 1 2
# Runs go to runs/points-study/<iterations>/<row>-s<seed>; a run already finished is reused;
# the table is printed at the end and written to runs/points-study/<iterations>/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/study_common.sh
WSSS=${WSSS:-build/wsss}
ROWS="baseline point_only points no_spatial no_refine full"
parse_study_arguments points-study "$@"

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

for row in $ROWS; do
  read -r -a spec <<<"$(row_config "$row")"
  config=${spec[0]}; overrides=("${spec[@]:1}")
  for seed in "${SEEDS[@]}"; do
    run=$OUT/$row-s$seed
    common=(seed="$seed" train.iterations="$ITERATIONS" "${overrides[@]}" "${EXTRA[@]}")
    train_once "$WSSS" "$run" "$config" "${common[@]}"
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
        pseudos+=("$(json_score "$run/eval-train-pseudo/metrics.json" mIoU)")
      fi
    done
    echo "| $row | $ITERATIONS | ${vals[*]} | $(mean "${vals[@]}") | ${pseudos[*]:--} | $(mean "${pseudos[@]}") |"
  done
} | tee "$OUT/table.md"
