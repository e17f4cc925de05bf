// SPDX-License-Identifier: Apache-2.0
#include "runtime/planner.h"

#include <algorithm>

#include "runtime/common.h"

namespace octet::rt {

size_t plan_greedy(PlanBuffer* b, int32_t n, int32_t* order, size_t alignment) {
  for (int32_t i = 0; i < n; ++i) order[i] = i;
  // Largest first; ties by earlier first use, then index, so plans are
  // deterministic across runs and platforms.
  std::sort(order, order + n, [b](int32_t x, int32_t y) {
    if (b[x].size != b[y].size) return b[x].size > b[y].size;
    if (b[x].first != b[y].first) return b[x].first < b[y].first;
    return x < y;
  });
  size_t total = 0;
  for (int32_t k = 0; k < n; ++k) {
    PlanBuffer& cur = b[order[k]];
    // Candidate offsets: 0 and the end of every placed, time-overlapping
    // buffer. Take the lowest candidate that collides with none of them.
    // O(n^2) per buffer in the worst case; models have hundreds of tensors.
    size_t best = SIZE_MAX;
    for (int32_t c = -1; c < k; ++c) {
      size_t candidate = 0;
      if (c >= 0) {
        const PlanBuffer& o = b[order[c]];
        if (o.last < cur.first || o.first > cur.last) continue;
        candidate = align_up(o.offset + o.size, alignment);
      }
      if (candidate >= best) continue;
      bool fits = true;
      for (int32_t j = 0; j < k && fits; ++j) {
        const PlanBuffer& o = b[order[j]];
        if (o.last < cur.first || o.first > cur.last) continue;
        if (candidate < o.offset + o.size && o.offset < candidate + cur.size) fits = false;
      }
      if (fits) best = candidate;
    }
    cur.offset = best;
    total = std::max(total, best + cur.size);
  }
  return total;
}

}  // namespace octet::rt
