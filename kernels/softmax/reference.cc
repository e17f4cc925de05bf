// SPDX-License-Identifier: Apache-2.0
//
// Reference softmax. The int8 kernel makes three passes over each row (max,
// sum, output) and recomputes E_j from the table in the last pass rather than
// keeping it, so it needs no scratch memory and can run in place.
#include <cassert>
#include <cmath>

#include "kernels/softmax/softmax.h"

namespace octet::kernels {

void softmax_f32_reference(int32_t rows, int32_t cols, float beta, const float* x, float* y) {
  assert(rows >= 0 && cols >= 1);
  for (int32_t r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<int64_t>(r) * cols;
    float* yr = y + static_cast<int64_t>(r) * cols;
    float mx = xr[0];
    for (int32_t j = 1; j < cols; ++j) mx = xr[j] > mx ? xr[j] : mx;
    float sum = 0.0f;
    for (int32_t j = 0; j < cols; ++j) {
      const float e = std::exp(beta * (xr[j] - mx));
      yr[j] = e;
      sum += e;
    }
    // Divide rather than multiply by 1/sum: one rounding per element.
    for (int32_t j = 0; j < cols; ++j) yr[j] /= sum;
  }
}

void softmax_qs8_reference(int32_t rows, int32_t cols, const int32_t exp_table[256],
                           const Multiplier& out_multiplier, int32_t y_zero_point, int32_t qmin,
                           int32_t qmax, const int8_t* x, int8_t* y) {
  assert(rows >= 0 && cols >= 1);
  assert(exp_table[0] > 0);
  assert(out_multiplier.rshift >= 1 && out_multiplier.rshift <= 31);
  assert(qmin <= qmax);
  const int32_t rshift = out_multiplier.rshift + 31;
  for (int32_t r = 0; r < rows; ++r) {
    const int8_t* xr = x + static_cast<int64_t>(r) * cols;
    int8_t* yr = y + static_cast<int64_t>(r) * cols;
    int32_t mx = xr[0];
    for (int32_t j = 1; j < cols; ++j) mx = xr[j] > mx ? xr[j] : mx;
    // The row maximum contributes exp_table[0] > 0, so sum > 0. Each entry is
    // below 2^31, so the 64-bit sum cannot wrap for any int32 cols.
    int64_t sum = 0;
    for (int32_t j = 0; j < cols; ++j) sum += exp_table[mx - xr[j]];
    for (int32_t j = 0; j < cols; ++j) {
      const int64_t e = exp_table[mx - xr[j]];
      // e <= sum, so p <= 2^31 and p · M < 2^62 as requantize64 requires.
      const int64_t p = ((e << 31) + sum / 2) / sum;
      yr[j] = static_cast<int8_t>(
          clamp_i64(requantize64(p, out_multiplier.multiplier, rshift) + y_zero_point, qmin, qmax));
    }
  }
}

}  // namespace octet::kernels
