// SPDX-License-Identifier: Apache-2.0
//
// RESIZE of the H and W axes of an NHWC tensor, nearest or bilinear
// (docs/quantization.md §3, "RESIZE"; ONNX Resize, opset 11+). Coordinate
// mapping runs once at prepare, in floating point, into a ResizeAxisTable per
// axis; the kernels only read the tables, so the int8 path stays integer-only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// Values mirror schema ResizeMode.
enum class ResizeMode : int8_t {
  kNearest = 0,
  kBilinear = 1,
};

/// Values mirror schema CoordinateTransform. With scale s and resized length L
/// (see resize_axis_table_init), output coordinate x maps to input coordinate:
enum class CoordinateTransform : int8_t {
  kHalfPixel = 0,         ///< (x + 0.5) / s − 0.5
  kAlignCorners = 1,      ///< x · (in_size − 1) / (L − 1), 0 when L = 1
  kAsymmetric = 2,        ///< x / s
  kPytorchHalfPixel = 3,  ///< (x + 0.5) / s − 0.5, 0 when L = 1
};

/// Values mirror schema NearestRounding: how NEAREST turns a fractional input
/// coordinate into an index (before clamping it to [0, in_size)).
enum class NearestRounding : int8_t {
  kRoundPreferFloor = 0,  ///< nearest, ties down
  kRoundPreferCeil = 1,   ///< nearest, ties up
  kFloor = 2,
  kCeil = 3,
};

/// Source indices and weights of every output coordinate along one axis.
/// Output coordinate i blends input indices index0[i] and index1[i] (both in
/// [0, in_size)) with weight λ on index1: (1 − λ) · x[index0] + λ · x[index1].
/// NEAREST tables have index1 = index0 and λ = 0. lambda_q10 = round(λ · 1024)
/// in [0, 1024] is what the int8 kernel uses.
struct ResizeAxisTable {
  int32_t* index0;
  int32_t* index1;
  float* lambda_f32;
  int16_t* lambda_q10;
};

/// Bytes of storage resize_axis_table_init needs for out_size coordinates.
size_t resize_axis_table_bytes(int32_t out_size);

/// Prepare-time: lays out a table for one axis in `storage` (at least
/// resize_axis_table_bytes(out_size) bytes, aligned to 4) and fills it.
/// `scale` is the model's output/input factor for the axis, or 0 for "sizes
/// given": s = out_size / in_size and L = out_size. With a given scale,
/// L = scale · in_size even when that is not out_size, as in the ONNX reference
/// implementation (its test resize_downsample_scales_linear_align_corners
/// depends on it). Coordinates are computed in double, like that reference.
/// NEAREST rounds the coordinate per `rounding`, then clamps it to
/// [0, in_size − 1]; BILINEAR clamps the coordinate to [0, in_size − 1] and
/// splits it into floor and fraction λ. Both clamps are what ONNX's edge
/// padding amounts to. lambda_q10 is rounded from the double λ.
ResizeAxisTable resize_axis_table_init(int32_t in_size, int32_t out_size, float scale,
                                       ResizeMode mode, CoordinateTransform transform,
                                       NearestRounding rounding, void* storage);

/// NHWC geometry of a resize; batch and channels pass through.
struct ResizeShape {
  int32_t batch, in_h, in_w, channels;
  int32_t out_h, out_w;
};

/// y[n, oy, ox, c] = x[n, h.index0[oy], w.index0[ox], c] for any element type.
void resize_nearest_reference(const ResizeShape& shape, const ResizeAxisTable& h,
                              const ResizeAxisTable& w, const void* x, size_t elem_size, void* y);

/// Interpolates along W, then along H (the ONNX reference's order), with the
/// tables' lambda_f32, then clamps.
void resize_bilinear_f32_reference(const ResizeShape& shape, const ResizeAxisTable& h,
                                   const ResizeAxisTable& w, const float* x,
                                   const FloatClamp& clamp, float* y);

/// acc = Σ_corners wy · wx · (x − x_zero_point), wy ∈ {1024 − ly, ly},
/// wx ∈ {1024 − lx, lx} (the tables' lambda_q10);
/// y = clamp(requantize(acc, m.multiplier, m.rshift + 20) + y_zero_point, qmin, qmax),
/// m ≈ s_x / s_y with m.rshift ≤ 42.
void resize_bilinear_qs8_reference(const ResizeShape& shape, const ResizeAxisTable& h,
                                   const ResizeAxisTable& w, const int8_t* x, int32_t x_zero_point,
                                   const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                   int32_t qmax, int8_t* y);

}  // namespace octet::kernels
