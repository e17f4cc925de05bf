// SPDX-License-Identifier: Apache-2.0
//
// int8 MAX_POOL_2D and AVERAGE_POOL_2D, AVX-512 (F+BW; in the avx512vnni
// library, no VNNI instruction used), NHWC. Per output pixel the window's
// in-bounds rows and columns are two contiguous index ranges (taps grow with
// k), found once. Max: channels 64 at a time (vpmaxsb over the taps from
// −128); an empty window gives clamp(−128) = qmin, as the reference. Average:
// 16 channels of int32 sums, the reference's per-pixel divide_multiplier,
// vpmuldq even/odd + vpsraq in full 64 bits, 64-bit clamp, then narrowing.
// Tails use masked loads and stores: nothing is read past the input or
// written past the output.
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

void max_pool2d_qs8_avx512vnni(const Pool2DShape& s, const int8_t* x, int32_t qmin, int32_t qmax,
                               int8_t* y) {
  const size_t c_count = static_cast<size_t>(s.channels);
  const __m512i vmin = _mm512_set1_epi8(static_cast<char>(qmin));
  const __m512i vmax = _mm512_set1_epi8(static_cast<char>(qmax));
  const __m512i lowest = _mm512_set1_epi8(-128);
  const size_t rest = c_count % 64;
  const __mmask64 tail = rest == 0 ? 0 : (~uint64_t{0} >> (64 - rest));
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
        for (; c + 64 <= c_count; c += 64) {
          __m512i m = lowest;
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              m = _mm512_max_epi8(m, _mm512_loadu_si512(tap(kh, kw) + c));
            }
          }
          _mm512_storeu_si512(y + c, _mm512_min_epi8(_mm512_max_epi8(m, vmin), vmax));
        }
        if (tail != 0) {
          __m512i m = lowest;
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              m = _mm512_max_epi8(m, _mm512_maskz_loadu_epi8(tail, tap(kh, kw) + c));
            }
          }
          _mm512_mask_storeu_epi8(y + c, tail, _mm512_min_epi8(_mm512_max_epi8(m, vmin), vmax));
        }
      }
    }
  }
}

void average_pool2d_qs8_avx512vnni(const Pool2DShape& s, const int8_t* x, int32_t x_zero_point,
                                   const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                   int32_t qmax, int8_t* y) {
  if (x_zero_point < -128 || x_zero_point > 127) {
    return average_pool2d_qs8_reference(s, x, x_zero_point, m, y_zero_point, qmin, qmax, y);
  }
  const size_t c_count = static_cast<size_t>(s.channels);
  const __m512i vmin = _mm512_set1_epi64(qmin);
  const __m512i vmax = _mm512_set1_epi64(qmax);
  const __m512i zy = _mm512_set1_epi64(y_zero_point);
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
        const __m512i mult = _mm512_set1_epi32(mn.multiplier);
        const __m512i round = _mm512_set1_epi64(int64_t{1} << (mn.rshift - 1));
        const __m128i shift = _mm_cvtsi32_si128(mn.rshift);
        // Σ (x − zx) = Σ x − taps·zx, exact in wrapping int32 arithmetic.
        const __m512i offset = _mm512_set1_epi32((kh1 - kh0) * (kw1 - kw0) * x_zero_point);
        for (size_t c = 0; c < c_count; c += 16) {
          const size_t rest = c_count - c < 16 ? c_count - c : 16;
          const __mmask16 mask = static_cast<__mmask16>((1u << rest) - 1);
          __m512i acc = _mm512_setzero_si512();
          for (int32_t kh = kh0; kh < kh1; ++kh) {
            for (int32_t kw = kw0; kw < kw1; ++kw) {
              acc = _mm512_add_epi32(
                  acc, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, tap(kh, kw) + c)));
            }
          }
          acc = _mm512_sub_epi32(acc, offset);
          // Full 64-bit requantization and clamp, then the low 32 bits.
          __m512i even = _mm512_mul_epi32(acc, mult);
          __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), mult);
          even = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(even, round), shift), zy);
          odd = _mm512_add_epi64(_mm512_sra_epi64(_mm512_add_epi64(odd, round), shift), zy);
          even = _mm512_min_epi64(_mm512_max_epi64(even, vmin), vmax);
          odd = _mm512_min_epi64(_mm512_max_epi64(odd, vmin), vmax);
          const __m512i v = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
          _mm_mask_storeu_epi8(y + c, mask, _mm512_cvtepi32_epi8(v));
        }
      }
    }
  }
}

}  // namespace octet::kernels
