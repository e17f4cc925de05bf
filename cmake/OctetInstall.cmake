# SPDX-License-Identifier: Apache-2.0
# Section flags for --gc-sections (always), then with OCTET_INSTALL the
# installable libraries, `cmake --install`, the CMake package
# (find_package(Octet)) and the pkg-config file (docs/embedding.md).
#
# In the tree, the runtime (`octet`), the portable kernels and one static
# library per ISA are separate targets (each ISA file needs its own flags).
# An application wants one library: liboctet.a / liboctet.so here are built
# from the objects of all of them, nothing is compiled twice.
#   Octet::octet         static runtime (C API octet.h, C++ wrapper octet.hpp)
#   Octet::octet_shared  the same as a shared library
#   Octet::builder       the model builder (builder.hpp), static; needs
#                        OCTET_BUILD_CONVERTER
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Every function and object in its own section, so that a static link with
# --gc-sections drops what the application's op resolver does not reach.
set(_octet_libs octet octet_kernels)
get_target_property(_kernel_links octet_kernels LINK_LIBRARIES)
foreach(_l IN LISTS _kernel_links)
  if(TARGET ${_l} AND _l MATCHES "^octet_kernels_")
    list(APPEND _octet_libs ${_l})
  endif()
endforeach()
set(_octet_objects)
foreach(_t IN LISTS _octet_libs)
  target_compile_options(${_t} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-ffunction-sections
                                       -fdata-sections>)
  list(APPEND _octet_objects $<TARGET_OBJECTS:${_t}>)
endforeach()

if(NOT OCTET_INSTALL)
  return()
endif()

# Dependencies: cpuinfo (absent in cross builds, which detect ARM features
# with getauxval) and pthreadpool (absent with OCTET_WITH_THREADS=OFF, which
# uses the header-only serial stand-in).
get_target_property(_cpuinfo_links octet_dep_cpuinfo INTERFACE_LINK_LIBRARIES)
get_target_property(_pool_links octet_dep_pthreadpool INTERFACE_LINK_LIBRARIES)
set(OCTET_PACKAGE_NEEDS_CPUINFO OFF)
set(OCTET_PACKAGE_NEEDS_PTHREADPOOL OFF)
if(_cpuinfo_links)
  set(OCTET_PACKAGE_NEEDS_CPUINFO ON)
endif()
if(_pool_links)
  set(OCTET_PACKAGE_NEEDS_PTHREADPOOL ON)
endif()

set(_octet_public_includes $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

add_library(octet_static STATIC ${_octet_objects})
add_library(octet_shared SHARED ${_octet_objects})
foreach(_t octet_static octet_shared)
  target_include_directories(${_t} INTERFACE ${_octet_public_includes})
  set_target_properties(${_t} PROPERTIES OUTPUT_NAME octet LINKER_LANGUAGE CXX
                        ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib
                        LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
endforeach()
set_target_properties(octet_static PROPERTIES EXPORT_NAME octet)
set_target_properties(octet_shared PROPERTIES EXPORT_NAME octet_shared
                      VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_link_libraries(octet_shared PRIVATE octet_dep_cpuinfo octet_dep_pthreadpool)
# The static library's own dependencies: in the tree the same interface
# targets the runtime uses; installed, the ones OctetConfig.cmake finds.
target_link_libraries(octet_static INTERFACE
  $<BUILD_INTERFACE:octet_dep_cpuinfo> $<BUILD_INTERFACE:octet_dep_pthreadpool>
  $<INSTALL_INTERFACE:$<$<BOOL:${OCTET_PACKAGE_NEEDS_CPUINFO}>:Octet::cpuinfo>>
  $<INSTALL_INTERFACE:$<$<BOOL:${OCTET_PACKAGE_NEEDS_PTHREADPOOL}>:Octet::pthreadpool>>)
# A consumer linking the shared library sees only the OCTET_API symbols
# (visibility hidden by default); --no-undefined catches a missing dependency
# here rather than in the application. Not in sanitizer builds (asan/tsan/fuzz
# presets), whose runtimes only the executables link.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" AND NOT OCTET_FUZZ
   AND NOT "${CMAKE_CXX_FLAGS} ${CMAKE_SHARED_LINKER_FLAGS}" MATCHES "sanitize")
  target_link_options(octet_shared PRIVATE -Wl,--no-undefined)
endif()
add_library(Octet::octet ALIAS octet_static)
add_library(Octet::octet_shared ALIAS octet_shared)
set(_octet_install_targets octet_static octet_shared)

if(TARGET octet_builder AND TARGET octet_quant)
  foreach(_t octet_builder octet_quant)
    target_compile_options(${_t} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-ffunction-sections
                                         -fdata-sections>)
  endforeach()
  add_library(octet_builder_static STATIC $<TARGET_OBJECTS:octet_builder>
              $<TARGET_OBJECTS:octet_quant>)
  target_include_directories(octet_builder_static INTERFACE ${_octet_public_includes})
  target_link_libraries(octet_builder_static INTERFACE octet_static)
  set_target_properties(octet_builder_static PROPERTIES OUTPUT_NAME octet_builder
                        EXPORT_NAME builder LINKER_LANGUAGE CXX
                        ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
  add_library(Octet::builder ALIAS octet_builder_static)
  list(APPEND _octet_install_targets octet_builder_static)
  install(FILES ${PROJECT_SOURCE_DIR}/include/octet/builder.hpp
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/octet COMPONENT dev)
endif()

install(TARGETS ${_octet_install_targets} EXPORT OctetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(FILES ${PROJECT_SOURCE_DIR}/include/octet/octet.h ${PROJECT_SOURCE_DIR}/include/octet/octet.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/octet COMPONENT dev)

set(_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/Octet)
install(EXPORT OctetTargets NAMESPACE Octet:: DESTINATION ${_cmake_dir} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/OctetConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/package/OctetConfig.cmake
                              INSTALL_DESTINATION ${_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/OctetConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/OctetConfig.cmake
        ${PROJECT_BINARY_DIR}/package/OctetConfigVersion.cmake
        DESTINATION ${_cmake_dir} COMPONENT dev)

# pkg-config: `pkg-config --cflags --libs octet` (shared) or with --static.
set(OCTET_PC_LIBS_PRIVATE "")
if(OCTET_PACKAGE_NEEDS_CPUINFO)
  string(APPEND OCTET_PC_LIBS_PRIVATE " -lcpuinfo")
endif()
if(OCTET_PACKAGE_NEEDS_PTHREADPOOL)
  string(APPEND OCTET_PC_LIBS_PRIVATE " -lpthreadpool -pthread")
endif()
string(APPEND OCTET_PC_LIBS_PRIVATE " -lstdc++ -lm")
# Relocatable: the prefix is found from the .pc file's own directory, so
# `cmake --install BUILD --prefix DIR` works for any DIR.
file(RELATIVE_PATH OCTET_PC_PREFIX_FROM_PCDIR /_root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /_root)
string(REGEX REPLACE "/$" "" OCTET_PC_PREFIX_FROM_PCDIR "${OCTET_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/octet.pc.in ${PROJECT_BINARY_DIR}/package/octet.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/octet.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The command-line tool (octet inspect --ops-header, octet embed, ...).
if(TARGET octet_cli)
  install(TARGETS octet_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
endif()
