// SPDX-License-Identifier: Apache-2.0
//
// Conversion-time tables and multipliers of the elementwise int8 operators
// (docs/quantization.md §3). Everything here runs once, in double precision,
// and produces the integers the runtime stores; the kernels never see a float.
#pragma once

#include <cstdint>

#include "kernels/common/requantize.h"

namespace octet::quant {

/// The functions the int8 path evaluates through a 256-entry table. (A plain
/// enum so that both quant::kSigmoid and LutFunction::kSigmoid spell it.)
enum LutFunction {
  kSigmoid,      ///< 1 / (1 + exp(-x))
  kTanh,         ///< tanh(x)
  kHardSwish,    ///< x · max(0, min(1, x / 6 + 1/2))
  kHardSigmoid,  ///< max(0, min(1, alpha · x + beta))
  kLeakyRelu,    ///< x if x >= 0, else alpha · x
};

/// Fills lut[i] = clamp(round_half_even(f(x_scale · (i - 128 - x_zero_point)) / y_scale)
///                      + y_zero_point, qmin, qmax)
/// for i = 0..255, in double precision. alpha is used by kHardSigmoid and
/// kLeakyRelu, beta by kHardSigmoid; both are ignored otherwise. Returns false
/// (lut untouched) when a scale or parameter is not finite, a scale is not
/// positive, a zero point is outside [-128, 127], or qmin/qmax are not an
/// ordered sub-range of [-128, 127].
bool build_lut_qs8(LutFunction f, float alpha, float beta, float x_scale, int32_t x_zero_point,
                   float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                   int8_t lut[256]);

/// table[d] = round(2^24 · exp(-beta · x_scale · d)), d = 0..255, for
/// octet::kernels::softmax_qs8_reference. Ties (never hit in practice) round
/// half to even. Preconditions: beta · x_scale finite and >= 0, so every entry
/// is in [0, 2^24] and table[0] = 2^24.
void build_softmax_exp_table(float beta, float x_scale, int32_t table[256]);

/// ADD/SUB multipliers: out[0] ≈ s_a / (2 · max(s_a, s_b)),
/// out[1] ≈ s_b / (2 · max(s_a, s_b)), out[2] ≈ 2 · max(s_a, s_b) / (2^20 · s_y).
/// Returns false when a scale is not finite and positive or out[2] is not
/// representable (quantize_multiplier fails).
bool add_sub_multipliers(float sa, float sb, float sy, kernels::Multiplier out[3]);

/// MUL multiplier ≈ s_a · s_b / s_y. False on an invalid scale or an
/// unrepresentable multiplier.
bool mul_multiplier(float sa, float sb, float sy, kernels::Multiplier* out);

/// PRELU multipliers: out[0] ≈ s_x / s_y (non-negative side),
/// out[1] ≈ s_x · s_α / s_y (negative side). False on an invalid scale or an
/// unrepresentable multiplier.
bool prelu_multipliers(float sx, float salpha, float sy, kernels::Multiplier out[2]);

/// Softmax output multiplier ≈ 1 / s_y. False on an invalid scale, or when the
/// shift exceeds 31 (s_y above 2), since the kernel adds 31 to it and the
/// total must stay within 62.
bool softmax_output_multiplier(float sy, kernels::Multiplier* out);

}  // namespace octet::quant
