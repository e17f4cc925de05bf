// SPDX-License-Identifier: Apache-2.0
//
// AVX2+FMA fp32 GEMM kernels, MR×16: MR rows × two ymm columns of
// accumulators started at the bias, one vbroadcastss of A[i][k] and two
// vfmadd231ps per row per k. Layout (list.cc): per 16-column block, bias
// then W[k][16]. 6×16 keeps 12 accumulators + 2 weights + 1 broadcast in
// the 16 ymm registers. A partial last block stores through vmaskmovps;
// A is read exactly (kc floats per row). Built with -mavx2 -mfma; selected
// only when the host reports FMA3 (gemm_f32_kernel_available).
#include <immintrin.h>

#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {
namespace {

// vmaskmovps masks for 0..8 lanes: a window into {-1 ×8, 0 ×8}.
alignas(64) constexpr int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                 0,  0,  0,  0,  0,  0,  0,  0};

__m256i lane_mask(size_t n) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - n));
}

template <int MR>
void gemm_f32_avx2fma(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                      const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  static_assert(MR >= 1 && MR <= 6, "tile");
  constexpr size_t kNr = 16;
  const char* ab = reinterpret_cast<const char*>(a);
  char* cb = reinterpret_cast<char*>(c);
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
#undef OCTET_ROW_PTR
  const __m256 vmin = _mm256_set1_ps(params->min);
  const __m256 vmax = _mm256_set1_ps(params->max);
  const float* block = static_cast<const float*>(w);
  while (nc > 0) {
    const __m256 b0 = _mm256_loadu_ps(block);
    const __m256 b1 = _mm256_loadu_ps(block + 8);
#define OCTET_ROW_INIT(i) __m256 x##i##0 = b0, x##i##1 = b1;
    OCTET_ROW_INIT(0)
    OCTET_ROW_INIT(1)
    OCTET_ROW_INIT(2)
    OCTET_ROW_INIT(3)
    OCTET_ROW_INIT(4)
    OCTET_ROW_INIT(5)
#undef OCTET_ROW_INIT
    const float* wk = block + kNr;
    for (size_t k = 0; k < kc; ++k, wk += kNr) {
      const __m256 w0 = _mm256_loadu_ps(wk);
      const __m256 w1 = _mm256_loadu_ps(wk + 8);
#define OCTET_ROW(i)                                 \
  if constexpr (MR > i) {                            \
    const __m256 av = _mm256_broadcast_ss(a##i + k); \
    x##i##0 = _mm256_fmadd_ps(av, w0, x##i##0);      \
    x##i##1 = _mm256_fmadd_ps(av, w1, x##i##1);      \
  }
      OCTET_ROW(0)
      OCTET_ROW(1)
      OCTET_ROW(2)
      OCTET_ROW(3)
      OCTET_ROW(4)
      OCTET_ROW(5)
#undef OCTET_ROW
    }
    if (nc >= kNr) {
      // From the last row down: aliased rows write the true last row last.
#define OCTET_ROW_STORE(i)                                                         \
  if constexpr (MR > i) {                                                          \
    _mm256_storeu_ps(c##i, _mm256_min_ps(_mm256_max_ps(x##i##0, vmin), vmax));     \
    _mm256_storeu_ps(c##i + 8, _mm256_min_ps(_mm256_max_ps(x##i##1, vmin), vmax)); \
    c##i += kNr;                                                                   \
  }
      OCTET_ROW_STORE(5)
      OCTET_ROW_STORE(4)
      OCTET_ROW_STORE(3)
      OCTET_ROW_STORE(2)
      OCTET_ROW_STORE(1)
      OCTET_ROW_STORE(0)
#undef OCTET_ROW_STORE
      nc -= kNr;
    } else {
      const size_t n0 = nc < 8 ? nc : 8;
      const __m256i m0 = lane_mask(n0), m1 = lane_mask(nc - n0);
#define OCTET_ROW_STORE(i)                                                                \
  if constexpr (MR > i) {                                                                 \
    _mm256_maskstore_ps(c##i, m0, _mm256_min_ps(_mm256_max_ps(x##i##0, vmin), vmax));     \
    _mm256_maskstore_ps(c##i + 8, m1, _mm256_min_ps(_mm256_max_ps(x##i##1, vmin), vmax)); \
  }
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

void gemm_f32_6x16_avx2fma(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_avx2fma<6>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_f32_1x16_avx2fma(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                           const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_avx2fma<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
