#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end model benchmarks (docs/benchmarks.md, "Models"):
# MobileNetV2, MobileNetV3-Small and ResNet18 at 1x3x224x224, seeded random
# weights (tests/onnx/export_torchvision.py; no pretrained weights needed),
# converted with `octet convert`, quantized with `octet quantize`, then
#   octet bench FP32 --compare INT8          (Octet fp32 vs int8, agreement)
#   octet bench resnet18 fp32/int8 --threads 2
#   octet_xnnpack_model_bench FP32           (XNNPACK fp32 vs Octet fp32, 1 and 2 threads)
#
# Calibration uses a .npy of 16 N(0,1) random images (seed 0), like the
# exporter's test inputs: enough to set plausible activation ranges for a
# speed benchmark, NOT a recipe for accuracy (the weights are random anyway).
#
# On a loaded machine the invoke median mostly measures preemption; the sum
# of per-operator medians (--profile) filters it out operator by operator and
# is reported next to the median and the minimum.
#
# Usage: benchmarks/models/run_models.sh [BUILD_DIR] [RUNS] [WARMUP]
#   BUILD_DIR defaults to build; everything is written under BUILD_DIR/models
#   (nothing is committed). Needs the targets octet_cli and
#   octet_xnnpack_model_bench built in BUILD_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build}"
runs="${2:-30}"
warmup="${3:-3}"
out="$build/models"
octet="$build/bin/octet"
xnn="$build/bin/octet_xnnpack_model_bench"
mkdir -p "$out/onnx" "$out/json"
[ -x "$octet" ] || { echo "missing $octet (build target octet_cli)"; exit 1; }

models="mobilenet_v2 mobilenet_v3_small_opset14 resnet18"

for n in $models; do
  if [ ! -s "$out/onnx/test_$n/model.onnx" ]; then
    /usr/bin/python3 tests/onnx/export_torchvision.py "$out/onnx" --size 224 --sets 1 --only "$n"
  fi
done

if [ ! -s "$out/calib.npy" ]; then
  /usr/bin/python3 -c "
import numpy as np
np.save('$out/calib.npy', np.random.default_rng(0).standard_normal((16, 3, 224, 224)).astype(np.float32))"
fi

for n in $models; do
  fp32="$out/$n.fp32.octet"; int8="$out/$n.int8.octet"
  [ -s "$fp32" ] || "$octet" convert "$out/onnx/test_$n/model.onnx" -o "$fp32" \
    --input-shape input=1,3,224,224
  [ -s "$int8" ] || "$octet" quantize "$fp32" -o "$int8" --calib "$out/calib.npy"
done

echo "== machine"
grep -m1 "model name" /proc/cpuinfo || true
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?') $(git status --porcelain 2>/dev/null | wc -l) changed files"

for n in $models; do
  echo
  echo "== $n: octet bench fp32 --compare int8 --profile (1 thread; profile in $out/json/$n.t1.txt)"
  "$octet" bench "$out/$n.fp32.octet" --compare "$out/$n.int8.octet" --runs "$runs" \
    --warmup "$warmup" --profile --json "$out/json/$n.t1.json" > "$out/json/$n.t1.txt"
  sed -n '1,/^per-operator profile/p' "$out/json/$n.t1.txt" | head -n -1
  grep "sum of per-operator medians" "$out/json/$n.t1.txt"
done

echo
echo "== resnet18: 2 threads"
"$octet" bench "$out/resnet18.fp32.octet" --compare "$out/resnet18.int8.octet" --threads 2 \
  --runs "$runs" --warmup "$warmup" --json "$out/json/resnet18.t2.json"

if [ -x "$xnn" ]; then
  for n in $models; do
    echo
    echo "== $n: XNNPACK fp32 vs Octet fp32"
    "$xnn" "$out/$n.fp32.octet" --threads 1,2 --runs "$runs" --warmup "$warmup" \
      --json "$out/json/$n.xnnpack.json"
  done
else
  echo "(no $xnn: XNNPACK comparison skipped)"
fi

echo
echo "== summary (medians, ms)"
/usr/bin/python3 benchmarks/models/summarize.py "$out/json" $models
