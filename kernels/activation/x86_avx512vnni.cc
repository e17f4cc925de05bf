// SPDX-License-Identifier: Apache-2.0
//
// AVX-512F fp32 activations, 16 floats per zmm, bit-exact to the references
// (activation_f32.h). Tail: one masked load/store (k-register), so nothing
// is read or written past n. Same two tricks as x86_avx2.cc: the min/max
// operand order that reproduces the reference's NaN and ±0 handling, and an
// asm barrier that keeps `a·x + b` from being contracted into an FMA (the
// reference rounds the product first). Built into the x86_avx512vnni
// library; uses AVX-512F only. SIGMOID is not exact: the same vectorized
// exp as x86_avx2.cc, error bound in activation_f32.h.
#include <immintrin.h>

#include "kernels/activation/activation.h"

namespace octet::kernels {
namespace {

inline __m512 mul_add_unfused(__m512 a, __m512 x, __m512 b) {
  __m512 t = _mm512_mul_ps(a, x);
  __asm__("" : "+v"(t));
  return _mm512_add_ps(t, b);
}

template <typename F>
inline void map(size_t n, const float* x, float* y, F f) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
    _mm512_storeu_ps(y + i, f(v0));
    _mm512_storeu_ps(y + i + 16, f(v1));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

// exp(z) for z <= 0, as exp_nonpositive in x86_avx2.cc (same constants,
// same operations, so the two paths agree bit for bit).
inline __m512 exp_nonpositive(__m512 z) {
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(z, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), z);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __mmask16 ok = _mm512_cmp_ps_mask(z, _mm512_set1_ps(-87.33654f), _CMP_GE_OQ);
  const __m512i e =
      _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(ok, p, _mm512_castsi512_ps(e));
}

}  // namespace

void sigmoid_f32_avx512f(size_t n, const float* x, float* y) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512i sign = _mm512_set1_epi32(static_cast<int32_t>(0x80000000u));
  map(n, x, y, [&](__m512 v) {
    const __m512 z = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), sign));
    const __m512 e = exp_nonpositive(z);
    const __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 s = _mm512_div_ps(_mm512_mask_blend_ps(neg, one, e), _mm512_add_ps(one, e));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), s, v);
  });
}

void clamp_f32_avx512f(size_t n, const float* x, const FloatClamp& act, float* y) {
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
  map(n, x, y, [&](__m512 v) { return _mm512_min_ps(hi, _mm512_max_ps(lo, v)); });
}

void hard_swish_f32_avx512f(size_t n, const float* x, float* y) {
  const __m512 a = _mm512_set1_ps(1.0f / 6.0f), half = _mm512_set1_ps(0.5f);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  map(n, x, y, [&](__m512 v) {
    const __m512 s = _mm512_min_ps(one, _mm512_max_ps(zero, mul_add_unfused(a, v, half)));
    return _mm512_mul_ps(v, s);
  });
}

void hard_sigmoid_f32_avx512f(size_t n, const float* x, float alpha, float beta, float* y) {
  const __m512 a = _mm512_set1_ps(alpha), b = _mm512_set1_ps(beta);
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
  map(n, x, y,
      [&](__m512 v) { return _mm512_min_ps(one, _mm512_max_ps(zero, mul_add_unfused(a, v, b))); });
}

}  // namespace octet::kernels
