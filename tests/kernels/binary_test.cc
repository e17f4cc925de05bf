// SPDX-License-Identifier: Apache-2.0
//
// Reference binary operators: broadcast shapes, hand-computed fp32 and int8
// cases, and fixed-seed int8 cases checked exactly against the doc formulas
// (written here with floor division and index arithmetic, independently of
// the kernels' shifts and strides) and against real arithmetic.
#include "kernels/binary/binary.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "converter/quant/lut.h"

using octet::kernels::BinaryQs8Params;
using octet::kernels::BroadcastShape;
using octet::kernels::FloatClamp;
using octet::kernels::kMaxRank;
using octet::kernels::Multiplier;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};

BroadcastShape shape_of(std::vector<int32_t> a, std::vector<int32_t> b) {
  BroadcastShape s{};
  REQUIRE(octet::kernels::make_broadcast_shape(static_cast<int32_t>(a.size()), a.data(),
                                               static_cast<int32_t>(b.size()), b.data(), &s));
  return s;
}

int64_t element_count(const std::vector<int32_t>& dims) {
  int64_t n = 1;
  for (int32_t d : dims) n *= d;
  return n;
}

// Index into a dense input of shape `in` for the output element at linear
// index `i` of shape `out` (numpy rules, by division and modulo).
int64_t broadcast_index(const std::vector<int32_t>& out, const std::vector<int32_t>& in,
                        int64_t i) {
  int64_t index = 0;
  int64_t in_stride = 1;
  const size_t lead = out.size() - in.size();
  for (size_t d = out.size(); d-- > 0;) {
    const int64_t coord = i % out[d];
    i /= out[d];
    if (d >= lead) {
      const int32_t dim = in[d - lead];
      index += (dim == 1 ? 0 : coord) * in_stride;
      in_stride *= dim;
    }
  }
  return index;
}

std::vector<int32_t> out_dims_of(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  const size_t rank = a.size() > b.size() ? a.size() : b.size();
  std::vector<int32_t> out(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int32_t da = d + a.size() >= rank ? a[d + a.size() - rank] : 1;
    const int32_t db = d + b.size() >= rank ? b[d + b.size() - rank] : 1;
    out[d] = da == 1 ? db : da;
  }
  return out;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// The doc's requantize: floor((acc · M + 2^(t-1)) / 2^t).
int64_t doc_requantize(int64_t acc, const Multiplier& m) {
  const int64_t two_t = int64_t{1} << m.rshift;
  return floor_div(acc * m.multiplier + two_t / 2, two_t);
}

int32_t doc_clamp(int64_t v, int32_t lo, int32_t hi) {
  return static_cast<int32_t>(v < lo ? lo : (v > hi ? hi : v));
}

int32_t doc_add_sub(int32_t a, int32_t b, const BinaryQs8Params& p, int sign) {
  const int64_t ra = doc_requantize(int64_t{a - p.a_zero_point} * (1 << 20), p.a_multiplier);
  const int64_t rb = doc_requantize(int64_t{b - p.b_zero_point} * (1 << 20), p.b_multiplier);
  return doc_clamp(doc_requantize(ra + sign * rb, p.y_multiplier) + p.y_zero_point, p.qmin, p.qmax);
}

int32_t doc_mul(int32_t a, int32_t b, const BinaryQs8Params& p) {
  const int64_t acc = int64_t{a - p.a_zero_point} * (b - p.b_zero_point);
  return doc_clamp(doc_requantize(acc, p.y_multiplier) + p.y_zero_point, p.qmin, p.qmax);
}

// |dequantized y - clamp(real)| in output steps.
double step_error(int32_t y, double real, double sy, const BinaryQs8Params& p) {
  const double lo = sy * (p.qmin - p.y_zero_point);
  const double hi = sy * (p.qmax - p.y_zero_point);
  const double clamped = real < lo ? lo : (real > hi ? hi : real);
  return std::abs(sy * (y - p.y_zero_point) - clamped) / sy;
}

const std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> kShapes = {
    {{2, 3, 1}, {1, 4}},                       // both sides broadcast
    {{}, {5}},                                 // scalar (rank 0) first
    {{2, 3}, {1}},                             // scalar as [1]
    {{1, 2, 2, 3}, {3}},                       // channel vector against NHWC
    {{4, 1, 3}, {4, 2, 1}},                    // interleaved broadcast
    {{37}, {37}},                              // no broadcast
    {{2, 1, 2, 1, 2, 1}, {1, 2, 1, 2, 1, 2}},  // rank 6, alternating
};

}  // namespace

TEST_CASE("make_broadcast_shape: numpy rules", "[binary]") {
  SECTION("[2,3,1] + [1,4]") {
    const BroadcastShape s = shape_of({2, 3, 1}, {1, 4});
    CHECK(s.rank == 3);
    CHECK(s.out_dims[0] == 2);
    CHECK(s.out_dims[1] == 3);
    CHECK(s.out_dims[2] == 4);
    CHECK(s.a_strides[0] == 3);
    CHECK(s.a_strides[1] == 1);
    CHECK(s.a_strides[2] == 0);
    CHECK(s.b_strides[0] == 0);
    CHECK(s.b_strides[1] == 0);
    CHECK(s.b_strides[2] == 1);
    CHECK(octet::kernels::broadcast_output_size(s) == 24);
  }
  SECTION("scalar") {
    const BroadcastShape s = shape_of({}, {2, 3});
    CHECK(s.rank == 2);
    CHECK(s.a_strides[0] == 0);
    CHECK(s.a_strides[1] == 0);
    CHECK(s.b_strides[0] == 3);
    CHECK(s.b_strides[1] == 1);
    const BroadcastShape both = shape_of({}, {});
    CHECK(both.rank == 0);
    CHECK(octet::kernels::broadcast_output_size(both) == 1);
  }
  SECTION("channel vector against NHWC") {
    const BroadcastShape s = shape_of({2, 5, 7, 3}, {3});
    CHECK(s.rank == 4);
    CHECK(s.a_strides[0] == 105);
    CHECK(s.a_strides[3] == 1);
    CHECK(s.b_strides[0] == 0);
    CHECK(s.b_strides[2] == 0);
    CHECK(s.b_strides[3] == 1);
  }
  SECTION("empty dimension") {
    const BroadcastShape s = shape_of({0, 3}, {1, 3});
    CHECK(s.out_dims[0] == 0);
    CHECK(octet::kernels::broadcast_output_size(s) == 0);
  }
  SECTION("incompatible or invalid") {
    BroadcastShape s{};
    const int32_t a23[] = {2, 3};
    const int32_t b4[] = {4};
    const int32_t b33[] = {3, 3};
    const int32_t zero[] = {0};
    const int32_t two[] = {2};
    const int32_t neg[] = {-1};
    const int32_t r7[] = {1, 1, 1, 1, 1, 1, 1};
    CHECK_FALSE(octet::kernels::make_broadcast_shape(2, a23, 1, b4, &s));
    CHECK_FALSE(octet::kernels::make_broadcast_shape(2, a23, 2, b33, &s));
    CHECK_FALSE(octet::kernels::make_broadcast_shape(1, zero, 1, two, &s));
    CHECK_FALSE(octet::kernels::make_broadcast_shape(1, neg, 1, two, &s));
    CHECK_FALSE(octet::kernels::make_broadcast_shape(7, r7, 1, two, &s));
    CHECK(octet::kernels::make_broadcast_shape(kMaxRank, r7, 1, two, &s));
  }
}

TEST_CASE("binary f32: hand-computed", "[binary]") {
  SECTION("add [2,3,1] + [1,4]") {
    const float a[] = {1, 2, 3, 4, 5, 6};
    const float b[] = {10, 20, 30, 40};
    const float expected[] = {11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43,
                              14, 24, 34, 44, 15, 25, 35, 45, 16, 26, 36, 46};
    float y[24];
    octet::kernels::add_f32_reference(shape_of({2, 3, 1}, {1, 4}), a, b, kNoClamp, y);
    for (int i = 0; i < 24; ++i) CHECK(y[i] == expected[i]);
  }
  SECTION("sub, mul, div with a scalar") {
    const float a[] = {-3, 0.5f, 8};
    const float b[] = {2};
    float y[3];
    const BroadcastShape s = shape_of({3}, {});
    octet::kernels::sub_f32_reference(s, a, b, kNoClamp, y);
    CHECK(y[0] == -5);
    CHECK(y[1] == -1.5f);
    CHECK(y[2] == 6);
    octet::kernels::mul_f32_reference(s, a, b, kNoClamp, y);
    CHECK(y[0] == -6);
    CHECK(y[1] == 1);
    CHECK(y[2] == 16);
    octet::kernels::div_f32_reference(s, a, b, kNoClamp, y);
    CHECK(y[0] == -1.5f);
    CHECK(y[1] == 0.25f);
    CHECK(y[2] == 4);
    // Scalar on the left: 2 - a.
    octet::kernels::sub_f32_reference(shape_of({}, {3}), b, a, kNoClamp, y);
    CHECK(y[0] == 5);
    CHECK(y[1] == 1.5f);
    CHECK(y[2] == -6);
  }
  SECTION("fused relu6") {
    const float a[] = {-3, 2, 5, 9};
    const float b[] = {1, 1, 1, 1};
    float y[4];
    octet::kernels::add_f32_reference(shape_of({4}, {4}), a, b, FloatClamp{0, 6}, y);
    CHECK(y[0] == 0);
    CHECK(y[1] == 3);
    CHECK(y[2] == 6);
    CHECK(y[3] == 6);
  }
  SECTION("division by zero follows IEEE") {
    const float a[] = {1, -1, 0};
    const float b[] = {0};
    float y[3];
    octet::kernels::div_f32_reference(shape_of({3}, {1}), a, b, kNoClamp, y);
    CHECK(y[0] == kInf);
    CHECK(y[1] == -kInf);
    CHECK(std::isnan(y[2]));
  }
}

TEST_CASE("binary f32: broadcast walk matches index arithmetic", "[binary]") {
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  for (const auto& [ad, bd] : kShapes) {
    const std::vector<int32_t> out = out_dims_of(ad, bd);
    std::vector<float> a(element_count(ad)), b(element_count(bd));
    for (float& v : a) v = dist(rng);
    for (float& v : b) v = dist(rng);
    std::vector<float> y(element_count(out));
    const BroadcastShape s = shape_of(ad, bd);
    octet::kernels::add_f32_reference(s, a.data(), b.data(), kNoClamp, y.data());
    for (int64_t i = 0; i < element_count(out); ++i) {
      REQUIRE(y[i] == a[broadcast_index(out, ad, i)] + b[broadcast_index(out, bd, i)]);
    }
    octet::kernels::div_f32_reference(s, a.data(), b.data(), kNoClamp, y.data());
    for (int64_t i = 0; i < element_count(out); ++i) {
      REQUIRE(y[i] == a[broadcast_index(out, ad, i)] / b[broadcast_index(out, bd, i)]);
    }
  }
}

TEST_CASE("binary qs8: hand-computed", "[binary]") {
  BinaryQs8Params p{};
  p.qmin = -128;
  p.qmax = 127;
  const BroadcastShape s = shape_of({4}, {4});

  SECTION("add: multipliers from scales, half-up ties") {
    // s_a = 0.5, s_b = 0.25, s_y = 0.5: M[0] = 1/2, M[1] = 1/4, M[2] = 2^-19.
    Multiplier m[3];
    REQUIRE(octet::quant::add_sub_multipliers(0.5f, 0.25f, 0.5f, m));
    CHECK(m[0].multiplier == (1 << 30));
    CHECK(m[0].rshift == 31);
    CHECK(m[1].multiplier == (1 << 30));
    CHECK(m[1].rshift == 32);
    CHECK(m[2].multiplier == (1 << 30));
    CHECK(m[2].rshift == 49);
    p.a_multiplier = m[0];
    p.b_multiplier = m[1];
    p.y_multiplier = m[2];
    // real = 0.5·a + 0.25·b, y = real / 0.5.
    const int8_t a[] = {3, -3, 4, 100};
    const int8_t b[] = {5, -5, 2, 100};
    int8_t y[4];
    octet::kernels::add_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 6);    // 5.5 -> 6
    CHECK(y[1] == -5);   // -5.5 -> -5
    CHECK(y[2] == 5);    // 5
    CHECK(y[3] == 127);  // 150 saturates
    octet::kernels::sub_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 1);   // 0.5 -> 1
    CHECK(y[1] == 0);   // -0.5 -> 0
    CHECK(y[2] == 3);   // 3
    CHECK(y[3] == 50);  // 50
  }
  SECTION("add: zero points at both extremes") {
    // Equal scales, s_y = 2·s: y = round((a - za + b - zb) / 2) + zy.
    Multiplier m[3];
    REQUIRE(octet::quant::add_sub_multipliers(0.1f, 0.1f, 0.2f, m));
    p.a_multiplier = m[0];
    p.b_multiplier = m[1];
    p.y_multiplier = m[2];
    p.a_zero_point = -128;
    p.b_zero_point = 127;
    p.y_zero_point = -128;
    const int8_t a[] = {-128, 127, 127, -125};
    const int8_t b[] = {127, -128, 127, 127};
    int8_t y[4];
    octet::kernels::add_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == -128);  // (0 + 0) / 2 = 0
    CHECK(y[1] == -128);  // (255 - 255) / 2 = 0
    CHECK(y[2] == 0);     // (255 + 0) / 2 = 127.5 -> 128
    CHECK(y[3] == -126);  // (3 + 0) / 2 = 1.5 -> 2
    octet::kernels::sub_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == -128);  // 0
    CHECK(y[1] == 127);   // (255 + 255) / 2 = 255, saturates
    CHECK(y[2] == 0);     // 127.5 -> 128
    CHECK(y[3] == -126);  // 1.5 -> 2
    p.y_zero_point = 127;
    octet::kernels::add_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 127);
    CHECK(y[1] == 127);
    CHECK(y[2] == 127);  // 127 + 128 saturates
    CHECK(y[3] == 127);
    p.a_zero_point = 127;  // inputs at or below real zero
    p.b_zero_point = 127;
    octet::kernels::add_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 0);    // (-255 + 0) / 2 = -127.5 -> -127, + 127
    CHECK(y[1] == 0);    // (0 - 255) / 2 = -127.5 -> -127, + 127
    CHECK(y[2] == 127);  // 0
    CHECK(y[3] == 1);    // (-252 + 0) / 2 = -126, + 127
    p.y_zero_point = -128;
    octet::kernels::add_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == -128);  // -127 - 128 saturates
    CHECK(y[2] == -128);
  }
  SECTION("mul: ties, zero points, saturation") {
    // s_a = s_b = 1, s_y = 2: y = round((a - za)(b - zb) / 2) + zy.
    REQUIRE(octet::quant::mul_multiplier(1.0f, 1.0f, 2.0f, &p.y_multiplier));
    CHECK(p.y_multiplier.multiplier == (1 << 30));
    CHECK(p.y_multiplier.rshift == 31);
    p.a_zero_point = 1;
    p.b_zero_point = -1;
    p.y_zero_point = 3;
    const int8_t a[] = {4, -2, 1, 127};
    const int8_t b[] = {0, 0, 90, 127};
    int8_t y[4];
    octet::kernels::mul_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 5);    // 3·1/2 = 1.5 -> 2, + 3
    CHECK(y[1] == 2);    // -3·1/2 = -1.5 -> -1, + 3
    CHECK(y[2] == 3);    // 0
    CHECK(y[3] == 127);  // 126·128/2 saturates
    p.qmin = 3;          // fused ReLU
    p.qmax = 4;
    octet::kernels::mul_qs8_reference(s, a, b, p, y);
    CHECK(y[0] == 4);
    CHECK(y[1] == 3);
    CHECK(y[2] == 3);
    CHECK(y[3] == 4);
  }
}

TEST_CASE("binary qs8: fixed-seed random against the doc formulas", "[binary]") {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int32_t> q(-128, 127);
  std::uniform_real_distribution<double> log_scale(std::log(1e-3), std::log(0.5));
  // Output scales relative to the inputs': from heavy saturation (the real
  // range spans ~1000 output steps) to coarse (~60 steps).
  std::uniform_real_distribution<double> add_factor(std::log(0.5), std::log(8.0));
  std::uniform_real_distribution<double> mul_factor(std::log(64.0), std::log(1024.0));
  const int32_t zero_points[] = {-128, 127, 0, -7};
  int64_t checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto& [ad, bd] = kShapes[trial % kShapes.size()];
    const std::vector<int32_t> out = out_dims_of(ad, bd);
    const BroadcastShape s = shape_of(ad, bd);
    std::vector<int8_t> a(element_count(ad)), b(element_count(bd)), y(element_count(out));
    for (int8_t& v : a) v = static_cast<int8_t>(q(rng));
    for (int8_t& v : b) v = static_cast<int8_t>(q(rng));
    // Extremes first, then random values; every other trial narrows the range.
    BinaryQs8Params p{};
    p.a_zero_point = trial < 16 ? zero_points[trial % 4] : q(rng);
    p.b_zero_point = trial < 16 ? zero_points[(trial / 4) % 4] : q(rng);
    p.y_zero_point = trial < 16 ? zero_points[(trial + 1) % 4] : q(rng);
    p.qmin = -128;
    p.qmax = 127;
    if (trial % 2 == 1) {
      p.qmin = p.y_zero_point;  // ReLU
      p.qmax = p.y_zero_point + (127 - p.y_zero_point) / 2;
    }
    const float sa = static_cast<float>(std::exp(log_scale(rng)));
    const float sb = static_cast<float>(std::exp(log_scale(rng)));

    const float sy_add = static_cast<float>((double{sa} + sb) * std::exp(add_factor(rng)));
    Multiplier m[3];
    REQUIRE(octet::quant::add_sub_multipliers(sa, sb, sy_add, m));
    p.a_multiplier = m[0];
    p.b_multiplier = m[1];
    p.y_multiplier = m[2];
    // Error budget in output steps: the final rounding (1/2) plus the two
    // rounded input terms. Each is off by at most 1/2 unit of its rounding
    // and 1/8 unit of multiplier representation error (|a'| <= 2^28, relative
    // error of M <= 2^-31), one unit being 2·max(s_a, s_b) / 2^20 in real
    // terms, i.e. m2 = M[2] output steps. So 1/2 + 1.25·m2; the test rounds
    // the second term up to 2·m2. With these scales m2 < 1e-3, far inside the
    // 2 steps one might allow for two roundings.
    const double m2 = 2.0 * std::max<double>(sa, sb) / (std::ldexp(1.0, 20) * sy_add);
    const double add_tolerance = 0.5 + 2.0 * m2 + 1e-6;
    for (int sign : {1, -1}) {
      if (sign == 1) {
        octet::kernels::add_qs8_reference(s, a.data(), b.data(), p, y.data());
      } else {
        octet::kernels::sub_qs8_reference(s, a.data(), b.data(), p, y.data());
      }
      for (int64_t i = 0; i < element_count(out); ++i) {
        const int32_t av = a[broadcast_index(out, ad, i)];
        const int32_t bv = b[broadcast_index(out, bd, i)];
        REQUIRE(y[i] == doc_add_sub(av, bv, p, sign));
        const double real =
            double{sa} * (av - p.a_zero_point) + sign * double{sb} * (bv - p.b_zero_point);
        REQUIRE(step_error(y[i], real, sy_add, p) <= add_tolerance);
        ++checked;
      }
    }

    // MUL: one rounding, 1/2 step plus the multiplier's relative error.
    const float sy_mul = static_cast<float>(double{sa} * sb * std::exp(mul_factor(rng)));
    REQUIRE(octet::quant::mul_multiplier(sa, sb, sy_mul, &p.y_multiplier));
    octet::kernels::mul_qs8_reference(s, a.data(), b.data(), p, y.data());
    for (int64_t i = 0; i < element_count(out); ++i) {
      const int32_t av = a[broadcast_index(out, ad, i)];
      const int32_t bv = b[broadcast_index(out, bd, i)];
      REQUIRE(y[i] == doc_mul(av, bv, p));
      const double real = double{sa} * (av - p.a_zero_point) * double{sb} * (bv - p.b_zero_point);
      REQUIRE(step_error(y[i], real, sy_mul, p) <= 0.5 + 1e-6);
      ++checked;
    }
  }
  CHECK(checked > 10000);
}

TEST_CASE("binary qs8: add rounding ties go toward +infinity", "[binary]") {
  // Hand-set multipliers: a' = (a - za)·2^19, b' = (b - zb)·2^19,
  // y = (a' + b') · 2^-20, so y = floor((a - za + b - zb + 1) / 2).
  BinaryQs8Params p{};
  p.qmin = -128;
  p.qmax = 127;
  p.a_multiplier = {1 << 30, 31};
  p.b_multiplier = {1 << 30, 31};
  p.y_multiplier = {1 << 30, 50};
  const int8_t a[] = {1, -1, 2, -2, 127, -128};
  const int8_t b[] = {2, -2, 3, -3, 126, -127};
  int8_t y[6];
  octet::kernels::add_qs8_reference(shape_of({6}, {6}), a, b, p, y);
  CHECK(y[0] == 2);     // 1.5
  CHECK(y[1] == -1);    // -1.5
  CHECK(y[2] == 3);     // 2.5
  CHECK(y[3] == -2);    // -2.5
  CHECK(y[4] == 127);   // 126.5
  CHECK(y[5] == -127);  // -127.5
}

// ------------------------------------------------------------------------
// SIMD variants (kernels/binary/kernels.inc): each one bit-exact against the
// reference of its op over systematic sizes, broadcasts and parameters.

namespace {

using octet::kernels::BinaryOp;
using octet::kernels::BinaryQs8Fn;
using octet::kernels::BinaryQs8Kernel;
using octet::kernels::Isa;

BinaryQs8Fn reference_of(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return octet::kernels::add_qs8_reference;
    case BinaryOp::kSub:
      return octet::kernels::sub_qs8_reference;
    default:
      return octet::kernels::mul_qs8_reference;
  }
}

const BinaryQs8Kernel& binary_kernel(const char* name) {
  int32_t count = 0;
  const BinaryQs8Kernel* ks = octet::kernels::binary_qs8_kernels(&count);
  for (int32_t i = 0; i < count; ++i) {
    if (std::string(ks[i].name) == name) return ks[i];
  }
  FAIL("no kernel " << name);
  return ks[0];
}

// Quantization parameters of a random ADD/SUB/MUL from scales, zero points
// and a clamp; `saturate` picks an output scale far below the inputs' range.
BinaryQs8Params random_params(std::mt19937& rng, BinaryOp op, bool saturate, int32_t za, int32_t zb,
                              int32_t zy, bool relu) {
  std::uniform_real_distribution<double> log_scale(std::log(1e-4), std::log(2.0));
  BinaryQs8Params p{};
  p.a_zero_point = za;
  p.b_zero_point = zb;
  p.y_zero_point = zy;
  p.qmin = relu ? zy : -128;
  p.qmax = 127;
  const float sa = static_cast<float>(std::exp(log_scale(rng)));
  const float sb = static_cast<float>(std::exp(log_scale(rng)));
  std::uniform_real_distribution<double> f(std::log(0.25), std::log(16.0));
  if (op == BinaryOp::kMul) {
    const double k = saturate ? 1.0 / 64 : std::exp(f(rng)) * 128;
    const float sy = static_cast<float>(double{sa} * sb * k);
    REQUIRE(octet::quant::mul_multiplier(sa, sb, sy, &p.y_multiplier));
  } else {
    const double k = saturate ? 1.0 / 64 : std::exp(f(rng));
    const float sy = static_cast<float>((double{sa} + sb) * k);
    Multiplier m[3];
    REQUIRE(octet::quant::add_sub_multipliers(sa, sb, sy, m));
    p.a_multiplier = m[0];
    p.b_multiplier = m[1];
    p.y_multiplier = m[2];
  }
  return p;
}

// Runs kernel and reference on one case; the output carries guard bytes that
// must survive (no write past the output).
void check_case(const BinaryQs8Kernel& k, const std::vector<int32_t>& ad,
                const std::vector<int32_t>& bd, const BinaryQs8Params& p, std::mt19937& rng) {
  const BroadcastShape s = shape_of(ad, bd);
  const int64_t n = element_count(out_dims_of(ad, bd));
  std::uniform_int_distribution<int32_t> q(-128, 127);
  std::vector<int8_t> a(element_count(ad)), b(element_count(bd));
  for (int8_t& v : a) v = static_cast<int8_t>(q(rng));
  for (int8_t& v : b) v = static_cast<int8_t>(q(rng));
  // The extremes always appear.
  if (!a.empty()) a[0] = -128;
  if (a.size() > 1) a[1] = 127;
  if (!b.empty()) b[b.size() - 1] = 127;
  if (b.size() > 1) b[0] = -128;
  constexpr int64_t kGuard = 64;
  std::vector<int8_t> y(n + kGuard, 0x5A), ref(n + kGuard, 0x5A);
  k.fn(s, a.data(), b.data(), p, y.data());
  reference_of(k.op)(s, a.data(), b.data(), p, ref.data());
  INFO(k.name << " a=" << ad.size() << "d b=" << bd.size() << "d n=" << n
              << " za=" << p.a_zero_point << " zb=" << p.b_zero_point << " zy=" << p.y_zero_point
              << " qmin=" << p.qmin << " rshift_y=" << p.y_multiplier.rshift);
  REQUIRE(y == ref);
}

void test_binary_variant(const char* name) {
  const BinaryQs8Kernel& k = binary_kernel(name);
  if (!octet::kernels::isa_available(k.isa)) {
    WARN("skipped: host or build lacks " << octet::kernels::isa_name(k.isa));
    return;
  }
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<int32_t> zq(-128, 127);
  auto params = [&](bool saturate = false) {
    return random_params(rng, k.op, saturate, zq(rng), zq(rng), zq(rng), rng() % 2 == 0);
  };
  SECTION("n_lt_vector_and_not_multiple") {
    for (int32_t n = 1; n <= 70; ++n) check_case(k, {n}, {n}, params(), rng);
    for (int32_t n : {127, 128, 129, 1000, 4099}) check_case(k, {n}, {n}, params(), rng);
  }
  SECTION("broadcast_channel_vector") {
    // The squeeze-excitation shape [1,H,W,C] x [1,1,1,C], both orders.
    for (int32_t c : {1, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 120, 576}) {
      for (int32_t hw : {1, 2, 3, 7}) {
        check_case(k, {1, hw, hw, c}, {1, 1, 1, c}, params(), rng);
        check_case(k, {1, 1, 1, c}, {1, hw, hw, c}, params(), rng);
      }
    }
  }
  SECTION("broadcast_scalar_and_inner") {
    for (int32_t n : {1, 5, 16, 17, 33, 100}) {
      check_case(k, {}, {n}, params(), rng);
      check_case(k, {n}, {1}, params(), rng);
      check_case(k, {2, n, 1}, {n, 19}, params(), rng);  // a stride 0 innermost
      check_case(k, {3, 1, 40}, {1, n, 1}, params(), rng);
    }
    for (const auto& [ad, bd] : kShapes) check_case(k, ad, bd, params(), rng);
    check_case(k, {1}, {1}, params(), rng);
    check_case(k, {0, 3}, {3}, params(), rng);  // empty output
  }
  SECTION("extreme_zero_points") {
    const int32_t zps[] = {-128, 127, 0};
    for (int32_t za : zps) {
      for (int32_t zb : zps) {
        for (int32_t zy : zps) {
          for (bool relu : {false, true}) {
            const BinaryQs8Params p = random_params(rng, k.op, false, za, zb, zy, relu);
            check_case(k, {1, 3, 3, 37}, {1, 1, 1, 37}, p, rng);
            check_case(k, {53}, {53}, p, rng);
          }
        }
      }
    }
  }
  SECTION("saturation") {
    for (int i = 0; i < 8; ++i) {
      check_case(k, {1, 4, 4, 40}, {1, 4, 4, 40}, params(true), rng);
      check_case(k, {1, 4, 4, 40}, {1, 1, 1, 40}, params(true), rng);
    }
  }
  SECTION("extreme_multipliers") {
    // Largest mantissa, smallest shifts the SIMD path keeps, and shifts
    // below them (the kernels delegate to the reference); rounding ties.
    BinaryQs8Params p{};
    p.qmin = -128;
    p.qmax = 127;
    p.a_zero_point = -128;
    p.b_zero_point = 127;
    p.y_zero_point = 5;
    for (int32_t mant : {INT32_MAX, 1 << 30, 0}) {
      p.a_multiplier = {mant, 31};
      p.b_multiplier = {INT32_MAX, 62};
      for (int32_t t : {1, 2, 16, 17, 18, 29, 30, 31, 32, 33, 40, 50, 62}) {
        p.y_multiplier = {mant == 0 ? 1 << 30 : mant, t};
        if (k.op == BinaryOp::kMul || t >= 20) check_case(k, {1, 2, 5, 33}, {1, 1, 5, 33}, p, rng);
      }
    }
    p.a_zero_point = p.b_zero_point = 0;
    p.a_multiplier = {1 << 30, 31};
    p.b_multiplier = {1 << 30, 31};
    p.y_multiplier = {1 << 30, 50};  // y = floor((a + b + 1) / 2): ties everywhere
    check_case(k, {77}, {77}, p, rng);
  }
}

}  // namespace

#define OCTET_BINARY_QS8_KERNEL(name, op, isa) \
  TEST_CASE(#name, "[binary][" #isa "]") { test_binary_variant(#name); }
#include "kernels/binary/kernels.inc"
#undef OCTET_BINARY_QS8_KERNEL
