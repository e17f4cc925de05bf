// SPDX-License-Identifier: Apache-2.0
//
// Reference CONV_2D: a direct loop over every output element, skipping taps
// that fall in the padding. No packing, no im2col, no scratch.
#include <cassert>
#include <cstddef>

#include "kernels/conv2d/conv2d.h"

namespace octet::kernels {
namespace {

void check_shape(const Conv2DShape& s) {
  assert(s.batch >= 0 && s.in_h >= 0 && s.in_w >= 0 && s.out_h >= 0 && s.out_w >= 0);
  assert(s.kernel_h >= 1 && s.kernel_w >= 1);
  assert(s.stride_h >= 1 && s.stride_w >= 1 && s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(s.pad_top >= 0 && s.pad_left >= 0);
  assert(s.groups >= 1 && s.in_c >= s.groups && s.out_c >= s.groups);
  assert(s.in_c % s.groups == 0 && s.out_c % s.groups == 0);
  (void)s;
}

// Calls tap(input_index, filter_index) for every in-bounds tap of output
// element (b, oh, ow, oc), in (kh, kw, ic) order. The fp32 and int8 kernels
// share it so they cannot disagree on geometry.
template <typename Tap>
void for_each_tap(const Conv2DShape& s, int32_t b, int32_t oh, int32_t ow, int32_t oc, Tap&& tap) {
  const int32_t in_c_per_group = s.in_c / s.groups;
  const int32_t out_c_per_group = s.out_c / s.groups;
  const int32_t c0 = (oc / out_c_per_group) * in_c_per_group;
  for (int32_t kh = 0; kh < s.kernel_h; ++kh) {
    const int32_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
    if (ih < 0 || ih >= s.in_h) continue;
    for (int32_t kw = 0; kw < s.kernel_w; ++kw) {
      const int32_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
      if (iw < 0 || iw >= s.in_w) continue;
      const size_t x_base = ((static_cast<size_t>(b) * s.in_h + ih) * s.in_w + iw) * s.in_c + c0;
      const size_t w_base =
          ((static_cast<size_t>(oc) * s.kernel_h + kh) * s.kernel_w + kw) * in_c_per_group;
      for (int32_t ic = 0; ic < in_c_per_group; ++ic) tap(x_base + ic, w_base + ic);
    }
  }
}

}  // namespace

void conv2d_f32_reference(const Conv2DShape& s, const float* input, const float* filter,
                          const float* bias, const FloatClamp& clamp, float* output) {
  check_shape(s);
  size_t o = 0;
  for (int32_t b = 0; b < s.batch; ++b) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        for (int32_t oc = 0; oc < s.out_c; ++oc) {
          float acc = 0.0f;
          for_each_tap(s, b, oh, ow, oc,
                       [&](size_t xi, size_t wi) { acc += input[xi] * filter[wi]; });
          if (bias != nullptr) acc += bias[oc];
          output[o++] = clamp_f32(acc, clamp);
        }
      }
    }
  }
}

void conv2d_qs8_qc8w_reference(const Conv2DShape& s, const int8_t* input, int32_t input_zero_point,
                               const int8_t* filter, const int32_t* bias, const QuantOut& out,
                               int8_t* output) {
  check_shape(s);
  assert(out.multipliers != nullptr);
  assert(out.multiplier_count == 1 || out.multiplier_count == s.out_c);
  assert(out.qmin >= -128 && out.qmin <= out.qmax && out.qmax <= 127);
  size_t o = 0;
  for (int32_t b = 0; b < s.batch; ++b) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        for (int32_t oc = 0; oc < s.out_c; ++oc) {
          // The loader bounds K · 255 · 128 + |bias| below 2^31, so int32 never wraps.
          int32_t acc = bias != nullptr ? bias[oc] : 0;
          for_each_tap(s, b, oh, ow, oc, [&](size_t xi, size_t wi) {
            acc += (static_cast<int32_t>(input[xi]) - input_zero_point) *
                   static_cast<int32_t>(filter[wi]);
          });
          const Multiplier& m = out.for_channel(oc);
          output[o++] = static_cast<int8_t>(
              requantize_output(acc, m.multiplier, m.rshift, out.zero_point, out.qmin, out.qmax));
        }
      }
    }
  }
}

void conv2d_qs16_qc8w_reference(const Conv2DShape& s, const int16_t* input, const int8_t* filter,
                                const int64_t* bias, const QuantOut& out, int16_t* output) {
  check_shape(s);
  assert(out.multipliers != nullptr);
  assert(out.multiplier_count == 1 || out.multiplier_count == s.out_c);
  assert(out.qmin >= -32768 && out.qmin <= out.qmax && out.qmax <= 32767);
  size_t o = 0;
  for (int32_t b = 0; b < s.batch; ++b) {
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      for (int32_t ow = 0; ow < s.out_w; ++ow) {
        for (int32_t oc = 0; oc < s.out_c; ++oc) {
          // |x · w| < 2^22: int64 cannot wrap for any realistic K.
          int64_t acc = bias != nullptr ? bias[oc] : 0;
          for_each_tap(s, b, oh, ow, oc, [&](size_t xi, size_t wi) {
            acc += static_cast<int32_t>(input[xi]) * static_cast<int32_t>(filter[wi]);
          });
          const Multiplier& m = out.for_channel(oc);
          output[o++] = static_cast<int16_t>(
              clamp_i64(requantize_wide(acc, m.multiplier, m.rshift), out.qmin, out.qmax));
        }
      }
    }
  }
}

}  // namespace octet::kernels
