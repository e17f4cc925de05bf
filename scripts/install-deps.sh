#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages Octet needs, only those that are missing.
# Usage: scripts/install-deps.sh [--with-extras]
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libflatbuffers-dev flatbuffers-compiler
  libcpuinfo-dev libpthreadpool-dev
  catch2 libbenchmark-dev libcli11-dev nlohmann-json3-dev
  # fuzzing (libFuzzer) and ThreadSanitizer builds: scripts/fuzz.sh, scripts/sanitize.sh
  clang libclang-rt-14-dev
  # post-training quantization (converter/ptq): IDX .gz and PNG/JPEG data,
  # the Fashion-MNIST accuracy benchmark (docs/accuracy.md)
  zlib1g-dev libstb-dev dataset-fashion-mnist
  # ONNX import (converter/onnx) and its conformance data
  libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
  # tests/onnx/export_torchvision.py (architectures exported at test time)
  python3-torch python3-torchvision python3-onnx python3-numpy
  # octet analyze: the report is rendered headless to PNG in a test (tests/analysis/)
  chromium python3-pil
  # ARM cross builds and their tests under qemu (scripts/cross-test.sh,
  # docs/porting.md); amd64 packages only, no :arm64 multiarch
  g++-aarch64-linux-gnu g++-arm-linux-gnueabihf qemu-user
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
