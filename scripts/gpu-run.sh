#!/usr/bin/env bash
# run.sh of the bundle that scripts/gpu-bundle.sh writes to dist/gpu/: runs one of its programs
# with LibTorch taken from this machine's Python torch (2.11.0), which is all it needs.
#   ./run.sh wsss train --config configs/toy/baseline.yaml device=cuda
#   ./run.sh wsss_test_models "[cuda]"
#   ./run.sh COMMAND ...        any other command, with the same environment
# WSSS_PYTHON names the Python with torch (default python3); WSSS_TORCH_LIB, when set, skips
# asking it. The tests find the binary, configs/ and tests/reference/ in the bundle.
set -euo pipefail
BUNDLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export WSSS_PYTHON=${WSSS_PYTHON:-python3}

if [ -z "${WSSS_TORCH_LIB:-}" ]; then
  if ! WSSS_TORCH_LIB=$("$WSSS_PYTHON" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null); then
    echo "run.sh: '$WSSS_PYTHON' cannot import torch; install torch==2.11.0 or set WSSS_PYTHON" >&2
    exit 1
  fi
  export WSSS_TORCH_LIB
fi
# The CUDA libraries of the nvidia-* wheels beside torch, for what the binaries name directly.
SITE=$(dirname "$(dirname "$WSSS_TORCH_LIB")")
NVIDIA_LIBS=""
for folder in "$SITE"/nvidia/*/lib "$SITE"/nvidia/cu13/lib; do
  [ -d "$folder" ] && NVIDIA_LIBS="$NVIDIA_LIBS:$folder"
done
export LD_LIBRARY_PATH="$WSSS_TORCH_LIB$NVIDIA_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The C++ runtime the binaries were built with, only where the machine's own is older.
if [ -d "$BUNDLE/lib-compat" ] && ldd "$BUNDLE/bin/wsss" 2>&1 | grep -q "GLIBCXX.*not found"; then
  export LD_LIBRARY_PATH="$BUNDLE/lib-compat:$LD_LIBRARY_PATH"
fi

export WSSS_BINARY="$BUNDLE/bin/wsss"
export WSSS_SOURCE_DIR="$BUNDLE"
export PATH="$BUNDLE/bin:$PATH"
if (($# == 0)); then
  echo "usage: run.sh PROGRAM [ARGUMENTS...]   (programs: $(ls "$BUNDLE/bin" | tr '\n' ' '))" >&2
  exit 2
fi
exec "$@"
