#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# octet bench checks, one case per invocation:
#   bench_test.sh BIN_DIR WORK_DIR SOURCE_DIR CASE
set -uo pipefail
bin="$1"; work="$2"; src="$3"; case_name="$4"
octet="$bin/octet"
fm=/usr/share/datasets/fashion-mnist

fail() { echo "FAIL [$case_name]: $*"; exit 1; }
expect_ok() {
  out="$("$@" 2>&1)"; rc=$?
  echo "$out"
  [ $rc -eq 0 ] || fail "expected success (exit $rc): $*"
}
# expect_error REGEX CMD...: non-zero exit, no crash signal, message matches.
expect_error() {
  local re="$1"; shift
  out="$("$@" 2>&1)"; rc=$?
  [ $rc -ne 0 ] || fail "expected failure: $* -> $out"
  [ $rc -lt 128 ] || fail "crashed with signal $((rc - 128)): $* -> $out"
  echo "$out" | grep -Eq -- "$re" || fail "message does not match /$re/: $out"
  echo "ok (error as expected): $out"
}

mkdir -p "$work"
fp32="$work/cnn_fp32.octet"; int8="$work/cnn_int8.octet"
make_fm_models() {
  [ -s "$fp32" ] && [ -s "$int8" ] && return 0
  expect_ok "$octet" convert "$src/models/fashion_mnist/cnn.onnx" -o "$fp32"
  expect_ok "$octet" quantize "$fp32" -o "$int8" --calib "$fm/train-images-idx3-ubyte.gz" \
    --calib-count 200
}
check_json() {
  /usr/bin/python3 "$src/tests/bench/check_bench_json.py" "$@" || fail "JSON check failed: $*"
}

case "$case_name" in
  fashion_mnist)
    [ -d "$fm" ] || { echo "skipped: $fm missing"; exit 77; }
    make_fm_models
    expect_ok "$octet" bench "$fp32" --compare "$int8" --profile --runs 10 --warmup 3 \
      --json "$work/fm.json"
    for want in "latency median" "speedup \(median\)" "top-1 agreement" "per-operator profile" \
                "CONV_2D" "peak RSS"; do
      echo "$out" | grep -Eq -- "$want" || fail "output lacks /$want/"
    done
    # Inputs are drawn from the int8 model's QUANTIZE range (0..1 images):
    # fp32 and int8 should pick the same class nearly always.
    check_json "$work/fm.json" --models 2 --runs 10 --min-top1 0.66 --min-cosine 0.95
    # Same with two threads and an explicit input file.
    "$bin/make_npy" "$work/image.npy" float32 1,1,28,28 || fail "make_npy"
    expect_ok "$octet" bench "$int8" --threads 2 --runs 10 --warmup 2 --profile \
      --input "$work/image.npy" --json "$work/fm_t2.json"
    check_json "$work/fm_t2.json" --models 1 --runs 10
    ;;
  quickstart)
    [ -x "$bin/quickstart" ] || { echo "skipped: quickstart not built"; exit 77; }
    expect_ok "$bin/quickstart" --out "$work" --inputs 4 --runs 1
    expect_ok "$octet" bench "$work/quickstart_fp32.octet" --compare "$work/quickstart_int8.octet" \
      --profile --runs 10 --warmup 3 --json "$work/qs.json"
    check_json "$work/qs.json" --models 2 --runs 10 --min-top1 0.66 --min-cosine 0.9
    ;;
  errors)
    [ -d "$fm" ] || { echo "skipped: $fm missing"; exit 77; }
    make_fm_models
    expect_error "cannot open model '/nonexistent.octet'" "$octet" bench /nonexistent.octet
    echo "hello" > "$work/hello.octet"
    expect_error "model '.*hello.octet' is 6 bytes" "$octet" bench "$work/hello.octet"
    expect_error "model '.*hello.octet' is 6 bytes" "$octet" bench "$fp32" --compare "$work/hello.octet"
    expect_error "runs" "$octet" bench "$fp32" --runs 0
    expect_error "threads" "$octet" bench "$fp32" --threads 0
    expect_error "isa.*(unknown|not|invalid)" "$octet" bench "$fp32" --isa pentium
    expect_error "no input named 'nope'" "$octet" bench "$fp32" --input nope=x.npy
    expect_error "cannot open '/nonexistent.npy'" "$octet" bench "$fp32" --input /nonexistent.npy
    "$bin/make_npy" "$work/wrong.npy" float32 1,28,28,3 || fail "make_npy"
    expect_error "input 'image' expects shape \[1, 1, 28, 28\]" "$octet" bench "$fp32" --input "$work/wrong.npy"
    expect_error "cannot write --json '/nonexistent/dir/x.json'" \
      "$octet" bench "$fp32" --runs 1 --warmup 0 --json /nonexistent/dir/x.json
    # Models that do not have the same inputs cannot be compared.
    if [ -x "$bin/quickstart" ]; then
      "$bin/quickstart" --out "$work" --inputs 4 --runs 1 > /dev/null 2>&1
      if [ -s "$work/quickstart_fp32.octet" ]; then
        expect_error "cannot compare" "$octet" bench "$fp32" --compare "$work/quickstart_fp32.octet"
      fi
    fi
    expect_error "unknown|extra|not expected|The following argument" "$octet" bench "$fp32" --bogus
    ;;
  xnnpack)
    # The XNNPACK yardstick computes the same network as Octet fp32 (it exits
    # non-zero when the outputs disagree) and refuses what it cannot map.
    [ -x "$bin/octet_xnnpack_model_bench" ] || { echo "skipped: no XNNPACK"; exit 77; }
    [ -d "$fm" ] || { echo "skipped: $fm missing"; exit 77; }
    make_fm_models
    expect_ok "$bin/octet_xnnpack_model_bench" "$fp32" --runs 3 --warmup 1 --threads 1,2 \
      --json "$work/xnn.json"
    /usr/bin/python3 -c "
import json, sys
j = json.load(open('$work/xnn.json'))
r = j['results']
assert [e['threads'] for e in r] == [1, 2], r
for e in r:
    assert e['xnnpack_fp32_median_ms'] > 0 and e['octet_fp32_median_ms'] > 0, e
    assert e['max_abs_diff'] <= 1e-3 * e['max_abs_output'], e
print('xnnpack json ok')" || fail "xnnpack JSON"
    expect_error "tensor #[0-9]+ .* is INT8: this yardstick runs fp32 models only" \
      "$bin/octet_xnnpack_model_bench" "$int8"
    expect_error "unknown option '--bogus'" "$bin/octet_xnnpack_model_bench" "$fp32" --bogus
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "PASS [$case_name]"
