// SPDX-License-Identifier: Apache-2.0
//
// AVX-512 depthwise kernel, 16 channels per zmm, any number of taps. Layout
// (kernels/dwconv2d/list.cc): per 16-channel block, int32 bias with
// −zx·Σ_taps w folded in, int32 weights [taps][16], then multiplier,
// rounding and shift (parity-split). Per tap: 16 int8 inputs sign-extended
// (vpmovsxbd) × int32 weights (vpmulld: |x·w| ≤ 128·127, exact), vpaddd.
// A partial last block uses masked loads and stores: no over-read.
// Epilogue: the GEMM's (kernels/gemm/x86_avx512vnni.cc) — vpmuldq even/odd,
// + 2^(t−1); all t ≥ 32: high dwords, vpsravd by t − 32, + zp, vpmovsdb,
// clamp; else vpsravq, 64-bit clamp, interleave, + zp, vpmovdb.
// ISA: AVX-512 F/BW/VL.
#include <immintrin.h>

#include "kernels/dwconv2d/dwconv2d.h"

namespace octet::kernels {

void dwconv2d_qs8_qc8w_16c_avx512vnni(size_t channels, size_t pixels, size_t taps,
                                      const int8_t* const* input, const void* w, int8_t* output,
                                      size_t output_stride, const GemmParams* params) {
  const size_t block_bytes = 64 * (taps + 6);
  const __m512i lo = _mm512_set1_epi64(params->lo);
  const __m512i hi = _mm512_set1_epi64(params->hi);
  const __m512i zp = _mm512_set1_epi32(params->zero_point);
  const __m128i qmin8 = _mm_set1_epi8(static_cast<char>(params->qmin));
  const __m128i qmax8 = _mm_set1_epi8(static_cast<char>(params->qmax));
  const __m512i pick_low =
      _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
  const __m512i pick_high =
      _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
  const __m512i k32 = _mm512_set1_epi32(32);
  for (size_t c0 = 0; c0 < channels; c0 += 16) {
    const uint8_t* block = static_cast<const uint8_t*>(w) + (c0 / 16) * block_bytes;
    const size_t n = channels - c0 < 16 ? channels - c0 : 16;
    const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
    const __m512i bias = _mm512_loadu_si512(block);
    const int32_t* wt = reinterpret_cast<const int32_t*>(block + 64);
    const uint8_t* rq = block + 64 + 64 * taps;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + 64);
    const int64_t* sh = rnd + 16;
    const __m512i m_even = _mm512_loadu_si512(mult);
    const __m512i m_odd = _mm512_loadu_si512(mult + 1);
    const __m512i r_even = _mm512_loadu_si512(rnd);
    const __m512i r_odd = _mm512_loadu_si512(rnd + 8);
    const __m512i s_even = _mm512_loadu_si512(sh);
    const __m512i s_odd = _mm512_loadu_si512(sh + 8);
    const __m512i t32 = _mm512_permutex2var_epi32(s_even, pick_low, s_odd);
    const bool fast = _mm512_cmplt_epi32_mask(t32, k32) == 0;
    const __m512i s32 = _mm512_sub_epi32(t32, k32);
    const int8_t* const* in = input;
    int8_t* out = output + c0;
    for (size_t p = 0; p < pixels; ++p, in += taps, out += output_stride) {
      __m512i acc = bias;
      if (n == 16) {
        for (size_t t = 0; t < taps; ++t) {
          const __m512i x =
              _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in[t] + c0)));
          acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, _mm512_loadu_si512(wt + 16 * t)));
        }
      } else {
        for (size_t t = 0; t < taps; ++t) {
          const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, in[t] + c0));
          acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, _mm512_loadu_si512(wt + 16 * t)));
        }
      }
      __m128i bytes;
      if (fast) {
        __m512i pe = _mm512_mul_epi32(acc, m_even);
        __m512i po = _mm512_mul_epi32(_mm512_shuffle_epi32(acc, _MM_PERM_DDBB), m_odd);
        pe = _mm512_add_epi64(pe, r_even);
        po = _mm512_add_epi64(po, r_odd);
        __m512i v = _mm512_permutex2var_epi32(pe, pick_high, po);
        v = _mm512_add_epi32(_mm512_srav_epi32(v, s32), zp);
        bytes = _mm_min_epi8(_mm_max_epi8(_mm512_cvtsepi32_epi8(v), qmin8), qmax8);
      } else {
        __m512i pe = _mm512_mul_epi32(acc, m_even);
        __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), m_odd);
        pe = _mm512_srav_epi64(_mm512_add_epi64(pe, r_even), s_even);
        po = _mm512_srav_epi64(_mm512_add_epi64(po, r_odd), s_odd);
        pe = _mm512_min_epi64(_mm512_max_epi64(pe, lo), hi);
        po = _mm512_min_epi64(_mm512_max_epi64(po, lo), hi);
        __m512i v = _mm512_mask_blend_epi32(0xAAAA, pe, _mm512_slli_epi64(po, 32));
        bytes = _mm512_cvtepi32_epi8(_mm512_add_epi32(v, zp));
      }
      if (n == 16) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
      } else {
        _mm_mask_storeu_epi8(out, mask, bytes);
      }
    }
  }
}

}  // namespace octet::kernels
