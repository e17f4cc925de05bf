// SPDX-License-Identifier: Apache-2.0
//
// SOFTMAX over the last axis, seen as `rows` independent rows of `cols`
// contiguous elements. The int8 kernel is docs/quantization.md §3, "SOFTMAX":
// exp by table lookup on the distance to the row maximum, a Q31 probability
// from one 64-bit division, then the usual requantization to the output.
#pragma once

#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Q24 value of exp(0): the first entry of every int8 softmax exp table.
constexpr int32_t kSoftmaxExpOne = int32_t{1} << 24;

/// y = exp(beta · (x - max)) / Σ exp(beta · (x - max)) per row; subtracting
/// the row maximum keeps every exp in (0, 1]. Precondition: cols >= 1.
/// x and y may alias exactly (in place).
void softmax_f32_reference(int32_t rows, int32_t cols, float beta, const float* x, float* y);

/// int8 softmax. exp_table[d] = round(2^24 · exp(-beta · s_x · d)), d = 0..255
/// (octet::quant::build_softmax_exp_table); out_multiplier ≈ 1 / s_y with
/// rshift <= 31 (the kernel adds 31 for the Q31 probability). Per row:
///   E_j = exp_table[max - x_j],  S = Σ E_j (64-bit)
///   p_j = floor((E_j · 2^31 + floor(S / 2)) / S)
///   y_j = clamp(requantize64(p_j, M, t + 31) + y_zero_point, qmin, qmax)
/// Preconditions: cols >= 1, exp_table[0] > 0 and non-negative entries.
/// x and y may alias exactly (in place).
void softmax_qs8_reference(int32_t rows, int32_t cols, const int32_t exp_table[256],
                           const Multiplier& out_multiplier, int32_t y_zero_point, int32_t qmin,
                           int32_t qmax, const int8_t* x, int8_t* y);

}  // namespace octet::kernels
