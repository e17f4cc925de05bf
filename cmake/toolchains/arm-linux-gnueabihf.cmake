# SPDX-License-Identifier: Apache-2.0
# Cross-compiling Octet for 32-bit ARMv7-A Linux, hard-float ABI with NEON,
# with Debian's g++-arm-linux-gnueabihf. Usage (docs/porting.md):
#   cmake -S . -B build-cross-armhf -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake \
#     -DOCTET_BUILD_TOOLS=OFF -DOCTET_BUILD_BENCHMARKS=OFF -DOCTET_WITH_THREADS=OFF
# Debian's armhf baseline is ARMv7-A + VFPv3-D16 without NEON; this file
# raises it to NEON for the whole build (every Cortex-A7/A9/A15/A53 running a
# 32-bit OS has it). Tests run under qemu-arm (QEMU_CPU picks the model).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(OCTET_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${OCTET_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${OCTET_CROSS_TRIPLE}-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon -mfloat-abi=hard")
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon -mfloat-abi=hard")

set(OCTET_CROSS_SYSROOT /usr/${OCTET_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${OCTET_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(OCTET_QEMU qemu-arm)
if(OCTET_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${OCTET_QEMU} -L ${OCTET_CROSS_SYSROOT})
endif()
set(OCTET_QEMU_CPUS "cortex-a15" CACHE STRING "qemu -cpu models for the ctest label qemu")
