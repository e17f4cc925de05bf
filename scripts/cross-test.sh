#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross build + tests under qemu-user (docs/porting.md): configures
# build-cross-<arch> with cmake/toolchains/<triple>.cmake (Release, no tools,
# no benchmarks, no threads: the cross sysroot has only libc/libstdc++),
# builds the kernel, runtime and ISA-path test binaries and runs the ctest
# label qemu: each binary once per CPU model in OCTET_QEMU_CPUS
# (aarch64: cortex-a53 = NEON only, max = NEON + dot-product; armhf:
# cortex-a15). Usage: scripts/cross-test.sh [aarch64|armhf]... (default:
# both). Build directory override: OCTET_CROSS_DIR_<arch>. Extra ctest
# arguments: OCTET_CROSS_CTEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc 2>/dev/null || echo 2)"
archs=("$@")
[ ${#archs[@]} -eq 0 ] && archs=(aarch64 armhf)

for arch in "${archs[@]}"; do
  case "$arch" in
    aarch64) triple=aarch64-linux-gnu; qemu=qemu-aarch64 ;;
    armhf) triple=arm-linux-gnueabihf; qemu=qemu-arm ;;
    *) echo "cross-test.sh: unknown architecture '$arch' (expected aarch64 or armhf)" >&2; exit 2 ;;
  esac
  for tool in "$triple-g++" "$qemu" flatc; do
    if ! command -v "$tool" >/dev/null; then
      echo "cross-test.sh: '$tool' not found (scripts/install-deps.sh installs it)" >&2
      exit 1
    fi
  done
  dir_var="OCTET_CROSS_DIR_$arch"
  dir="${!dir_var:-build-cross-$arch}"
  echo "== cross $arch: configure $dir"
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/$triple.cmake" \
    -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_BENCHMARKS=OFF -DOCTET_BUILD_EXAMPLES=OFF \
    -DOCTET_WITH_THREADS=OFF >/dev/null
  echo "== cross $arch: build the kernel, runtime and ISA-path tests"
  targets=(octet_kernel_tests octet_runtime_tests octet_isa_path_tests)
  # aarch64: the int8 kernels' -mgeneral-regs-only compile check (integer only).
  [ "$arch" = aarch64 ] && targets+=(octet_int8_general_regs_only)
  cmake --build "$dir" -j "$jobs" --target "${targets[@]}"
  echo "== cross $arch: ctest -L qemu"
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" -L qemu --output-on-failure -j "$jobs" ${OCTET_CROSS_CTEST_ARGS:-}
done
