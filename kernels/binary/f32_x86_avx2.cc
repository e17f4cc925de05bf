// SPDX-License-Identifier: Apache-2.0
//
// AVX2 fp32 ADD/SUB/MUL/DIV row kernels (binary_f32.h), 8 floats per ymm,
// 16 per unrolled step: one IEEE vaddps/vsubps/vmulps/vdivps, then the clamp
// as min(hi, max(lo, v)), whose operand order gives the reference's
// `v < lo ? lo : (v > hi ? hi : v)` for NaN and ±0. Bit-exact to the
// references. Tails use vmaskmovps: nothing past n is read or written.
#include <immintrin.h>

#include "kernels/binary/binary_f32.h"

namespace octet::kernels {
namespace {

alignas(64) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

struct Add {
  __m256 operator()(__m256 u, __m256 v) const { return _mm256_add_ps(u, v); }
};
struct Sub {
  __m256 operator()(__m256 u, __m256 v) const { return _mm256_sub_ps(u, v); }
};
struct Mul {
  __m256 operator()(__m256 u, __m256 v) const { return _mm256_mul_ps(u, v); }
};
struct Div {
  __m256 operator()(__m256 u, __m256 v) const { return _mm256_div_ps(u, v); }
};

// kKind: 0 vector⊙vector, 1 vector⊙scalar, 2 scalar⊙vector.
template <int kKind, typename Op>
void row(size_t n, const float* a, const float* b, const FloatClamp& act, float* y) {
  const __m256 lo = _mm256_set1_ps(act.min), hi = _mm256_set1_ps(act.max);
  const __m256 sa = kKind == 2 ? _mm256_broadcast_ss(a) : _mm256_setzero_ps();
  const __m256 sb = kKind == 1 ? _mm256_broadcast_ss(b) : _mm256_setzero_ps();
  const Op op;
  auto f = [&](__m256 u, __m256 v) { return _mm256_min_ps(hi, _mm256_max_ps(lo, op(u, v))); };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 u0 = kKind == 2 ? sa : _mm256_loadu_ps(a + i);
    const __m256 u1 = kKind == 2 ? sa : _mm256_loadu_ps(a + i + 8);
    const __m256 v0 = kKind == 1 ? sb : _mm256_loadu_ps(b + i);
    const __m256 v1 = kKind == 1 ? sb : _mm256_loadu_ps(b + i + 8);
    _mm256_storeu_ps(y + i, f(u0, v0));
    _mm256_storeu_ps(y + i + 8, f(u1, v1));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 u = kKind == 2 ? sa : _mm256_loadu_ps(a + i);
    const __m256 v = kKind == 1 ? sb : _mm256_loadu_ps(b + i);
    _mm256_storeu_ps(y + i, f(u, v));
  }
  if (i < n) {
    const __m256i m =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - (n - i)));
    const __m256 u = kKind == 2 ? sa : _mm256_maskload_ps(a + i, m);
    const __m256 v = kKind == 1 ? sb : _mm256_maskload_ps(b + i, m);
    _mm256_maskstore_ps(y + i, m, f(u, v));
  }
}

template <typename Op>
constexpr BinaryF32Rows rows() {
  return {row<0, Op>, row<1, Op>, row<2, Op>};
}

}  // namespace

extern const BinaryF32Kernels binary_f32_rows_avx2 = {"binary_f32_avx2", Isa::kAvx2,  rows<Add>(),
                                                      rows<Sub>(),       rows<Mul>(), rows<Div>()};

}  // namespace octet::kernels
