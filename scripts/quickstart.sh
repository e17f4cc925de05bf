#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's first command: install what is missing, build, and run the
# main job (build a model with the builder API, write fp32 and int8 .octet
# files, run both, compare results and speed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build_dir="${OCTET_BUILD_DIR:-build}"
mkdir -p "$build_dir/quickstart"
"$build_dir/bin/quickstart" --out "$build_dir/quickstart"
echo
"$build_dir/bin/octet" inspect "$build_dir/quickstart/quickstart_int8.octet" | head -n 30

# The quantization flow on the bundled model (docs/accuracy.md): the
# Fashion-MNIST CNN in ONNX -> fp32 .octet -> int8 with 1,000 calibration
# images from the training set -> both evaluated on the 10k test set
# (accuracy, agreement, model sizes, latency per inference).
fm=/usr/share/datasets/fashion-mnist
octet="$build_dir/bin/octet"
q="$build_dir/quickstart"
echo
echo "== octet convert -> octet quantize -> octet eval on models/fashion_mnist/cnn.onnx"
"$octet" convert models/fashion_mnist/cnn.onnx -o "$q/cnn_fp32.octet"
"$octet" quantize "$q/cnn_fp32.octet" -o "$q/cnn_int8.octet" \
  --calib "$fm/train-images-idx3-ubyte.gz" --calib-count 1000
"$octet" eval "$q/cnn_fp32.octet" --compare "$q/cnn_int8.octet" \
  --data "$fm/t10k-images-idx3-ubyte.gz" --labels "$fm/t10k-labels-idx1-ubyte.gz"
# Latency side by side (median of 200 invokes, one thread) and the output
# agreement on the same inputs.
echo
echo "== octet bench: fp32 vs int8 latency"
"$octet" bench "$q/cnn_fp32.octet" --compare "$q/cnn_int8.octet" -r 200
