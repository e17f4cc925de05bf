// SPDX-License-Identifier: Apache-2.0
//
// AVX2 fp32 activations, 8 floats per ymm, bit-exact to the references
// (activation_f32.h). Tail: vmaskmovps, so nothing is read or written past n.
// Two tricks keep them exact: (1) `max_ps(lo, v)` / `min_ps(hi, v)` return
// the second operand when either is NaN or both are zero, which is exactly
// the reference's `v < lo ? lo : (v > hi ? hi : v)`; (2) the library is built
// with -mfma and GCC would contract `a·x + b` into one rounding, which the
// reference (two roundings) does not do, so an empty asm barrier sits
// between the multiply and the add. SIGMOID is not exact: it uses the
// vectorized exp below (FMA; the set is chosen only when the host has FMA3),
// error bound in activation_f32.h.
#include <immintrin.h>

#include "kernels/activation/activation.h"

namespace octet::kernels {
namespace {

alignas(64) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

inline __m256i lane_mask(size_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - n));
}

// a·x + b with the product rounded first, as the reference.
inline __m256 mul_add_unfused(__m256 a, __m256 x, __m256 b) {
  __m256 t = _mm256_mul_ps(a, x);
  __asm__("" : "+x"(t));
  return _mm256_add_ps(t, b);
}

// Applies f to every element: full vectors, then one masked vector.
template <typename F>
inline void map(size_t n, const float* x, float* y, F f) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
    _mm256_storeu_ps(y + i, f(v0));
    _mm256_storeu_ps(y + i + 8, f(v1));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));
  }
}

// exp(z) for z <= 0: z = n·ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2,
// the high part exact for |n| <= 2^9), e^r by its degree-7 Taylor
// polynomial (truncation < 6e-9 relative), 2^n built in the exponent field.
// Below -87.33654 = ln 2^-126 the result would be subnormal and is flushed
// to 0.
inline __m256 exp_nonpositive(__m256 z) {
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), z);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256 underflow = _mm256_cmp_ps(z, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  // n in [-126, 0] where it is used: a valid normal exponent.
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

}  // namespace

void sigmoid_f32_avx2(size_t n, const float* x, float* y) {
  const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
  map(n, x, y, [&](__m256 v) {
    // As the reference: e = exp(-|x|), then 1/(1+e) for x >= 0, e/(1+e)
    // below; a NaN input comes out as itself.
    const __m256 e = exp_nonpositive(_mm256_or_ps(v, sign));
    const __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 s = _mm256_div_ps(_mm256_blendv_ps(one, e, neg), _mm256_add_ps(one, e));
    return _mm256_blendv_ps(s, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  });
}

void clamp_f32_avx2(size_t n, const float* x, const FloatClamp& act, float* y) {
  const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max);
  map(n, x, y, [&](__m256 v) { return _mm256_min_ps(hi, _mm256_max_ps(lo, v)); });
}

void hard_swish_f32_avx2(size_t n, const float* x, float* y) {
  const __m256 a = _mm256_set1_ps(1.0f / 6.0f), half = _mm256_set1_ps(0.5f);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  map(n, x, y, [&](__m256 v) {
    const __m256 s = _mm256_min_ps(one, _mm256_max_ps(zero, mul_add_unfused(a, v, half)));
    return _mm256_mul_ps(v, s);
  });
}

void hard_sigmoid_f32_avx2(size_t n, const float* x, float alpha, float beta, float* y) {
  const __m256 a = _mm256_set1_ps(alpha), b = _mm256_set1_ps(beta);
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  map(n, x, y,
      [&](__m256 v) { return _mm256_min_ps(one, _mm256_max_ps(zero, mul_add_unfused(a, v, b))); });
}

}  // namespace octet::kernels
