# SPDX-License-Identifier: Apache-2.0
# octet_set_warnings(target): the warning set every Octet target builds with.
function(octet_set_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-Wall -Wextra -Wno-unused-parameter>
    $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-Wall -Wextra>)
endfunction()

# octet_no_exceptions(target): runtime/ and kernels/ build without exceptions
# or RTTI so they can be linked into -fno-exceptions applications.
function(octet_no_exceptions target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-fno-exceptions -fno-rtti>)
endfunction()
