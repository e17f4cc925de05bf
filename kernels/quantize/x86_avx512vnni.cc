// SPDX-License-Identifier: Apache-2.0
//
// AVX-512F int8 QUANTIZE (16 floats per zmm: vdivps, vrndscaleps
// nearest-even, NaN → 0, clamp in float, vcvttps2dq, vpmovsdb — a
// saturating narrow that is exact here because the value is already within
// [qmin, qmax]) and DEQUANTIZE (vpmovsxbd, vpsubd, vcvtdq2ps, vmulps).
// Bit-exact to the references (quantize_x86.h). Tails use k-masked loads and
// stores: nothing past n is read or written. AVX-512F, plus BW+VL for the
// byte-masked tail load (the avx512vnni path requires both).
#include <immintrin.h>

#include "kernels/quantize/quantize.h"

namespace octet::kernels {

void quantize_f32_qs8_avx512f(size_t n, const float* x, int8_t* y, const QuantizeParams& p) {
  const __m512 scale = _mm512_set1_ps(p.scale);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  const __m512i zp = _mm512_set1_epi32(p.zero_point);
  auto q16 = [&](__m512 xv) {
    const __m512 v = _mm512_div_ps(xv, scale);
    __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_mov_ps(r, nan, _mm512_setzero_ps());  // NaN -> 0
    r = _mm512_min_ps(hi, _mm512_max_ps(lo, r));
    return _mm512_add_epi32(_mm512_cvttps_epi32(r), zp);
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm512_cvtsepi32_epi8(q16(_mm512_loadu_ps(x + i))));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_cvtsepi32_storeu_epi8(y + i, m, q16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void dequantize_qs8_f32_avx512f(size_t n, const int8_t* x, float* y, const DequantizeParams& p) {
  const __m512 scale = _mm512_set1_ps(p.scale);
  const __m512i zp = _mm512_set1_epi32(p.zero_point);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
    const __m512i d = _mm512_sub_epi32(_mm512_cvtepi8_epi32(b), zp);
    _mm512_storeu_ps(y + i, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(d)));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m128i b = _mm_maskz_loadu_epi8(m, x + i);
    const __m512i d = _mm512_sub_epi32(_mm512_cvtepi8_epi32(b), zp);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(scale, _mm512_cvtepi32_ps(d)));
  }
}

}  // namespace octet::kernels
