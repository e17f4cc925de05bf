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
