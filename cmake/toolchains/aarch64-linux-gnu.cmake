# SPDX-License-Identifier: Apache-2.0
# Cross-compiling Octet for 64-bit ARM Linux (AArch64) with Debian's
# g++-aarch64-linux-gnu. Usage (docs/porting.md):
#   cmake -S . -B build-cross-aarch64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#     -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_BENCHMARKS=OFF -DOCTET_WITH_THREADS=OFF
# Tests run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR; the CPU
# model comes from QEMU_CPU in the environment (ctest's qemu.<cpu>.* entries
# set it per test, see OCTET_QEMU_CPUS).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(OCTET_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${OCTET_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${OCTET_CROSS_TRIPLE}-g++)

# Debian's cross sysroot: libc, libstdc++ and nothing else. Libraries and
# headers come only from there; programs (flatc) from the host.
set(OCTET_CROSS_SYSROOT /usr/${OCTET_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${OCTET_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(OCTET_QEMU qemu-aarch64)
if(OCTET_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${OCTET_QEMU} -L ${OCTET_CROSS_SYSROOT})
endif()
# CPU models the qemu-labelled ctest entries run on: cortex-a53 has NEON but
# no dot-product (the neondot kernels skip), max has both.
set(OCTET_QEMU_CPUS "cortex-a53;max" CACHE STRING "qemu -cpu models for the ctest label qemu")
