// SPDX-License-Identifier: Apache-2.0
//
// Integer part of the dynamically quantized FULLY_CONNECTED
// (docs/quantization.md §7) on AVX2: acc[i][j] = Σ_k x·w − zx·colsum[j].
// x and w are sign-extended to int16 (vpmovsxbw) and multiplied with
// vpmaddwd; a pair sum is at most 2·128·128 = 2^15, and k · 128 · 128 < 2^31
// (the caller's precondition k · 255 · 128 < 2^31 implies it), so int32 lanes
// never wrap and the result is bit-exact to the reference. Four output
// columns per pass share each x load. No over-read: the k % 16 tail is scalar.
#include <immintrin.h>

#include "kernels/fully_connected/fully_connected.h"

namespace octet::kernels {
namespace {

inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline __m256i load16(const int8_t* p) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

}  // namespace

void fully_connected_qd8_qc8w_acc_avx2(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                       int32_t x_zero_point, const int8_t* w,
                                       const int32_t* colsums, int32_t* acc) {
  const int32_t k16 = k / 16 * 16;
  for (int32_t i = 0; i < m; ++i) {
    const int8_t* xr = x + static_cast<size_t>(i) * k;
    int32_t* ar = acc + static_cast<size_t>(i) * n;
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const int8_t* w0 = w + static_cast<size_t>(j) * k;
      const int8_t* w1 = w0 + k;
      const int8_t* w2 = w1 + k;
      const int8_t* w3 = w2 + k;
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int32_t p = 0; p < k16; p += 16) {
        const __m256i xv = load16(xr + p);
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(xv, load16(w0 + p)));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(xv, load16(w1 + p)));
        s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(xv, load16(w2 + p)));
        s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(xv, load16(w3 + p)));
      }
      int32_t a0 = hsum(s0), a1 = hsum(s1), a2 = hsum(s2), a3 = hsum(s3);
      for (int32_t p = k16; p < k; ++p) {
        const int32_t xv = xr[p];
        a0 += xv * w0[p], a1 += xv * w1[p], a2 += xv * w2[p], a3 += xv * w3[p];
      }
      ar[j] = a0 - x_zero_point * colsums[j];
      ar[j + 1] = a1 - x_zero_point * colsums[j + 1];
      ar[j + 2] = a2 - x_zero_point * colsums[j + 2];
      ar[j + 3] = a3 - x_zero_point * colsums[j + 3];
    }
    for (; j < n; ++j) {
      const int8_t* wr = w + static_cast<size_t>(j) * k;
      __m256i s = _mm256_setzero_si256();
      for (int32_t p = 0; p < k16; p += 16) {
        s = _mm256_add_epi32(s, _mm256_madd_epi16(load16(xr + p), load16(wr + p)));
      }
      int32_t a = hsum(s);
      for (int32_t p = k16; p < k; ++p) a += xr[p] * static_cast<int32_t>(wr[p]);
      ar[j] = a - x_zero_point * colsums[j];
    }
  }
}

}  // namespace octet::kernels

// ---------------------------------------------------------------------------
// int16 × int8 (docs/quantization.md §6) on AVX2: y = clamp(requantize_wide(
// bias + Σ x·w)). Weights are pre-widened to int16, [n][kp] with kp a
// multiple of 16 and zeros past k, so each row reads kp elements of x: up to
// 15 int16 past the row (30 bytes, within OCTET_EXTRA_BYTES; multiplied by
// zero weights). vpmaddwd pair sums are below 2·32767·127 < 2^23 and a lane
// takes at most 256 of them (4096 elements) before it is widened to int64,
// so every sum is exact: bit-exact to fully_connected_qs16_qc8w_reference.
#include "kernels/common/requantize.h"

namespace octet::kernels {
namespace {

inline int64_t hsum64(__m256i v) {
  const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
  const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1));
  const __m256i s = _mm256_add_epi64(lo, hi);
  alignas(32) int64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), s);
  return t[0] + t[1] + t[2] + t[3];
}

}  // namespace

void gemm_qs16_qc8w_avx2(int32_t m, int32_t n, int32_t kp, const int16_t* x, size_t x_stride,
                         const int16_t* w16, const int64_t* bias, const QuantOut& out, int16_t* y,
                         size_t y_stride) {
  constexpr int32_t kBlock = 4096;
  for (int32_t i = 0; i < m; ++i) {
    const int16_t* xr = x + static_cast<size_t>(i) * x_stride;
    int16_t* yr = y + static_cast<size_t>(i) * y_stride;
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const int16_t* w0 = w16 + static_cast<size_t>(j) * kp;
      int64_t a[4] = {0, 0, 0, 0};
      for (int32_t b0 = 0; b0 < kp; b0 += kBlock) {
        const int32_t b1 = kp - b0 < kBlock ? kp : b0 + kBlock;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        for (int32_t p = b0; p < b1; p += 16) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr + p));
          const int16_t* wp = w0 + p;
          s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp))));
          s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + kp))));
          s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 2 * kp))));
          s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wp + 3 * kp))));
        }
        a[0] += hsum64(s0), a[1] += hsum64(s1), a[2] += hsum64(s2), a[3] += hsum64(s3);
      }
      for (int32_t q = 0; q < 4; ++q) {
        const int64_t acc = a[q] + (bias != nullptr ? bias[j + q] : 0);
        const Multiplier& mq = out.for_channel(j + q);
        yr[j + q] = static_cast<int16_t>(
            clamp_i64(requantize_wide(acc, mq.multiplier, mq.rshift), out.qmin, out.qmax));
      }
    }
    for (; j < n; ++j) {
      const int16_t* wr = w16 + static_cast<size_t>(j) * kp;
      int64_t a = 0;
      for (int32_t b0 = 0; b0 < kp; b0 += kBlock) {
        const int32_t b1 = kp - b0 < kBlock ? kp : b0 + kBlock;
        __m256i s = _mm256_setzero_si256();
        for (int32_t p = b0; p < b1; p += 16) {
          s = _mm256_add_epi32(s, _mm256_madd_epi16(
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr + p)),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + p))));
        }
        a += hsum64(s);
      }
      const int64_t acc = a + (bias != nullptr ? bias[j] : 0);
      const Multiplier& mj = out.for_channel(j);
      yr[j] = static_cast<int16_t>(
          clamp_i64(requantize_wide(acc, mj.multiplier, mj.rshift), out.qmin, out.qmax));
    }
  }
}

}  // namespace octet::kernels
