// SPDX-License-Identifier: Apache-2.0
//
// AVX2 GEMM kernels, MR×8c8, exact without vpmaddubsw (which saturates at
// 255·127·2 > 32767): A is sign-extended to int16 (vpmovsxbw) and multiplied
// by int16 weights with vpmaddwd, whose pair sums (≤ 2·128·127) are exact.
// Layout GemmLayout::kC8Int16: per 8-channel block, int32 bias with
// −za·Σ_k w folded in, int16 weights [Kp/8][4][2][8] (256-bit row r = channel
// r and channel r+4, 8 k each), then multiplier, rounding, shift. Each row
// of A is broadcast 8 bytes at a time to both 128-bit lanes; three vphaddd
// reduce the 4 partial sums per channel and land channels in order.
// Over-read: up to 7 bytes past kc in each A row (weights there are 0).
// Epilogue: x86_requant_avx2.h (64-bit products, emulated vpsraq). ISA: AVX2.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/x86_requant_avx2.h"

namespace octet::kernels {
namespace {

inline int64_t load_u64(const int8_t* p) {
  int64_t v;
  memcpy(&v, p, 8);
  return v;
}

template <int MR>
__attribute__((always_inline)) inline void gemm_c8_avx2(size_t mr, size_t nc, size_t kc,
                                                        const int8_t* a, size_t a_stride,
                                                        const void* w, int8_t* c, size_t c_stride,
                                                        const GemmParams* params) {
  constexpr size_t kNr = 8;
  const size_t kp = (kc + 7) & ~size_t{7};
  const size_t block_bytes = kNr * 4 + kp * kNr * 2 + kNr * 20;
  const int8_t* ar[MR];
  int8_t* cr[MR];
  for (int i = 0; i < MR; ++i) {
    const size_t r = static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
  }
  const __m256i lo = _mm256_set1_epi64x(params->lo);
  const __m256i hi = _mm256_set1_epi64x(params->hi);
  const __m256i zp = _mm256_set1_epi32(params->zero_point);
  const uint8_t* block = static_cast<const uint8_t*>(w);
  while (nc > 0) {
    __m256i acc[MR][4];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < 4; ++j) acc[i][j] = _mm256_setzero_si256();
    }
    const __m256i* wk = reinterpret_cast<const __m256i*>(block + kNr * 4);
    for (size_t k = 0; k < kp; k += 8) {
      const __m256i w0 = _mm256_loadu_si256(wk + 0);
      const __m256i w1 = _mm256_loadu_si256(wk + 1);
      const __m256i w2 = _mm256_loadu_si256(wk + 2);
      const __m256i w3 = _mm256_loadu_si256(wk + 3);
      for (int i = 0; i < MR; ++i) {
        const __m256i av = _mm256_cvtepi8_epi16(_mm_set1_epi64x(load_u64(ar[i] + k)));
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(av, w0));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(av, w1));
        acc[i][2] = _mm256_add_epi32(acc[i][2], _mm256_madd_epi16(av, w2));
        acc[i][3] = _mm256_add_epi32(acc[i][3], _mm256_madd_epi16(av, w3));
      }
      wk += 4;
    }
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
    const uint8_t* rq = block + kNr * 4 + kp * kNr * 2;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + kNr * 4);
    const int64_t* sh = rnd + kNr;
    const size_t ncols = nc < kNr ? nc : kNr;
    for (int i = 0; i < MR; ++i) {
      const __m256i s01 = _mm256_hadd_epi32(acc[i][0], acc[i][1]);
      const __m256i s23 = _mm256_hadd_epi32(acc[i][2], acc[i][3]);
      const __m256i s = _mm256_add_epi32(_mm256_hadd_epi32(s01, s23), bias);
      const __m256i v = requant8_avx2(s, mult, rnd, rnd + 4, sh, sh + 4, lo, hi, zp);
      store8_avx2(cr[i], v, ncols);
      cr[i] += ncols;
    }
    nc -= ncols;
    block += block_bytes;
  }
}

}  // namespace

void gemm_qs8_qc8w_3x8c8_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                              const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  gemm_c8_avx2<3>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x8c8_avx2(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                              const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  gemm_c8_avx2<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
