#!/usr/bin/env bash
# Sets everything up, builds wsss, writes the synthetic VOC-layout dataset, checks it, trains
# the single-stage baseline on it (CPU: a few minutes) and scores the result on its val split.
#   scripts/demo.sh [key.sub=value ...]    e.g. scripts/demo.sh train.iterations=300
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wsss
WSSS=${WSSS_BUILD_DIR:-build}/wsss
RUN=runs/toy-baseline

"$WSSS" toy-data --out datasets/toy --train 200 --val 60 --seed 0
"$WSSS" data-check --config configs/toy/base.yaml --work-dir runs/toy-data-check
# train refuses to start over a folder that holds a run; the demo's own earlier run goes.
if [ -d "$RUN" ]; then
  echo "demo: replacing the earlier demo run in $RUN"
  rm -rf "$RUN"
fi
"$WSSS" train --config configs/toy/baseline.yaml --work-dir "$RUN" "$@"
"$WSSS" eval --config configs/toy/baseline.yaml --checkpoint "$RUN/checkpoints/best.pt" \
  --work-dir "$RUN/eval-val-seg" "$@"
echo "demo: run in $RUN (config.yaml, metrics.jsonl, checkpoints/); scores in $RUN/eval-val-seg/metrics.json"
