#!/usr/bin/env bash
# Sets everything up, builds wsss and its tests, and runs the whole suite through ctest.
#   scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -R data/
#   scripts/test.sh --sanitize [ctest arguments...]
#       the same suite built with clang, AddressSanitizer and UndefinedBehaviorSanitizer in
#       build-sanitize; any sanitizer report (memory error, undefined behaviour, leak) fails the
#       test it happens in (docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  shift
  scripts/setup.sh --sanitize
  source scripts/sanitizer_options.sh
  BUILD_DIR=${WSSS_BUILD_DIR:-build-sanitize}
else
  scripts/setup.sh
  BUILD_DIR=${WSSS_BUILD_DIR:-build}
fi

# The reference scripts of tests/reference/ hold our code against torchvision and torchmetrics.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import torchvision, torchmetrics, yaml, sys; sys.exit(0 if torchvision.__version__.startswith('0.26.0') else 1)" 2>/dev/null; then
  echo "setup: installing torchvision==0.26.0, torchmetrics==1.9.0 and PyYAML for the reference tests"
  # --no-deps keeps pip from replacing the pinned torch.
  "$PYTHON" -m pip install --quiet --no-deps "torchvision==0.26.0"
  "$PYTHON" -m pip install --quiet numpy pillow "torchmetrics==1.9.0" lightning-utilities pyyaml
fi
# pydensecrf, the reference of the dense CRF (tests/reference/dense_crf_reference.py); built
# from its source, so a machine where it does not build skips that test.
if ! "$PYTHON" -c "import pydensecrf.densecrf" 2>/dev/null; then
  echo "setup: installing pydensecrf2 for the dense CRF reference test"
  "$PYTHON" -m pip install --quiet --no-deps pydensecrf2 || echo "setup: pydensecrf2 did not install; reference/dense_crf will be skipped"
fi
# TensorBoard's own reader holds our event files (tests/reference/tensorboard_reference.py).
if ! "$PYTHON" -c "import tensorboard, sys; sys.exit(0 if tensorboard.__version__ == '2.21.0' else 1)" 2>/dev/null; then
  echo "setup: installing tensorboard==2.21.0 for the event-file reference test"
  "$PYTHON" -m pip install --quiet "tensorboard==2.21.0"
fi

ctest --test-dir "$BUILD_DIR" --output-on-failure -j"${WSSS_JOBS:-2}" "$@"
