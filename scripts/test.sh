#!/usr/bin/env bash
# Sets everything up, builds wsss and its tests, and runs the whole suite through ctest.
#   scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -R data/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# The reference scripts of tests/reference/ hold our code against torchvision and torchmetrics.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import torchvision, torchmetrics, yaml, sys; sys.exit(0 if torchvision.__version__.startswith('0.26.0') else 1)" 2>/dev/null; then
  echo "setup: installing torchvision==0.26.0, torchmetrics==1.9.0 and PyYAML for the reference tests"
  # --no-deps keeps pip from replacing the pinned torch.
  "$PYTHON" -m pip install --quiet --no-deps "torchvision==0.26.0"
  "$PYTHON" -m pip install --quiet numpy pillow "torchmetrics==1.9.0" lightning-utilities pyyaml
fi

ctest --test-dir "${WSSS_BUILD_DIR:-build}" --output-on-failure -j"${WSSS_JOBS:-2}" "$@"
