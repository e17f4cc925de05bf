// SPDX-License-Identifier: Apache-2.0
//
// Converter-side tables and multipliers of the elementwise int8 operators:
// hand-computed entries, every entry against the float function, half-even
// ties, rejected parameters, and the exact multipliers of simple scales.
#include "converter/quant/lut.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <utility>

using octet::kernels::Multiplier;
using octet::quant::LutFunction;

namespace {

// The ONNX definitions, written independently of the converter.
double reference_function(LutFunction f, double alpha, double beta, double x) {
  switch (f) {
    case octet::quant::kSigmoid:
      return 1.0 / (1.0 + std::exp(-x));
    case octet::quant::kTanh:
      return std::tanh(x);
    case octet::quant::kHardSwish:
      return x * std::fmax(0.0, std::fmin(1.0, x / 6.0 + 0.5));
    case octet::quant::kHardSigmoid:
      return std::fmax(0.0, std::fmin(1.0, alpha * x + beta));
    case octet::quant::kLeakyRelu:
      return x >= 0.0 ? x : alpha * x;
  }
  return 0.0;
}

struct LutCase {
  LutFunction f;
  float alpha, beta;
  float x_scale;
  int32_t x_zero_point;
  float y_scale;
  int32_t y_zero_point;
  int32_t qmin, qmax;
};

}  // namespace

TEST_CASE("build_lut_qs8: hand-computed entries", "[lut]") {
  int8_t lut[256];
  SECTION("sigmoid, s_x = 1/16, output 1/256 with zero point -128") {
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kSigmoid, 0, 0, 1.0f / 16, 0, 1.0f / 256,
                                        -128, -128, 127, lut));
    CHECK(lut[128 + 0] == 0);     // 0.5 · 256 - 128
    CHECK(lut[128 + 16] == 59);   // sigmoid(1) · 256 = 187.15
    CHECK(lut[128 - 16] == -59);  // sigmoid(-1) · 256 = 68.85 -> 69
    CHECK(lut[0] == -128);        // sigmoid(-8) · 256 = 0.086
    CHECK(lut[255] == 127);       // 255.9 -> 256 saturates
  }
  SECTION("tanh, s_x = 1/32, output 1/128") {
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kTanh, 0, 0, 1.0f / 32, 0, 1.0f / 128, 0,
                                        -128, 127, lut));
    CHECK(lut[128] == 0);
    CHECK(lut[128 + 16] == 59);  // tanh(0.5) · 128 = 59.15
    CHECK(lut[128 - 16] == -59);
    CHECK(lut[255] == 127);  // 127.91 -> 128 saturates
    CHECK(lut[0] == -128);   // -127.91 -> -128
  }
  SECTION("hard_swish, s_x = 0.5, output 0.25 with zero point -20") {
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kHardSwish, 0, 0, 0.5f, 0, 0.25f, -20, -128,
                                        127, lut));
    CHECK(lut[128 + 6] == -8);   // x = 3: 3 / 0.25 = 12
    CHECK(lut[128 - 6] == -20);  // x = -3: 0
    CHECK(lut[128 + 2] == -17);  // x = 1: 2/3 / 0.25 = 2.67 -> 3
    CHECK(lut[128 + 1] == -19);  // x = 0.5: 1.17 -> 1
    CHECK(lut[128 - 2] == -21);  // x = -1: -1.33 -> -1
    CHECK(lut[128 - 1] == -21);  // x = -0.5: -0.83 -> -1
    CHECK(lut[255] == 127);      // x = 63.5: 254 - 20 = 234 saturates
  }
  SECTION("hard_sigmoid(0.2, 0.5), s_x = 0.5, output 1/256 with zero point -128") {
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kHardSigmoid, 0.2f, 0.5f, 0.5f, 0, 1.0f / 256,
                                        -128, -128, 127, lut));
    CHECK(lut[128] == 0);        // 0.5 · 256 - 128
    CHECK(lut[128 + 1] == 26);   // 0.6 · 256 = 153.6 -> 154
    CHECK(lut[128 - 1] == -26);  // 0.4 · 256 = 102.4 -> 102
    CHECK(lut[128 + 3] == 77);   // 0.8 · 256 = 204.8 -> 205
    CHECK(lut[128 + 5] == 127);  // 1 · 256 saturates
    CHECK(lut[128 - 5] == -128);
  }
  SECTION("input zero point shifts the table") {
    // Identity-like leaky relu with alpha 1: lut[i] = i - 128 - zx.
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kLeakyRelu, 1.0f, 0, 1.0f, 5, 1.0f, 0, -128,
                                        127, lut));
    for (int32_t i = 0; i < 256; ++i) {
      const int32_t v = i - 128 - 5;
      REQUIRE(lut[i] == (v < -128 ? -128 : v));
    }
  }
  SECTION("qmin/qmax restrict the table") {
    REQUIRE(octet::quant::build_lut_qs8(octet::quant::kTanh, 0, 0, 1.0f / 32, 0, 1.0f / 128, 0, -10,
                                        20, lut));
    for (int32_t i = 0; i < 256; ++i) REQUIRE((lut[i] >= -10 && lut[i] <= 20));
    CHECK(lut[0] == -10);
    CHECK(lut[255] == 20);
    CHECK(lut[128 + 2] == 8);  // tanh(1/16) · 128 = 7.99
  }
}

TEST_CASE("build_lut_qs8: ties round half to even", "[lut]") {
  // Leaky relu with alpha 1/2 at unit scales: f(q) = q/2 for q < 0, exact.
  int8_t lut[256];
  REQUIRE(octet::quant::build_lut_qs8(octet::quant::kLeakyRelu, 0.5f, 0, 1.0f, 0, 1.0f, 0, -128,
                                      127, lut));
  CHECK(lut[128 - 1] == 0);   // -0.5 -> -0 -> 0
  CHECK(lut[128 - 3] == -2);  // -1.5
  CHECK(lut[128 - 5] == -2);  // -2.5
  CHECK(lut[128 - 7] == -4);  // -3.5
  CHECK(lut[0] == -64);       // -64 exactly
  // Positive ties through the output scale: s_y = 2, f(q) = q.
  REQUIRE(octet::quant::build_lut_qs8(octet::quant::kLeakyRelu, 0.5f, 0, 1.0f, 0, 2.0f, 0, -128,
                                      127, lut));
  CHECK(lut[128 + 1] == 0);  // 0.5
  CHECK(lut[128 + 3] == 2);  // 1.5
  CHECK(lut[128 + 5] == 2);  // 2.5
  CHECK(lut[128 - 2] == 0);  // -2 · 0.5 / 2 = -0.5
}

TEST_CASE("build_lut_qs8: every entry within half a step of the function", "[lut]") {
  using namespace octet::quant;
  const LutCase cases[] = {
      {kSigmoid, 0, 0, 0.0625f, 0, 1.0f / 256, -128, -128, 127},
      {kSigmoid, 0, 0, 0.1f, -128, 1.0f / 256, -128, -128, 127},
      {kSigmoid, 0, 0, 0.03f, 127, 1.0f / 200, 0, -128, 127},
      {kTanh, 0, 0, 0.02f, 7, 1.0f / 128, 0, -128, 127},
      {kTanh, 0, 0, 0.05f, -128, 1.0f / 127, 0, -128, 127},
      {kTanh, 0, 0, 0.01f, 127, 0.004f, -3, -120, 110},
      {kHardSwish, 0, 0, 0.05f, 0, 0.03f, -100, -128, 127},
      {kHardSwish, 0, 0, 0.08f, -128, 0.08f, -128, -128, 127},
      {kHardSwish, 0, 0, 0.04f, 127, 0.01f, 127, -128, 127},
      {kHardSigmoid, 0.2f, 0.5f, 0.05f, 0, 1.0f / 256, -128, -128, 127},
      {kHardSigmoid, 1.0f / 6, 0.5f, 0.1f, 30, 1.0f / 255, -128, -128, 127},
      {kLeakyRelu, 0.01f, 0, 0.05f, 0, 0.05f, 0, -128, 127},
      {kLeakyRelu, 0.2f, 0, 0.1f, -128, 0.07f, -128, -128, 127},
      {kLeakyRelu, 0.1f, 0, 0.1f, 127, 0.01f, 127, -128, 127},
  };
  for (const LutCase& c : cases) {
    int8_t lut[256];
    REQUIRE(build_lut_qs8(c.f, c.alpha, c.beta, c.x_scale, c.x_zero_point, c.y_scale,
                          c.y_zero_point, c.qmin, c.qmax, lut));
    for (int32_t i = 0; i < 256; ++i) {
      const double x = double{c.x_scale} * (i - 128 - c.x_zero_point);
      const double target =
          reference_function(c.f, c.alpha, c.beta, x) / c.y_scale + c.y_zero_point;
      const double clamped = target < c.qmin ? c.qmin : (target > c.qmax ? c.qmax : target);
      INFO("function " << c.f << " entry " << i << " target " << target);
      REQUIRE(lut[i] >= c.qmin);
      REQUIRE(lut[i] <= c.qmax);
      REQUIRE(std::abs(lut[i] - clamped) <= 0.5 + 1e-9);
    }
    // Monotone functions give monotone tables.
    if (c.f != kHardSwish) {
      for (int32_t i = 1; i < 256; ++i) REQUIRE(lut[i] >= lut[i - 1]);
    }
  }
}

TEST_CASE("build_lut_qs8: rejects invalid parameters", "[lut]") {
  using namespace octet::quant;
  int8_t lut[256];
  for (int32_t i = 0; i < 256; ++i) lut[i] = 42;
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.0f, 0, 1.0f / 256, -128, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, -1.0f, -128, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, NAN, 0, 1.0f / 256, -128, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, INFINITY, -128, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 128, 1.0f / 256, -128, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, 1.0f / 256, -129, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, 1.0f / 256, -128, 10, 9, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, 1.0f / 256, -128, -129, 127, lut));
  CHECK_FALSE(build_lut_qs8(kSigmoid, 0, 0, 0.1f, 0, 1.0f / 256, -128, -128, 128, lut));
  CHECK_FALSE(build_lut_qs8(kLeakyRelu, NAN, 0, 0.1f, 0, 0.1f, 0, -128, 127, lut));
  CHECK_FALSE(build_lut_qs8(static_cast<LutFunction>(99), 0, 0, 0.1f, 0, 0.1f, 0, -128, 127, lut));
  for (int32_t i = 0; i < 256; ++i) REQUIRE(lut[i] == 42);  // untouched
  // A tiny output scale saturates instead of overflowing the conversion.
  REQUIRE(build_lut_qs8(kLeakyRelu, 0.5f, 0, 1000.0f, 0, 1e-30f, 0, -128, 127, lut));
  CHECK(lut[0] == -128);
  CHECK(lut[128] == 0);
  CHECK(lut[255] == 127);
}

TEST_CASE("build_softmax_exp_table", "[lut]") {
  int32_t table[256];
  SECTION("beta · s_x = ln 2 halves each step") {
    octet::quant::build_softmax_exp_table(1.0f, std::log(2.0f), table);
    // float(ln 2) is 1.9e-9 above ln 2, so 2^24 · 2^-25 rounds down to 0.
    for (int32_t d = 0; d <= 24; ++d) REQUIRE(table[d] == (1 << (24 - d)));
    for (int32_t d = 25; d < 256; ++d) REQUIRE(table[d] == 0);
  }
  SECTION("beta = 0: every entry is exp(0)") {
    octet::quant::build_softmax_exp_table(0.0f, 0.1f, table);
    for (int32_t d = 0; d < 256; ++d) REQUIRE(table[d] == (1 << 24));
  }
  SECTION("within half a unit of 2^24 · exp(-beta · s_x · d), non-increasing") {
    const std::pair<float, float> params[] = {
        {1.0f, 0.1f}, {1.0f, 1.0f / 64}, {2.5f, 0.02f}, {1.0f, 0.0039f}};
    for (const auto& [beta, sx] : params) {
      octet::quant::build_softmax_exp_table(beta, sx, table);
      CHECK(table[0] == (1 << 24));
      for (int32_t d = 0; d < 256; ++d) {
        const double v = std::ldexp(std::exp(-double{beta} * sx * d), 24);
        REQUIRE(std::abs(table[d] - v) <= 0.5);
        if (d > 0) REQUIRE(table[d] <= table[d - 1]);
      }
    }
  }
}

TEST_CASE("op multipliers from scales", "[lut]") {
  using namespace octet::quant;
  SECTION("add/sub") {
    Multiplier m[3];
    REQUIRE(add_sub_multipliers(0.25f, 0.5f, 1.0f, m));
    CHECK(m[0].multiplier == (1 << 30));  // 0.25 / 1 = 1/4
    CHECK(m[0].rshift == 32);
    CHECK(m[1].multiplier == (1 << 30));  // 1/2, the larger input
    CHECK(m[1].rshift == 31);
    CHECK(m[2].multiplier == (1 << 30));  // 1 / 2^20
    CHECK(m[2].rshift == 50);
    // Arbitrary scales: the input multipliers stay <= 1/2 (rshift >= 31).
    REQUIRE(add_sub_multipliers(0.0173f, 0.0041f, 0.02f, m));
    CHECK(m[0].rshift >= 31);
    CHECK(m[1].rshift >= 31);
    const double m2 = std::ldexp(static_cast<double>(m[2].multiplier), -m[2].rshift);
    CHECK(m2 == Approx(2.0 * 0.0173f / (1048576.0 * 0.02f)).epsilon(1e-9));
    CHECK_FALSE(add_sub_multipliers(0.0f, 0.5f, 1.0f, m));
    CHECK_FALSE(add_sub_multipliers(0.5f, NAN, 1.0f, m));
    CHECK_FALSE(add_sub_multipliers(0.5f, 0.5f, -1.0f, m));
  }
  SECTION("mul") {
    Multiplier m{};
    REQUIRE(mul_multiplier(0.5f, 0.25f, 0.125f, &m));
    CHECK(m.multiplier == (1 << 30));  // exactly 1
    CHECK(m.rshift == 30);
    REQUIRE(mul_multiplier(0.02f, 0.03f, 0.05f, &m));
    CHECK(std::ldexp(static_cast<double>(m.multiplier), -m.rshift) ==
          Approx(double{0.02f} * 0.03f / 0.05f).epsilon(1e-9));
    CHECK_FALSE(mul_multiplier(0.02f, 0.0f, 0.05f, &m));
    CHECK_FALSE(mul_multiplier(1e20f, 1e20f, 1e-20f, &m));  // 1e60 is not representable
  }
  SECTION("prelu") {
    Multiplier m[2];
    REQUIRE(prelu_multipliers(0.5f, 1.0f / 64, 0.25f, m));
    CHECK(m[0].multiplier == (1 << 30));  // 2
    CHECK(m[0].rshift == 29);
    CHECK(m[1].multiplier == (1 << 30));  // 1/32
    CHECK(m[1].rshift == 35);
    CHECK_FALSE(prelu_multipliers(0.5f, 0.0f, 0.25f, m));
  }
  SECTION("softmax output") {
    Multiplier m{};
    REQUIRE(softmax_output_multiplier(1.0f / 256, &m));
    CHECK(m.multiplier == (1 << 30));  // 256
    CHECK(m.rshift == 22);
    REQUIRE(softmax_output_multiplier(2.0f, &m));  // 1/2: rshift 31, the largest allowed
    CHECK(m.rshift == 31);
    CHECK_FALSE(softmax_output_multiplier(4.0f, &m));
    CHECK_FALSE(softmax_output_multiplier(0.0f, &m));
    CHECK_FALSE(softmax_output_multiplier(NAN, &m));
  }
}
