#!/usr/bin/env bash
# What a CPU can prove of the bundle in dist/gpu/ (scripts/gpu-bundle.sh --check runs it):
#  1. ldd of every bundled binary names no OpenCV, yaml-cpp or image-codec library and finds
#     every library with only LibTorch's folder added;
#  2. every test binary passes when started from the bundle with a clean environment (env -i:
#     PATH, HOME and the Python with torch, nothing else; run.sh adds LibTorch's folder);
#  3. gpu-check.sh runs every part on the CPU and reports it (the CUDA parts as skipped).
#   scripts/gpu-bundle-proof.sh [DIST] [--no-check]
set -euo pipefail
DIST=$(cd "${1:-dist/gpu}" && pwd)
PYTHON_BIN=$(python3 -c 'import sys; print(sys.executable)')
TORCH_LIB=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
failures=0

echo "== ldd of every bundled binary"
for binary in "$DIST"/bin/*; do
  libraries=$(LD_LIBRARY_PATH=$TORCH_LIB ldd "$binary")
  if grep -Ei "opencv|yaml|png|jpeg|libz\.so|tiff|webp|gdal|openexr|openjp|gdcm" <<<"$libraries"; then
    echo "FAIL: $(basename "$binary") needs a library the bundle links statically"
    failures=$((failures + 1))
  elif grep "not found" <<<"$libraries"; then
    echo "FAIL: $(basename "$binary") needs a library that is not found"
    failures=$((failures + 1))
  else
    echo "ok: $(basename "$binary"): $(awk '{print $1}' <<<"$libraries" | grep -v torch | tr '\n' ' ')"
  fi
done

echo "== the bundle's tests from $DIST with a clean environment"
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
for binary in "$DIST"/bin/wsss_test_*; do
  name=$(basename "$binary")
  if env -i PATH=/usr/bin:/bin HOME="$HOME" WSSS_PYTHON="$PYTHON_BIN" WSSS_TEST_TMP="$SCRATCH" \
      "$DIST/run.sh" "$name" >"$SCRATCH/$name.log" 2>&1; then
    echo "ok: $name: $(tail -2 "$SCRATCH/$name.log" | tr '\n' ' ')"
  else
    echo "FAIL: $name"
    tail -40 "$SCRATCH/$name.log"
    failures=$((failures + 1))
  fi
done

if [ "${2:-}" != "--no-check" ]; then
  echo "== gpu-check.sh on the CPU"
  if env -i PATH=/usr/bin:/bin HOME="$HOME" WSSS_PYTHON="$PYTHON_BIN" \
      "$DIST/gpu-check.sh" "$SCRATCH/report"; then
    echo "ok: gpu-check.sh"
  else
    echo "FAIL: gpu-check.sh"
    failures=$((failures + 1))
  fi
  cat "$SCRATCH/report/gpu-report.md"
fi

if ((failures)); then
  echo "gpu-bundle-proof: $failures failures"
  exit 1
fi
echo "gpu-bundle-proof: every check passed"
