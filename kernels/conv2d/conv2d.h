// SPDX-License-Identifier: Apache-2.0
//
// CONV_2D (docs/quantization.md §3): NHWC activations, OHWI filter
// [out_c][kernel_h][kernel_w][in_c / groups]. Grouped convolution splits the
// channels into `groups` contiguous blocks; depthwise is groups == in_c with
// out_c = in_c · multiplier, so output channel c reads input channel
// c / multiplier (TFLite's order) and the filter is [out_c][kh][kw][1].
// The reference kernels define the semantics; every other variant is
// bit-exact to conv2d_qs8_qc8w_reference.
#pragma once

#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Geometry of a 2-D convolution (also used by CONV_TRANSPOSE_2D). Output
/// position (oh, ow) reads input row oh · stride_h − pad_top + kh · dilation_h
/// (and likewise for columns); rows and columns outside the input are padding.
/// Bottom/right padding is whatever out_h/out_w imply, so the caller's shape
/// inference is the single place where it is decided.
struct Conv2DShape {
  int32_t batch, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  int32_t groups;  ///< in_c and out_c are multiples of it
};

/// fp32 convolution: output = clamp(Σ input · filter + bias). Sums in float in
/// (kh, kw, ic) order, then adds the bias, then clamps. bias may be null.
void conv2d_f32_reference(const Conv2DShape& s, const float* input, const float* filter,
                          const float* bias, const FloatClamp& clamp, float* output);

/// int8 convolution with per-channel (out.multiplier_count == out_c) or
/// per-tensor (== 1) symmetric int8 weights:
/// acc = bias[c] + Σ (x − input_zero_point) · w, exact in int32;
/// y = requantize_output(acc, M[c], t[c], zy, qmin, qmax). bias may be null
/// (absent = 0). Padding stands for x = input_zero_point and adds nothing.
void conv2d_qs8_qc8w_reference(const Conv2DShape& s, const int8_t* input, int32_t input_zero_point,
                               const int8_t* filter, const int32_t* bias, const QuantOut& out,
                               int8_t* output);

/// int16 × int8 convolution (docs/quantization.md §6): symmetric int16
/// activations (zero point 0), symmetric int8 weights per channel (or per
/// tensor), int64 bias (nullable): acc = bias[c] + Σ x · w exact in int64;
/// y = clamp(requantize_wide(acc, M[c], t[c]), qmin, qmax). Any groups
/// (depthwise included). Padding stands for x = 0.
void conv2d_qs16_qc8w_reference(const Conv2DShape& s, const int16_t* input, const int8_t* filter,
                                const int64_t* bias, const QuantOut& out, int16_t* output);

}  // namespace octet::kernels
