// SPDX-License-Identifier: Apache-2.0
//
// Depthwise convolution microkernels (CONV_2D with groups == in_c == out_c):
// y[p][c] = requantize(bias[c] + Σ_taps (x[tap(p)][c] − zx)·w[tap][c]), with
// per-channel multipliers, zero point and clamp fused. Bit-exact to
// conv2d_qs8_qc8w_reference (docs/quantization.md §3). Any kernel size,
// stride, dilation and padding: the caller hands each output pixel's taps as
// input pointers (padding taps point at a row of zx, which contributes
// (zx − zx)·w = 0 like the reference's skipped taps). Layout: docs/kernels.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/gemm/gemm.h"

namespace octet::kernels {

/// Computes `pixels` output pixels of `channels` channels. Pixel p's taps are
/// input[p·taps + t] (each pointing at channel 0 of an input pixel, or at a
/// row of input zero points); its output goes to output + p·output_stride.
/// Reads exactly `channels` bytes per tap pointer; writes channels bytes per
/// pixel.
using DwconvUkernelFn = void (*)(size_t channels, size_t pixels, size_t taps,
                                 const int8_t* const* input, const void* w, int8_t* output,
                                 size_t output_stride, const GemmParams* params);

/// One entry of kernels/dwconv2d/kernels.inc.
struct DwconvKernel {
  const char* name;
  Isa isa;
  int32_t channel_tile;
  DwconvUkernelFn fn;
};

/// Every depthwise kernel compiled in, best first within each ISA.
const DwconvKernel* dwconv_kernels(int32_t* count);
const DwconvKernel* find_dwconv_kernel(const char* name);
/// The kernel for `isa` or the best lower path that has one; never null.
const DwconvKernel* select_dwconv_kernel(Isa isa);

/// Bytes of the packed weights: per 16-channel block
/// 64·(taps + 6) (bias, int32 weights per tap, multiplier, rounding, shift).
size_t dwconv_packed_bytes(int32_t channels, int32_t taps);

/// Packs depthwise weights given as [channels][taps] (the OHWI
/// [C][kh][kw][1] filter of a depthwise CONV_2D), bias (nullable),
/// multipliers (count 1 or channels) and the input zero point (folded into
/// the bias).
void dwconv_pack_qs8_qc8w(int32_t channels, int32_t taps, const int8_t* w, const int32_t* bias,
                          const Multiplier* multipliers, int32_t multiplier_count,
                          int32_t input_zero_point, void* packed);

/// Tap pointers of output pixels (b, oy, ox0 .. ox0 + count − 1) of a
/// depthwise convolution, in (kh, kw) order, count × kh·kw of them: the input
/// pixel, or `zero_row` (at least in_c bytes of the input zero point) where
/// the tap falls in the padding.
void dwconv_taps(const Conv2DShape& s, const int8_t* input, const int8_t* zero_row, int32_t b,
                 int32_t oy, int32_t ox0, int32_t count, const int8_t** taps);

}  // namespace octet::kernels
