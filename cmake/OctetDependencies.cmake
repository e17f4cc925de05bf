# SPDX-License-Identifier: Apache-2.0
# Every dependency comes from a Debian package (scripts/install-deps.sh).

# Cross builds (cmake/toolchains/*.cmake) use host header-only pieces and no
# third-party ARM libraries: cmake/OctetCross.cmake, docs/porting.md.
if(CMAKE_CROSSCOMPILING)
  include(OctetCross)
  return()
endif()

find_package(FlatBuffers REQUIRED CONFIG)
if(TARGET flatbuffers::flatc)
  set(OCTET_FLATC flatbuffers::flatc)
else()
  find_program(OCTET_FLATC flatc REQUIRED)
endif()

# cpuinfo and pthreadpool ship no CMake config in Debian 12.
find_path(CPUINFO_INCLUDE_DIR cpuinfo.h REQUIRED)
find_library(CPUINFO_LIBRARY cpuinfo REQUIRED)
add_library(octet_dep_cpuinfo INTERFACE)
target_include_directories(octet_dep_cpuinfo SYSTEM INTERFACE ${CPUINFO_INCLUDE_DIR})
target_link_libraries(octet_dep_cpuinfo INTERFACE ${CPUINFO_LIBRARY})

find_package(Threads REQUIRED)
add_library(octet_dep_pthreadpool INTERFACE)
if(OCTET_WITH_THREADS)
  find_path(PTHREADPOOL_INCLUDE_DIR pthreadpool.h REQUIRED)
  find_library(PTHREADPOOL_LIBRARY pthreadpool REQUIRED)
  target_include_directories(octet_dep_pthreadpool SYSTEM INTERFACE ${PTHREADPOOL_INCLUDE_DIR})
  target_link_libraries(octet_dep_pthreadpool INTERFACE ${PTHREADPOOL_LIBRARY} Threads::Threads)
else()
  # Single-threaded stand-in with pthreadpool's API (runtime/serial/).
  target_include_directories(octet_dep_pthreadpool INTERFACE ${PROJECT_SOURCE_DIR}/runtime/serial)
endif()

if(OCTET_BUILD_TOOLS)
  find_package(CLI11 REQUIRED CONFIG)
endif()
if(OCTET_BUILD_TESTS)
  find_package(Catch2 2 REQUIRED CONFIG)
  include(Catch)
endif()
if(OCTET_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED CONFIG)
endif()

# ONNX import (converter/onnx, `octet convert`): Debian's libonnx-dev is built
# with ONNX_ML and namespace `onnx`; its targets link protobuf::libprotobuf,
# so Protobuf must be found first.
if(OCTET_BUILD_CONVERTER)
  find_package(Protobuf REQUIRED)
  find_package(ONNX REQUIRED CONFIG)
endif()
