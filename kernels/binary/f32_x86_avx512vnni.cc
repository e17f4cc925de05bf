// SPDX-License-Identifier: Apache-2.0
//
// AVX-512F fp32 ADD/SUB/MUL/DIV row kernels (binary_f32.h), 16 floats per
// zmm, 32 per unrolled step: one IEEE operation, then min(hi, max(lo, v))
// (the reference's NaN and ±0 behaviour). Bit-exact to the references.
// Tails use k-masked loads and stores: nothing past n is read or written.
// Built into the x86_avx512vnni library; AVX-512F only.
#include <immintrin.h>

#include "kernels/binary/binary_f32.h"

namespace octet::kernels {
namespace {

struct Add {
  __m512 operator()(__m512 u, __m512 v) const { return _mm512_add_ps(u, v); }
};
struct Sub {
  __m512 operator()(__m512 u, __m512 v) const { return _mm512_sub_ps(u, v); }
};
struct Mul {
  __m512 operator()(__m512 u, __m512 v) const { return _mm512_mul_ps(u, v); }
};
struct Div {
  __m512 operator()(__m512 u, __m512 v) const { return _mm512_div_ps(u, v); }
};

template <int kKind, typename Op>
void row(size_t n, const float* a, const float* b, const FloatClamp& act, float* y) {
  const __m512 lo = _mm512_set1_ps(act.min), hi = _mm512_set1_ps(act.max);
  const __m512 sa = kKind == 2 ? _mm512_set1_ps(a[0]) : _mm512_setzero_ps();
  const __m512 sb = kKind == 1 ? _mm512_set1_ps(b[0]) : _mm512_setzero_ps();
  const Op op;
  auto f = [&](__m512 u, __m512 v) { return _mm512_min_ps(hi, _mm512_max_ps(lo, op(u, v))); };
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 u0 = kKind == 2 ? sa : _mm512_loadu_ps(a + i);
    const __m512 u1 = kKind == 2 ? sa : _mm512_loadu_ps(a + i + 16);
    const __m512 v0 = kKind == 1 ? sb : _mm512_loadu_ps(b + i);
    const __m512 v1 = kKind == 1 ? sb : _mm512_loadu_ps(b + i + 16);
    _mm512_storeu_ps(y + i, f(u0, v0));
    _mm512_storeu_ps(y + i + 16, f(u1, v1));
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 u = kKind == 2 ? sa : _mm512_loadu_ps(a + i);
    const __m512 v = kKind == 1 ? sb : _mm512_loadu_ps(b + i);
    _mm512_storeu_ps(y + i, f(u, v));
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512 u = kKind == 2 ? sa : _mm512_maskz_loadu_ps(m, a + i);
    const __m512 v = kKind == 1 ? sb : _mm512_maskz_loadu_ps(m, b + i);
    _mm512_mask_storeu_ps(y + i, m, f(u, v));
  }
}

template <typename Op>
constexpr BinaryF32Rows rows() {
  return {row<0, Op>, row<1, Op>, row<2, Op>};
}

}  // namespace

extern const BinaryF32Kernels binary_f32_rows_avx512f = {
    "binary_f32_avx512f", Isa::kAvx512Vnni, rows<Add>(), rows<Sub>(), rows<Mul>(), rows<Div>()};

}  // namespace octet::kernels
