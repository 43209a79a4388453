#!/usr/bin/env bash
# Sets everything up, builds wsss and its tests, and runs the whole suite through ctest.
#   scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -R data/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${WSSS_BUILD_DIR:-build}" --output-on-failure -j"${WSSS_JOBS:-2}" "$@"
