// SPDX-License-Identifier: Apache-2.0
//
// int8 MAX_POOL_2D and AVERAGE_POOL_2D, AVX2, NHWC. Per output pixel the
// window's in-bounds rows and columns are two contiguous index ranges (taps
// grow with k), found once. Max: channels 32 at a time (vpmaxsb over the taps
// from −128), 16 with xmm, the last < 16 in scalar code; an empty window gives
// clamp(−128) = qmin, as the reference. Average: 8 channels of int32 sums,
// the reference's per-pixel divide_multiplier, the requantization in full 64
// bits (vpmuldq even/odd, biased logical shift for the missing vpsraq) and a
// 64-bit clamp before narrowing; the last < 8 channels in scalar code. Loads
// stay within the input; no over-read.
#include <immintrin.h>

#include <cstddef>

#include "kernels/pool2d/pool2d.h"

namespace octet::kernels {
namespace {

// [*lo, *hi): the taps k whose row (column) o·stride − pad + k·dilation is in
// [0, size).
void tap_range(int32_t o, int32_t stride, int32_t pad, int32_t kernel, int32_t dilation,
               int32_t size, int32_t* lo, int32_t* hi) {
  int32_t k = 0;
  const int32_t base = o * stride - pad;
  while (k < kernel && base + k * dilation < 0) ++k;
  *lo = k;
  while (k < kernel && base + k * dilation < size) ++k;
  *hi = k;
}

inline bool inside_padded(int32_t i, int32_t size, int32_t pad_before, int32_t pad_after) {
  return i >= -pad_before && (pad_after < 0 || i < size + pad_after);
}

// The divisor of window (oh, ow), as the reference's window_count: the taps
// inside the input, or with count_include_pad those inside the padded input.
int32_t average_count(const Pool2DShape& s, int32_t oh, int32_t ow, int32_t kh0, int32_t kh1,
                      int32_t kw0, int32_t kw1) {
  if (!s.count_include_pad) return (kh1 - kh0) * (kw1 - kw0);
  int32_t rows = 0;
  for (int32_t kh = 0; kh < s.kernel_h; ++kh) {
    rows += inside_padded(oh * s.stride_h - s.pad_top + kh * s.dilation_h, s.in_h, s.pad_top,
                          s.pad_bottom);
  }
  int32_t cols = 0;
  for (int32_t kw = 0; kw < s.kernel_w; ++kw) {
    cols += inside_padded(ow * s.stride_w - s.pad_left + kw * s.dilation_w, s.in_w, s.pad_left,
                          s.pad_right);
  }
  return rows * cols;
}

}  // namespace

void max_pool2d_qs8_avx2(const Pool2DShape& s, const int8_t* x, int32_t qmin, int32_t qmax,
                         int8_t* y) {
  const size_t c_count = static_cast<size_t>(s.channels);
  const __m256i vmin = _mm256_set1_epi8(static_cast<char>(qmin));
  const __m256i vmax = _mm256_set1_epi8(static_cast<char>(qmax));
  const __m256i lowest = _mm256_set1_epi8(-128);
  for (int32_t n = 0; n < s.batch; ++n) {
    const int8_t* image = x + static_cast<size_t>(n) * s.in_h * s.in_w * c_count;
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      int32_t kh0, kh1;
      tap_range(oh, s.stride_h, s.pad_top, s.kernel_h, s.dilation_h, s.in_h, &kh0, &kh1);
      for (int32_t ow = 0; ow < s.out_w; ++ow, y += c_count) {
        int32_t kw0, kw1;
        tap_range(ow, s.stride_w, s.pad_left, s.kernel_w, s.dilation_w, s.in_w, &kw0, &kw1);
        const int32_t ih0 = oh * s.stride_h - s.pad_top;
        const int32_t iw0 = ow * s.stride_w - s.pad_left;
        auto tap = [&](int32_t kh, int32_t kw) {
          return image + (static_cast<size_t>(ih0 + kh * s.dilation_h) * s.in_w +
                          static_cast<size_t>(iw0 + kw * s.dilation_w)) *
                             c_count;
        };
        size_t c = 0;
        for (; c + 32 <= c_count; c += 32) {
          __m256i m = lowest;
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              m = _mm256_max_epi8(
                  m, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tap(kh, kw) + c)));
            }
          }
          m = _mm256_min_epi8(_mm256_max_epi8(m, vmin), vmax);
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + c), m);
        }
        if (c + 16 <= c_count) {
          __m128i m = _mm256_castsi256_si128(lowest);
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              m = _mm_max_epi8(m,
                               _mm_loadu_si128(reinterpret_cast<const __m128i*>(tap(kh, kw) + c)));
            }
          }
          m = _mm_min_epi8(_mm_max_epi8(m, _mm256_castsi256_si128(vmin)),
                           _mm256_castsi256_si128(vmax));
          _mm_storeu_si128(reinterpret_cast<__m128i*>(y + c), m);
          c += 16;
        }
        for (; c < c_count; ++c) {
          int32_t m = -128;
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              const int32_t v = tap(kh, kw)[c];
              m = v > m ? v : m;
            }
          }
          y[c] = static_cast<int8_t>(m < qmin ? qmin : (m > qmax ? qmax : m));
        }
      }
    }
  }
}

void average_pool2d_qs8_avx2(const Pool2DShape& s, const int8_t* x, int32_t x_zero_point,
                             const Multiplier& m, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                             int8_t* y) {
  if (x_zero_point < -128 || x_zero_point > 127) {
    return average_pool2d_qs8_reference(s, x, x_zero_point, m, y_zero_point, qmin, qmax, y);
  }
  const size_t c_count = static_cast<size_t>(s.channels);
  const __m256i vmin = _mm256_set1_epi64x(qmin);
  const __m256i vmax = _mm256_set1_epi64x(qmax);
  const __m256i zy = _mm256_set1_epi64x(y_zero_point);
  for (int32_t n = 0; n < s.batch; ++n) {
    const int8_t* image = x + static_cast<size_t>(n) * s.in_h * s.in_w * c_count;
    for (int32_t oh = 0; oh < s.out_h; ++oh) {
      int32_t kh0, kh1;
      tap_range(oh, s.stride_h, s.pad_top, s.kernel_h, s.dilation_h, s.in_h, &kh0, &kh1);
      for (int32_t ow = 0; ow < s.out_w; ++ow, y += c_count) {
        int32_t kw0, kw1;
        tap_range(ow, s.stride_w, s.pad_left, s.kernel_w, s.dilation_w, s.in_w, &kw0, &kw1);
        const int32_t ih0 = oh * s.stride_h - s.pad_top;
        const int32_t iw0 = ow * s.stride_w - s.pad_left;
        auto tap = [&](int32_t kh, int32_t kw) {
          return image + (static_cast<size_t>(ih0 + kh * s.dilation_h) * s.in_w +
                          static_cast<size_t>(iw0 + kw * s.dilation_w)) *
                             c_count;
        };
        const int32_t count = average_count(s, oh, ow, kh0, kh1, kw0, kw1);
        const Multiplier mn =
            count > 0 ? divide_multiplier(m.multiplier, m.rshift, count) : Multiplier{0, 1};
        const int32_t t = mn.rshift;
        const __m256i mult = _mm256_set1_epi32(mn.multiplier);
        // No 64-bit arithmetic shift: bias by 2^63 (with the rounding term),
        // shift logically, unbias by 2^(63−t): exact floor division.
        const __m256i bias = _mm256_set1_epi64x(
            static_cast<int64_t>((uint64_t{1} << (t - 1)) | (uint64_t{1} << 63)));
        const __m256i unbias = _mm256_set1_epi64x(static_cast<int64_t>(uint64_t{1} << (63 - t)));
        const __m128i shift = _mm_cvtsi32_si128(t);
        const int32_t taps = (kh1 - kh0) * (kw1 - kw0);
        // Σ (x − zx) = Σ x − taps·zx, exact in wrapping int32 arithmetic.
        const __m256i offset = _mm256_set1_epi32(taps * x_zero_point);
        size_t c = 0;
        for (; c + 8 <= c_count; c += 8) {
          __m256i acc = _mm256_setzero_si256();
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              acc = _mm256_add_epi32(acc, _mm256_cvtepi8_epi32(_mm_loadl_epi64(
                                              reinterpret_cast<const __m128i*>(tap(kh, kw) + c))));
            }
          }
          acc = _mm256_sub_epi32(acc, offset);
          __m256i lanes[2] = {_mm256_mul_epi32(acc, mult),
                              _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), mult)};
          for (__m256i& v : lanes) {
            v = _mm256_sub_epi64(_mm256_srl_epi64(_mm256_add_epi64(v, bias), shift), unbias);
            v = _mm256_add_epi64(v, zy);
            v = _mm256_blendv_epi8(v, vmin, _mm256_cmpgt_epi64(vmin, v));
            v = _mm256_blendv_epi8(v, vmax, _mm256_cmpgt_epi64(v, vmax));
          }
          const __m256i v = _mm256_blend_epi32(lanes[0], _mm256_slli_epi64(lanes[1], 32), 0xAA);
          const __m128i w =
              _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
          _mm_storel_epi64(reinterpret_cast<__m128i*>(y + c), _mm_packs_epi16(w, w));
        }
        for (; c < c_count; ++c) {
          int32_t acc = 0;
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) acc += tap(kh, kw)[c] - x_zero_point;
          }
          y[c] = static_cast<int8_t>(
              requantize_output(acc, mn.multiplier, mn.rshift, y_zero_point, qmin, qmax));
        }
      }
    }
  }
}

}  // namespace octet::kernels
