// SPDX-License-Identifier: Apache-2.0
//
// Vectorized fp32 ↔ int8 QUANTIZE / DEQUANTIZE (issue #6), one set per ISA
// in kernels/quantize/kernels.inc, chosen once at prepare. Bit-exact to
// quantize_f32_qs8_reference / dequantize_qs8_f32_reference: x / scale is a
// true division (not a reciprocal multiply), rounding is vroundps in
// round-to-nearest-even mode (= nearbyint in the default mode, the
// reference's rule), NaN maps to the zero point, the clamp happens in float
// before the conversion as in the reference.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/quantize/quantize.h"

namespace octet::kernels {

/// One ISA's int8 QUANTIZE/DEQUANTIZE kernels.
struct QuantizeQs8Kernels {
  const char* name;  ///< "avx512f", "avx2", "reference"
  Isa isa;
  void (*quantize)(size_t n, const float* x, int8_t* y, const QuantizeParams& p);
  /// Precondition for the non-reference sets: |zero_point| <= 2^16 (so
  /// x - zero_point is exact in int32 and in float), checked by
  /// dequantize_qs8_vector_ok.
  void (*dequantize)(size_t n, const int8_t* x, float* y, const DequantizeParams& p);
  const char* quantize_name;    ///< "quantize_f32_qs8_<name>", for profiles
  const char* dequantize_name;  ///< "dequantize_qs8_f32_<name>"
};

/// Every set compiled in, best first; the last is the reference set.
const QuantizeQs8Kernels* quantize_qs8_kernels(int32_t* count);
bool quantize_qs8_kernels_available(const QuantizeQs8Kernels& k);
/// The best set on `isa`'s fallback chain.
const QuantizeQs8Kernels* select_quantize_qs8_kernels(Isa isa);
/// Whether the vector dequantize kernels' precondition holds for `p`.
inline bool dequantize_qs8_vector_ok(const DequantizeParams& p) {
  return p.zero_point >= -65536 && p.zero_point <= 65536;
}

}  // namespace octet::kernels
