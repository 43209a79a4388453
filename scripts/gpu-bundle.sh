#!/usr/bin/env bash
# Builds dist/gpu/: wsss and every test binary with OpenCV, yaml-cpp, libpng, libjpeg and zlib
# linked in statically and LibTorch dynamically, with the configs, a toy dataset, the reference
# scripts, run.sh and gpu-check.sh. It runs on a GPU machine that has only Python with
# torch==2.11.0 (no network, no OpenCV or yaml-cpp): copy dist/gpu there and run
#   dist/gpu/run.sh wsss train --config configs/toy/baseline.yaml device=cuda
#   dist/gpu/gpu-check.sh REPORT_DIR
# Everything is cached: OpenCV under .cache/gpu-bundle/, the build in build-gpu/; a second run
# rebuilds only what changed.
#   scripts/gpu-bundle.sh [--check]   --check: also run the bundle's CPU proof (ldd, env -i tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${WSSS_JOBS:-2}
CACHE=$ROOT/.cache/gpu-bundle
OPENCV_PREFIX=$CACHE/opencv-static
BUILD=${WSSS_GPU_BUILD_DIR:-$ROOT/build-gpu}
DIST=$ROOT/dist/gpu
MULTIARCH=$(gcc -print-multiarch)
SYSLIB=/usr/lib/$MULTIARCH

# The build machine's own set-up (Debian packages, torch); the build itself is ours, below.
scripts/setup.sh --install-only

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# --- OpenCV 4.6 from Debian's source, static, core + imgproc + imgcodecs (JPEG and PNG only) ---
build_opencv() {
  local src=$CACHE/src
  mkdir -p "$src"
  if ! ls "$src"/opencv_4.6.0*.dsc >/dev/null 2>&1; then
    if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "gpu-bundle: enabling Debian source packages (deb-src) to fetch OpenCV's source"
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        as_root tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
      as_root apt-get update -qq
    fi
    (cd "$src" && apt-get source --download-only opencv=4.6.0+dfsg-12 2>&1 | tail -1)
  fi
  if [ ! -d "$src/opencv-4.6.0+dfsg" ]; then
    (cd "$src" && dpkg-source --no-check -x opencv_4.6.0+dfsg-12.dsc >/dev/null)
  fi
  echo "gpu-bundle: building static OpenCV (core, imgproc, imgcodecs) into $OPENCV_PREFIX"
  # No downloads (IPP, ADE...), no other codecs, no GUI or video; the JPEG, PNG and zlib
  # libraries are Debian's static archives, so nothing of them is needed at run time.
  cmake -S "$src/opencv-4.6.0+dfsg" -B "$CACHE/opencv-build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$OPENCV_PREFIX" \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DBUILD_SHARED_LIBS=OFF -DENABLE_PIC=ON -DBUILD_LIST=core,imgproc,imgcodecs \
    -DCPU_DISPATCH=AVX2 \
    -DWITH_JPEG=ON -DBUILD_JPEG=OFF -DJPEG_LIBRARY="$SYSLIB/libjpeg.a" \
    -DWITH_PNG=ON -DBUILD_PNG=OFF -DPNG_LIBRARY="$SYSLIB/libpng16.a" \
    -DBUILD_ZLIB=OFF -DZLIB_LIBRARY="$SYSLIB/libz.a" \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF \
    -DWITH_GDAL=OFF -DWITH_GDCM=OFF -DWITH_IMGCODEC_HDR=OFF -DWITH_IMGCODEC_SUNRASTER=OFF \
    -DWITH_IMGCODEC_PXM=OFF -DWITH_IMGCODEC_PFM=OFF -DWITH_AVIF=OFF -DWITH_SPNG=OFF \
    -DWITH_IPP=OFF -DWITH_ITT=OFF -DWITH_OPENCL=OFF -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF \
    -DWITH_TBB=OFF -DWITH_OPENMP=OFF -DWITH_PROTOBUF=OFF -DWITH_QUIRC=OFF -DWITH_ADE=OFF \
    -DWITH_VA=OFF -DWITH_VA_INTEL=OFF -DWITH_CUDA=OFF -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF \
    -DWITH_GTK=OFF -DWITH_QT=OFF -DWITH_V4L=OFF -DWITH_1394=OFF -DWITH_VTK=OFF \
    -DWITH_OPENVX=OFF -DWITH_HALIDE=OFF -DWITH_CAROTENE=OFF -DWITH_ONNX=OFF \
    -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_DOCS=OFF \
    -DBUILD_opencv_apps=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF \
    -DBUILD_opencv_python2=OFF -DOPENCV_GENERATE_PKGCONFIG=OFF -DINSTALL_C_EXAMPLES=OFF \
    >"$CACHE/opencv-configure.log"
  cmake --build "$CACHE/opencv-build" -j"$JOBS" --target install >"$CACHE/opencv-build.log"
  touch "$OPENCV_PREFIX/.complete"
}
[ -f "$OPENCV_PREFIX/.complete" ] || build_opencv

# --- wsss and its tests against the static libraries ---
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DWSSS_STATIC_DEPS=ON -DWSSS_OPENCV_STATIC_DIR="$OPENCV_PREFIX/lib" \
    -DWSSS_STATIC_LIBRARY_DIR="$SYSLIB" >/dev/null
fi
cmake --build "$BUILD" -j"$JOBS" --target wsss wsss_test_core wsss_test_data wsss_test_models \
  wsss_test_losses wsss_test_train

# --- dist/gpu ---
echo "gpu-bundle: writing $DIST"
rm -rf "$DIST.new"
mkdir -p "$DIST.new/bin" "$DIST.new/tests" "$DIST.new/benchmarks"
for program in wsss tests/wsss_test_core tests/wsss_test_data tests/wsss_test_models \
  tests/wsss_test_losses tests/wsss_test_train; do
  cp "$BUILD/$program" "$DIST.new/bin/"
done
strip --strip-unneeded "$DIST.new"/bin/*
cp -r configs "$DIST.new/"
cp -r tests/reference "$DIST.new/tests/"
[ -d benchmarks ] && cp -r benchmarks/. "$DIST.new/benchmarks/"
find "$DIST.new" -name __pycache__ -prune -exec rm -rf {} +
# The C++ runtime the binaries were built with; run.sh uses it only where the machine's own is
# older than the one they need.
mkdir -p "$DIST.new/lib-compat"
cp -L "$(g++ -print-file-name=libstdc++.so.6)" "$(g++ -print-file-name=libgcc_s.so.1)" \
  "$DIST.new/lib-compat/"
cp scripts/gpu-run.sh "$DIST.new/run.sh"
cp scripts/gpu-check.sh scripts/gpu_check_tools.py "$DIST.new/"
git rev-parse --short HEAD >"$DIST.new/COMMIT" 2>/dev/null || echo unknown >"$DIST.new/COMMIT"
# The toy dataset the check trains on, written by the bundled binary itself.
TORCH_LIB=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
LD_LIBRARY_PATH=$TORCH_LIB "$DIST.new/bin/wsss" toy-data --out "$DIST.new/datasets/toy" \
  --train 160 --val 40 --seed 0 >/dev/null
rm -rf "$DIST"
mv "$DIST.new" "$DIST"
echo "gpu-bundle: $(du -sh "$DIST" | cut -f1) in $DIST"

if [ "${1:-}" = "--check" ]; then
  scripts/gpu-bundle-proof.sh "$DIST"
fi
