// SPDX-License-Identifier: Apache-2.0
//
// Reference FULLY_CONNECTED: one dot product per output, rows of x against
// rows of w. No packing.
#include <cassert>
#include <cmath>
#include <cstddef>

#include "kernels/fully_connected/fully_connected.h"

namespace octet::kernels {

void fully_connected_f32_reference(int32_t m, int32_t n, int32_t k, const float* x, const float* w,
                                   const float* bias, const FloatClamp& clamp, float* y) {
  assert(m >= 0 && n >= 0 && k >= 0);
  for (int32_t i = 0; i < m; ++i) {
    const float* xr = x + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n; ++j) {
      const float* wr = w + static_cast<size_t>(j) * k;
      float acc = 0.0f;
      for (int32_t p = 0; p < k; ++p) acc += xr[p] * wr[p];
      if (bias != nullptr) acc += bias[j];
      y[static_cast<size_t>(i) * n + j] = clamp_f32(acc, clamp);
    }
  }
}

void fully_connected_qs8_qc8w_reference(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                        int32_t x_zero_point, const int8_t* w, const int32_t* bias,
                                        const QuantOut& out, int8_t* y) {
  assert(m >= 0 && n >= 0 && k >= 0);
  assert(out.multipliers != nullptr);
  assert(out.multiplier_count == 1 || out.multiplier_count == n);
  assert(out.qmin >= -128 && out.qmin <= out.qmax && out.qmax <= 127);
  for (int32_t i = 0; i < m; ++i) {
    const int8_t* xr = x + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      // The loader bounds k · 255 · 128 + |bias| below 2^31, so int32 never wraps.
      int32_t acc = bias != nullptr ? bias[j] : 0;
      for (int32_t p = 0; p < k; ++p) {
        acc += (static_cast<int32_t>(xr[p]) - x_zero_point) * static_cast<int32_t>(wr[p]);
      }
      const Multiplier& mj = out.for_channel(j);
      y[static_cast<size_t>(i) * n + j] = static_cast<int8_t>(
          requantize_output(acc, mj.multiplier, mj.rshift, out.zero_point, out.qmin, out.qmax));
    }
  }
}

void fully_connected_qs16_qc8w_reference(int32_t m, int32_t n, int32_t k, const int16_t* x,
                                         const int8_t* w, const int64_t* bias, const QuantOut& out,
                                         int16_t* y) {
  assert(m >= 0 && n >= 0 && k >= 0);
  assert(out.multipliers != nullptr);
  assert(out.multiplier_count == 1 || out.multiplier_count == n);
  for (int32_t i = 0; i < m; ++i) {
    const int16_t* xr = x + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      int64_t acc = bias != nullptr ? bias[j] : 0;
      for (int32_t p = 0; p < k; ++p) acc += static_cast<int32_t>(xr[p]) * static_cast<int32_t>(wr[p]);
      const Multiplier& mj = out.for_channel(j);
      y[static_cast<size_t>(i) * n + j] = static_cast<int16_t>(
          clamp_i64(requantize_wide(acc, mj.multiplier, mj.rshift), out.qmin, out.qmax));
    }
  }
}

DynamicQuant dynamic_quant_params_f32(size_t n, const float* x) {
  float lo = 0.0f, hi = 0.0f;  // the range always contains 0 (exact zero)
  for (size_t i = 0; i < n; ++i) {
    lo = x[i] < lo ? x[i] : lo;
    hi = x[i] > hi ? x[i] : hi;
  }
  if (!(hi > lo)) return DynamicQuant{1.0f, 0};  // all zeros (NaN lands here too)
  const float scale = (hi - lo) / 255.0f;
  const float z = std::nearbyint(-128.0f - lo / scale);
  // NaN-safe clamp (an infinite input gives an infinite scale).
  return DynamicQuant{scale, static_cast<int32_t>(z > -128.0f ? (z < 127.0f ? z : 127.0f) : -128.0f)};
}

void dynamic_quantize_f32_qs8(size_t n, const float* x, const DynamicQuant& q, int8_t* y) {
  const float inv = 1.0f / q.scale;
  for (size_t i = 0; i < n; ++i) {
    float v = std::nearbyint(x[i] * inv) + static_cast<float>(q.zero_point);
    v = v > -128.0f ? (v < 127.0f ? v : 127.0f) : -128.0f;  // NaN → −128, never UB
    y[i] = static_cast<int8_t>(v);
  }
}

void fully_connected_qd8_qc8w_acc_reference(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                            int32_t x_zero_point, const int8_t* w, int32_t* acc) {
  for (int32_t i = 0; i < m; ++i) {
    const int8_t* xr = x + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      int32_t a = 0;
      for (int32_t p = 0; p < k; ++p) {
        a += (static_cast<int32_t>(xr[p]) - x_zero_point) * static_cast<int32_t>(wr[p]);
      }
      acc[static_cast<size_t>(i) * n + j] = a;
    }
  }
}

void fully_connected_qd8_colsums(int32_t n, int32_t k, const int8_t* w, int32_t* colsums) {
  for (int32_t j = 0; j < n; ++j) {
    int32_t s = 0;
    for (int32_t p = 0; p < k; ++p) s += w[static_cast<size_t>(j) * k + p];
    colsums[j] = s;
  }
}

void fully_connected_qd8_qc8w_acc_fast(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                       int32_t x_zero_point, const int8_t* w,
                                       const int32_t* colsums, int32_t* acc) {
  // Σ (x − zx)·w = Σ x·w − zx·Σ w; the x·w sums (|x·w| ≤ 2^14) are
  // independent multiply-adds the compiler vectorizes. Four rows share
  // each weight row load.
  int32_t i = 0;
  for (; i + 4 <= m; i += 4) {
    const int8_t* x0 = x + static_cast<size_t>(i) * k;
    const int8_t* x1 = x0 + k;
    const int8_t* x2 = x1 + k;
    const int8_t* x3 = x2 + k;
    for (int32_t j = 0; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int32_t p = 0; p < k; ++p) {
        const int32_t wv = wr[p];
        a0 += x0[p] * wv;
        a1 += x1[p] * wv;
        a2 += x2[p] * wv;
        a3 += x3[p] * wv;
      }
      const int32_t corr = x_zero_point * colsums[j];
      acc[static_cast<size_t>(i) * n + j] = a0 - corr;
      acc[static_cast<size_t>(i + 1) * n + j] = a1 - corr;
      acc[static_cast<size_t>(i + 2) * n + j] = a2 - corr;
      acc[static_cast<size_t>(i + 3) * n + j] = a3 - corr;
    }
  }
  for (; i < m; ++i) {
    const int8_t* xr = x + static_cast<size_t>(i) * k;
    for (int32_t j = 0; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      int32_t a = 0;
      for (int32_t p = 0; p < k; ++p) a += xr[p] * static_cast<int32_t>(wr[p]);
      acc[static_cast<size_t>(i) * n + j] = a - x_zero_point * colsums[j];
    }
  }
}

void fully_connected_qd8_dequantize(int32_t m, int32_t n, const int32_t* acc, float x_scale,
                                    const float* w_scales, int32_t w_scale_count,
                                    const float* bias, const FloatClamp& clamp, float* y) {
  for (int32_t i = 0; i < m; ++i) {
    for (int32_t j = 0; j < n; ++j) {
      const float s = x_scale * w_scales[w_scale_count == 1 ? 0 : j];
      float v = static_cast<float>(acc[static_cast<size_t>(i) * n + j]) * s;
      if (bias != nullptr) v += bias[j];
      y[static_cast<size_t>(i) * n + j] = clamp_f32(v, clamp);
    }
  }
}

}  // namespace octet::kernels
