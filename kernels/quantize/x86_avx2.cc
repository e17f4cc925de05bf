// SPDX-License-Identifier: Apache-2.0
//
// AVX2 int8 QUANTIZE (32 floats → 32 int8 per step: vdivps, vroundps
// nearest-even, NaN → 0, clamp in float, vcvttps2dq of an integral value,
// two saturating packs whose lane interleave one vpermd undoes) and
// DEQUANTIZE (8 per step: vpmovsxbd, vpsubd, vcvtdq2ps, one vmulps). Bit-exact
// to the references (quantize_x86.h). The tail goes through a 32-element
// stack block, so nothing past n is read or written.
#include <immintrin.h>

#include <cstring>

#include "kernels/quantize/quantize.h"

namespace octet::kernels {
namespace {

struct QuantConsts {
  __m256 scale, lo, hi;
  __m256i zp, perm;
};

inline __m256i quantize8(const float* x, const QuantConsts& k) {
  const __m256 v = _mm256_div_ps(_mm256_loadu_ps(x), k.scale);
  __m256 r = _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  r = _mm256_andnot_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), r);  // NaN -> 0
  r = _mm256_min_ps(k.hi, _mm256_max_ps(k.lo, r));
  return _mm256_add_epi32(_mm256_cvttps_epi32(r), k.zp);
}

// 32 floats -> 32 int8 (values already within int8 range, packs are exact).
inline void quantize32(const float* x, int8_t* y, const QuantConsts& k) {
  const __m256i a = quantize8(x, k), b = quantize8(x + 8, k);
  const __m256i c = quantize8(x + 16, k), d = quantize8(x + 24, k);
  // packs work per 128-bit lane: bytes come out as a0-3 b0-3 c0-3 d0-3 |
  // a4-7 b4-7 c4-7 d4-7 (groups of 4); vpermd restores a, b, c, d order.
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
  const __m256i abcd = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), k.perm);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(y), abcd);
}

}  // namespace

void quantize_f32_qs8_avx2(size_t n, const float* x, int8_t* y, const QuantizeParams& p) {
  QuantConsts k;
  k.scale = _mm256_set1_ps(p.scale);
  k.lo = _mm256_set1_ps(static_cast<float>(p.qmin - p.zero_point));
  k.hi = _mm256_set1_ps(static_cast<float>(p.qmax - p.zero_point));
  k.zp = _mm256_set1_epi32(p.zero_point);
  k.perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) quantize32(x + i, y + i, k);
  if (i < n) {
    alignas(32) float xb[32] = {};
    alignas(32) int8_t yb[32];
    memcpy(xb, x + i, (n - i) * sizeof(float));
    quantize32(xb, yb, k);
    memcpy(y + i, yb, n - i);
  }
}

void dequantize_qs8_f32_avx2(size_t n, const int8_t* x, float* y, const DequantizeParams& p) {
  const __m256 scale = _mm256_set1_ps(p.scale);
  const __m256i zp = _mm256_set1_epi32(p.zero_point);
  auto step = [&](const int8_t* in, float* out) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
    const __m256i d = _mm256_sub_epi32(_mm256_cvtepi8_epi32(b), zp);
    _mm256_storeu_ps(out, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(d)));
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) step(x + i, y + i);
  if (i < n) {
    int8_t xb[8] = {};
    float yb[8];
    memcpy(xb, x + i, n - i);
    step(xb, yb);
    memcpy(y + i, yb, (n - i) * sizeof(float));
  }
}

}  // namespace octet::kernels
