#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs a built Octet into a temporary prefix and builds and runs the
# consumer projects against it (ctest label `install`):
#   consumer_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
# 1. cmake --install BUILD_DIR --prefix WORK/prefix
# 2. the installed `octet inspect` writes model_ops.h for a quickstart model
# 3. tests/consumer (find_package(Octet)): static + resolver + --gc-sections,
#    shared, C++ wrapper, model builder; a resolver missing an operator
#    must fail the load naming it
# 4. tests/consumer/pkgconfig (pkg_check_modules) and a plain `cc` line with
#    `pkg-config --static --libs octet`
# 5. the shared library exports only octet_* symbols
set -euo pipefail
build="$(cd "$1" && pwd)"; src="$(cd "$2" && pwd)"; work="$3"
prefix="$work/prefix"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"; mkdir -p "$work"

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || fail "install: $(cat "$work/install.log")"
for f in include/octet/octet.h include/octet/octet.hpp lib/liboctet.a lib/liboctet.so \
         lib/cmake/Octet/OctetConfig.cmake lib/cmake/Octet/OctetConfigVersion.cmake \
         lib/cmake/Octet/OctetTargets.cmake lib/pkgconfig/octet.pc bin/octet; do
  [ -e "$prefix/$f" ] || fail "not installed: $f"
done

echo "== a model and its operator list (installed octet inspect --ops-header)"
"$build/bin/quickstart" --out "$work" --inputs 1 --runs 1 > /dev/null
model="$work/quickstart_int8.octet"
mkdir -p "$work/ops"
"$prefix/bin/octet" inspect "$model" --ops-header "$work/ops/model_ops.h" 2>&1 || fail "ops header"
grep -q "model_ops_resolver" "$work/ops/model_ops.h" || fail "no resolver function in model_ops.h"

gen=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DOPS_HEADER_DIR="$work/ops")
# Set by ctest for a sanitized build (tests/CMakeLists.txt): the installed
# static library needs the sanitizer runtimes at link time.
extra="${OCTET_CONSUMER_FLAGS:-}"
if [ -n "$extra" ]; then
  gen+=(-DCMAKE_C_FLAGS="$extra" -DCMAKE_CXX_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra")
fi
echo "== find_package(Octet) consumer"
cmake -S "$src/tests/consumer" -B "$work/consumer" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  > "$work/consumer.log" 2>&1 || fail "configure: $(cat "$work/consumer.log")"
cmake --build "$work/consumer" >> "$work/consumer.log" 2>&1 || fail "build: $(cat "$work/consumer.log")"
c="$work/consumer"
"$c/consumer_static" "$model" || fail "consumer_static"
! ldd "$c/consumer_static" | grep -q liboctet || fail "consumer_static is not linked statically"
"$c/consumer_static" "$model" --missing || fail "consumer_static: missing operator not reported"
"$c/consumer_shared" "$model" || fail "consumer_shared"
ldd "$c/consumer_shared" | grep -q "$prefix/lib/liboctet.so" || fail "consumer_shared does not use the installed liboctet.so"
"$c/consumer_cpp" "$model" || fail "consumer_cpp"
if [ -e "$prefix/include/octet/builder.hpp" ]; then
  "$c/consumer_builder" || fail "consumer_builder"
fi

echo "== pkg-config consumer"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
pkg-config --exists octet || fail "pkg-config does not find octet"
cmake -S "$src/tests/consumer/pkgconfig" -B "$work/pc" "${gen[@]}" > "$work/pc.log" 2>&1 ||
  fail "configure: $(cat "$work/pc.log")"
cmake --build "$work/pc" >> "$work/pc.log" 2>&1 || fail "build: $(cat "$work/pc.log")"
"$work/pc/consumer_pc" "$model" || fail "consumer_pc"
# Static, by hand: liboctet.a and its private dependencies from Libs.private.
cc -O2 $extra -I"$work/ops" $(pkg-config --cflags octet) "$src/tests/consumer/consumer.c" \
  -o "$work/consumer_pc_static" -Wl,--gc-sections -Wl,-Bstatic -loctet -Wl,-Bdynamic \
  $(pkg-config --static --libs-only-L --libs-only-other octet) \
  $(pkg-config --static --libs-only-l octet | sed 's/-loctet//') || fail "static link via pkg-config"
"$work/consumer_pc_static" "$model" || fail "consumer_pc_static"

echo "== exported symbols"
syms="$(nm -D --defined-only "$prefix/lib/liboctet.so" | awk '{print $3}')"
n="$(echo "$syms" | wc -l)"
# ASan adds one ODR indicator per exported global (__odr_asan.octet_op_*).
bad="$(echo "$syms" | grep -v '^octet_' | grep -v '^__odr_asan\.octet_' || true)"
[ -z "$bad" ] || fail "liboctet.so exports non-API symbols: $bad"
echo "liboctet.so exports $n symbols, all octet_*"
echo "PASS"
