// SPDX-License-Identifier: Apache-2.0
//
// AVX-512 VNNI GEMM kernels, MR×(16·NC)c4: MR rows × NC zmm columns of int32
// accumulators, one vpdpbusd per (row, column) per 4 k. Layout
// GemmLayout::kC4Offset128: per block, int32 bias, int8 weights
// [Kp/4][NR][4] (one zmm = 16 channels × 4 k), then multiplier, rounding and
// shift per channel. vpdpbusd multiplies u8 × s8, so A is flipped to
// A ^ 0x80 = A + 128 (u8) and the packer folds −(za + 128)·Σ_k w into the
// bias; int32 arithmetic wraps mod 2^32 and the final sum is exact.
// Over-read: up to 3 bytes past kc in each A row (weights there are 0).
// Epilogue, exact 64-bit rule: vpmuldq on even and odd lanes, + 2^(t−1);
// 32 ≤ t ≤ 54 (all real layers): zp·2^t joins the rounding term, high dwords
// (vpermt2d), vpsravd by t − 32, vpmovsdb, clamp; else vpsravq by t, 64-bit
// clamp, interleave, + zp.
// ISA: AVX-512 F/BW/VL/VNNI.
#include <immintrin.h>

#include <cstring>

#include "kernels/gemm/gemm.h"

namespace octet::kernels {
namespace {

inline int32_t load_u32(const int8_t* p) {
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

template <int MR, int NC>
__attribute__((always_inline)) inline void gemm_c4_avx512vnni(size_t mr, size_t nc, size_t kc,
                                                              const int8_t* a, size_t a_stride,
                                                              const void* w, int8_t* c,
                                                              size_t c_stride,
                                                              const GemmParams* params) {
  static_assert(MR >= 1 && MR <= 8 && NC >= 1 && NC <= 4, "tile");
  constexpr size_t kNr = 16 * NC;
  const size_t kp = (kc + 3) & ~size_t{3};
  const size_t block_bytes = kNr * 4 + kp * kNr + kNr * 20;
  const int8_t* ar[MR];
  int8_t* cr[MR];
  for (int i = 0; i < MR; ++i) {
    // Rows past mr alias the last row: computed, stored twice, same bytes.
    const size_t r = static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1;
    ar[i] = a + r * a_stride;
    cr[i] = c + r * c_stride;
  }
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  const __m512i lo = _mm512_set1_epi64(params->lo);
  const __m512i hi = _mm512_set1_epi64(params->hi);
  const __m512i zp = _mm512_set1_epi32(params->zero_point);
  const __m512i zp64 = _mm512_set1_epi64(params->zero_point);
  const __m128i qmin8 = _mm_set1_epi8(static_cast<char>(params->qmin));
  const __m128i qmax8 = _mm_set1_epi8(static_cast<char>(params->qmax));
  // Dword i ← low dword of a's qword i/2 (i even) or of b's (i odd).
  const __m512i pick_low =
      _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  // Dword i ← high dword of a's qword i/2 (i even) or of b's (i odd).
  const __m512i pick_high =
      _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  // Named accumulators and row pointers: GCC keeps an array of vectors
  // in registers poorly across the loop (copies and spills); scalars it
  // allocates once. Unused ones (row ≥ MR, column ≥ NC) are dead code.
  const int8_t* a0 = ar[0];
  const int8_t* a1 = ar[MR > 1 ? 1 : 0];
  const int8_t* a2 = ar[MR > 2 ? 2 : 0];
  const int8_t* a3 = ar[MR > 3 ? 3 : 0];
  const int8_t* a4 = ar[MR > 4 ? 4 : 0];
  const int8_t* a5 = ar[MR > 5 ? 5 : 0];
  const int8_t* a6 = ar[MR > 6 ? 6 : 0];
  const int8_t* a7 = ar[MR > 7 ? 7 : 0];
  const uint8_t* block = static_cast<const uint8_t*>(w);
  while (nc > 0) {
    const __m512i b0 = _mm512_loadu_si512(block);
    const __m512i b1 = NC > 1 ? _mm512_loadu_si512(block + 64) : b0;
    const __m512i b2 = NC > 2 ? _mm512_loadu_si512(block + 128) : b0;
    const __m512i b3 = NC > 3 ? _mm512_loadu_si512(block + 192) : b0;
#define OCTET_ROW_INIT(i) __m512i c##i##0 = b0, c##i##1 = b1, c##i##2 = b2, c##i##3 = b3
    OCTET_ROW_INIT(0);
    OCTET_ROW_INIT(1);
    OCTET_ROW_INIT(2);
    OCTET_ROW_INIT(3);
    OCTET_ROW_INIT(4);
    OCTET_ROW_INIT(5);
    OCTET_ROW_INIT(6);
    OCTET_ROW_INIT(7);
#undef OCTET_ROW_INIT
    const int8_t* wk = reinterpret_cast<const int8_t*>(block + kNr * 4);
    for (size_t k = 0; k < kp; k += 4) {
      const __m512i w0 = _mm512_loadu_si512(wk);
      const __m512i w1 = NC > 1 ? _mm512_loadu_si512(wk + 64) : w0;
      const __m512i w2 = NC > 2 ? _mm512_loadu_si512(wk + 128) : w0;
      const __m512i w3 = NC > 3 ? _mm512_loadu_si512(wk + 192) : w0;
#define OCTET_ROW(i)                                                                  \
  if constexpr (MR > i) {                                                             \
    const __m512i av = _mm512_xor_si512(_mm512_set1_epi32(load_u32(a##i + k)), flip); \
    c##i##0 = _mm512_dpbusd_epi32(c##i##0, av, w0);                                   \
    if constexpr (NC > 1) c##i##1 = _mm512_dpbusd_epi32(c##i##1, av, w1);             \
    if constexpr (NC > 2) c##i##2 = _mm512_dpbusd_epi32(c##i##2, av, w2);             \
    if constexpr (NC > 3) c##i##3 = _mm512_dpbusd_epi32(c##i##3, av, w3);             \
  }
      OCTET_ROW(0);
      OCTET_ROW(1);
      OCTET_ROW(2);
      OCTET_ROW(3);
      OCTET_ROW(4);
      OCTET_ROW(5);
      OCTET_ROW(6);
      OCTET_ROW(7);
#undef OCTET_ROW
      wk += kNr * 4;
    }
    __m512i acc[MR][NC];
#define OCTET_ROW_SAVE(i)                      \
  if constexpr (MR > i) {                      \
    acc[i][0] = c##i##0;                       \
    if constexpr (NC > 1) acc[i][1] = c##i##1; \
    if constexpr (NC > 2) acc[i][2] = c##i##2; \
    if constexpr (NC > 3) acc[i][3] = c##i##3; \
  }
    OCTET_ROW_SAVE(0);
    OCTET_ROW_SAVE(1);
    OCTET_ROW_SAVE(2);
    OCTET_ROW_SAVE(3);
    OCTET_ROW_SAVE(4);
    OCTET_ROW_SAVE(5);
    OCTET_ROW_SAVE(6);
    OCTET_ROW_SAVE(7);
#undef OCTET_ROW_SAVE
    const uint8_t* rq = block + kNr * 4 + kp * kNr;
    const size_t ncols = nc < kNr ? nc : kNr;
    for (int j = 0; j < NC; ++j) {
      const int32_t* mult = reinterpret_cast<const int32_t*>(rq) + 16 * j;
      const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + kNr * 4) + 16 * j;
      const int64_t* sh = reinterpret_cast<const int64_t*>(rq + kNr * 12) + 16 * j;
      const __m512i m_even = _mm512_loadu_si512(mult);
      // vpmuldq reads the low dword of each qword: loading one int32 later
      // puts the odd channels' multipliers there.
      const __m512i m_odd = _mm512_loadu_si512(mult + 1);
      const __m512i r_even = _mm512_loadu_si512(rnd);
      const __m512i r_odd = _mm512_loadu_si512(rnd + 8);
      const __m512i s_even = _mm512_loadu_si512(sh);
      const __m512i s_odd = _mm512_loadu_si512(sh + 8);
      const size_t c0 = 16 * static_cast<size_t>(j);
      const size_t cn = ncols > c0 ? (ncols - c0 < 16 ? ncols - c0 : 16) : 0;
      const __mmask16 store_mask = static_cast<__mmask16>((1u << cn) - 1);
      // Shifts in channel order as int32 (low dwords of the parity-split
      // int64 shifts). When every t ≥ 32 — multipliers below 0.5, i.e.
      // every real layer — floor((p + 2^(t−1)) / 2^t) is the high dword of
      // p + 2^(t−1) shifted right by t − 32 (nested floors are exact), so
      // a 32-bit shift replaces the 64-bit shift, clamp and interleave.
      const __m512i t32 = _mm512_permutex2var_epi32(s_even, pick_low, s_odd);
      if ((_mm512_cmplt_epi32_mask(t32, _mm512_set1_epi32(32)) |
           _mm512_cmpgt_epi32_mask(t32, _mm512_set1_epi32(54))) == 0) {
        const __m512i s32 = _mm512_sub_epi32(t32, _mm512_set1_epi32(32));
        // The zero point rides in the rounding term: floor((p + 2^(t−1) +
        // zp·2^t) / 2^t) = requantize + zp exactly, and for t ≤ 54
        // |p| + 2^(t−1) + 128·2^t < 2^63.
        const __m512i rz_even = _mm512_add_epi64(r_even, _mm512_sllv_epi64(zp64, s_even));
        const __m512i rz_odd = _mm512_add_epi64(r_odd, _mm512_sllv_epi64(zp64, s_odd));
        for (int i = 0; i < MR; ++i) {
          __m512i pe = _mm512_mul_epi32(acc[i][j], m_even);
          __m512i po = _mm512_mul_epi32(_mm512_shuffle_epi32(acc[i][j], _MM_PERM_DDBB), m_odd);
          pe = _mm512_add_epi64(pe, rz_even);
          po = _mm512_add_epi64(po, rz_odd);
          __m512i v = _mm512_permutex2var_epi32(pe, pick_high, po);
          // |v| < 2^30 + 128: vpmovsdb saturates to int8 and [qmin, qmax]
          // lies inside it.
          v = _mm512_srav_epi32(v, s32);
          __m128i bytes = _mm512_cvtsepi32_epi8(v);
          bytes = _mm_min_epi8(_mm_max_epi8(bytes, qmin8), qmax8);
          if (cn == 16) {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(cr[i] + c0), bytes);
          } else if (cn > 0) {
            _mm_mask_storeu_epi8(cr[i] + c0, store_mask, bytes);
          }
        }
        continue;
      }
      for (int i = 0; i < MR; ++i) {
        __m512i pe = _mm512_mul_epi32(acc[i][j], m_even);
        __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc[i][j], 32), m_odd);
        pe = _mm512_srav_epi64(_mm512_add_epi64(pe, r_even), s_even);
        po = _mm512_srav_epi64(_mm512_add_epi64(po, r_odd), s_odd);
        pe = _mm512_min_epi64(_mm512_max_epi64(pe, lo), hi);
        po = _mm512_min_epi64(_mm512_max_epi64(po, lo), hi);
        __m512i v = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
        v = _mm512_add_epi32(v, zp);
        const __m128i bytes = _mm512_cvtepi32_epi8(v);
        if (cn == 16) {
          _mm_storeu_si128(reinterpret_cast<__m128i*>(cr[i] + c0), bytes);
        } else if (cn > 0) {
          _mm_mask_storeu_epi8(cr[i] + c0, store_mask, bytes);
        }
      }
    }
    for (int i = 0; i < MR; ++i) cr[i] += ncols;
    nc -= ncols;
    block += block_bytes;
  }
}

}  // namespace

void gemm_qs8_qc8w_8x32c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                     size_t a_stride, const void* w, int8_t* c, size_t c_stride,
                                     const GemmParams* params) {
  gemm_c4_avx512vnni<8, 2>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x64c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                     size_t a_stride, const void* w, int8_t* c, size_t c_stride,
                                     const GemmParams* params) {
  gemm_c4_avx512vnni<1, 4>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
