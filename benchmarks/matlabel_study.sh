#!/usr/bin/env bash
# The Mat-Label study of docs/matlabel.md on the synthetic dataset: per seed, the same network
# and budget with the CAM head and CAM two-threshold labels (the baseline), the D2CAM head with
# two-threshold labels on its fg/bg maps, the D2CAM head with matting (trimaps solved by
# `propagate` in every step), and optionally the CAM with matting; for each run the final val
# mIoU of the segmentation head (metrics.jsonl), and the pseudo-labels its step makes on the
# train split scored whole and within 5 pixels of the objects' edges (`wsss eval --target
# pseudo --split train [--boundary-band 5]`). The matting run's checkpoint is also labelled
# offline with `infoflow` in place of `propagate` (row infoflow), and `wsss pseudo` times both
# solvers on the same maps. The rows ending in _spec train D2CAM as METHODS §4 has it, without
# L_fgbg (d2cam.fgbg_weight=0); infoflow_spec labels matlabel_spec's checkpoint.
#   benchmarks/matlabel_study.sh [--rows "cam d2cam matlabel ..."] [--tag TAG] ITERATIONS SEED... [key=value ...]
#   benchmarks/matlabel_study.sh 1000 0 1 2
# Runs go to runs/matlabel-study/<iterations>/<row>-s<seed>; a run already finished is reused;
# the table is printed at the end and written to runs/matlabel-study/<iterations>/table.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/study_common.sh
WSSS=${WSSS:-build/wsss}
BAND=5
ROWS="cam d2cam_spec matlabel_spec infoflow_spec d2cam matlabel infoflow"
parse_study_arguments matlabel-study "$@"

row_config() {  # config and overrides of a trained row
  case $1 in
    cam) echo "configs/toy/baseline.yaml" ;;
    cam_matting) echo "configs/toy/baseline.yaml matting.enabled=true" ;;
    d2cam) echo "configs/toy/matlabel.yaml matting.enabled=false" ;;
    matlabel) echo "configs/toy/matlabel.yaml" ;;
    d2cam_spec) echo "configs/toy/matlabel.yaml matting.enabled=false d2cam.fgbg_weight=0" ;;
    matlabel_spec) echo "configs/toy/matlabel.yaml d2cam.fgbg_weight=0" ;;
    *) echo "unknown row $1" >&2; exit 2 ;;
  esac
}

# Scores the pseudo-labels a checkpoint's step makes on train, whole and in the band.
score_pseudo() {  # run config overrides...
  local run=$1 config=$2; shift 2
  if [[ ! -f $run/eval-train-pseudo/metrics.json ]]; then
    "$WSSS" eval --config "$config" --checkpoint "$run/checkpoints/last.pt" --split train \
      --target pseudo --boundary-band "$BAND" --work-dir "$run/eval-train-pseudo" "$@" \
      >>"$run.log" 2>&1
  fi
}

for row in $ROWS; do
  [[ $row == infoflow* ]] && continue
  read -r -a spec <<<"$(row_config "$row")"
  config=${spec[0]}; overrides=("${spec[@]:1}")
  for seed in "${SEEDS[@]}"; do
    run=$OUT/$row-s$seed
    common=(seed="$seed" train.iterations="$ITERATIONS" "${overrides[@]}" "${EXTRA[@]}")
    train_once "$WSSS" "$run" "$config" "${common[@]}"
    score_pseudo "$run" "$config" "${common[@]}"
  done
done

# infoflow: the matting run's checkpoint labelled offline by `wsss pseudo` with each solver on
# the same trimaps; the row's scores are the infoflow labels', and the two runs time the solvers.
for row in $ROWS; do
  [[ $row == infoflow* ]] || continue
  trainedRow=${row/infoflow/matlabel}
  read -r -a spec <<<"$(row_config "$trainedRow")"
  for seed in "${SEEDS[@]}"; do
    trained=$OUT/$trainedRow-s$seed
    [[ -f $trained/checkpoints/last.pt ]] || { echo "$row needs the $trainedRow row of seed $seed" >&2; exit 2; }
    run=$OUT/$row-s$seed; mkdir -p "$run"
    common=(seed="$seed" train.iterations="$ITERATIONS" "${spec[@]:1}" "${EXTRA[@]}")
    for solver in propagate infoflow; do
      if [[ ! -f $run/pseudo-$solver/metrics.json ]]; then
        "$WSSS" pseudo --config "${spec[0]}" --checkpoint "$trained/checkpoints/last.pt" \
          --split train --boundary-band "$BAND" --work-dir "$run/pseudo-$solver" "${common[@]}" \
          matting.solver=$solver >>"$run.log" 2>&1
      fi
    done
  done
done

{
  echo "| row | iterations | val mIoU by seed | mean | train pseudo-label mIoU by seed | mean | boundary IoU (${BAND} px) by seed | mean |"
  echo "|---|---|---|---|---|---|---|---|"
  for row in $ROWS; do
    vals=(); pseudos=(); bands=()
    for seed in "${SEEDS[@]}"; do
      run=$OUT/$row-s$seed
      scores=$run/eval-train-pseudo/metrics.json
      if [[ $row == infoflow* ]]; then scores=$run/pseudo-infoflow/metrics.json
      else vals+=("$(final_val "$run/metrics.jsonl")"); fi
      pseudos+=("$(json_score "$scores" mIoU)")
      bands+=("$(json_score "$scores" boundary mIoU)")
    done
    echo "| $row | $ITERATIONS | ${vals[*]:--} | $(mean "${vals[@]}") | ${pseudos[*]} | $(mean "${pseudos[@]}") | ${bands[*]} | $(mean "${bands[@]}") |"
  done
  for row in $ROWS; do
    [[ $row == infoflow* ]] || continue
    echo
    echo "| $row: seed | propagate images/s | infoflow images/s | propagate / infoflow |"
    echo "|---|---|---|---|"
    for seed in "${SEEDS[@]}"; do
      run=$OUT/$row-s$seed
      python3 -c 'import json,sys
p, i = (json.load(open(f))["images_per_second"] for f in sys.argv[2:])
print(f"| {sys.argv[1]} | {p:.3g} | {i:.3g} | {p / i:.1f}x |")' "$seed" \
        "$run/pseudo-propagate/metrics.json" "$run/pseudo-infoflow/metrics.json"
    done
  done
} | tee "$OUT/table.md"
