// SPDX-License-Identifier: Apache-2.0
//
// Counts every malloc/calloc/realloc/posix_memalign/aligned_alloc and
// operator new in this test binary (they are interposed in
// alloc_counter.cc), so a test can prove a call allocates nothing.
#pragma once

#include <cstddef>

namespace octet::test {

/// Allocations since the last reset.
size_t allocation_count();
void reset_allocation_count();

}  // namespace octet::test
