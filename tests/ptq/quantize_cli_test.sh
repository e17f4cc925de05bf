#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# octet quantize / octet eval, one case per invocation:
#   quantize_cli_test.sh BIN_DIR WORK_DIR CASE
# Failures must exit non-zero with a message naming the culprit.
set -uo pipefail
bin="$1"; work="$2"; case_name="$3"
octet="$bin/octet"
fp32="$work/quickstart_fp32.octet"
calib="$work/calib.npy"

fail() { echo "FAIL [$case_name]: $*"; exit 1; }
expect_ok() {
  out="$("$@" 2>&1)"; rc=$?
  [ $rc -eq 0 ] || fail "expected success (exit $rc): $* -> $out"
}
expect_error() {
  local re="$1"; shift
  out="$("$@" 2>&1)"; rc=$?
  [ $rc -ne 0 ] || fail "expected failure: $* -> $out"
  [ $rc -lt 128 ] || fail "crashed with signal $((rc - 128)): $* -> $out"
  echo "$out" | grep -Eq -- "$re" || fail "message does not match /$re/: $out"
}

case "$case_name" in
  setup)
    rm -rf "$work"; mkdir -p "$work"
    expect_ok "$bin/quickstart" --out "$work" --inputs 2 --runs 1
    expect_ok "$bin/make_npy" "$calib" float32 32,1,28,28,1
    for i in $(seq 1 32); do echo $((i % 10)); done > "$work/labels.txt"
    ;;
  quantize_eval)
    expect_ok "$octet" quantize "$fp32" -o "$work/q.octet" --calib "$calib" --calib-count 16
    echo "$out" | grep -Eq "int8 \+ 0 fp32 operators" || fail "no summary: $out"
    expect_ok "$octet" inspect "$work/q.octet"
    echo "$out" | grep -q "quant.method" || fail "metadata not recorded: $out"
    expect_ok "$octet" eval "$fp32" --data "$calib" --labels "$work/labels.txt" --compare "$work/q.octet"
    echo "$out" | grep -Eq "agreement \(same top-1\): [0-9.]+ %" || fail "no agreement line: $out"
    echo "$out" | grep -Eq "top-5" || fail "no top-5: $out"
    for m in minmax ema percentile:99.9 kl mse; do
      expect_ok "$octet" quantize "$fp32" -o "$work/q_$m.octet" --calib "$calib" --method "$m" -q
    done
    expect_ok "$octet" quantize "$fp32" -o "$work/q_bc.octet" --calib "$calib" --bias-correction
    expect_ok "$octet" inspect "$work/q_bc.octet"
    echo "$out" | grep -q "quant.bias_correction" || fail "bias correction not recorded: $out"
    expect_ok "$octet" quantize "$fp32" -o "$work/q_pt.octet" --calib "$calib" --per-tensor
    echo "$out" | grep -q "per-tensor" || fail "per-tensor not reported: $out"
    ;;
  config_roundtrip)
    expect_ok "$octet" quantize "$fp32" -o "$work/c1.octet" --calib "$calib" --method mse \
      --precision dw=fp32 --write-config "$work/cfg.json"
    grep -q '"precision": "fp32"' "$work/cfg.json" || fail "config lacks the override"
    grep -q '"ranges"' "$work/cfg.json" || fail "config lacks ranges"
    # No calibration data: the config carries everything.
    expect_ok "$octet" quantize "$fp32" -o "$work/c2.octet" --config "$work/cfg.json"
    cmp -s "$work/c1.octet" "$work/c2.octet" || fail "config round-trip changed the model"
    ;;
  precision_fp32)
    expect_ok "$octet" quantize "$fp32" -o "$work/p.octet" --calib "$calib" --precision conv3=fp32
    echo "$out" | grep -q "conv3 (CONV_2D): fp32" || fail "override not reported: $out"
    echo "$out" | grep -Eq "2 QUANTIZE, 2 DEQUANTIZE" || fail "boundaries not inserted: $out"
    expect_ok "$octet" eval "$work/p.octet" --data "$calib" --labels "$work/labels.txt"
    ;;
  max_drop)
    expect_ok "$octet" quantize "$fp32" -o "$work/m.octet" --calib "$calib" --max-drop 0
    echo "$out" | grep -q "all-int8 model disagrees with fp32" || fail "no --max-drop report: $out"
    expect_error "max-drop" "$octet" quantize "$fp32" -o "$work/m.octet" --calib "$calib" --max-drop 200
    ;;
  fashion_mnist)
    # The accuracy benchmark's flow on 1,000 test images (docs/accuracy.md).
    fm=/usr/share/datasets/fashion-mnist
    root="$(cd "$(dirname "$0")/../.." && pwd)"
    [ -f "$fm/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: dataset-fashion-mnist not installed"; exit 77; }
    expect_ok "$octet" convert "$root/models/fashion_mnist/cnn.onnx" -o "$work/fm.octet"
    expect_ok "$octet" quantize "$root/models/fashion_mnist/cnn.onnx" -o "$work/fm_int8.octet" \
      --calib "$fm/train-images-idx3-ubyte.gz" --calib-count 1000
    expect_ok "$octet" eval "$work/fm.octet" --compare "$work/fm_int8.octet" --count 1000 -q \
      --data "$fm/t10k-images-idx3-ubyte.gz" --labels "$fm/t10k-labels-idx1-ubyte.gz"
    agree=$(echo "$out" | sed -n 's/.*agreement (same top-1): \([0-9]*\)\..*/\1/p')
    [ -n "$agree" ] && [ "$agree" -ge 97 ] || fail "int8 agrees with fp32 on only $agree %: $out"
    ;;
  missing_calib)
    expect_error "no calibration data" "$octet" quantize "$fp32" -o "$work/x.octet"
    expect_error "nothere.npy: no such file" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$work/nothere.npy"
    ;;
  bad_method)
    expect_error "unknown calibration method 'median'" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --method median
    ;;
  bad_option)
    expect_error "--frobnicate" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --frobnicate
    expect_error "NODE=int8" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --precision conv3
    ;;
  unknown_node)
    expect_error "no operator or source node named 'conv9'" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --precision conv9=fp32
    ;;
  int16_unavailable)
    expect_error "int16 layers are not available" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --precision conv3=int16
    ;;
  bad_calib_shape)
    "$bin/make_npy" "$work/wrong.npy" float32 3,5,5 || fail "make_npy"
    expect_error "wrong.npy: array of shape" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$work/wrong.npy"
    ;;
  missing_labels)
    expect_error "labels.nope: cannot open" "$octet" eval "$fp32" --data "$calib" --labels "$work/labels.nope"
    ;;
  onnx_missing)
    expect_error "missing.onnx" "$octet" quantize "$work/missing.onnx" -o "$work/x.octet" --calib "$calib"
    ;;
  *) fail "unknown case" ;;
esac
echo "ok [$case_name]"
