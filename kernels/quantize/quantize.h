// SPDX-License-Identifier: Apache-2.0
//
// QUANTIZE / DEQUANTIZE: the float boundary of the int8 path
// (docs/quantization.md §3, "QUANTIZE, DEQUANTIZE").
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Parameters of a float → integer quantization.
struct QuantizeParams {
  float scale;
  int32_t zero_point;
  int32_t qmin;  ///< dtype range: -128/127, 0/255, -32767/32767
  int32_t qmax;
};

/// q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax).
void quantize_f32_qs8_reference(size_t n, const float* x, int8_t* y, const QuantizeParams& p);
void quantize_f32_qu8_reference(size_t n, const float* x, uint8_t* y, const QuantizeParams& p);
void quantize_f32_qs16_reference(size_t n, const float* x, int16_t* y, const QuantizeParams& p);
/// int32 target (exact integer results of ONNX ConvInteger/MatMulInteger):
/// the same rule, clamped to [qmin, qmax] in double precision.
void quantize_f32_qs32_reference(size_t n, const float* x, int32_t* y, const QuantizeParams& p);

/// Integer → integer requantization:
/// q = clamp(requantize(x - x_zero_point, M, t) + out.zero_point, qmin, qmax).
struct RequantizeParams {
  int32_t input_zero_point;
  int32_t output_zero_point;
  Multiplier multiplier;
  int32_t qmin;
  int32_t qmax;
};
void requantize_qs8_qs8_reference(size_t n, const int8_t* x, int8_t* y, const RequantizeParams& p);
void requantize_qu8_qs8_reference(size_t n, const uint8_t* x, int8_t* y, const RequantizeParams& p);
void requantize_qs8_qu8_reference(size_t n, const int8_t* x, uint8_t* y, const RequantizeParams& p);
void requantize_qs16_qs8_reference(size_t n, const int16_t* x, int8_t* y, const RequantizeParams& p);
void requantize_qs8_qs16_reference(size_t n, const int8_t* x, int16_t* y, const RequantizeParams& p);

/// y = scale · (q - zero_point).
struct DequantizeParams {
  float scale;
  int32_t zero_point;
};
void dequantize_qs8_f32_reference(size_t n, const int8_t* x, float* y, const DequantizeParams& p);
void dequantize_qu8_f32_reference(size_t n, const uint8_t* x, float* y, const DequantizeParams& p);
void dequantize_qs16_f32_reference(size_t n, const int16_t* x, float* y, const DequantizeParams& p);
void dequantize_qs32_f32_reference(size_t n, const int32_t* x, float* y, const DequantizeParams& p);

}  // namespace octet::kernels
