// SPDX-License-Identifier: Apache-2.0
//
// fp32 depthwise convolution microkernels (CONV_2D with groups == in_c ==
// out_c): y[p][c] = clamp(bias[c] + Σ_taps x[tap(p)][c]·w[tap][c]). Any
// kernel size, stride, dilation and padding: the caller hands each output
// pixel's taps as input pointers (padding taps point at a row of zeros,
// which adds 0·w = 0 like the reference's skipped taps). Vectorized over
// channels (NHWC, channels innermost). Tolerance against
// conv2d_f32_reference as for the fp32 GEMM (kernels/gemm_f32/gemm_f32.h)
// with k = taps; a kernel's output does not depend on how pixels are split
// across calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {

/// Computes `pixels` output pixels of `channels` channels. Pixel p's taps are
/// input[p·taps + t] (each pointing at channel 0 of an input pixel or at a
/// zero row); its output goes to output + p·output_stride (bytes). Reads
/// exactly `channels` floats per tap pointer; writes channels floats per
/// pixel.
using DwconvF32UkernelFn = void (*)(size_t channels, size_t pixels, size_t taps,
                                    const float* const* input, const void* w, float* output,
                                    size_t output_stride, const GemmF32Params* params);

/// One entry of kernels/dwconv2d_f32/kernels.inc.
struct DwconvF32Kernel {
  const char* name;
  Isa isa;
  DwconvF32UkernelFn fn;
};

/// Every fp32 depthwise kernel compiled in, best first within each ISA.
const DwconvF32Kernel* dwconv_f32_kernels(int32_t* count);
const DwconvF32Kernel* find_dwconv_f32_kernel(const char* name);
/// True when the host can run `k` (AVX2 kernels also need FMA3).
bool dwconv_f32_kernel_available(const DwconvF32Kernel& k);
/// The kernel for `isa` or the best lower path that has one; never null.
const DwconvF32Kernel* select_dwconv_f32_kernel(Isa isa);

/// Bytes of the packed weights: per 16-channel block 64·(taps + 1)
/// (bias[16], then w[taps][16]; padding channels zero).
size_t dwconv_f32_packed_bytes(int32_t channels, int32_t taps);

/// Packs depthwise weights given as [channels][taps] (the OHWI
/// [C][kh][kw][1] filter) and the bias (nullable).
void dwconv_f32_pack(int32_t channels, int32_t taps, const float* w, const float* bias,
                     void* packed);

/// Tap pointers of output pixels (b, oy, ox0 .. ox0 + count − 1), in
/// (kh, kw) order, count × kh·kw of them: the input pixel, or `zero_row`
/// (at least in_c zeros) where the tap falls in the padding.
void dwconv_f32_taps(const Conv2DShape& s, const float* input, const float* zero_row, int32_t b,
                     int32_t oy, int32_t ox0, int32_t count, const float** taps);

}  // namespace octet::kernels
