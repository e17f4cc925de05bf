// SPDX-License-Identifier: Apache-2.0
//
// Helpers shared by the int8 kernel tests: the test-side requantization
// oracle and multiplier construction.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

#include "converter/quant/quant_math.h"
#include "kernels/common/requantize.h"

namespace octet::test {

/// quantize_multiplier(real), which the test requires to succeed.
inline kernels::Multiplier multiplier_of(double real) {
  kernels::Multiplier m{};
  REQUIRE(octet::quant::quantize_multiplier(real, &m));
  return m;
}

/// docs/quantization.md §2 written as a floor division rather than the
/// kernels' arithmetic shift, then + zero point and clamp: an independent
/// oracle for requantize_output().
inline int32_t expected_q(int64_t acc, const kernels::Multiplier& m, int32_t zy, int32_t qmin,
                          int32_t qmax) {
  const int64_t d = int64_t{1} << m.rshift;
  const int64_t num = acc * m.multiplier + d / 2;
  int64_t q = num / d;
  if (num % d != 0 && num < 0) --q;
  q += zy;
  return static_cast<int32_t>(std::min<int64_t>(qmax, std::max<int64_t>(qmin, q)));
}

}  // namespace octet::test
