// SPDX-License-Identifier: Apache-2.0
//
// Reference pooling: one output element at a time, every window position
// tested against the input bounds. Defines the semantics; no tiling, no SIMD.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/pool2d/pool2d.h"

namespace octet::kernels {
namespace {

void check_shape(const Pool2DShape& s) {
  assert(s.batch >= 0 && s.in_h >= 0 && s.in_w >= 0 && s.channels >= 0);
  assert(s.out_h >= 0 && s.out_w >= 0);
  assert(s.kernel_h >= 1 && s.kernel_w >= 1);
  assert(s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(s.pad_top >= 0 && s.pad_left >= 0);
  (void)s;
}

/// Input row (or column) of window tap k.
inline int32_t tap(int32_t o, int32_t stride, int32_t pad, int32_t k, int32_t dilation) {
  return o * stride - pad + k * dilation;
}

inline bool inside(int32_t i, int32_t size) { return i >= 0 && i < size; }

/// Inside the padded input [−pad_before, size + pad_after); pad_after < 0 means
/// no upper bound (see Pool2DShape::pad_bottom).
inline bool inside_padded(int32_t i, int32_t size, int32_t pad_before, int32_t pad_after) {
  return i >= -pad_before && (pad_after < 0 || i < size + pad_after);
}

/// Number of taps of window (oh, ow) that the average divides by.
int32_t window_count(const Pool2DShape& s, int32_t oh, int32_t ow) {
  int32_t rows = 0;
  for (int32_t kh = 0; kh < s.kernel_h; ++kh) {
    const int32_t ih = tap(oh, s.stride_h, s.pad_top, kh, s.dilation_h);
    rows += s.count_include_pad ? inside_padded(ih, s.in_h, s.pad_top, s.pad_bottom)
                                : inside(ih, s.in_h);
  }
  int32_t cols = 0;
  for (int32_t kw = 0; kw < s.kernel_w; ++kw) {
    const int32_t iw = tap(ow, s.stride_w, s.pad_left, kw, s.dilation_w);
    cols += s.count_include_pad ? inside_padded(iw, s.in_w, s.pad_left, s.pad_right)
                                : inside(iw, s.in_w);
  }
  // The window is a separable product of rows and columns, so is its count.
  return rows * cols;
}

/// Calls f(input offset) for every tap of window (n, oh, ow, c) inside the input.
template <typename F>
void for_each_tap(const Pool2DShape& s, int32_t n, int32_t oh, int32_t ow, int32_t c, F&& f) {
  for (int32_t kh = 0; kh < s.kernel_h; ++kh) {
    const int32_t ih = tap(oh, s.stride_h, s.pad_top, kh, s.dilation_h);
    if (!inside(ih, s.in_h)) continue;
    for (int32_t kw = 0; kw < s.kernel_w; ++kw) {
      const int32_t iw = tap(ow, s.stride_w, s.pad_left, kw, s.dilation_w);
      if (!inside(iw, s.in_w)) continue;
      f(((static_cast<size_t>(n) * s.in_h + ih) * s.in_w + iw) * s.channels + c);
    }
  }
}

inline size_t out_offset(const Pool2DShape& s, int32_t n, int32_t oh, int32_t ow, int32_t c) {
  return ((static_cast<size_t>(n) * s.out_h + oh) * s.out_w + ow) * s.channels + c;
}

}  // namespace

void max_pool2d_f32_reference(const Pool2DShape& s, const float* x, const FloatClamp& clamp,
                              float* y) {
  check_shape(s);
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        for (int32_t c = 0; c < s.channels; ++c) {
          float m = -INFINITY;
          for_each_tap(s, n, oh, ow, c, [&](size_t i) { m = x[i] > m ? x[i] : m; });
          y[out_offset(s, n, oh, ow, c)] = clamp_f32(m, clamp);
        }
      }
    }
  }
}

void max_pool2d_qs8_reference(const Pool2DShape& s, const int8_t* x, int32_t qmin, int32_t qmax,
                              int8_t* y) {
  check_shape(s);
  assert(-128 <= qmin && qmin <= qmax && qmax <= 127);
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        for (int32_t c = 0; c < s.channels; ++c) {
          int32_t m = INT8_MIN;
          for_each_tap(s, n, oh, ow, c, [&](size_t i) { m = x[i] > m ? x[i] : m; });
          y[out_offset(s, n, oh, ow, c)] = static_cast<int8_t>(clamp_i64(m, qmin, qmax));
        }
      }
    }
  }
}

void average_pool2d_f32_reference(const Pool2DShape& s, const float* x, const FloatClamp& clamp,
                                  float* y) {
  check_shape(s);
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        const int32_t count = window_count(s, oh, ow);
        for (int32_t c = 0; c < s.channels; ++c) {
          // Double keeps the reference close to the exact mean; fp32 variants
          // are compared against it with a tolerance.
          double sum = 0.0;
          for_each_tap(s, n, oh, ow, c, [&](size_t i) { sum += x[i]; });
          const float avg = count > 0 ? static_cast<float>(sum / count) : 0.0f;
          y[out_offset(s, n, oh, ow, c)] = clamp_f32(avg, clamp);
        }
      }
    }
  }
}

void average_pool2d_qs8_reference(const Pool2DShape& s, const int8_t* x, int32_t x_zero_point,
                                  const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                  int32_t qmax, int8_t* y) {
  check_shape(s);
  assert(-128 <= qmin && qmin <= qmax && qmax <= 127);
  // |x − zx| ≤ 255 per tap: the int32 sum is exact for any window below 2^23.
  assert(static_cast<int64_t>(s.kernel_h) * s.kernel_w <= (int64_t{1} << 23));
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        const int32_t count = window_count(s, oh, ow);
        // Per output position, not per element: borders see different counts.
        const Multiplier mn =
            count > 0 ? divide_multiplier(m.multiplier, m.rshift, count) : Multiplier{0, 1};
        for (int32_t c = 0; c < s.channels; ++c) {
          int32_t acc = 0;
          for_each_tap(s, n, oh, ow, c, [&](size_t i) { acc += x[i] - x_zero_point; });
          y[out_offset(s, n, oh, ow, c)] = static_cast<int8_t>(
              requantize_output(acc, mn.multiplier, mn.rshift, y_zero_point, qmin, qmax));
        }
      }
    }
  }
}

}  // namespace octet::kernels
