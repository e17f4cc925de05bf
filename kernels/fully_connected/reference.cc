// SPDX-License-Identifier: Apache-2.0
//
// Reference FULLY_CONNECTED: one dot product per output, rows of x against
// rows of w. No packing.
#include <cassert>
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

}  // namespace octet::kernels
