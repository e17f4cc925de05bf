#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The accuracy benchmark of docs/accuracy.md: the committed Fashion-MNIST CNN
# (scripts/train_fashion_mnist.py) converted, quantized with every calibration
# method, per-channel and per-tensor weights, without and with the boosters
# (bias correction, cross-layer equalization), evaluated on the 10k test set.
# Usage: [BOOSTERS="none --equalize"] scripts/accuracy_fashion_mnist.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
work="${2:-$(mktemp -d)}"
octet="$build/bin/octet"
data=/usr/share/datasets/fashion-mnist
model="$root/models/fashion_mnist/cnn.onnx"
mkdir -p "$work"

"$octet" convert "$model" -o "$work/cnn.octet" -q
# Boosters: none, bias correction, cross-layer equalization, both.
boosters="${BOOSTERS:-none --bias-correction --equalize --equalize+--bias-correction}"
echo "| method | weights | boosters | fp32 top-1 | int8 top-1 | Δ (pp) | top-1 agreement | int8 size |"
echo "|---|---|---|---|---|---|---|---|"
for booster in $boosters; do
  extra="${booster//+/ }"; [ "$booster" = none ] && extra=""
  for method in percentile:99.99 minmax ema percentile:99.9 percentile:99.999 kl mse; do
    for weights in per-channel per-tensor; do
      flag=""; [ "$weights" = per-tensor ] && flag="--per-tensor"
      out="$work/cnn_${method//:/_}_${weights}_${booster//[-+]/}.octet"
      "$octet" quantize "$work/cnn.octet" -o "$out" -q $flag $extra --method "$method" \
        --calib "$data/train-images-idx3-ubyte.gz" --calib-count 1000
      res="$("$octet" eval "$work/cnn.octet" --compare "$out" -q \
        --data "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz")"
      f=$(echo "$res" | sed -n 1p | sed -E 's/.*top-1 ([0-9.]+) %.*/\1/')
      q=$(echo "$res" | sed -n 2p | sed -E 's/.*top-1 ([0-9.]+) %.*/\1/')
      a=$(echo "$res" | sed -n 3p | sed -E 's/.*: ([0-9.]+) %.*/\1/')
      d=$(echo "$res" | sed -n 3p | sed -E 's/.*difference ([-+0-9.]+) pp.*/\1/')
      echo "| $method | $weights | ${extra:-none} | $f % | $q % | $d | $a % | $(stat -c %s "$out") B |"
    done
  done
done
