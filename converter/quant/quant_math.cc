// SPDX-License-Identifier: Apache-2.0
#include "converter/quant/quant_math.h"

#include <cmath>

namespace octet::quant {

bool quantize_multiplier(double real, kernels::Multiplier* out) {
  if (!std::isfinite(real) || real < 0.0) return false;
  if (real == 0.0) {
    *out = {0, 1};
    return true;
  }
  int e = 0;
  const double f = std::frexp(real, &e);  // real = f · 2^e, f ∈ [0.5, 1)
  int64_t m = static_cast<int64_t>(std::round(f * 2147483648.0));
  if (m == (int64_t{1} << 31)) {
    m >>= 1;
    ++e;
  }
  int64_t t = 31 - static_cast<int64_t>(e);
  if (t < 1) return false;
  if (t > 62) {
    m = (t - 62) >= 63 ? 0 : (m >> (t - 62));
    t = 62;
  }
  *out = {static_cast<int32_t>(m), static_cast<int32_t>(t)};
  return true;
}

double round_half_even(double x) { return std::nearbyint(x); }

}  // namespace octet::quant
