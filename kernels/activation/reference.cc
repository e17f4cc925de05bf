// SPDX-License-Identifier: Apache-2.0
//
// Reference activations. The fp32 kernels write comparisons out instead of
// std::min/std::max so that a NaN input yields NaN regardless of argument
// order. The int8 kernels are the definition optimized variants match exactly.
#include <cassert>
#include <cmath>

#include "kernels/activation/activation.h"

namespace octet::kernels {
namespace {

// max(0, min(1, v)), NaN-propagating.
inline float saturate01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

}  // namespace

void clamp_f32_reference(size_t n, const float* x, const FloatClamp& act, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = clamp_f32(x[i], act);
}

void hard_swish_f32_reference(size_t n, const float* x, float* y) {
  // ONNX defines HardSwish as HardSigmoid with alpha = 1/6 (a float
  // attribute), so multiply by the float 1/6 rather than divide by 6.
  constexpr float kAlpha = 1.0f / 6.0f;
  for (size_t i = 0; i < n; ++i) y[i] = x[i] * saturate01(kAlpha * x[i] + 0.5f);
}

void hard_sigmoid_f32_reference(size_t n, const float* x, float alpha, float beta, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = saturate01(alpha * x[i] + beta);
}

void sigmoid_f32_reference(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) {
    // exp of a non-positive argument only: no overflow, and full relative
    // precision for large negative x instead of 1 / (1 + huge).
    const float v = x[i];
    if (v >= 0.0f) {
      y[i] = 1.0f / (1.0f + std::exp(-v));
    } else {
      const float e = std::exp(v);
      y[i] = e / (1.0f + e);
    }
  }
}

void tanh_f32_reference(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void leaky_relu_f32_reference(size_t n, const float* x, float alpha, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] >= 0.0f ? x[i] : alpha * x[i];
}

void prelu_f32_reference(size_t n, size_t channels, const float* x, const float* slope, float* y) {
  assert(channels > 0 && n % channels == 0);
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v >= 0.0f ? v : slope[i % channels] * v;
  }
}

void clamp_qs8_reference(size_t n, const int8_t* x, const ClampQs8Params& p, int8_t* y) {
  assert(p.qmin <= p.qmax);
  for (size_t i = 0; i < n; ++i) {
    const int32_t d = static_cast<int32_t>(x[i]) - p.x_zero_point;
    y[i] = static_cast<int8_t>(requantize_output(d, p.multiplier.multiplier, p.multiplier.rshift,
                                                 p.y_zero_point, p.qmin, p.qmax));
  }
}

void lut_qs8_reference(size_t n, const int8_t* x, const int8_t lut[256], int8_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = lut[static_cast<int32_t>(x[i]) + 128];
}

void prelu_qs8_reference(size_t n, size_t channels, const int8_t* x, const int8_t* slope,
                         const PreluQs8Params& p, int8_t* y) {
  assert(channels > 0 && n % channels == 0);
  assert(p.qmin <= p.qmax);
  for (size_t i = 0; i < n; ++i) {
    const int32_t d = static_cast<int32_t>(x[i]) - p.x_zero_point;
    int32_t out;
    if (d >= 0) {
      out = requantize_output(d, p.positive_multiplier.multiplier, p.positive_multiplier.rshift,
                              p.y_zero_point, p.qmin, p.qmax);
    } else {
      // |d · (α - zα)| <= 255 · 255.
      const int32_t acc = d * (static_cast<int32_t>(slope[i % channels]) - p.slope_zero_point);
      out = requantize_output(acc, p.negative_multiplier.multiplier, p.negative_multiplier.rshift,
                              p.y_zero_point, p.qmin, p.qmax);
    }
    y[i] = static_cast<int8_t>(out);
  }
}

}  // namespace octet::kernels
