// SPDX-License-Identifier: Apache-2.0
//
// Reference activations: fp32 against ONNX definitions, int8 clamp and PRELU
// against the doc formulas (written with floor division) and against real
// arithmetic, and the table lookup against its definition.
#include "kernels/activation/activation.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "converter/quant/lut.h"
#include "converter/quant/quant_math.h"

using octet::kernels::ClampQs8Params;
using octet::kernels::FloatClamp;
using octet::kernels::Multiplier;
using octet::kernels::PreluQs8Params;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

int32_t doc_output(int64_t acc, const Multiplier& m, int32_t zy, int32_t qmin, int32_t qmax) {
  const int64_t two_t = int64_t{1} << m.rshift;
  const int64_t v = floor_div(acc * m.multiplier + two_t / 2, two_t) + zy;
  return static_cast<int32_t>(v < qmin ? qmin : (v > qmax ? qmax : v));
}

// |s_y · (y - zy) - clamp(real)| in output steps.
double step_error(int32_t y, double real, double sy, int32_t zy, int32_t qmin, int32_t qmax) {
  const double lo = sy * (qmin - zy);
  const double hi = sy * (qmax - zy);
  const double clamped = real < lo ? lo : (real > hi ? hi : real);
  return std::abs(sy * (y - zy) - clamped) / sy;
}

}  // namespace

TEST_CASE("activation f32: hand-computed", "[activation]") {
  SECTION("clamp: relu, relu6") {
    const float x[] = {-1.0f, -0.0f, 3.0f, 6.0f, 7.5f};
    float y[5];
    octet::kernels::clamp_f32_reference(5, x, FloatClamp{0.0f, kInf}, y);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 0.0f);
    CHECK(y[2] == 3.0f);
    CHECK(y[3] == 6.0f);
    CHECK(y[4] == 7.5f);
    octet::kernels::clamp_f32_reference(5, x, FloatClamp{0.0f, 6.0f}, y);
    CHECK(y[0] == 0.0f);
    CHECK(y[2] == 3.0f);
    CHECK(y[3] == 6.0f);
    CHECK(y[4] == 6.0f);
  }
  SECTION("hard_swish") {
    const float x[] = {-4.0f, -3.0f, -1.5f, 0.0f, 1.5f, 3.0f, 4.0f};
    float y[7];
    octet::kernels::hard_swish_f32_reference(7, x, y);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == 0.0f);
    CHECK(y[2] == Approx(-0.375f));  // -1.5 · 0.25
    CHECK(y[3] == 0.0f);
    CHECK(y[4] == Approx(1.125f));  // 1.5 · 0.75
    CHECK(y[5] == 3.0f);
    CHECK(y[6] == 4.0f);
  }
  SECTION("hard_sigmoid") {
    const float x[] = {-3.0f, -2.5f, 0.0f, 1.0f, 2.5f, 3.0f};
    float y[6];
    octet::kernels::hard_sigmoid_f32_reference(6, x, 0.2f, 0.5f, y);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == Approx(0.0f).margin(1e-7));
    CHECK(y[2] == 0.5f);
    CHECK(y[3] == Approx(0.7f));
    CHECK(y[4] == 1.0f);
    CHECK(y[5] == 1.0f);
  }
  SECTION("sigmoid") {
    const float ln3 = std::log(3.0f);
    const float x[] = {0.0f, ln3, -ln3, -100.0f, 100.0f, -kInf, kInf};
    float y[7];
    octet::kernels::sigmoid_f32_reference(7, x, y);
    CHECK(y[0] == 0.5f);
    CHECK(y[1] == Approx(0.75f));
    CHECK(y[2] == Approx(0.25f));
    CHECK(y[3] > 0.0f);  // e^-100 ≈ 3.7e-44: the stable branch keeps the denormal
    CHECK(y[3] < 1e-43f);
    CHECK(y[4] == 1.0f);
    CHECK(y[5] == 0.0f);
    CHECK(y[6] == 1.0f);
  }
  SECTION("tanh") {
    const float x[] = {0.0f, 0.5f, -0.5f, 20.0f};
    float y[4];
    octet::kernels::tanh_f32_reference(4, x, y);
    CHECK(y[0] == 0.0f);
    CHECK(y[1] == Approx(0.46211715726f));
    CHECK(y[2] == Approx(-0.46211715726f));
    CHECK(y[3] == 1.0f);
  }
  SECTION("leaky_relu") {
    const float x[] = {-2.0f, 0.0f, 3.0f};
    float y[3];
    octet::kernels::leaky_relu_f32_reference(3, x, 0.25f, y);
    CHECK(y[0] == -0.5f);
    CHECK(y[1] == 0.0f);
    CHECK(y[2] == 3.0f);
  }
  SECTION("prelu: slope along the channel axis of NHWC") {
    // [1, 2, 2, 3] with slope [3].
    const float x[] = {-2, -2, -2, 1, 2, 3, -4, 5, -6, 0, -1, 8};
    const float slope[] = {0.5f, 0.25f, 2.0f};
    const float expected[] = {-1, -0.5f, -4, 1, 2, 3, -2, 5, -12, 0, -0.25f, 8};
    float y[12];
    octet::kernels::prelu_f32_reference(12, 3, x, slope, y);
    for (int i = 0; i < 12; ++i) CHECK(y[i] == expected[i]);
    // A scalar slope is one channel.
    octet::kernels::prelu_f32_reference(12, 1, x, slope, y);
    CHECK(y[0] == -1.0f);
    CHECK(y[8] == -3.0f);
  }
  SECTION("NaN propagates") {
    const float x[] = {kNaN};
    float y[1];
    octet::kernels::clamp_f32_reference(1, x, FloatClamp{0.0f, 6.0f}, y);
    CHECK(std::isnan(y[0]));
    octet::kernels::hard_swish_f32_reference(1, x, y);
    CHECK(std::isnan(y[0]));
    octet::kernels::hard_sigmoid_f32_reference(1, x, 0.2f, 0.5f, y);
    CHECK(std::isnan(y[0]));
    octet::kernels::sigmoid_f32_reference(1, x, y);
    CHECK(std::isnan(y[0]));
    octet::kernels::leaky_relu_f32_reference(1, x, 0.1f, y);
    CHECK(std::isnan(y[0]));
    const float slope[] = {0.1f};
    octet::kernels::prelu_f32_reference(1, 1, x, slope, y);
    CHECK(std::isnan(y[0]));
  }
}

TEST_CASE("clamp_qs8: hand-computed", "[activation]") {
  const int8_t x[] = {-128, -11, -10, -9, 0, 127};
  int8_t y[6];
  SECTION("identity scale, relu") {
    // s_x = s_y: M = 1 exactly; ReLU is qmin = zy.
    const ClampQs8Params p{-10, -10, {1 << 30, 30}, -10, 127};
    octet::kernels::clamp_qs8_reference(6, x, p, y);
    CHECK(y[0] == -10);
    CHECK(y[1] == -10);
    CHECK(y[2] == -10);
    CHECK(y[3] == -9);
    CHECK(y[4] == 0);
    CHECK(y[5] == 127);
  }
  SECTION("scale change with ties, zero-point shift, saturation") {
    // s_y = 2 s_x: y = floor((x - zx + 1) / 2) + zy.
    const ClampQs8Params p{-10, 100, {1 << 30, 31}, -128, 127};
    octet::kernels::clamp_qs8_reference(6, x, p, y);
    CHECK(y[0] == 41);   // -118 / 2 = -59
    CHECK(y[1] == 100);  // -0.5 -> 0
    CHECK(y[2] == 100);  // 0
    CHECK(y[3] == 101);  // 0.5 -> 1
    CHECK(y[4] == 105);  // 5
    CHECK(y[5] == 127);  // 100 + 69 saturates
  }
  SECTION("relu6 onto the full int8 range, zero points at the extremes") {
    // s_x = 0.05, zx = -128; ReLU6 output s_y = 6/255, zy = -128, so
    // M = 0.05 · 255 / 6 = 2.125 (exactly representable).
    Multiplier m{};
    REQUIRE(octet::quant::quantize_multiplier(0.05 / (6.0 / 255.0), &m));
    CHECK(m.multiplier == 1140850688);  // 0.53125 · 2^31
    CHECK(m.rshift == 29);
    const ClampQs8Params p{-128, -128, m, -128, 127};
    const int8_t xs[] = {-128, -127, -100, 127};
    octet::kernels::clamp_qs8_reference(4, xs, p, y);
    CHECK(y[0] == -128);  // 0
    CHECK(y[1] == -126);  // 2.125 -> 2
    CHECK(y[2] == -68);   // 28 · 2.125 = 59.5 -> 60
    CHECK(y[3] == 127);   // 541.875 saturates
  }
}

TEST_CASE("clamp_qs8: fixed-seed random against the doc formula", "[activation]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> q(-128, 127);
  std::uniform_real_distribution<double> log_ratio(std::log(0.05), std::log(20.0));
  std::vector<int8_t> x(256), y(256);
  for (int32_t i = 0; i < 256; ++i) x[i] = static_cast<int8_t>(i - 128);
  const int32_t zero_points[] = {-128, 127, 0, 33};
  for (int trial = 0; trial < 64; ++trial) {
    ClampQs8Params p{};
    p.x_zero_point = trial < 16 ? zero_points[trial % 4] : q(rng);
    p.y_zero_point = trial < 16 ? zero_points[trial / 4] : q(rng);
    p.qmin = trial % 2 ? p.y_zero_point : -128;
    p.qmax = 127;
    const double sx = 0.02;
    const double sy = static_cast<float>(sx * std::exp(log_ratio(rng)));
    REQUIRE(octet::quant::quantize_multiplier(sx / sy, &p.multiplier));
    octet::kernels::clamp_qs8_reference(256, x.data(), p, y.data());
    for (int32_t i = 0; i < 256; ++i) {
      const int32_t d = x[i] - p.x_zero_point;
      REQUIRE(y[i] == doc_output(d, p.multiplier, p.y_zero_point, p.qmin, p.qmax));
      REQUIRE(step_error(y[i], sx * d, sy, p.y_zero_point, p.qmin, p.qmax) <= 0.5 + 1e-6);
    }
  }
}

TEST_CASE("lut_qs8: y = lut[x + 128]", "[activation]") {
  int8_t lut[256];
  for (int32_t i = 0; i < 256; ++i) lut[i] = static_cast<int8_t>(127 - i);  // y = -1 - x
  std::vector<int8_t> x(300), y(300);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>((i * 37) % 256 - 128);
  octet::kernels::lut_qs8_reference(x.size(), x.data(), lut, y.data());
  for (size_t i = 0; i < x.size(); ++i) REQUIRE(y[i] == -1 - x[i]);
  const int8_t ends[] = {-128, 127};
  int8_t out[2];
  octet::kernels::lut_qs8_reference(2, ends, lut, out);
  CHECK(out[0] == 127);
  CHECK(out[1] == -128);

  // End to end with a converter-built table: sigmoid, s_x = 1/16, output 1/256 - 128.
  REQUIRE(octet::quant::build_lut_qs8(octet::quant::kSigmoid, 0, 0, 1.0f / 16, 0, 1.0f / 256, -128,
                                      -128, 127, lut));
  const int8_t xs[] = {0, -128, 127, 16};
  int8_t ys[4];
  octet::kernels::lut_qs8_reference(4, xs, lut, ys);
  CHECK(ys[0] == 0);     // sigmoid(0) = 0.5 = 128 / 256
  CHECK(ys[1] == -128);  // sigmoid(-8) · 256 = 0.086 -> 0
  CHECK(ys[2] == 127);   // 255.9 -> 256, saturates
  CHECK(ys[3] == 59);    // sigmoid(1) · 256 = 187.15 -> 187
}

TEST_CASE("prelu_qs8: hand-computed", "[activation]") {
  // s_x = 0.5, zx = 10; slope int8 with s_α = 1/64, zα = -4; s_y = 0.25, zy = -20.
  // M[0] = 2, M[1] = 1/32.
  Multiplier m[2];
  REQUIRE(octet::quant::prelu_multipliers(0.5f, 1.0f / 64, 0.25f, m));
  CHECK(m[0].multiplier == (1 << 30));
  CHECK(m[0].rshift == 29);
  CHECK(m[1].multiplier == (1 << 30));
  CHECK(m[1].rshift == 35);
  const PreluQs8Params p{10, -4, -20, -128, 127, m[0], m[1]};
  // Two channels: α = (12 - -4)/64 = 0.25 and (-20 - -4)/64 = -0.25.
  const int8_t slope[] = {12, -20};
  const int8_t x[] = {10, 10, 13, 13, 8, 8, 4, 4, 127, -128, -128, 127};
  int8_t y[12];
  octet::kernels::prelu_qs8_reference(12, 2, x, slope, p, y);
  CHECK(y[0] == -20);  // d = 0
  CHECK(y[1] == -20);
  CHECK(y[2] == -14);  // d = 3: 3 · 2 = 6
  CHECK(y[3] == -14);
  CHECK(y[4] == -21);       // d = -2: -2 · 16 / 32 = -1
  CHECK(y[5] == -19);       // d = -2: -2 · -16 / 32 = 1
  CHECK(y[6] == -23);       // d = -6: -96 / 32 = -3
  CHECK(y[7] == -17);       // 3
  CHECK(y[8] == 127);       // d = 117: 234 saturates
  CHECK(y[9] == -20 + 69);  // d = -138: -138 · -16 / 32 = 69
  CHECK(y[10] == -89);      // d = -138: -69
  CHECK(y[11] == 127);
  // Ties on the negative side round toward +infinity: d = -1, α - zα = 16:
  // -16 / 32 = -0.5 -> 0; d = -3: -1.5 -> -1.
  const int8_t xt[] = {9, 10, 7, 10};
  octet::kernels::prelu_qs8_reference(4, 2, xt, slope, p, y);
  CHECK(y[0] == -20);
  CHECK(y[2] == -21);
}

TEST_CASE("prelu_qs8: fixed-seed random against the doc formula", "[activation]") {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int32_t> q(-128, 127);
  std::uniform_real_distribution<double> log_ratio(std::log(0.1), std::log(10.0));
  const int32_t zero_points[] = {-128, 127, 0, -1};
  constexpr size_t kChannels = 5;
  std::vector<int8_t> x(kChannels * 256), y(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<int8_t>(i / kChannels - 128);
  for (int trial = 0; trial < 48; ++trial) {
    PreluQs8Params p{};
    p.x_zero_point = trial < 16 ? zero_points[trial % 4] : q(rng);
    p.y_zero_point = trial < 16 ? zero_points[trial / 4] : q(rng);
    p.slope_zero_point = trial % 3 == 0 ? 0 : q(rng);
    p.qmin = trial % 2 ? -100 : -128;
    p.qmax = trial % 2 ? 100 : 127;
    int8_t slope[kChannels];
    for (int8_t& s : slope) s = static_cast<int8_t>(q(rng));
    const float sx = 0.03f;
    const float salpha = 1.0f / 128;
    const float sy = static_cast<float>(sx * std::exp(log_ratio(rng)));
    Multiplier m[2];
    REQUIRE(octet::quant::prelu_multipliers(sx, salpha, sy, m));
    p.positive_multiplier = m[0];
    p.negative_multiplier = m[1];
    octet::kernels::prelu_qs8_reference(x.size(), kChannels, x.data(), slope, p, y.data());
    for (size_t i = 0; i < x.size(); ++i) {
      const int32_t d = x[i] - p.x_zero_point;
      const int32_t a = slope[i % kChannels] - p.slope_zero_point;
      const int32_t expected =
          d >= 0 ? doc_output(d, m[0], p.y_zero_point, p.qmin, p.qmax)
                 : doc_output(int64_t{d} * a, m[1], p.y_zero_point, p.qmin, p.qmax);
      REQUIRE(y[i] == expected);
      const double real = d >= 0 ? double{sx} * d : double{sx} * d * double{salpha} * a;
      REQUIRE(step_error(y[i], real, sy, p.y_zero_point, p.qmin, p.qmax) <= 0.5 + 1e-6);
    }
  }
}
