// SPDX-License-Identifier: Apache-2.0
//
// AVX2+FMA fp32 depthwise kernel: a 16-channel block as two ymm, 4 output
// pixels at a time (8 independent FMA chains sharing each weight load), then
// single pixels. Layout (list.cc): per block bias[16], w[taps][16]. A
// partial last block loads and stores through vmaskmovps, so no read or
// write past `channels`. Built with -mavx2 -mfma; selected only when the
// host reports FMA3.
#include <immintrin.h>

#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

namespace octet::kernels {
namespace {

alignas(64) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

__m256i lane_mask(size_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - n));
}

template <int P, bool kFull>
void dw_block(size_t taps, const float* const* in, size_t c0, const float* w, float* out,
              size_t output_stride, __m256i m0, __m256i m1, __m256 vmin, __m256 vmax) {
  __m256 acc0[P], acc1[P];
  const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
#pragma GCC unroll 4
  for (int q = 0; q < P; ++q) acc0[q] = b0, acc1[q] = b1;
  for (size_t t = 0; t < taps; ++t) {
    const __m256 w0 = _mm256_loadu_ps(w + 16 * (t + 1));
    const __m256 w1 = _mm256_loadu_ps(w + 16 * (t + 1) + 8);
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      const float* x = in[q * taps + t] + c0;
      const __m256 x0 = kFull ? _mm256_loadu_ps(x) : _mm256_maskload_ps(x, m0);
      const __m256 x1 = kFull ? _mm256_loadu_ps(x + 8) : _mm256_maskload_ps(x + 8, m1);
      acc0[q] = _mm256_fmadd_ps(x0, w0, acc0[q]);
      acc1[q] = _mm256_fmadd_ps(x1, w1, acc1[q]);
    }
  }
#pragma GCC unroll 4
  for (int q = 0; q < P; ++q) {
    float* o = reinterpret_cast<float*>(reinterpret_cast<char*>(out) + q * output_stride) + c0;
    const __m256 y0 = _mm256_min_ps(_mm256_max_ps(acc0[q], vmin), vmax);
    const __m256 y1 = _mm256_min_ps(_mm256_max_ps(acc1[q], vmin), vmax);
    if (kFull) {
      _mm256_storeu_ps(o, y0);
      _mm256_storeu_ps(o + 8, y1);
    } else {
      _mm256_maskstore_ps(o, m0, y0);
      _mm256_maskstore_ps(o + 8, m1, y1);
    }
  }
}

template <int P>
void dw_pixels(size_t channels, size_t taps, const float* const* in, const float* w, float* out,
               size_t output_stride, __m256 vmin, __m256 vmax) {
  const size_t block_floats = 16 * (taps + 1);
  const __m256i all = lane_mask(8);
  size_t c0 = 0;
  for (; c0 + 16 <= channels; c0 += 16, w += block_floats) {
    dw_block<P, true>(taps, in, c0, w, out, output_stride, all, all, vmin, vmax);
  }
  if (c0 < channels) {
    const size_t n = channels - c0;
    const size_t n0 = n < 8 ? n : 8;
    dw_block<P, false>(taps, in, c0, w, out, output_stride, lane_mask(n0), lane_mask(n - n0), vmin,
                       vmax);
  }
}

}  // namespace

void dwconv2d_f32_16c4p_avx2fma(size_t channels, size_t pixels, size_t taps,
                                const float* const* input, const void* w, float* output,
                                size_t output_stride, const GemmF32Params* params) {
  const __m256 vmin = _mm256_set1_ps(params->min);
  const __m256 vmax = _mm256_set1_ps(params->max);
  const float* wf = static_cast<const float*>(w);
  size_t p = 0;
  for (; p + 4 <= pixels; p += 4) {
    dw_pixels<4>(channels, taps, input + p * taps, wf,
                 reinterpret_cast<float*>(reinterpret_cast<char*>(output) + p * output_stride),
                 output_stride, vmin, vmax);
  }
  for (; p < pixels; ++p) {
    dw_pixels<1>(channels, taps, input + p * taps, wf,
                 reinterpret_cast<float*>(reinterpret_cast<char*>(output) + p * output_stride),
                 output_stride, vmin, vmax);
  }
}

}  // namespace octet::kernels
