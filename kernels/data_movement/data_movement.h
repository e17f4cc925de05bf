// SPDX-License-Identifier: Apache-2.0
//
// CONCAT, SPLIT, SLICE, TRANSPOSE, PAD (docs/quantization.md §3, "MAX_POOL_2D,
// CONCAT, ..."): pure data movement, so the kernels move elements of
// `elem_size` bytes and serve every dtype. CONCAT alone has an int8 variant,
// for inputs whose scale differs from the output's. Semantics follow ONNX;
// dims are outermost first, at most kMaxRank of them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// y = the inputs joined along `axis`. `dims` are the output dims;
/// input i has the same dims except dims[axis] = axis_sizes[i], and
/// Σ axis_sizes = dims[axis]. Zero-sized inputs are allowed.
void concat_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_inputs,
                      const int32_t* axis_sizes, const void* const* x, size_t elem_size, void* y);

/// CONCAT of int8 inputs with their own scales: input i goes through
/// clamp(requantize(x − x_zero_points[i], multipliers[i]) + y_zero_point, qmin, qmax),
/// except that multipliers[i].multiplier == 0 marks an input with the output's
/// scale and zero point, copied verbatim (no clamp).
void concat_qs8_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_inputs,
                          const int32_t* axis_sizes, const int8_t* const* x,
                          const int32_t* x_zero_points, const Multiplier* multipliers,
                          int32_t y_zero_point, int32_t qmin, int32_t qmax, int8_t* y);

/// The inverse of concat_reference: `dims` are the input dims, output i has
/// dims[axis] = axis_sizes[i], Σ axis_sizes = dims[axis].
void split_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_outputs,
                     const int32_t* axis_sizes, const void* x, size_t elem_size, void* const* y);

/// y[o_0, …] = x[begin_0 + o_0·step_0, …] for o_d in [0, out_dims[d]).
/// begin is already normalized (0 ≤ begin_d < in_dims[d] when out_dims[d] > 0),
/// step_d ≠ 0 and may be negative (ONNX Slice with negative steps walks
/// backwards from begin); every index read must lie inside the input.
void slice_reference(int32_t rank, const int32_t* in_dims, const int32_t* begin,
                     const int32_t* step, const int32_t* out_dims, const void* x, size_t elem_size,
                     void* y);

/// ONNX Transpose: output dim i is input dim perm[i], i.e. out_dims[i] =
/// in_dims[perm[i]] and y[o_0, …, o_{r−1}] = x[i] with i[perm[k]] = o_k.
/// Rank 0 copies one element.
void transpose_reference(int32_t rank, const int32_t* in_dims, const int32_t* perm, const void* x,
                         size_t elem_size, void* y);

/// Values mirror schema PadMode.
enum class PadMode : int8_t {
  kConstant = 0,  ///< every outside element is *pad_value
  kReflect = 1,   ///< mirror without repeating the edge: ... x2 x1 | x0 x1 x2 ...
  kEdge = 2,      ///< repeat the edge element: ... x0 x0 | x0 x1 x2 ...
};

/// ONNX Pad. `pads` holds before_0, …, before_{r−1}, after_0, …, after_{r−1};
/// out_dims[d] = in_dims[d] + before_d + after_d. A negative pad crops that
/// many elements first; REFLECT and EDGE then mirror or repeat the edges of the
/// cropped input, as if the crop had been a separate SLICE. REFLECT continues
/// periodically (period 2·(n − 1)) when a pad reaches past the opposite edge, as
/// numpy.pad does; a dim of size 1 then repeats its element. REFLECT and EDGE
/// need a non-empty (cropped) input dim wherever padding is read.
/// `pad_value` (elem_size bytes) is read only in CONSTANT mode; the int8 path
/// passes IntegerParams.pad_value.
void pad_reference(int32_t rank, const int32_t* in_dims, const int32_t* pads, PadMode mode,
                   const void* pad_value, const void* x, size_t elem_size, void* y);

}  // namespace octet::kernels
