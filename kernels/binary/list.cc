// SPDX-License-Identifier: Apache-2.0
//
// The int8 binary kernel table, its selection, and the run decomposition of a
// broadcast that the SIMD variants walk.
#include <cassert>

#include "kernels/binary/binary.h"

namespace octet::kernels {
namespace {

constexpr BinaryQs8Kernel kKernels[] = {
#define OCTET_BINARY_QS8_KERNEL(name, op, isa) {#name, BinaryOp::op, Isa::isa, name},
#include "kernels/binary/kernels.inc"
#undef OCTET_BINARY_QS8_KERNEL
};
constexpr int32_t kCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

}  // namespace

const BinaryQs8Kernel* binary_qs8_kernels(int32_t* count) {
  *count = kCount;
  return kKernels;
}

const BinaryQs8Kernel* select_binary_qs8_kernel(BinaryOp op, Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const BinaryQs8Kernel& k : kKernels) {
      if (k.op == op && k.isa == chain[c]) return &k;
    }
  }
  // The references close the list.
  for (const BinaryQs8Kernel& k : kKernels) {
    if (k.op == op && k.isa == Isa::kScalar) return &k;
  }
  assert(false);
  return &kKernels[kCount - 1];
}

void make_broadcast_runs(const BroadcastShape& s, BroadcastRuns* r) {
  assert(s.rank >= 0 && s.rank <= kMaxRank);
  // Groups of merged dimensions, innermost first: size and per-input stride.
  int64_t size[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
  int32_t groups = 0;
  for (int32_t d = s.rank - 1; d >= 0; --d) {
    const int32_t n = s.out_dims[d];
    // A dimension of 1 is never stepped, so its strides do not matter.
    if (n == 1) continue;
    if (groups > 0) {
      const int32_t g = groups - 1;
      // The outer dimension continues the group when stepping it equals
      // stepping past the whole group, for both inputs.
      if (s.a_strides[d] == sa[g] * size[g] && s.b_strides[d] == sb[g] * size[g]) {
        size[g] *= n;
        continue;
      }
    }
    size[groups] = n;
    sa[groups] = s.a_strides[d];
    sb[groups] = s.b_strides[d];
    ++groups;
  }
  if (groups == 0) {  // a single element
    size[0] = 1;
    sa[0] = 0;
    sb[0] = 0;
    groups = 1;
  }
  // The innermost non-unit dimension has dense stride 1 or broadcast 0.
  assert(sa[0] == 0 || sa[0] == 1);
  assert(sb[0] == 0 || sb[0] == 1);
  r->inner = size[0];
  r->a_inner = static_cast<int32_t>(sa[0]);
  r->b_inner = static_cast<int32_t>(sb[0]);
  r->outer_rank = groups - 1;
  for (int32_t g = 1; g < groups; ++g) {
    const int32_t o = groups - 1 - g;  // outermost first
    r->outer_dims[o] = size[g];
    r->a_strides[o] = sa[g];
    r->b_strides[o] = sb[g];
  }
}

}  // namespace octet::kernels
