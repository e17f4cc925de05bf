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
    grep -q "quant.method" <<< "$out" || fail "metadata not recorded: $out"
    expect_ok "$octet" eval "$fp32" --data "$calib" --labels "$work/labels.txt" --compare "$work/q.octet"
    echo "$out" | grep -Eq "agreement \(same top-1\): [0-9.]+ %" || fail "no agreement line: $out"
    echo "$out" | grep -Eq "top-5" || fail "no top-5: $out"
    for m in minmax ema percentile:99.9 kl mse; do
      expect_ok "$octet" quantize "$fp32" -o "$work/q_$m.octet" --calib "$calib" --method "$m" -q
    done
    expect_ok "$octet" quantize "$fp32" -o "$work/q_bc.octet" --calib "$calib" --bias-correction
    expect_ok "$octet" inspect "$work/q_bc.octet"
    grep -q "quant.bias_correction" <<< "$out" || fail "bias correction not recorded: $out"
    expect_ok "$octet" quantize "$fp32" -o "$work/q_pt.octet" --calib "$calib" --per-tensor
    grep -q "per-tensor" <<< "$out" || fail "per-tensor not reported: $out"
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
    grep -q "conv3 (CONV_2D): fp32" <<< "$out" || fail "override not reported: $out"
    echo "$out" | grep -Eq "2 QUANTIZE, 2 DEQUANTIZE" || fail "boundaries not inserted: $out"
    expect_ok "$octet" eval "$work/p.octet" --data "$calib" --labels "$work/labels.txt"
    ;;
  max_drop)
    expect_ok "$octet" quantize "$fp32" -o "$work/m.octet" --calib "$calib" --max-drop 0
    grep -q "all-int8 model disagrees with fp32" <<< "$out" || fail "no --max-drop report: $out"
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
  io_types)
    # Device I/O (issue 10): uint8 input with the calibrated parameters
    # (float .npy data: nothing to fold), int8 output, the reporting.
    expect_ok "$octet" quantize "$fp32" -o "$work/io.octet" --calib "$calib" --input-type uint8 --output-type int8
    echo "$out" | grep -Eq "image +uint8 +\[1,28,28,1\] +NHWC +scale [0-9.e-]+ zero_point -?[0-9]+" || fail "input not reported: $out"
    echo "$out" | grep -Eq "probabilities +int8 +\[1,10\]" || fail "output not reported: $out"
    expect_ok "$octet" inspect "$work/io.octet" --json
    grep -q '"layout": "NHWC"' <<< "$out" || fail "no layout in --json: $out"
    # Raw bytes through the C example: a PGM of the input's size.
    { printf 'P5\n28 28\n255\n'; head -c 784 /dev/urandom; } > "$work/img.pgm"
    expect_ok "$bin/classify" "$work/io.octet" "$work/img.pgm"
    grep -q "input 'image' uint8 NHWC, output 'probabilities' int8" <<< "$out" || fail "$out"
    grep -q "#1 class" <<< "$out" || fail "$out"
    expect_error "raw images need a uint8 or int8 input" "$bin/classify" "$fp32" "$work/img.pgm"
    { printf 'P5\n14 14\n255\n'; head -c 196 /dev/zero; } > "$work/small.pgm"
    expect_error "is 14x14 grayscale" "$bin/classify" "$work/io.octet" "$work/small.pgm"
    # Explicit --scale/--mean/--std: folded; the model then takes raw bytes.
    expect_ok "$octet" quantize "$fp32" -o "$work/io_fold.octet" --calib "$calib" --input-type int8 \
      --scale 0.00392156862745098 --mean 0.5 --std 0.25 --output-type uint8 --input-layout NCHW
    grep -q "folded into the weights and bias of conv1" <<< "$out" || fail "no fold: $out"
    grep -q "device layout NCHW \[1,1,28,28\]" <<< "$out" || fail "no layout change: $out"
    echo "$out" | grep -Eq "image +int8 +\[1,1,28,28\] +NCHW" || fail "input not reported: $out"
    expect_ok "$bin/classify" "$work/io_fold.octet" "$work/img.pgm"
    ;;
  io_errors)
    expect_error "no input named 'pixels' \(inputs: image\)" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --input-type pixels=uint8
    expect_error "no output named 'logits' \(outputs: probabilities\)" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --output-type logits=int8
    expect_error "unknown I/O type 'uint9'" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --input-type uint9
    expect_error "unknown layout 'NWHC'" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --input-layout NWHC
    expect_error "--mean has 3 values; the model input has 1 channels" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --input-type uint8 --mean 0.1,0.2,0.3 --scale 1
    ;;
  fashion_io)
    # The accuracy bar of issue 10 on the full 10k test set (docs/accuracy.md,
    # "Device I/O"): raw IDX bytes into a uint8 model = normalized floats into
    # the float-input int8 model; int8 and float outputs agree.
    fm=/usr/share/datasets/fashion-mnist
    root="$(cd "$(dirname "$0")/../.." && pwd)"
    [ -f "$fm/t10k-images-idx3-ubyte.gz" ] || { echo "SKIP: dataset-fashion-mnist not installed"; exit 77; }
    m="$root/models/fashion_mnist/cnn.onnx"
    c=(--calib "$fm/train-images-idx3-ubyte.gz" --calib-count 1000 -q)
    expect_ok "$octet" quantize "$m" -o "$work/fm_f.octet" "${c[@]}"
    expect_ok "$octet" quantize "$m" -o "$work/fm_u8.octet" "${c[@]}" --input-type uint8 --input-layout NHWC
    expect_ok "$octet" quantize "$m" -o "$work/fm_u8_i8.octet" "${c[@]}" --input-type uint8 --input-layout NHWC --output-type int8
    d=(--data "$fm/t10k-images-idx3-ubyte.gz" --labels "$fm/t10k-labels-idx1-ubyte.gz" -q)
    expect_ok "$octet" eval "$work/fm_f.octet" --compare "$work/fm_u8.octet" "${d[@]}"
    grep -q "agreement (same top-1): 100.00 % (10000/10000); top-1 difference +0.00 pp" <<< "$out" || fail "uint8 input differs: $out"
    expect_ok "$octet" eval "$work/fm_u8.octet" --compare "$work/fm_u8_i8.octet" "${d[@]}"
    grep -q "agreement (same top-1): 100.00 % (10000/10000)" <<< "$out" || fail "int8 output differs: $out"
    gzip -dc "$fm/t10k-images-idx3-ubyte.gz" > "$work/t10k-images-idx3-ubyte"
    label0=$(gzip -dc "$fm/t10k-labels-idx1-ubyte.gz" | od -An -tu1 -j8 -N1 | tr -d ' ')
    expect_ok "$bin/classify" "$work/fm_u8_i8.octet" "$work/t10k-images-idx3-ubyte" 0
    grep -q "#1 class $label0:" <<< "$out" || fail "image 0 (label $label0) misclassified: $out"
    expect_error "index 10000 is out of range" "$bin/classify" "$work/fm_u8.octet" "$work/t10k-images-idx3-ubyte" 10000
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
  precision_int16)
    # conv3 and the logits FC as int16 × int8; QUANTIZE steps at the int8
    # boundaries; the config round trip keeps int16.
    expect_ok "$octet" quantize "$fp32" -o "$work/i16.octet" --calib "$calib" \
      --precision conv3=int16 --precision logits=int16 --write-config "$work/i16.json"
    grep -q "conv3 (CONV_2D): int16" <<< "$out" || fail "override not reported: $out"
    grep -q "2 int16 x int8 operators" <<< "$out" || fail "int16 count not reported: $out"
    grep -q '"precision": "int16"' "$work/i16.json" || fail "config lacks int16"
    expect_ok "$octet" quantize "$fp32" -o "$work/i16b.octet" --config "$work/i16.json"
    cmp -s "$work/i16.octet" "$work/i16b.octet" || fail "config round-trip changed the int16 model"
    expect_ok "$octet" inspect "$work/i16.octet"
    grep -q "int16" <<< "$out" || fail "no int16 tensor in inspect: $out"
    expect_ok "$octet" eval "$work/i16.octet" --data "$calib" --labels "$work/labels.txt"
    expect_error "'gap'.*no int16 kernel" "$octet" quantize "$fp32" -o "$work/x.octet" --calib "$calib" --precision gap=int16
    ;;
  dynamic)
    expect_ok "$octet" quantize "$fp32" -o "$work/dyn.octet" --dynamic
    grep -q "dynamic: 1 FULLY_CONNECTED" <<< "$out" || fail "no dynamic summary: $out"
    expect_ok "$octet" eval "$fp32" --compare "$work/dyn.octet" --data "$calib" --labels "$work/labels.txt"
    agree=$(echo "$out" | sed -n 's/.*agreement (same top-1): \([0-9]*\)\..*/\1/p')
    [ -n "$agree" ] && [ "$agree" -ge 90 ] || fail "--dynamic agrees with fp32 on only $agree %: $out"
    expect_error "--dynamic needs no calibration" "$octet" quantize "$fp32" -o "$work/x.octet" --dynamic --calib "$calib"
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
