# SPDX-License-Identifier: Apache-2.0
# Dependencies of a cross build (cmake/toolchains/*.cmake, docs/porting.md),
# included by OctetDependencies.cmake instead of its host lookups.
#
# The cross sysroots hold only libc and libstdc++, and Debian's ARM -dev
# packages of cpuinfo/pthreadpool cannot be co-installed with the amd64 ones,
# so a cross build needs no third-party ARM library at all:
#  - FlatBuffers and Catch2 are header-only: their headers are taken from the
#    host through a directory holding only them (never all of /usr/include,
#    whose glibc headers would shadow the sysroot's); flatc runs on the host.
#  - ARM features come from getauxval (kernels/common/isa.cc), not cpuinfo.
#  - Threads are optional: OCTET_WITH_THREADS=OFF (required here) puts the
#    single-threaded stand-in runtime/serial/pthreadpool.h on the path.
#  - The tools, the ONNX importer (protobuf) and the benchmarks stay on the host.
foreach(_opt OCTET_BUILD_TOOLS OCTET_BUILD_BENCHMARKS OCTET_WITH_THREADS)
  if(${_opt})
    message(FATAL_ERROR "Cross build (${CMAKE_SYSTEM_PROCESSOR}): set -D${_opt}=OFF "
                        "(no ${CMAKE_SYSTEM_PROCESSOR} build of its dependencies; docs/porting.md)")
  endif()
endforeach()

set(_host_headers ${CMAKE_BINARY_DIR}/host-headers)
function(octet_host_header_dir dir probe)
  find_path(_found ${probe} PATHS /usr/include /usr/local/include NO_DEFAULT_PATH
            NO_CMAKE_FIND_ROOT_PATH)
  if(NOT _found)
    message(FATAL_ERROR "Cross build: host header ${probe} not found (scripts/install-deps.sh)")
  endif()
  file(MAKE_DIRECTORY ${_host_headers})
  file(CREATE_LINK ${_found}/${dir} ${_host_headers}/${dir} SYMBOLIC)
  unset(_found CACHE)
endfunction()

octet_host_header_dir(flatbuffers flatbuffers/flatbuffers.h)
add_library(flatbuffers::flatbuffers INTERFACE IMPORTED GLOBAL)
set_target_properties(flatbuffers::flatbuffers PROPERTIES
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_host_headers}
  INTERFACE_INCLUDE_DIRECTORIES ${_host_headers})
find_program(OCTET_FLATC flatc REQUIRED)

add_library(octet_dep_cpuinfo INTERFACE)

find_package(Threads REQUIRED)
add_library(octet_dep_pthreadpool INTERFACE)
target_include_directories(octet_dep_pthreadpool INTERFACE
  ${PROJECT_SOURCE_DIR}/runtime/serial)

if(OCTET_BUILD_TESTS)
  octet_host_header_dir(catch2 catch2/catch.hpp)
  add_library(Catch2::Catch2 INTERFACE IMPORTED GLOBAL)
  set_target_properties(Catch2::Catch2 PROPERTIES
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${_host_headers}
    INTERFACE_INCLUDE_DIRECTORIES ${_host_headers})
  # catch_discover_tests() (host CMake module) runs each test binary through
  # CMAKE_CROSSCOMPILING_EMULATOR to list its cases.
  find_path(OCTET_CATCH_CMAKE_DIR Catch.cmake PATHS /usr/lib/cmake/Catch2
            /usr/share/cmake/Catch2 /usr/lib/x86_64-linux-gnu/cmake/Catch2 NO_DEFAULT_PATH
            NO_CMAKE_FIND_ROOT_PATH REQUIRED)
  list(APPEND CMAKE_MODULE_PATH ${OCTET_CATCH_CMAKE_DIR})
  include(Catch)
  if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
    message(WARNING "Cross build without an emulator (qemu-user): tests build but cannot be "
                    "discovered or run here; copy them to a board (docs/porting.md)")
  endif()
endif()
