// SPDX-License-Identifier: Apache-2.0
//
// CONV_TRANSPOSE_2D (ONNX ConvTranspose semantics, docs/quantization.md §3),
// NHWC activations. Filter [out_c][kernel_h][kernel_w][in_c / groups], the
// same OHWI layout as CONV_2D (the converter transposes ONNX's
// [in_c][out_c / groups][kh][kw]). Input (ih, iw) scatters into output row
// oh = ih · stride_h − pad_top + kh · dilation_h (likewise for columns);
// contributions landing outside [0, out_h) × [0, out_w) are dropped. out_h and
// out_w already include output_padding, and rows past the last contribution
// receive only the bias. The reference gathers per output element, so it needs
// no scratch accumulator and sums each output in a fixed (kh, kw, ic) order.
#pragma once

#include <cstdint>

#include "kernels/common/types.h"
#include "kernels/conv2d/conv2d.h"

namespace octet::kernels {

/// fp32 transposed convolution; s.in_* is the (smaller) input, s.out_* the
/// output. Sums in float in (kh, kw, ic) order, adds the bias (nullable),
/// then clamps.
void conv_transpose2d_f32_reference(const Conv2DShape& s, const float* input, const float* filter,
                                    const float* bias, const FloatClamp& clamp, float* output);

/// int8 transposed convolution, per-channel or per-tensor weights:
/// acc = bias[c] + Σ (x − input_zero_point) · w over the contributing taps;
/// y = requantize_output(acc, M[c], t[c], zy, qmin, qmax). bias may be null.
void conv_transpose2d_qs8_qc8w_reference(const Conv2DShape& s, const int8_t* input,
                                         int32_t input_zero_point, const int8_t* filter,
                                         const int32_t* bias, const QuantOut& out, int8_t* output);

}  // namespace octet::kernels
