// SPDX-License-Identifier: Apache-2.0
//
// Elementwise binary operators with numpy broadcasting: ADD, SUB, MUL (fp32
// and int8) and DIV (fp32 only). int8 numerics are docs/quantization.md §3,
// "ADD, SUB" and "MUL". The broadcast is described once, at prepare, by a
// BroadcastShape: per-dimension input strides in elements that are 0 where an
// input is broadcast, so the kernels never look at the input shapes.
#pragma once

#include <cstdint>

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

}  // namespace octet::kernels
