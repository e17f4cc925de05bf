// SPDX-License-Identifier: Apache-2.0
//
// MEAN (ONNX ReduceMean) over any set of axes of a tensor of rank ≤ kMaxRank
// (docs/quantization.md §3, "AVERAGE_POOL_2D, MEAN"). Global average pooling
// of an NHWC tensor is the mean over axes {1, 2}.
#pragma once

#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Shape of a mean: the input dims and the reduced axes. The output holds the
/// kept dims in input order; whether reduced dims stay as 1s (keep_dims) does
/// not change the memory layout, so the kernel ignores it.
struct MeanShape {
  int32_t rank;         ///< 0..kMaxRank
  const int32_t* dims;  ///< rank input dims
  int32_t num_axes;     ///< 0..rank; 0 reduces nothing (n = 1, a copy)
  const int32_t* axes;  ///< distinct, in [−rank, rank) (negative counts from the end)
};

/// y = clamp(Σ x / n) over the reduced axes, n = product of the reduced dims.
/// ONNX's "empty axes means all axes" is the converter's business: pass them.
void mean_f32_reference(const MeanShape& shape, const float* x, const FloatClamp& clamp, float* y);

/// acc = Σ (x − x_zero_point) over the reduced axes,
/// y = clamp(requantize(acc, divide_multiplier(m, n)) + y_zero_point, qmin, qmax),
/// m ≈ s_x / s_y. n · 255 must fit in int32 (n < 2^23 checked).
void mean_qs8_reference(const MeanShape& shape, const int8_t* x, int32_t x_zero_point,
                        const Multiplier& m, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                        int8_t* y);

}  // namespace octet::kernels
