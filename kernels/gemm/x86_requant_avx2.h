// SPDX-License-Identifier: Apache-2.0
//
// The exact 64-bit requantization of 8 int32 lanes with AVX2 only, shared by
// the avx2 and avxvnni GEMM files (included into each, compiled with each
// file's flags; internal linkage, so no ODR clash between ISA libraries).
// AVX2 has no 64-bit arithmetic right shift: x >> t = s ^ ((x ^ s) >>> t)
// with s = (x < 0 ? ~0 : 0), exact for every x and t in [1, 62]. No 64-bit
// min/max either: compare (vpcmpgtq) and blend.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace octet::kernels {
namespace {

inline __m256i sra_epi64_avx2(__m256i x, __m256i shift) {
  const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), x);
  return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(x, sign), shift), sign);
}

inline __m256i clamp_epi64_avx2(__m256i x, __m256i lo, __m256i hi) {
  x = _mm256_blendv_epi8(x, lo, _mm256_cmpgt_epi64(lo, x));
  return _mm256_blendv_epi8(x, hi, _mm256_cmpgt_epi64(x, hi));
}

/// clamp(requantize(acc, M, t), lo, hi) + zp for 8 channels: `mult` holds
/// their 8 multipliers (and is read one int32 further), re/ro and se/so the
/// rounding terms and shifts of the even and the odd channels.
inline __m256i requant8_avx2(__m256i acc, const int32_t* mult, const int64_t* re, const int64_t* ro,
                             const int64_t* se, const int64_t* so, __m256i lo, __m256i hi,
                             __m256i zp) {
  const __m256i m_even = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult));
  const __m256i m_odd = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mult + 1));
  __m256i pe = _mm256_mul_epi32(acc, m_even);
  __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), m_odd);
  pe = _mm256_add_epi64(pe, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(re)));
  po = _mm256_add_epi64(po, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ro)));
  pe = sra_epi64_avx2(pe, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(se)));
  po = sra_epi64_avx2(po, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(so)));
  pe = clamp_epi64_avx2(pe, lo, hi);
  po = clamp_epi64_avx2(po, lo, hi);
  const __m256i v = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  return _mm256_add_epi32(v, zp);
}

/// Stores the low `n` (≤ 8) of 8 int32 lanes already in [−128, 127].
inline void store8_avx2(int8_t* out, __m256i v, size_t n) {
  const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i b8 = _mm_packs_epi16(w16, w16);
  if (n == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), b8);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b8);
    for (size_t j = 0; j < n; ++j) out[j] = tmp[j];
  }
}

}  // namespace
}  // namespace octet::kernels
