#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CLI checks, one case per invocation:  cli_test.sh BIN_DIR WORK_DIR CASE
# Every failure case must exit non-zero AND print a message naming the culprit.
set -uo pipefail
bin="$1"; work="$2"; case_name="$3"
octet="$bin/octet"
fp32="$work/quickstart_fp32.octet"
int8="$work/quickstart_int8.octet"

fail() { echo "FAIL [$case_name]: $*"; exit 1; }

# expect_ok CMD...: exit 0; output saved in $out
expect_ok() {
  out="$("$@" 2>&1)"; rc=$?
  [ $rc -eq 0 ] || fail "expected success (exit $rc): $* -> $out"
}
# expect_error REGEX CMD...: non-zero exit, stderr/stdout matches REGEX, no crash signal
expect_error() {
  local re="$1"; shift
  out="$("$@" 2>&1)"; rc=$?
  [ $rc -ne 0 ] || fail "expected failure: $* -> $out"
  [ $rc -lt 128 ] || fail "crashed with signal $((rc - 128)): $* -> $out"
  echo "$out" | grep -Eq -- "$re" || fail "message does not match /$re/: $out"
}

case "$case_name" in
  models)
    mkdir -p "$work"
    expect_ok "$bin/quickstart" --out "$work" --inputs 20 --runs 3
    grep -q "top-1 agreement int8 vs fp32" <<< "$out" || fail "no comparison printed: $out"
    [ -s "$fp32" ] && [ -s "$int8" ] || fail "models not written"
    ;;
  inspect)
    expect_ok "$octet" inspect "$int8"
    for want in "operators \(" "CONV_2D" "FULLY_CONNECTED" "SOFTMAX" "per-axis\(0\) x16" \
                "weights: [0-9]+ bytes" "arena: [0-9]+ bytes"; do
      echo "$out" | grep -Eq -- "$want" || fail "inspect output lacks /$want/"
    done
    ;;
  inspect_json)
    expect_ok "$octet" inspect --json "$int8"
    for want in '"arena_bytes"' '"integer_params"' '"multiplier"' '"opcode": "CONV_2D"'; do
      grep -q -- "$want" <<< "$out" || fail "inspect --json lacks $want"
    done
    ;;
  run_fp32)
    "$bin/make_npy" "$work/image.npy" float32 1,28,28,1 || fail "make_npy"
    expect_ok "$octet" run "$fp32" --input "image=$work/image.npy" --output "$work/p_fp32.npy"
    grep -q "argmax" <<< "$out" || fail "no output summary: $out"
    [ -s "$work/p_fp32.npy" ] || fail "no output file"
    ;;
  run_int8_dir)
    "$bin/make_npy" "$work/image.npy" float32 1,28,28,1 || fail "make_npy"
    mkdir -p "$work/out_int8"
    expect_ok "$octet" run "$int8" --input "$work/image.npy" --output "$work/out_int8" --repeat 3
    [ -s "$work/out_int8/probabilities.npy" ] || fail "no probabilities.npy in the output dir"
    ;;
  corrupt_model)
    cp "$int8" "$work/corrupt.octet"
    # Damage the middle of the file (tables and offsets).
    size=$(stat -c %s "$work/corrupt.octet")
    printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of="$work/corrupt.octet" bs=1 seek=$((size / 2)) conv=notrunc status=none
    printf '\x7f\x7f\x7f\x7f' | dd of="$work/corrupt.octet" bs=1 seek=64 conv=notrunc status=none
    expect_error "octet: error: model '.*corrupt.octet'" "$octet" inspect "$work/corrupt.octet"
    expect_error "octet: error: model '.*corrupt.octet'" "$octet" run "$work/corrupt.octet" --input "$work/image.npy"
    ;;
  truncated_model)
    head -c 1000 "$int8" > "$work/truncated.octet"
    expect_error "corrupt model|not an .octet" "$octet" inspect "$work/truncated.octet"
    ;;
  not_a_model)
    echo "hello" > "$work/hello.octet"
    expect_error "too small|not an .octet model" "$octet" inspect "$work/hello.octet"
    ;;
  missing_file)
    expect_error "cannot open model '/nonexistent.octet'" "$octet" run /nonexistent.octet
    expect_error "cannot open '/nonexistent.npy'" "$octet" run "$int8" --input /nonexistent.npy
    ;;
  wrong_shape)
    "$bin/make_npy" "$work/bad_shape.npy" float32 1,28,28 || fail "make_npy"
    expect_error "input 'image' expects shape \[1, 28, 28, 1\], '.*bad_shape.npy' has \[1, 28, 28\]" \
      "$octet" run "$int8" --input "image=$work/bad_shape.npy"
    ;;
  wrong_dtype)
    "$bin/make_npy" "$work/bad_dtype.npy" int32 1,28,28,1 || fail "make_npy"
    expect_error "input 'image' is float32 \[1, 28, 28, 1\], '.*bad_dtype.npy' holds int32" \
      "$octet" run "$int8" --input "image=$work/bad_dtype.npy"
    ;;
  unknown_input)
    "$bin/make_npy" "$work/image.npy" float32 1,28,28,1 || fail "make_npy"
    expect_error "the model has no input named 'pixels' \(inputs: 'image'\)" \
      "$octet" run "$int8" --input "pixels=$work/image.npy"
    expect_error "no data for input 'image'" "$octet" run "$int8"
    ;;
  bad_npy)
    printf 'not numpy at all' > "$work/junk.npy"
    expect_error "junk.npy': not a .npy file" "$octet" run "$int8" --input "$work/junk.npy"
    ;;
  unknown_option)
    expect_error "--frobnicate|not expected|extras" "$octet" run "$int8" --frobnicate
    expect_error "not expected: --frobnicate" "$octet" inspect --frobnicate "$int8"
    expect_error "subcommand is required" "$octet" frobnicate
    expect_error "subcommand is required" "$octet"
    expect_error "model is required" "$octet" run
    ;;
  bad_option_values)
    "$bin/make_npy" "$work/image.npy" float32 1,28,28,1 || fail "make_npy"
    expect_error "--threads: Value 0 not in range" "$octet" run "$int8" --input "$work/image.npy" --threads 0
    expect_error "--threads: Value abc not in range" "$octet" run "$int8" --input "$work/image.npy" --threads abc
    expect_error "--repeat: Value -3 not in range" "$octet" run "$int8" --input "$work/image.npy" --repeat -3
    expect_error "input 'image' is given more than once" \
      "$octet" run "$int8" --input "$work/image.npy" --input "image=$work/image.npy"
    expect_error "cannot open '': " "$octet" run "$int8" --input "image="
    expect_error "cannot write '/nonexistent/dir/out.npy'" \
      "$octet" run "$int8" --input "$work/image.npy" --output /nonexistent/dir/out.npy
    ;;
  not_a_file)
    # A directory, a device and an empty file where a model or an input
    # belongs: an error naming the path, never a hang or a crash.
    expect_error "model '$work' is not a regular file" "$octet" run "$work"
    expect_error "model '/dev/zero' is not a regular file" "$octet" inspect /dev/zero
    : > "$work/empty.octet"
    expect_error "empty.octet'.*(too small|0 bytes)" "$octet" inspect "$work/empty.octet"
    # An empty file is a valid (empty) protobuf message: the importer must
    # still refuse it rather than write a model that computes nothing.
    : > "$work/empty.onnx"
    expect_error "no graph" "$octet" convert "$work/empty.onnx" -o "$work/empty_out.octet"
    [ ! -e "$work/empty_out.octet" ] || fail "convert wrote a model for an empty ONNX file"
    expect_error "'$work' is not a regular file" "$octet" run "$int8" --input "image=$work"
    expect_error "'/dev/zero' is not a regular file" "$octet" run "$int8" --input /dev/zero
    ;;
  unreadable)
    if [ "$(id -u)" -eq 0 ]; then
      # root reads a chmod 000 file anyway; not_a_file covers paths that
      # cannot be read as files for any user.
      echo "SKIP [unreadable]: running as root, where chmod 000 does not prevent reading"
      exit 77
    fi
    cp "$int8" "$work/locked.octet" && chmod 000 "$work/locked.octet"
    "$bin/make_npy" "$work/locked.npy" float32 1,28,28,1 && chmod 000 "$work/locked.npy"
    expect_error "cannot open model '.*locked.octet': Permission denied" "$octet" inspect "$work/locked.octet"
    expect_error "cannot open '.*locked.npy': Permission denied" "$octet" run "$int8" --input "$work/locked.npy"
    chmod 600 "$work/locked.octet" "$work/locked.npy"
    ;;
  bad_npy_contents)
    # Hand-made .npy headers (magic, version 1.0, header length, header).
    npy() {  # npy FILE HEADER DATA_BYTES
      local h="$2"; local n=${#h}
      { printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $((n & 255)))\\x$(printf %02x $((n >> 8)))";
        printf '%s' "$h"; head -c "$3" /dev/zero; } > "$1"
    }
    npy "$work/fortran.npy" "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 28, 28, 1), }" 3136
    expect_error "fortran.npy': Fortran-order .npy arrays are not supported" \
      "$octet" run "$int8" --input "$work/fortran.npy"
    npy "$work/big_endian.npy" "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 28, 28, 1), }" 3136
    expect_error "big_endian.npy': unsupported .npy dtype '>f4'" "$octet" run "$int8" --input "$work/big_endian.npy"
    npy "$work/short.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28, 1), }" 3000
    expect_error "short.npy': .npy data is 3000 bytes, shape \[1, 28, 28, 1\] of float32 needs 3136" \
      "$octet" run "$int8" --input "$work/short.npy"
    npy "$work/huge.npy" "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }" 4
    expect_error "huge.npy': .npy shape too large" "$octet" run "$int8" --input "$work/huge.npy"
    npy "$work/noshape.npy" "{'descr': '<f4', 'fortran_order': False, }" 4
    expect_error "noshape.npy': .npy header has no 'shape'" "$octet" run "$int8" --input "$work/noshape.npy"
    printf '\x93NUMPY\x01\x00\xff\x7f{}' > "$work/cut_header.npy"
    expect_error "cut_header.npy': truncated .npy header" "$octet" run "$int8" --input "$work/cut_header.npy"
    "$bin/make_npy" "$work/i8.npy" int8 1,28,28,1 || fail "make_npy"
    expect_error "input 'image' is float32 \[1, 28, 28, 1\], '.*i8.npy' holds int8" \
      "$octet" run "$fp32" --input "$work/i8.npy"
    ;;
  example_classify)
    expect_ok "$bin/classify" "$int8"
    grep -q "#1 class" <<< "$out" || fail "no top classes: $out"
    head -c 3136 /dev/zero > "$work/zeros.raw"
    "$bin/make_npy" "$work/image.npy" float32 1,28,28,1 || fail "make_npy"
    expect_ok "$bin/classify" "$fp32" "$work/zeros.raw"
    expect_error "must hold exactly 3136 bytes" "$bin/classify" "$fp32" "$work/image.npy"
    expect_error "cannot open model" "$bin/classify" /nonexistent.octet
    ;;
  example_static_arena)
    expect_ok "$bin/static_arena"
    grep -q "heap allocations after start: 0" <<< "$out" || fail "heap used: $out"
    ;;
  example_cpp_app)
    expect_ok "$bin/cpp_app" "$int8" 4 10
    grep -q "all outputs identical" <<< "$out" || fail "$out"
    ;;
  embed)
    expect_ok "$octet" embed "$int8" -o "$work/m.c" --symbol my_model
    grep -q "aligned(64))) const unsigned char my_model\[" "$work/m.c" || fail "no aligned array"
    grep -q "#define MY_MODEL_ARENA_SIZE" "$work/m.h" || fail "no arena size"
    expect_error "is not a C identifier" "$octet" embed "$int8" -o "$work/m.c" --symbol 9bad
    ;;
  *)
    fail "unknown case"
    ;;
esac
echo "PASS [$case_name]"
