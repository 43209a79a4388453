#!/usr/bin/env bash
# Sets everything up, builds wsss, writes the synthetic VOC-layout dataset and checks it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh wsss
WSSS=${WSSS_BUILD_DIR:-build}/wsss

"$WSSS" toy-data --out datasets/toy --train 200 --val 60 --seed 0
"$WSSS" data-check --config configs/toy/base.yaml --work-dir runs/toy-data-check
"$WSSS" config --config configs/toy/base.yaml > /dev/null
echo "demo: dataset in datasets/toy is clean; report and effective config in runs/toy-data-check"
