// SPDX-License-Identifier: Apache-2.0
//
// The one rounding rule of Octet's integer path (docs/quantization.md §2).
// Every int8 kernel calls these, and every SIMD variant must reproduce them
// bit for bit.
#pragma once

#include <cassert>
#include <cstdint>

namespace octet::kernels {

/// A real multiplier m ≈ multiplier · 2^-rshift, multiplier in [2^30, 2^31)
/// or 0, rshift in [1, 62].
struct Multiplier {
  int32_t multiplier;
  int32_t rshift;
};

/// floor((acc · M + 2^(t-1)) / 2^t) in exact 64-bit arithmetic: round to
/// nearest, ties toward +infinity, one rounding. Returns 64 bits so callers
/// can add a zero point before clamping without intermediate saturation.
inline int64_t requantize(int32_t acc, int32_t multiplier, int32_t rshift) {
  assert(rshift >= 1 && rshift <= 62);
  const int64_t product = static_cast<int64_t>(acc) * multiplier;
  // |product| < 2^62 and the rounding term is <= 2^61, so this cannot wrap.
  return (product + (int64_t{1} << (rshift - 1))) >> rshift;
}

/// The same rule on a 64-bit input; the caller guarantees |x · M| < 2^62.
inline int64_t requantize64(int64_t x, int32_t multiplier, int32_t rshift) {
  assert(rshift >= 1 && rshift <= 62);
  const int64_t product = x * multiplier;
  return (product + (int64_t{1} << (rshift - 1))) >> rshift;
}

inline int32_t clamp_i64(int64_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : static_cast<int32_t>(v));
}

/// clamp(requantize(acc, M, t) + zero_point, qmin, qmax).
inline int32_t requantize_output(int32_t acc, int32_t multiplier,
                                 int32_t rshift, int32_t zero_point,
                                 int32_t qmin, int32_t qmax) {
  return clamp_i64(requantize(acc, multiplier, rshift) + zero_point, qmin,
                   qmax);
}

/// The same rule on a 64-bit accumulator of any magnitude (the int16 × int8
/// path, docs/quantization.md §6): floor((acc · M + 2^(t-1)) / 2^t) with the
/// 95-bit product formed exactly in two 64-bit halves (portable: no
/// __int128, so 32-bit ARM computes the same bits), saturated to int64.
inline int64_t requantize_wide(int64_t acc, int32_t multiplier, int32_t rshift) {
  assert(rshift >= 1 && rshift <= 62 && multiplier >= 0);
  const bool neg = acc < 0;
  // |acc| as unsigned (INT64_MIN included), split in 32-bit halves.
  const uint64_t ua = neg ? ~static_cast<uint64_t>(acc) + 1 : static_cast<uint64_t>(acc);
  const uint64_t um = static_cast<uint64_t>(multiplier);
  const uint64_t p_lo = (ua & 0xFFFFFFFFu) * um;  // < 2^63
  const uint64_t p_hi = (ua >> 32) * um;          // < 2^63
  // |acc · M| = hi · 2^64 + lo.
  uint64_t lo = p_lo + (p_hi << 32);
  uint64_t hi = (p_hi >> 32) + (lo < p_lo ? 1u : 0u);
  if (neg) {  // two's complement of the 128-bit value
    lo = ~lo + 1;
    hi = ~hi + (lo == 0 ? 1u : 0u);
  }
  // + 2^(t-1), then an arithmetic shift right by t of the 128-bit value.
  const uint64_t r = uint64_t{1} << (rshift - 1);
  const uint64_t lo2 = lo + r;
  hi += lo2 < lo ? 1u : 0u;
  const uint64_t res_lo = (lo2 >> rshift) | (hi << (64 - rshift));
  const int64_t res_hi = static_cast<int64_t>(hi) >> rshift;  // arithmetic, as in requantize()
  // The result fits in int64 iff res_hi is the sign extension of res_lo.
  const int64_t v = static_cast<int64_t>(res_lo);
  if (res_hi != (v < 0 ? -1 : 0)) return res_hi < 0 ? INT64_MIN : INT64_MAX;
  return v;
}

/// Multiplier of m / n from the multiplier of m, integers only
/// (docs/quantization.md §2, "Dividing a multiplier by an integer").
inline Multiplier divide_multiplier(int32_t multiplier, int32_t rshift,
                                    int32_t n) {
  assert(n >= 1);
  int32_t k = 0;
  while ((int64_t{1} << k) <= n) ++k;  // 2^(k-1) <= n < 2^k
  // M·2^k/n lies in (2^30, 2^32): use 2^k when the rounded quotient stays
  // below 2^31, else 2^(k-1) (recomputed, not halved, to round only once).
  int64_t m = ((static_cast<int64_t>(multiplier) << k) + n / 2) / n;
  int32_t s = k;
  if (m >= (int64_t{1} << 31)) {
    s = k - 1;
    m = ((static_cast<int64_t>(multiplier) << s) + n / 2) / n;
  }
  int32_t t = rshift + s;
  if (t > 62) {
    m >>= (t - 62);
    t = 62;
  }
  return Multiplier{static_cast<int32_t>(m), t};
}

}  // namespace octet::kernels
