// SPDX-License-Identifier: Apache-2.0
//
// AVX-VNNI GEMM kernels (VEX vpdpbusd on ymm; Alder Lake and later Intel,
// not Zen 4 — only compile-tested on the development machine), MR×16c4:
// MR rows × 2 ymm columns. Same packed layout as the AVX-512 VNNI kernels
// (GemmLayout::kC4Offset128, NR = 16): int32 bias with −(za+128)·Σw folded
// in, int8 weights [Kp/4][16][4], multiplier, rounding and shift per channel
// (parity split in groups of 16). A is flipped to A ^ 0x80 = A + 128 (u8).
// Over-read: up to 3 bytes past kc in each A row. Epilogue:
// x86_requant_avx2.h (64-bit products, emulated vpsraq). ISA: AVX2+AVX-VNNI.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"
#include "kernels/gemm/x86_requant_avx2.h"

namespace octet::kernels {
namespace {

inline int32_t load_u32(const int8_t* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

template <int MR>
__attribute__((always_inline)) inline void gemm_c4_avxvnni(size_t mr, size_t nc, size_t kc,
                                                           const int8_t* a, size_t a_stride,
                                                           const void* w, int8_t* c,
                                                           size_t c_stride,
                                                           const GemmParams* params) {
  constexpr size_t kNr = 16;
  const size_t kp = (kc + 3) & ~size_t{3};
  const size_t block_bytes = kNr * 4 + kp * kNr + kNr * 20;
  const int8_t* ar[MR];
  int8_t* cr[MR];
  for (int i = 0; i < MR; ++i) {
    const size_t r = static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
  }
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i lo = _mm256_set1_epi64x(params->lo);
  const __m256i hi = _mm256_set1_epi64x(params->hi);
  const __m256i zp = _mm256_set1_epi32(params->zero_point);
  const uint8_t* block = static_cast<const uint8_t*>(w);
  while (nc > 0) {
    __m256i acc[MR][2];
    for (int j = 0; j < 2; ++j) {
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block) + j);
      for (int i = 0; i < MR; ++i) acc[i][j] = b;
    }
    const __m256i* wk = reinterpret_cast<const __m256i*>(block + kNr * 4);
    for (size_t k = 0; k < kp; k += 4) {
      const __m256i w0 = _mm256_loadu_si256(wk + 0);
      const __m256i w1 = _mm256_loadu_si256(wk + 1);
      for (int i = 0; i < MR; ++i) {
        const __m256i av = _mm256_xor_si256(_mm256_set1_epi32(load_u32(ar[i] + k)), flip);
        acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], av, w0);
        acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], av, w1);
      }
      wk += 2;
    }
    const uint8_t* rq = block + kNr * 4 + kp * kNr;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + kNr * 4);
    const int64_t* sh = rnd + kNr;
    const size_t ncols = nc < kNr ? nc : kNr;
    for (int j = 0; j < 2; ++j) {
      // Channels 8j..8j+7 of the 16-group: even ones at slots 4j..4j+3,
      // odd ones at 8+4j..8+4j+3.
      const size_t c0 = 8 * static_cast<size_t>(j);
      const size_t cn = ncols > c0 ? (ncols - c0 < 8 ? ncols - c0 : 8) : 0;
      if (cn == 0) break;
      for (int i = 0; i < MR; ++i) {
        const __m256i v = requant8_avx2(acc[i][j], mult + c0, rnd + 4 * j, rnd + 8 + 4 * j,
                                        sh + 4 * j, sh + 8 + 4 * j, lo, hi, zp);
        store8_avx2(cr[i] + c0, v, cn);
      }
    }
    for (int i = 0; i < MR; ++i) cr[i] += ncols;
    nc -= ncols;
    block += block_bytes;
  }
}

}  // namespace

void gemm_qs8_qc8w_4x16c4_avxvnni(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                  const void* w, int8_t* c, size_t c_stride,
                                  const GemmParams* params) {
  gemm_c4_avxvnni<4>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x16c4_avxvnni(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                  const void* w, int8_t* c, size_t c_stride,
                                  const GemmParams* params) {
  gemm_c4_avxvnni<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
