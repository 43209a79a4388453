#!/usr/bin/env bash
# Installs what wsss needs (Debian packages, torch==2.11.0 from PyPI), configures and builds.
# Safe to run again: it installs only what is missing and rebuilds only what changed.
#   scripts/setup.sh [cmake build targets...]     (default: everything)
#   scripts/setup.sh --install-only                (packages and torch, no build)
#   scripts/setup.sh --sanitize [targets...]       the AddressSanitizer + UBSan build with clang
#                                                  and the fuzz targets, in build-sanitize
set -euo pipefail
cd "$(dirname "$0")/.."

SANITIZE=0
if [ "${1:-}" = "--sanitize" ]; then
  SANITIZE=1
  shift
fi

TORCH_VERSION=2.11.0
DEBIAN_PACKAGES=(g++ cmake ninja-build ccache pkg-config dpkg-dev libopencv-dev libyaml-cpp-dev libpng-dev
                 libjpeg-dev zlib1g-dev catch2 nlohmann-json3-dev libprotobuf-dev protobuf-compiler)
if ((SANITIZE)); then
  # clang for libFuzzer; the runtime archives (ASan, UBSan, libFuzzer) are a package of their own.
  DEBIAN_PACKAGES+=(clang libclang-rt-14-dev)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null; then
  echo "setup: installing torch==$TORCH_VERSION from PyPI (LibTorch with CUDA 13.0)"
  "$PYTHON" -m pip install --quiet "torch==$TORCH_VERSION"
fi

if [ "${1:-}" = "--install-only" ]; then
  exit 0
fi

if ((SANITIZE)); then
  BUILD_DIR=${WSSS_BUILD_DIR:-build-sanitize}
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
        -DWSSS_FUZZ=ON >/dev/null
  fi
else
  BUILD_DIR=${WSSS_BUILD_DIR:-build}
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
fi
if (($#)); then
  cmake --build "$BUILD_DIR" -j"${WSSS_JOBS:-2}" --target "$@"
else
  cmake --build "$BUILD_DIR" -j"${WSSS_JOBS:-2}"
fi
