#!/usr/bin/env bash
# Installs what is missing (Debian packages only; idempotent) and builds sbe in Release.
# Used by both quick-start commands; safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Why each package is here: README.md, "Dependencies".
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  nlohmann-json3-dev libcli11-dev libfmt-dev libhwy-dev libdnnl-dev ocl-icd-opencl-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  python3 python3-numpy python3-torch python3-onnx python3-matplotlib libopenblas0-pthread
  pybind11-dev python3-pybind11 python3-pytest
  verilator yosys tcl
  libcpp-httplib-dev libgrpc++-dev protobuf-compiler-grpc python3-grpcio haproxy curl openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${SBE_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$BUILD_DIR"

# `import sbe` from any directory: a .pth file in Debian Python's user site points at the built
# module. Only for the default build; README says how to remove it.
if [ "$BUILD_DIR" = build ] && [ -d build/python/sbe ]; then
  site=$(/usr/bin/python3 -m site --user-site)
  if mkdir -p "$site" 2>/dev/null && echo "$PWD/build/python" > "$site/sbe.pth" 2>/dev/null; then
    echo "setup: import sbe: $site/sbe.pth -> $PWD/build/python"
  else
    echo "setup: could not write $site/sbe.pth; use PYTHONPATH=$PWD/build/python" >&2
  fi
fi
