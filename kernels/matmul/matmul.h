// SPDX-License-Identifier: Apache-2.0
//
// MATMUL (docs/quantization.md §3): numpy.matmul / ONNX MatMul semantics on
// row-major operands. The last two dims are the matrices ([.., m, k] ·
// [.., k, n]); the leading (batch) dims broadcast numpy-style, aligned from
// the right, a size-1 dim repeating. A rank-1 operand is promoted the numpy
// way ([k] as a → [1, k], [k] as b → [k, 1]) and the promoted dim is dropped
// from the output. Both operands are activations, so the int8 kernel
// subtracts a zero point from each and uses one (per-tensor) multiplier.
#pragma once

#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Operand shapes, outermost dim first. Ranks are in [1, kMaxRank].
struct MatMulShape {
  int32_t a_rank;
  int32_t a_dims[kMaxRank];
  int32_t b_rank;
  int32_t b_dims[kMaxRank];
};

/// The output shape of a · b: broadcast batch dims, then m (unless a has rank
/// 1), then n (unless b has rank 1); [4] · [4] gives rank 0 (one element).
/// out_dims must hold kMaxRank entries. Returns false when a rank is outside
/// [1, kMaxRank], a dim is negative, the k dims differ or two batch dims are
/// neither equal nor 1.
bool matmul_output_shape(const MatMulShape& s, int32_t* out_rank, int32_t* out_dims);

/// fp32: y = clamp(a · b), each output summed in float in k order.
/// Precondition: matmul_output_shape(s) succeeds; y has its element count.
void matmul_f32_reference(const MatMulShape& s, const float* a, const float* b,
                          const FloatClamp& clamp, float* y);

/// int8: acc = Σ_k (a − a_zero_point) · (b − b_zero_point), exact in int32;
/// y = requantize_output(acc, M, t, zy, qmin, qmax) with the single multiplier
/// out.multipliers[0] (out.multiplier_count == 1).
void matmul_qs8_reference(const MatMulShape& s, const int8_t* a, int32_t a_zero_point,
                          const int8_t* b, int32_t b_zero_point, const QuantOut& out, int8_t* y);

}  // namespace octet::kernels
