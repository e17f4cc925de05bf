#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# octet analyze, one case per invocation:
#   analyze_cli_test.sh BIN_DIR WORK_DIR SOURCE_DIR CASE
# Exit 77 = skipped (no torch for the model, no chromium for rendering).
set -uo pipefail
bin="$1"; work="$2"; src="$3"; case_name="$4"
octet="$bin/octet"
py=/usr/bin/python3
check="$src/tests/analysis/check_report.py"

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
need_model() { [ -f "$work/bn_int8.octet" ] || { echo "skipped: no model (torch missing?)"; exit 77; }; }

case "$case_name" in
  setup)
    rm -rf "$work"; mkdir -p "$work"
    $py "$src/tests/analysis/make_bn_model.py" "$work"; rc=$?
    [ $rc -eq 77 ] && exit 0  # later cases skip
    [ $rc -eq 0 ] || fail "make_bn_model.py failed"
    expect_ok "$octet" quantize "$work/bn.onnx" -o "$work/bn_int8.octet" --calib "$work/calib.npy" -q
    ;;
  analyze)
    need_model
    expect_ok "$octet" analyze "$work/bn.onnx" "$work/bn_int8.octet" --data "$work/calib.npy" \
      --count 16 --json "$work/a.json" --report "$work/a.html" -q
    echo "$out" | grep -Eq "output 0: SQNR [0-9.]+ dB" || fail "no summary line: $out"
    grep -q "top-1 agreement" <<< "$out" || fail "no agreement: $out"
    echo "$out" | grep -Eq "^1 +" || fail "no ranked row: $out"
    echo "$out" | grep -Eq "suggestion: " || fail "no suggestion line: $out"
    $py "$check" fused "$work/a.json" || fail "BN/ReLU mapping"
    $py "$check" html "$work/a.html" "$work/a.json" || fail "report does not parse or misses layers"
    ;;
  render)
    need_model
    command -v chromium > /dev/null || { echo "skipped: no chromium"; exit 77; }
    [ -f "$work/a.html" ] || expect_ok "$octet" analyze "$work/bn.onnx" "$work/bn_int8.octet" \
      --data "$work/calib.npy" --count 16 --json "$work/a.json" --report "$work/a.html" -q
    rm -f "$work/shot.png"
    timeout 120 chromium --headless --disable-gpu --no-sandbox --hide-scrollbars \
      --user-data-dir="$work/chromium-profile" --screenshot="$work/shot.png" \
      --window-size=1400,2000 "file://$work/a.html" > "$work/chromium.log" 2>&1
    [ -s "$work/shot.png" ] || fail "chromium wrote no screenshot: $(tail -5 "$work/chromium.log")"
    $py "$check" png "$work/shot.png" || fail "the rendered report looks blank"
    ;;
  errors)
    need_model
    expect_error "no such|cannot open|not found|does not exist" "$octet" analyze "$work/bn.onnx" \
      "$work/bn_int8.octet" --data "$work/missing.npy"
    expect_error "fp32 model first" "$octet" analyze "$work/bn_int8.octet" "$work/bn_int8.octet" \
      --data "$work/calib.npy"
    expect_error "cannot open|bn_missing" "$octet" analyze "$work/bn.onnx" "$work/bn_missing.octet" \
      --data "$work/calib.npy"
    expect_error "data" "$octet" analyze "$work/bn.onnx" "$work/bn_int8.octet"
    ;;
  *) fail "unknown case" ;;
esac
exit 0
