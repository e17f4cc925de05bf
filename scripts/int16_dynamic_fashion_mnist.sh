#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/ptq.md "int16 layers" and "Dynamic quantization": the committed
# Fashion-MNIST CNN with each CONV/FC forced to int16 (16×8) in turn, all of
# them int16, and `--dynamic`, evaluated on the 10k test set against fp32
# and the default int8 model (top-1, agreement, size, µs/inference).
# Usage: scripts/int16_dynamic_fashion_mnist.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
work="${2:-$(mktemp -d)}"
octet="$build/bin/octet"
data=/usr/share/datasets/fashion-mnist
model="$root/models/fashion_mnist/cnn.onnx"
calib=(--calib "$data/train-images-idx3-ubyte.gz" --calib-count 1000)
test_set=(--data "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz")
mkdir -p "$work"
echo "model: $model ($(md5sum "$model" | cut -c1-12))"
"$octet" convert "$model" -o "$work/cnn.octet" -q
"$octet" quantize "$work/cnn.octet" -o "$work/int8.octet" -q "${calib[@]}" --write-config "$work/cfg.json"
# The CONV_2D / FULLY_CONNECTED operators, by name, from the config.
mapfile -t nodes < <(/usr/bin/python3 -c '
import json, sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["op"] in ("CONV_2D", "FULLY_CONNECTED"): print(n["name"])' "$work/cfg.json")

row() {  # label, model
  local res f q a d us
  res="$("$octet" eval "$work/cnn.octet" --compare "$2" -q "${test_set[@]}")"
  f=$(echo "$res" | sed -n 1p | sed -E 's/.*top-1 ([0-9.]+) %.*/\1/')
  q=$(echo "$res" | sed -n 2p | sed -E 's/.*top-1 ([0-9.]+) %.*/\1/')
  us=$(echo "$res" | sed -n 2p | sed -E 's/.* ([0-9.]+) us\/inference.*/\1/')
  a=$(echo "$res" | sed -n 3p | sed -E 's/.*: ([0-9.]+) %.*/\1/')
  d=$(echo "$res" | sed -n 3p | sed -E 's/.*difference ([-+0-9.]+) pp.*/\1/')
  echo "| $1 | $q % | $d | $a % | $(stat -c %s "$2") B | $us |"
  fp32_line=$(echo "$res" | sed -n 1p)
}
echo "| model | top-1 | Δ vs fp32 (pp) | top-1 agreement with fp32 | size | µs/inference |"
echo "|---|---|---|---|---|---|"
row "int8 (default)" "$work/int8.octet"
all=()
for n in "${nodes[@]}"; do
  out="$work/i16_$(echo "$n" | tr -c 'A-Za-z0-9\n' '_').octet"
  "$octet" quantize "$work/cnn.octet" -o "$out" -q "${calib[@]}" --precision "$n=int16"
  row "int8, \`$n\` int16" "$out"
  all+=(--precision "$n=int16")
done
"$octet" quantize "$work/cnn.octet" -o "$work/all16.octet" -q "${calib[@]}" "${all[@]}"
row "every CONV/FC int16" "$work/all16.octet"
"$octet" quantize "$work/cnn.octet" -o "$work/dynamic.octet" -q --dynamic
row "--dynamic" "$work/dynamic.octet"
echo
echo "fp32: $fp32_line"
