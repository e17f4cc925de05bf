// SPDX-License-Identifier: Apache-2.0
//
// Elementwise activations over flat buffers. fp32 follows ONNX. The int8 path
// has three kernels (docs/quantization.md §3): a requantizing clamp (ReLU,
// ReLU6, clamp, and any scale change), a 256-entry table lookup for every
// smooth function (SIGMOID, TANH, HARD_SWISH, HARD_SIGMOID, LEAKY_RELU; the
// table comes from octet::quant::build_lut_qs8), and PRELU.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// y = clamp(x, act). ReLU is [0, +inf), ReLU6 [0, 6]. NaN passes through.
void clamp_f32_reference(size_t n, const float* x, const FloatClamp& act, float* y);

/// y = x · max(0, min(1, a · x + 1/2)), a = 1/6 rounded to float (ONNX HardSwish:
/// HardSigmoid with alpha = 1/6, beta = 1/2).
void hard_swish_f32_reference(size_t n, const float* x, float* y);

/// y = max(0, min(1, alpha · x + beta)) (ONNX HardSigmoid; defaults 0.2, 0.5).
void hard_sigmoid_f32_reference(size_t n, const float* x, float alpha, float beta, float* y);

/// y = 1 / (1 + exp(-x)).
void sigmoid_f32_reference(size_t n, const float* x, float* y);

/// y = tanh(x).
void tanh_f32_reference(size_t n, const float* x, float* y);

/// y = x if x >= 0, else alpha · x.
void leaky_relu_f32_reference(size_t n, const float* x, float alpha, float* y);

/// y = x if x >= 0, else slope[c] · x, with c = i mod channels: the slope is
/// broadcast along the last (channel, NHWC) axis. channels = 1 is a scalar
/// slope. Precondition: n is a multiple of channels.
void prelu_f32_reference(size_t n, size_t channels, const float* x, const float* slope, float* y);

/// Requantizing clamp: y = clamp(requantize(x - zx, M) + zy, qmin, qmax),
/// M ≈ s_x / s_y (exactly 1, {2^30, 30}, when the scales are equal).
struct ClampQs8Params {
  int32_t x_zero_point;
  int32_t y_zero_point;
  Multiplier multiplier;
  int32_t qmin;
  int32_t qmax;
};
void clamp_qs8_reference(size_t n, const int8_t* x, const ClampQs8Params& p, int8_t* y);

/// y = lut[x + 128]. The table already contains zero points and the clamp.
void lut_qs8_reference(size_t n, const int8_t* x, const int8_t lut[256], int8_t* y);

/// PRELU with an int8 per-channel slope α (scale s_α, zero point zα):
///   d = x - zx
///   y = clamp(requantize(d, M[0]) + zy, qmin, qmax)                 if d >= 0
///   y = clamp(requantize(d · (α[c] - zα), M[1]) + zy, qmin, qmax)   if d < 0
struct PreluQs8Params {
  int32_t x_zero_point;
  int32_t slope_zero_point;
  int32_t y_zero_point;
  int32_t qmin;
  int32_t qmax;
  Multiplier positive_multiplier;  ///< M[0] ≈ s_x / s_y
  Multiplier negative_multiplier;  ///< M[1] ≈ s_x · s_α / s_y
};
/// Channel c = i mod channels, as prelu_f32_reference.
void prelu_qs8_reference(size_t n, size_t channels, const int8_t* x, const int8_t* slope,
                         const PreluQs8Params& p, int8_t* y);

}  // namespace octet::kernels
