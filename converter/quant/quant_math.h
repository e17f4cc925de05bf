// SPDX-License-Identifier: Apache-2.0
//
// Conversion-time quantization math (floating point allowed here, never in
// the int8 runtime). docs/quantization.md is the definition.
#pragma once

#include <cstdint>

#include "kernels/common/requantize.h"

namespace octet::quant {

/// (M, t) with M ∈ [2^30, 2^31) or 0 and t ∈ [1, 62] such that
/// M · 2^-t ≈ real (docs/quantization.md §2). Returns false when real is
/// negative, not finite, or ≥ 2^30 (not representable).
bool quantize_multiplier(double real, kernels::Multiplier* out);

/// round(x) with ties to even, as numpy / ONNX QuantizeLinear round.
double round_half_even(double x);

}  // namespace octet::quant
