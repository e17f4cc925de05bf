// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "converter/quant/quant_math.h"
#include "kernels/common/requantize.h"

using octet::kernels::Multiplier;
using octet::kernels::divide_multiplier;
using octet::kernels::requantize;
using octet::kernels::requantize_output;

TEST_CASE("requantize: ties round toward +infinity", "[requantize]") {
  // m = 0.5 exactly.
  const int32_t M = 1 << 30;
  const int32_t t = 31;
  CHECK(requantize(3, M, t) == 2);
  CHECK(requantize(-3, M, t) == -1);
  CHECK(requantize(5, M, t) == 3);
  CHECK(requantize(-5, M, t) == -2);
  CHECK(requantize(1, M, t) == 1);
  CHECK(requantize(-1, M, t) == 0);
  CHECK(requantize(0, M, t) == 0);
  CHECK(requantize(4, M, t) == 2);
  CHECK(requantize(-4, M, t) == -2);
}

TEST_CASE("requantize: identity multiplier", "[requantize]") {
  for (int32_t v : {0, 1, -1, 127, -128, 1 << 20, -(1 << 20), INT32_MAX, INT32_MIN}) {
    CHECK(requantize(v, 1 << 30, 30) == v);
  }
}

TEST_CASE("requantize: extremes do not overflow", "[requantize]") {
  const int32_t Mmax = INT32_MAX;  // just below 2^31
  CHECK(requantize(INT32_MAX, Mmax, 1) == ((int64_t{INT32_MAX} * Mmax + 1) >> 1));
  CHECK(requantize(INT32_MIN, Mmax, 1) == ((int64_t{INT32_MIN} * Mmax + 1) >> 1));
  CHECK(requantize(INT32_MIN, Mmax, 62) == -1);  // -2^31·(2^31-1)/2^62 ≈ -0.99999 -> -1
}

TEST_CASE("requantize_output: zero point then clamp, no intermediate saturation", "[requantize]") {
  // A huge accumulator with a multiplier > 1 saturates at qmax, not wraps.
  CHECK(requantize_output(INT32_MAX, INT32_MAX, 1, 10, -128, 127) == 127);
  CHECK(requantize_output(INT32_MIN, INT32_MAX, 1, 10, -128, 127) == -128);
  CHECK(requantize_output(-300, 1 << 30, 31, 20, -128, 127) == -128);
  CHECK(requantize_output(-300, 1 << 30, 31, 200, -128, 127) == 50);
  CHECK(requantize_output(3, 1 << 30, 31, 0, 0, 1) == 1);
}

TEST_CASE("quantize_multiplier: representation", "[requantize]") {
  Multiplier m{};
  REQUIRE(octet::quant::quantize_multiplier(0.5, &m));
  CHECK(m.multiplier == (1 << 30));
  CHECK(m.rshift == 31);
  REQUIRE(octet::quant::quantize_multiplier(1.0, &m));
  CHECK(m.multiplier == (1 << 30));
  CHECK(m.rshift == 30);
  REQUIRE(octet::quant::quantize_multiplier(0.0, &m));
  CHECK(m.multiplier == 0);
  // Rounding the mantissa up to 2^31 renormalizes.
  REQUIRE(octet::quant::quantize_multiplier(std::nextafter(1.0, 0.0), &m));
  CHECK(m.multiplier == (1 << 30));
  CHECK(m.rshift == 30);
  // Tiny multipliers lose mantissa bits instead of exceeding t = 62.
  REQUIRE(octet::quant::quantize_multiplier(std::ldexp(1.0, -40), &m));
  CHECK(m.rshift == 62);
  CHECK(m.multiplier == (1 << 22));
  REQUIRE(octet::quant::quantize_multiplier(std::ldexp(1.0, -100), &m));
  CHECK(m.multiplier == 0);
  CHECK_FALSE(octet::quant::quantize_multiplier(std::ldexp(1.0, 31), &m));
  CHECK_FALSE(octet::quant::quantize_multiplier(-1.0, &m));
  CHECK_FALSE(octet::quant::quantize_multiplier(NAN, &m));
  CHECK_FALSE(octet::quant::quantize_multiplier(INFINITY, &m));
  // Accuracy: relative error below 2^-30 for normal values.
  for (double r : {0.0001234, 0.0397, 0.75, 1.5, 3.14159, 1000.0, 123456.0}) {
    REQUIRE(octet::quant::quantize_multiplier(r, &m));
    const double back = std::ldexp(static_cast<double>(m.multiplier), -m.rshift);
    CHECK(std::abs(back - r) / r < 1e-9);
  }
}

TEST_CASE("divide_multiplier: matches m / n", "[requantize]") {
  Multiplier m{};
  REQUIRE(octet::quant::quantize_multiplier(0.8, &m));
  for (int32_t n : {1, 2, 3, 4, 7, 9, 49, 196, 3136, 65536}) {
    const Multiplier d = divide_multiplier(m.multiplier, m.rshift, n);
    CHECK(d.multiplier >= (1 << 30));
    const double back = std::ldexp(static_cast<double>(d.multiplier), -d.rshift);
    CHECK(std::abs(back - 0.8 / n) / (0.8 / n) < 1e-8);
  }
  // Average of 3 values summing to 4 at equal scales: 4/3 = 1.33 -> 1.
  REQUIRE(octet::quant::quantize_multiplier(1.0, &m));
  const Multiplier d3 = divide_multiplier(m.multiplier, m.rshift, 3);
  CHECK(requantize(4, d3.multiplier, d3.rshift) == 1);
  CHECK(requantize(5, d3.multiplier, d3.rshift) == 2);
  CHECK(requantize(-5, d3.multiplier, d3.rshift) == -2);
  // Exact ties: 3/2 = 1.5 -> 2, -3/2 -> -1.
  const Multiplier d2 = divide_multiplier(m.multiplier, m.rshift, 2);
  CHECK(requantize(3, d2.multiplier, d2.rshift) == 2);
  CHECK(requantize(-3, d2.multiplier, d2.rshift) == -1);
}
