// SPDX-License-Identifier: Apache-2.0
//
// MAX_POOL_2D and AVERAGE_POOL_2D over NHWC tensors (docs/quantization.md §3,
// "MAX_POOL_2D, ..." and "AVERAGE_POOL_2D, MEAN"). ONNX MaxPool/AveragePool
// semantics: dilated windows, explicit padding, and output sizes chosen by the
// caller, so a ceil_mode window may hang past the bottom/right padding.
#pragma once

#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"

namespace octet::kernels {

/// Geometry of a 2-D pooling. Window (oh, ow) covers input rows
/// oh·stride_h − pad_top + kh·dilation_h for kh in [0, kernel_h), and likewise
/// for columns. Positions outside the input never contribute a value.
struct Pool2DShape {
  int32_t batch, in_h, in_w, channels;
  int32_t out_h, out_w;
  int32_t kernel_h, kernel_w;
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;
  /// AVERAGE_POOL_2D: divide by the number of window positions inside the
  /// padded input instead of inside the input.
  bool count_include_pad;
  /// Read only with count_include_pad: the padded input spans rows
  /// [−pad_top, in_h + pad_bottom) and columns [−pad_left, in_w + pad_right).
  /// A ceil_mode window hanging past that span counts only the positions inside
  /// it, as ONNX and PyTorch do. Negative (the default) means the span is
  /// unbounded, i.e. every window counts kernel_h · kernel_w positions, which is
  /// the same thing whenever no window hangs past the explicit padding.
  int32_t pad_bottom = -1;
  int32_t pad_right = -1;
};

/// y = clamp(max over the window's positions inside the input). A window with
/// no such position yields −infinity before the clamp.
void max_pool2d_f32_reference(const Pool2DShape& shape, const float* x, const FloatClamp& clamp,
                              float* y);

/// y = clamp(max over the window's positions inside the input, qmin, qmax).
/// Input and output share scale and zero point (the loader checks), so no
/// requantization. A window with no position inside the input yields qmin.
void max_pool2d_qs8_reference(const Pool2DShape& shape, const int8_t* x, int32_t qmin, int32_t qmax,
                              int8_t* y);

/// y = clamp(Σ x / n), n the window count (see Pool2DShape::count_include_pad);
/// padding contributes 0. A window with n = 0 yields clamp(0).
void average_pool2d_f32_reference(const Pool2DShape& shape, const float* x, const FloatClamp& clamp,
                                  float* y);

/// acc = Σ (x − x_zero_point) over the window's positions inside the input,
/// y = clamp(requantize(acc, divide_multiplier(m, n)) + y_zero_point, qmin, qmax)
/// with n as for f32 and m ≈ s_x / s_y. A window with n = 0 yields
/// clamp(y_zero_point), i.e. real 0.
void average_pool2d_qs8_reference(const Pool2DShape& shape, const int8_t* x, int32_t x_zero_point,
                                  const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                  int32_t qmax, int8_t* y);

/// Signature of every int8 MAX_POOL_2D variant (reference and SIMD).
using MaxPool2DQs8Fn = void (*)(const Pool2DShape&, const int8_t*, int32_t, int32_t, int8_t*);

/// One entry of the int8 max-pool list (kernels/pool2d/kernels.inc).
struct MaxPool2DQs8Kernel {
  const char* name;
  Isa isa;
  MaxPool2DQs8Fn fn;
};

/// Every int8 max-pool kernel compiled in, best ISA first; the reference last.
const MaxPool2DQs8Kernel* max_pool2d_qs8_kernels(int32_t* count);

/// The best max-pool kernel on the fallback chain of `isa`; never null.
const MaxPool2DQs8Kernel* select_max_pool2d_qs8_kernel(Isa isa);

/// SIMD variants of max_pool2d_qs8_reference, bit-exact: per output pixel the
/// in-bounds taps are found once, then vpmaxsb over them, channels innermost.
void max_pool2d_qs8_avx2(const Pool2DShape& shape, const int8_t* x, int32_t qmin, int32_t qmax,
                         int8_t* y);
void max_pool2d_qs8_avx512vnni(const Pool2DShape& shape, const int8_t* x, int32_t qmin,
                               int32_t qmax, int8_t* y);

/// Signature of every int8 AVERAGE_POOL_2D variant (reference and SIMD).
using AvgPool2DQs8Fn = void (*)(const Pool2DShape&, const int8_t*, int32_t, const Multiplier&,
                                int32_t, int32_t, int32_t, int8_t*);

/// One entry of the int8 average-pool list (kernels/pool2d/kernels.inc).
struct AvgPool2DQs8Kernel {
  const char* name;
  Isa isa;
  AvgPool2DQs8Fn fn;
};

/// Every int8 average-pool kernel compiled in, best ISA first; the reference last.
const AvgPool2DQs8Kernel* avg_pool2d_qs8_kernels(int32_t* count);

/// The best average-pool kernel on the fallback chain of `isa`; never null.
const AvgPool2DQs8Kernel* select_avg_pool2d_qs8_kernel(Isa isa);

/// SIMD variants of average_pool2d_qs8_reference, bit-exact: int32 window sums
/// per channel lane, the per-pixel divide_multiplier, and the requantization
/// in full 64 bits with the clamp applied before narrowing.
void average_pool2d_qs8_avx2(const Pool2DShape& shape, const int8_t* x, int32_t x_zero_point,
                             const Multiplier& m, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                             int8_t* y);
void average_pool2d_qs8_avx512vnni(const Pool2DShape& shape, const int8_t* x, int32_t x_zero_point,
                                   const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                   int32_t qmax, int8_t* y);

}  // namespace octet::kernels
