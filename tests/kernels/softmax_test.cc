// SPDX-License-Identifier: Apache-2.0
//
// Reference softmax: fp32 hand cases and stability, int8 hand cases, and
// fixed-seed int8 rows checked exactly against the doc formula (written with
// floor division) and against the float softmax of the dequantized input.
#include "kernels/softmax/softmax.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "converter/quant/lut.h"

using octet::kernels::Multiplier;

namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// docs/quantization.md §3 SOFTMAX, one row.
void doc_softmax_row(int32_t cols, const int32_t table[256], const Multiplier& m, int32_t zy,
                     int32_t qmin, int32_t qmax, const int8_t* x, int32_t* y) {
  int32_t mx = -128;
  for (int32_t j = 0; j < cols; ++j) mx = std::max<int32_t>(mx, x[j]);
  int64_t s = 0;
  for (int32_t j = 0; j < cols; ++j) s += table[mx - x[j]];
  for (int32_t j = 0; j < cols; ++j) {
    const int64_t p = floor_div(int64_t{table[mx - x[j]]} * (int64_t{1} << 31) + s / 2, s);
    const int64_t two_t = int64_t{1} << (m.rshift + 31);
    const int64_t v = floor_div(p * m.multiplier + two_t / 2, two_t) + zy;
    y[j] = static_cast<int32_t>(v < qmin ? qmin : (v > qmax ? qmax : v));
  }
}

struct QuantizedSoftmax {
  int32_t table[256];
  Multiplier out;
};

QuantizedSoftmax prepare(float beta, float sx, float sy) {
  QuantizedSoftmax q{};
  octet::quant::build_softmax_exp_table(beta, sx, q.table);
  REQUIRE(octet::quant::softmax_output_multiplier(sy, &q.out));
  return q;
}

}  // namespace

TEST_CASE("softmax_f32: hand-computed", "[softmax]") {
  const float ln3 = std::log(3.0f);
  SECTION("two rows") {
    const float x[] = {0.0f, ln3, 1.0f, 1.0f};
    float y[4];
    octet::kernels::softmax_f32_reference(2, 2, 1.0f, x, y);
    CHECK(y[0] == Approx(0.25f));
    CHECK(y[1] == Approx(0.75f));
    CHECK(y[2] == 0.5f);
    CHECK(y[3] == 0.5f);
  }
  SECTION("beta scales the logits") {
    const float x[] = {0.0f, ln3 / 2};
    float y[2];
    octet::kernels::softmax_f32_reference(1, 2, 2.0f, x, y);
    CHECK(y[0] == Approx(0.25f));
    CHECK(y[1] == Approx(0.75f));
  }
  SECTION("large logits do not overflow, all equal is uniform") {
    const float x[] = {1000.0f, 1000.0f, 1000.0f, 1000.0f, -1000.0f, 0.0f};
    float y[6];
    octet::kernels::softmax_f32_reference(1, 6, 1.0f, x, y);
    for (int j = 0; j < 4; ++j) CHECK(y[j] == 0.25f);
    CHECK(y[4] == 0.0f);
    CHECK(y[5] == 0.0f);
  }
  SECTION("single column, in place, rows sum to 1") {
    float x[] = {-3.0f, 7.5f};
    octet::kernels::softmax_f32_reference(2, 1, 1.0f, x, x);
    CHECK(x[0] == 1.0f);
    CHECK(x[1] == 1.0f);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> dist(-20.0f, 20.0f);
    std::vector<float> v(7 * 33);
    for (float& f : v) f = dist(rng);
    octet::kernels::softmax_f32_reference(7, 33, 0.7f, v.data(), v.data());
    for (int r = 0; r < 7; ++r) {
      double sum = 0;
      for (int j = 0; j < 33; ++j) sum += v[r * 33 + j];
      CHECK(sum == Approx(1.0).epsilon(1e-5));
    }
  }
}

TEST_CASE("softmax_qs8: hand-computed", "[softmax]") {
  // Output s_y = 1/256, zy = -128 (probability p is q = 256 p - 128).
  SECTION("all-equal inputs") {
    const QuantizedSoftmax q = prepare(1.0f, 0.1f, 1.0f / 256);
    const int8_t x[] = {5, 5, 5, 5, 5, 5, 5, -128, -128, -128, -128};
    int8_t y[11];
    octet::kernels::softmax_qs8_reference(1, 4, q.table, q.out, -128, -128, 127, x, y);
    for (int j = 0; j < 4; ++j) CHECK(y[j] == -64);  // 1/4 · 256 = 64
    octet::kernels::softmax_qs8_reference(1, 3, q.table, q.out, -128, -128, 127, x + 4, y + 4);
    for (int j = 4; j < 7; ++j) CHECK(y[j] == -43);  // 85.33 -> 85
    octet::kernels::softmax_qs8_reference(1, 4, q.table, q.out, -128, -128, 127, x + 7, y + 7);
    for (int j = 7; j < 11; ++j) CHECK(y[j] == -64);
    // One column: probability 1 = 256 steps, saturates at 127.
    octet::kernels::softmax_qs8_reference(1, 1, q.table, q.out, -128, -128, 127, x, y);
    CHECK(y[0] == 127);
  }
  SECTION("mixed row") {
    // s_x = 0.1: probabilities ∝ e^0, e^1, e^-1, e^2 = .0917 .2494 .0338 .6652.
    const QuantizedSoftmax q = prepare(1.0f, 0.1f, 1.0f / 256);
    const int8_t x[] = {0, 10, -10, 20};
    int8_t y[4];
    octet::kernels::softmax_qs8_reference(1, 4, q.table, q.out, -128, -128, 127, x, y);
    CHECK(y[0] == -106);  // 23.31
    CHECK(y[1] == -67);   // 63.64
    CHECK(y[2] == -120);  // 8.21
    CHECK(y[3] == 37);    // 164.84
  }
  SECTION("255 spread") {
    const int8_t x[] = {-128, 127};
    int8_t y[2];
    // s_x = 0.1: e^-25.5 · 2^24 rounds to 0, the row is one-hot.
    QuantizedSoftmax q = prepare(1.0f, 0.1f, 1.0f / 256);
    CHECK(q.table[255] == 0);
    octet::kernels::softmax_qs8_reference(1, 2, q.table, q.out, -128, -128, 127, x, y);
    CHECK(y[0] == -128);
    CHECK(y[1] == 127);
    // s_x = 1/64: e^-3.98 = 0.0186, probabilities 0.01827 and 0.98173.
    q = prepare(1.0f, 1.0f / 64, 1.0f / 256);
    CHECK(q.table[255] == 312124);
    octet::kernels::softmax_qs8_reference(1, 2, q.table, q.out, -128, -128, 127, x, y);
    CHECK(y[0] == -123);  // 4.68 -> 5
    CHECK(y[1] == 123);   // 251.32 -> 251
  }
  SECTION("output zero point, clamp and in place") {
    // s_y = 1/128, zy = 0: q = 128 p.
    const QuantizedSoftmax q = prepare(1.0f, 0.1f, 1.0f / 128);
    int8_t x[] = {7, 7, 3, 3, 3, 3};
    octet::kernels::softmax_qs8_reference(3, 2, q.table, q.out, 0, -128, 127, x, x);
    CHECK(x[0] == 64);
    CHECK(x[1] == 64);
    CHECK(x[2] == 64);
    CHECK(x[5] == 64);
    const int8_t z[] = {0, 0};
    int8_t y[2];
    octet::kernels::softmax_qs8_reference(1, 2, q.table, q.out, 0, 0, 50, z, y);
    CHECK(y[0] == 50);
  }
}

TEST_CASE("softmax_qs8: fixed-seed random against the doc and float softmax", "[softmax]") {
  std::mt19937 rng(31337);
  std::uniform_int_distribution<int32_t> q(-128, 127);
  std::uniform_real_distribution<double> log_sx(std::log(0.005), std::log(0.3));
  const int32_t col_counts[] = {1, 2, 3, 7, 16, 64, 100, 1000};
  struct Out {
    float sy;
    int32_t zy;
  };
  const Out outs[] = {{1.0f / 256, -128}, {1.0f / 255, -128}, {1.0f / 128, 0}, {0.01f, -127}};
  int64_t checked = 0;
  for (int trial = 0; trial < 96; ++trial) {
    const int32_t cols = col_counts[trial % 8];
    const int32_t rows = 3;
    const Out out = outs[(trial / 8) % 4];
    const float beta = trial % 3 == 0 ? 1.0f : (trial % 3 == 1 ? 0.5f : 2.0f);
    const float sx = static_cast<float>(std::exp(log_sx(rng)));
    const QuantizedSoftmax qs = prepare(beta, sx, out.sy);
    std::vector<int8_t> x(rows * cols), y(x.size());
    for (int8_t& v : x) v = static_cast<int8_t>(q(rng));
    // Row 1 spans the full 255 range; row 2 is all equal.
    x[cols] = -128;
    if (cols > 1) x[cols + 1] = 127;
    for (int32_t j = 0; j < cols; ++j) x[2 * cols + j] = static_cast<int8_t>(trial - 48);
    octet::kernels::softmax_qs8_reference(rows, cols, qs.table, qs.out, out.zy, -128, 127, x.data(),
                                          y.data());
    std::vector<int32_t> expected(cols);
    for (int32_t r = 0; r < rows; ++r) {
      const int8_t* xr = x.data() + r * cols;
      const int8_t* yr = y.data() + r * cols;
      doc_softmax_row(cols, qs.table, qs.out, out.zy, -128, 127, xr, expected.data());
      for (int32_t j = 0; j < cols; ++j) REQUIRE(yr[j] == expected[j]);

      // Float softmax of the dequantized row (zx cancels).
      int32_t mx = -128;
      for (int32_t j = 0; j < cols; ++j) mx = std::max<int32_t>(mx, xr[j]);
      double sum = 0;
      for (int32_t j = 0; j < cols; ++j) sum += std::exp(double{beta} * sx * (xr[j] - mx));
      // Budget in output steps: 1/2 for the final rounding, plus the table's
      // rounding (each entry within 1/2 of 2^24·exp, with S >= 2^24) which
      // moves a probability by at most (1 + cols)/2 · 2^-24.
      const double tolerance = 0.5 + 0.5 * (1 + cols) / (std::ldexp(1.0, 24) * out.sy) + 1e-6;
      REQUIRE(tolerance < 1.0);
      const double lo = out.sy * (-128 - out.zy);
      const double hi = out.sy * (127 - out.zy);
      double dequantized_sum = 0;
      for (int32_t j = 0; j < cols; ++j) {
        const double p = std::exp(double{beta} * sx * (xr[j] - mx)) / sum;
        const double clamped = p < lo ? lo : (p > hi ? hi : p);
        const double real = out.sy * (yr[j] - out.zy);
        REQUIRE(std::abs(real - clamped) / out.sy <= tolerance);
        dequantized_sum += real;
        ++checked;
      }
      // Each output is within half a step (plus the table error) and a
      // probability above the largest representable value loses at most
      // one more step to the clamp.
      REQUIRE(std::abs(dequantized_sum - 1.0) <= cols * tolerance * out.sy + out.sy);
      if (r == 2) {  // all equal: every output is the same and ≈ 1/cols
        for (int32_t j = 1; j < cols; ++j) REQUIRE(yr[j] == yr[0]);
      }
    }
  }
  CHECK(checked > 10000);
}
