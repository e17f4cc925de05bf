// SPDX-License-Identifier: Apache-2.0
//
// Elementwise binary operators with numpy broadcasting: ADD, SUB, MUL (fp32
// and int8) and DIV (fp32 only). int8 numerics are docs/quantization.md §3,
// "ADD, SUB" and "MUL". The broadcast is described once, at prepare, by a
// BroadcastShape: per-dimension input strides in elements that are 0 where an
// input is broadcast, so the kernels never look at the input shapes.
#pragma once

#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"

namespace octet::kernels {

/// Output shape and input strides (in elements, 0 on broadcast dimensions) of
/// a broadcasting binary operator. rank 0 is a single element.
struct BroadcastShape {
  int32_t rank;
  int32_t out_dims[kMaxRank];
  int32_t a_strides[kMaxRank];
  int32_t b_strides[kMaxRank];
};

/// numpy broadcasting: shapes are right-aligned, missing leading dimensions
/// count as 1, and a dimension of 1 stretches to the other's size. Inputs are
/// dense row-major. Returns false when a rank exceeds kMaxRank, a dimension is
/// negative, two dimensions are neither equal nor 1, or an input stride does
/// not fit int32.
bool make_broadcast_shape(int32_t a_rank, const int32_t* a_dims, int32_t b_rank,
                          const int32_t* b_dims, BroadcastShape* out);

/// Number of output elements (product of out_dims; 1 for rank 0).
int64_t broadcast_output_size(const BroadcastShape& shape);

/// y = clamp(a + b, act). Output is dense row-major in out_dims.
void add_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y);
/// y = clamp(a - b, act).
void sub_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y);
/// y = clamp(a * b, act).
void mul_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y);
/// y = clamp(a / b, act); IEEE division (x/0 is ±inf or NaN, as ONNX Div).
void div_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y);

/// Quantization parameters of the int8 binary operators. ADD/SUB use all three
/// multipliers (doc M[0], M[1], M[2]); MUL uses only y_multiplier.
struct BinaryQs8Params {
  int32_t a_zero_point;
  int32_t b_zero_point;
  int32_t y_zero_point;
  int32_t qmin;
  int32_t qmax;
  Multiplier a_multiplier;  ///< ≈ s_a / (2 · max(s_a, s_b)); ADD/SUB only
  Multiplier b_multiplier;  ///< ≈ s_b / (2 · max(s_a, s_b)); ADD/SUB only
  Multiplier y_multiplier;  ///< ADD/SUB: ≈ 2 · max(s_a, s_b) / (2^20 · s_y); MUL: ≈ s_a · s_b / s_y
};

/// Fractional bits the ADD/SUB inputs are shifted left by before rescaling.
constexpr int32_t kAddSubLeftShift = 20;

/// a' = requantize((a - za) · 2^20, M[0]), b' likewise,
/// y = clamp(requantize(a' + b', M[2]) + zy, qmin, qmax).
/// Precondition: a_multiplier and b_multiplier are below 1 (rshift >= 31), which
/// keeps a' + b' within int32; octet::quant::add_sub_multipliers guarantees it.
void add_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y);
/// As add_qs8_reference with a' - b'.
void sub_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y);
/// y = clamp(requantize((a - za) · (b - zb), M) + zy, qmin, qmax).
void mul_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y);

/// Signature shared by every int8 ADD/SUB/MUL variant (reference and SIMD).
using BinaryQs8Fn = void (*)(const BroadcastShape&, const int8_t*, const int8_t*,
                             const BinaryQs8Params&, int8_t*);

enum class BinaryOp : int32_t { kAdd = 0, kSub = 1, kMul = 2 };

/// One entry of the int8 binary kernel list (kernels/binary/kernels.inc).
struct BinaryQs8Kernel {
  const char* name;
  BinaryOp op;
  Isa isa;
  BinaryQs8Fn fn;
};

/// Every int8 binary kernel compiled in, best ISA first; the references last.
const BinaryQs8Kernel* binary_qs8_kernels(int32_t* count);

/// The best kernel for `op` on the fallback chain of `isa` (the reference when
/// no SIMD variant applies); never null. Chosen at prepare, never at invoke.
const BinaryQs8Kernel* select_binary_qs8_kernel(BinaryOp op, Isa isa);

/// SIMD variants, bit-exact to the references above. They walk the broadcast
/// as runs of contiguous (or stride-0) inner elements. Multipliers so large
/// that a requantized value could leave int32 (ADD/SUB output rshift < 30,
/// MUL rshift < 17; no real model has them) are delegated to the reference.
void add_qs8_avx2(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y);
void sub_qs8_avx2(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y);
void mul_qs8_avx2(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y);
void add_qs8_avx512vnni(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y);
void sub_qs8_avx512vnni(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y);
void mul_qs8_avx512vnni(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y);

/// A broadcast walk as an outer odometer over runs of `inner` elements: each
/// run reads a at stride a_inner (0 or 1) and b at b_inner. Adjacent
/// dimensions that both inputs traverse contiguously are merged first, so an
/// elementwise op on equal shapes is one run. Used by the SIMD variants.
struct BroadcastRuns {
  int32_t outer_rank;
  int64_t outer_dims[kMaxRank];
  int64_t a_strides[kMaxRank];
  int64_t b_strides[kMaxRank];
  int64_t inner;
  int32_t a_inner;
  int32_t b_inner;
};
void make_broadcast_runs(const BroadcastShape& shape, BroadcastRuns* runs);

}  // namespace octet::kernels
