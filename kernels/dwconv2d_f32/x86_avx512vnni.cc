// SPDX-License-Identifier: Apache-2.0
//
// AVX-512F fp32 depthwise kernel: 16 channels per zmm, 4 output pixels at a
// time (4 independent FMA chains hide the FMA latency and share each
// weight load), then single pixels. Layout (list.cc): per 16-channel block
// bias[16], w[taps][16]. Inputs are read through a channel mask (a partial
// last block never reads past `channels`), outputs stored through it.
// Lives in the avx512vnni library but uses only AVX-512F.
#include <immintrin.h>

#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

namespace octet::kernels {
namespace {

template <int P>
void dw_pixels(size_t channels, size_t taps, const float* const* in, const float* w, float* out,
               size_t output_stride, __m512 vmin, __m512 vmax) {
  const size_t block_floats = 16 * (taps + 1);
  for (size_t c0 = 0; c0 < channels; c0 += 16, w += block_floats) {
    const size_t n = channels - c0 < 16 ? channels - c0 : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
    const __m512 bias = _mm512_loadu_ps(w);
    __m512 acc[P];
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) acc[q] = bias;
    for (size_t t = 0; t < taps; ++t) {
      const __m512 wv = _mm512_loadu_ps(w + 16 * (t + 1));
#pragma GCC unroll 4
      for (int q = 0; q < P; ++q) {
        const __m512 x = _mm512_maskz_loadu_ps(mask, in[q * taps + t] + c0);
        acc[q] = _mm512_fmadd_ps(x, wv, acc[q]);
      }
    }
#pragma GCC unroll 4
    for (int q = 0; q < P; ++q) {
      float* o = reinterpret_cast<float*>(reinterpret_cast<char*>(out) + q * output_stride);
      _mm512_mask_storeu_ps(o + c0, mask, _mm512_min_ps(_mm512_max_ps(acc[q], vmin), vmax));
    }
  }
}

}  // namespace

void dwconv2d_f32_16c4p_avx512f(size_t channels, size_t pixels, size_t taps,
                                const float* const* input, const void* w, float* output,
                                size_t output_stride, const GemmF32Params* params) {
  const __m512 vmin = _mm512_set1_ps(params->min);
  const __m512 vmax = _mm512_set1_ps(params->max);
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
