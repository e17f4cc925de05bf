// SPDX-License-Identifier: Apache-2.0
#include <cmath>

#include "kernels/quantize/quantize.h"

namespace octet::kernels {
namespace {

template <typename Q>
void quantize_f32(size_t n, const float* x, Q* y, const QuantizeParams& p) {
  for (size_t i = 0; i < n; ++i) {
    // nearbyint rounds half to even in the default rounding mode, as ONNX
    // QuantizeLinear and numpy do. NaN maps to the zero point.
    const float v = x[i] / p.scale;
    float r = std::isnan(v) ? 0.0f : std::nearbyint(v);
    // Clamp in float first so the conversion to int never overflows.
    const float lo = static_cast<float>(p.qmin - p.zero_point);
    const float hi = static_cast<float>(p.qmax - p.zero_point);
    r = r < lo ? lo : (r > hi ? hi : r);
    y[i] = static_cast<Q>(static_cast<int32_t>(r) + p.zero_point);
  }
}

template <typename In, typename Out>
void requantize_int(size_t n, const In* x, Out* y, const RequantizeParams& p) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t d = static_cast<int32_t>(x[i]) - p.input_zero_point;
    y[i] = static_cast<Out>(requantize_output(d, p.multiplier.multiplier, p.multiplier.rshift,
                                              p.output_zero_point, p.qmin, p.qmax));
  }
}

template <typename Q>
void dequantize(size_t n, const Q* x, float* y, const DequantizeParams& p) {
  for (size_t i = 0; i < n; ++i) {
    y[i] = p.scale * static_cast<float>(static_cast<int64_t>(x[i]) - p.zero_point);
  }
}

}  // namespace

void quantize_f32_qs8_reference(size_t n, const float* x, int8_t* y, const QuantizeParams& p) {
  quantize_f32(n, x, y, p);
}
void quantize_f32_qu8_reference(size_t n, const float* x, uint8_t* y, const QuantizeParams& p) {
  quantize_f32(n, x, y, p);
}
void quantize_f32_qs16_reference(size_t n, const float* x, int16_t* y, const QuantizeParams& p) {
  quantize_f32(n, x, y, p);
}
void quantize_f32_qs32_reference(size_t n, const float* x, int32_t* y, const QuantizeParams& p) {
  // Not the shared template: float(INT32_MAX) rounds up to 2^31, which
  // would overflow the conversion, so the clamp is done in double.
  for (size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]) / p.scale;
    double r = std::isnan(v) ? 0.0 : std::nearbyint(v);
    r += p.zero_point;
    r = r < p.qmin ? p.qmin : (r > p.qmax ? p.qmax : r);
    y[i] = static_cast<int32_t>(r);
  }
}
void requantize_qs8_qs8_reference(size_t n, const int8_t* x, int8_t* y, const RequantizeParams& p) {
  requantize_int(n, x, y, p);
}
void requantize_qu8_qs8_reference(size_t n, const uint8_t* x, int8_t* y, const RequantizeParams& p) {
  requantize_int(n, x, y, p);
}
void requantize_qs8_qu8_reference(size_t n, const int8_t* x, uint8_t* y, const RequantizeParams& p) {
  requantize_int(n, x, y, p);
}
void requantize_qs16_qs8_reference(size_t n, const int16_t* x, int8_t* y, const RequantizeParams& p) {
  requantize_int(n, x, y, p);
}
void requantize_qs8_qs16_reference(size_t n, const int8_t* x, int16_t* y, const RequantizeParams& p) {
  requantize_int(n, x, y, p);
}
void dequantize_qs8_f32_reference(size_t n, const int8_t* x, float* y, const DequantizeParams& p) {
  dequantize(n, x, y, p);
}
void dequantize_qu8_f32_reference(size_t n, const uint8_t* x, float* y, const DequantizeParams& p) {
  dequantize(n, x, y, p);
}
void dequantize_qs16_f32_reference(size_t n, const int16_t* x, float* y, const DequantizeParams& p) {
  dequantize(n, x, y, p);
}
void dequantize_qs32_f32_reference(size_t n, const int32_t* x, float* y, const DequantizeParams& p) {
  dequantize(n, x, y, p);
}

}  // namespace octet::kernels
