// SPDX-License-Identifier: Apache-2.0
//
// Vectorized fp32 ADD, SUB, MUL, DIV with broadcasting (issue #6). At prepare
// the BroadcastShape is coalesced (plan_binary_f32): size-1 dimensions go,
// adjacent dimensions that are contiguous for both inputs merge, so that
// [1,56,56,C] × [1,1,1,C] (squeeze-excitation) becomes 3136 rows of C. The
// innermost run is then one row kernel call: vector⊙vector, vector⊙scalar or
// scalar⊙vector. Each ISA's row kernels are in kernels/binary/
// f32_kernels.inc; all are bit-exact to the *_f32_reference kernels
// (one IEEE operation, then the clamp with the reference's NaN behaviour).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/binary/binary.h"

namespace octet::kernels {

/// y[i] = clamp(a[i·ia] op b[i·ib], act) for i < n; the three shapes of
/// (ia, ib): (1, 1) vv, (1, 0) vs, (0, 1) sv.
using BinaryF32Row = void (*)(size_t n, const float* a, const float* b, const FloatClamp& act,
                              float* y);

/// One operator's rows on one ISA.
struct BinaryF32Rows {
  BinaryF32Row vv, vs, sv;
};

/// One ISA's fp32 binary row kernels.
struct BinaryF32Kernels {
  const char* name;  ///< "binary_f32_avx512f", "binary_f32_avx2", "binary_f32_scalar"
  Isa isa;
  BinaryF32Rows add, sub, mul, div;
};

/// Every set compiled in, best first; the last is the portable one.
const BinaryF32Kernels* binary_f32_kernels(int32_t* count);
bool binary_f32_kernels_available(const BinaryF32Kernels& k);
/// The best set on `isa`'s fallback chain.
const BinaryF32Kernels* select_binary_f32_kernels(Isa isa);

/// A coalesced broadcast: `outer_rank` outer dimensions (innermost last)
/// walked with strides in elements, each position one row of `n` elements.
struct BinaryF32Plan {
  int32_t outer_rank;
  int32_t outer_dims[kMaxRank];
  int64_t a_strides[kMaxRank];
  int64_t b_strides[kMaxRank];
  size_t n;
  int32_t kind;  ///< 0 vv, 1 vs, 2 sv
};

/// Coalesces `shape` into *plan. Always succeeds for a valid BroadcastShape.
void plan_binary_f32(const BroadcastShape& shape, BinaryF32Plan* plan);

/// Runs `rows` (rows.vv/vs/sv by plan.kind) over the plan. No allocation.
void binary_f32_run(const BinaryF32Plan& plan, const BinaryF32Rows& rows, const float* a,
                    const float* b, const FloatClamp& act, float* y);

}  // namespace octet::kernels
