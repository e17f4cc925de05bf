// SPDX-License-Identifier: Apache-2.0
//
// Greedy-by-size arena planner (as TFLite Micro's GreedyMemoryPlanner):
// buffers sorted by size, largest first, each placed at the lowest offset
// where it overlaps no already-placed buffer that is alive at the same time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace octet::rt {

struct PlanBuffer {
  size_t size;     ///< bytes (already padded to the alignment by the caller)
  int32_t first;   ///< first step that uses it (inclusive)
  int32_t last;    ///< last step that uses it (inclusive)
  size_t offset;   ///< output: byte offset in the arena
};

/// Assigns every buffer an offset aligned to `alignment`; returns the arena
/// size. `order` is caller scratch of n entries (no allocation here).
size_t plan_greedy(PlanBuffer* buffers, int32_t n, int32_t* order, size_t alignment);

}  // namespace octet::rt
