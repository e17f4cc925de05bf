// SPDX-License-Identifier: Apache-2.0
//
// AVX2 depthwise kernel, 16 channels as two ymm of int32, any number of
// taps, on the 16-channel layout of kernels/dwconv2d/list.cc: int32 bias
// with −zx·Σ_taps w folded in, int32 weights [taps][16], then multiplier,
// rounding, shift (parity-split in groups of 16). Per tap: vpmovsxbd of 8
// inputs × int32 weights (vpmulld, |x·w| ≤ 128·127: exact), vpaddd. A partial
// last block goes through a 16-byte stack copy per tap: no over-read.
// Epilogue: kernels/gemm/x86_requant_avx2.h (64-bit products, emulated
// vpsraq). ISA: AVX2.
#include <immintrin.h>

#include <cstring>

#include "kernels/dwconv2d/dwconv2d.h"
#include "kernels/gemm/x86_requant_avx2.h"

namespace octet::kernels {

void dwconv2d_qs8_qc8w_16c_avx2(size_t channels, size_t pixels, size_t taps,
                                const int8_t* const* input, const void* w, int8_t* output,
                                size_t output_stride, const GemmParams* params) {
  const size_t block_bytes = 64 * (taps + 6);
  const __m256i lo = _mm256_set1_epi64x(params->lo);
  const __m256i hi = _mm256_set1_epi64x(params->hi);
  const __m256i zp = _mm256_set1_epi32(params->zero_point);
  for (size_t c0 = 0; c0 < channels; c0 += 16) {
    const uint8_t* block = static_cast<const uint8_t*>(w) + (c0 / 16) * block_bytes;
    const size_t n = channels - c0 < 16 ? channels - c0 : 16;
    const __m256i bias0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
    const __m256i bias1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
    const int32_t* wt = reinterpret_cast<const int32_t*>(block + 64);
    const uint8_t* rq = block + 64 + 64 * taps;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + 64);
    const int64_t* sh = rnd + 16;
    const int8_t* const* in = input;
    int8_t* out = output + c0;
    for (size_t p = 0; p < pixels; ++p, in += taps, out += output_stride) {
      __m256i acc0 = bias0, acc1 = bias1;
      for (size_t t = 0; t < taps; ++t) {
        __m128i x;
        if (n == 16) {
          x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in[t] + c0));
        } else {
          alignas(16) int8_t tmp[16] = {};
          memcpy(tmp, in[t] + c0, n);
          x = _mm_load_si128(reinterpret_cast<const __m128i*>(tmp));
        }
        const __m256i x0 = _mm256_cvtepi8_epi32(x);
        const __m256i x1 = _mm256_cvtepi8_epi32(_mm_srli_si128(x, 8));
        const __m256i* wv = reinterpret_cast<const __m256i*>(wt + 16 * t);
        acc0 = _mm256_add_epi32(acc0, _mm256_mullo_epi32(x0, _mm256_loadu_si256(wv)));
        acc1 = _mm256_add_epi32(acc1, _mm256_mullo_epi32(x1, _mm256_loadu_si256(wv + 1)));
      }
      // Channels 0–7: even ones at rounding/shift slots 0–3, odd at 8–11;
      // channels 8–15: 4–7 and 12–15.
      const __m256i v0 = requant8_avx2(acc0, mult, rnd, rnd + 8, sh, sh + 8, lo, hi, zp);
      store8_avx2(out, v0, n < 8 ? n : 8);
      if (n > 8) {
        const __m256i v1 =
            requant8_avx2(acc1, mult + 8, rnd + 4, rnd + 12, sh + 4, sh + 12, lo, hi, zp);
        store8_avx2(out + 8, v1, n - 8);
      }
    }
  }
}

}  // namespace octet::kernels
