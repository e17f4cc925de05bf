// SPDX-License-Identifier: Apache-2.0
//
// AVX-512F fp32 GEMM kernels, MR×(16·NC): MR rows × NC zmm columns of
// accumulators started at the bias, one vfmadd231ps with an embedded
// broadcast of A[i][k] per (row, column) per k. Layout (list.cc): per block
// of 16·NC columns, bias then W[k][16·NC], so one k step is NC aligned zmm
// loads. 8×32 keeps 16 accumulators: two FMA pipes × 4 cycles latency need
// at least 8 independent chains, and 10 loads per 16 FMAs fit two load
// ports. A partial last block stores through a mask; A is read exactly
// (kc floats per row). Lives in the avx512vnni library (the path that
// implies AVX-512F here) but uses only AVX-512F.
#include <immintrin.h>

#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {
namespace {

template <int MR, int NC>
void gemm_f32_avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                      const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  static_assert(MR >= 1 && MR <= 8 && NC >= 1 && NC <= 2, "tile");
  constexpr size_t kNr = 16 * NC;
  const char* ab = reinterpret_cast<const char*>(a);
  char* cb = reinterpret_cast<char*>(c);
  // Rows past mr alias the last row (computed, never stored).
#define OCTET_ROW_PTR(i)                                                                \
  const float* a##i = reinterpret_cast<const float*>(                                   \
      ab + (static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1) * a_stride); \
  float* c##i = reinterpret_cast<float*>(                                               \
      cb + (static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1) * c_stride);
  OCTET_ROW_PTR(0)
  OCTET_ROW_PTR(1)
  OCTET_ROW_PTR(2)
  OCTET_ROW_PTR(3)
  OCTET_ROW_PTR(4)
  OCTET_ROW_PTR(5)
  OCTET_ROW_PTR(6)
  OCTET_ROW_PTR(7)
#undef OCTET_ROW_PTR
  const __m512 vmin = _mm512_set1_ps(params->min);
  const __m512 vmax = _mm512_set1_ps(params->max);
  const float* block = static_cast<const float*>(w);
  while (nc > 0) {
    const __m512 b0 = _mm512_loadu_ps(block);
    const __m512 b1 = NC > 1 ? _mm512_loadu_ps(block + 16) : b0;
#define OCTET_ROW_INIT(i) __m512 x##i##0 = b0, x##i##1 = b1;
    OCTET_ROW_INIT(0)
    OCTET_ROW_INIT(1)
    OCTET_ROW_INIT(2)
    OCTET_ROW_INIT(3)
    OCTET_ROW_INIT(4)
    OCTET_ROW_INIT(5)
    OCTET_ROW_INIT(6)
    OCTET_ROW_INIT(7)
#undef OCTET_ROW_INIT
    const float* wk = block + kNr;
    for (size_t k = 0; k < kc; ++k, wk += kNr) {
      const __m512 w0 = _mm512_loadu_ps(wk);
      const __m512 w1 = NC > 1 ? _mm512_loadu_ps(wk + 16) : w0;
#define OCTET_ROW(i)                                                  \
  if constexpr (MR > i) {                                             \
    const __m512 av = _mm512_set1_ps(a##i[k]);                        \
    x##i##0 = _mm512_fmadd_ps(av, w0, x##i##0);                       \
    if constexpr (NC > 1) x##i##1 = _mm512_fmadd_ps(av, w1, x##i##1); \
  }
      OCTET_ROW(0)
      OCTET_ROW(1)
      OCTET_ROW(2)
      OCTET_ROW(3)
      OCTET_ROW(4)
      OCTET_ROW(5)
      OCTET_ROW(6)
      OCTET_ROW(7)
#undef OCTET_ROW
    }
    if (nc >= kNr) {
      // Stores from the last row down: aliased rows write the true last
      // row's value last.
#define OCTET_ROW_STORE(i)                                                            \
  if constexpr (MR > i) {                                                             \
    _mm512_storeu_ps(c##i, _mm512_min_ps(_mm512_max_ps(x##i##0, vmin), vmax));        \
    if constexpr (NC > 1)                                                             \
      _mm512_storeu_ps(c##i + 16, _mm512_min_ps(_mm512_max_ps(x##i##1, vmin), vmax)); \
    c##i += kNr;                                                                      \
  }
      OCTET_ROW_STORE(7)
      OCTET_ROW_STORE(6)
      OCTET_ROW_STORE(5)
      OCTET_ROW_STORE(4)
      OCTET_ROW_STORE(3)
      OCTET_ROW_STORE(2)
      OCTET_ROW_STORE(1)
      OCTET_ROW_STORE(0)
#undef OCTET_ROW_STORE
      nc -= kNr;
    } else {
      const size_t n0 = nc < 16 ? nc : 16;
      const size_t n1 = nc - n0;
      const __mmask16 m0 = static_cast<__mmask16>((1u << n0) - 1);
      const __mmask16 m1 = static_cast<__mmask16>((1u << n1) - 1);
#define OCTET_ROW_STORE(i)                                                                     \
  if constexpr (MR > i) {                                                                      \
    _mm512_mask_storeu_ps(c##i, m0, _mm512_min_ps(_mm512_max_ps(x##i##0, vmin), vmax));        \
    if constexpr (NC > 1)                                                                      \
      _mm512_mask_storeu_ps(c##i + 16, m1, _mm512_min_ps(_mm512_max_ps(x##i##1, vmin), vmax)); \
  }
      OCTET_ROW_STORE(7)
      OCTET_ROW_STORE(6)
      OCTET_ROW_STORE(5)
      OCTET_ROW_STORE(4)
      OCTET_ROW_STORE(3)
      OCTET_ROW_STORE(2)
      OCTET_ROW_STORE(1)
      OCTET_ROW_STORE(0)
#undef OCTET_ROW_STORE
      nc = 0;
    }
    block += (1 + kc) * kNr;
  }
}

}  // namespace

void gemm_f32_8x32_avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_avx512f<8, 2>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_f32_1x32_avx512f(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_avx512f<1, 2>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
