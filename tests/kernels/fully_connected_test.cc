// SPDX-License-Identifier: Apache-2.0
//
// FULLY_CONNECTED reference kernels: hand-computed cases, then fixed-seed
// random cases against an independent formulation (weights transposed to
// [k][n], output accumulated column by column in double / int64,
// floor-division requantization) and, for int8, against the real-valued
// result.
#include "kernels/fully_connected/fully_connected.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "converter/quant/quant_math.h"
#include "tests/kernels/quant_test_util.h"

using octet::kernels::FloatClamp;
using octet::kernels::fully_connected_f32_reference;
using octet::kernels::fully_connected_qs8_qc8w_reference;
using octet::kernels::Multiplier;
using octet::kernels::QuantOut;

using octet::test::expected_q;
using octet::test::multiplier_of;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
constexpr int kGuard = 16;
constexpr int8_t kGuardQ = 0x5A;
const Multiplier kHalf{1 << 30, 31};     // 0.5 exactly
const Multiplier kQuarter{1 << 30, 32};  // 0.25 exactly

QuantOut quant_out(const std::vector<Multiplier>& m, int32_t zy, int32_t qmin = -128,
                   int32_t qmax = 127) {
  QuantOut q;
  q.zero_point = zy;
  q.qmin = qmin;
  q.qmax = qmax;
  q.multipliers = m.data();
  q.multiplier_count = static_cast<int32_t>(m.size());
  return q;
}

std::vector<float> run_f32(int32_t m, int32_t n, int32_t k, const std::vector<float>& x,
                           const std::vector<float>& w, const float* bias, FloatClamp clamp) {
  std::vector<float> y(size_t(m) * n + kGuard, std::nanf(""));
  const float guard = 1234.5f;
  std::fill(y.end() - kGuard, y.end(), guard);
  fully_connected_f32_reference(m, n, k, x.data(), w.data(), bias, clamp, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == guard);
  y.resize(size_t(m) * n);
  return y;
}

std::vector<int8_t> run_qs8(int32_t m, int32_t n, int32_t k, const std::vector<int8_t>& x,
                            int32_t zx, const std::vector<int8_t>& w, const int32_t* bias,
                            const QuantOut& out) {
  std::vector<int8_t> y(size_t(m) * n + kGuard, kGuardQ);
  fully_connected_qs8_qc8w_reference(m, n, k, x.data(), zx, w.data(), bias, out, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == kGuardQ);
  y.resize(size_t(m) * n);
  return y;
}

// Independent formulation: transpose w to [k][n], then sweep k outermost,
// adding row p of wᵀ scaled by (x[i][p] − x_zero) into output row i.
template <typename T, typename Acc>
std::vector<Acc> naive_fc(int32_t m, int32_t n, int32_t k, const std::vector<T>& x, Acc x_zero,
                          const std::vector<T>& w) {
  std::vector<T> wt(size_t(k) * n);
  for (int32_t j = 0; j < n; ++j)
    for (int32_t p = 0; p < k; ++p) wt[size_t(p) * n + j] = w[size_t(j) * k + p];
  std::vector<Acc> y(size_t(m) * n, Acc(0));
  for (int32_t p = 0; p < k; ++p)
    for (int32_t i = 0; i < m; ++i) {
      const Acc xv = static_cast<Acc>(x[size_t(i) * k + p]) - x_zero;
      for (int32_t j = 0; j < n; ++j)
        y[size_t(i) * n + j] += xv * static_cast<Acc>(wt[size_t(p) * n + j]);
    }
  return y;
}

TEST_CASE("fully_connected_f32_reference: hand-computed", "[fully_connected]") {
  // x = [[1, 2, 3], [4, 5, 6]], w = [[1, 0, -1], [2, 1, 0]], bias = [0.5, -1]:
  // y = [[1 - 3 + 0.5, 2 + 2 - 1], [4 - 6 + 0.5, 8 + 5 - 1]].
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  const std::vector<float> w = {1, 0, -1, 2, 1, 0};
  const std::vector<float> bias = {0.5f, -1.0f};
  CHECK(run_f32(2, 2, 3, x, w, bias.data(), kNoClamp) == std::vector<float>{-1.5f, 3, -1.5f, 12});
  CHECK(run_f32(2, 2, 3, x, w, nullptr, kNoClamp) == std::vector<float>{-2, 4, -2, 13});
  CHECK(run_f32(2, 2, 3, x, w, bias.data(), FloatClamp{-1.0f, 6.0f}) ==
        std::vector<float>{-1, 3, -1, 6});
  // k = 1 and n = 1 edges.
  CHECK(run_f32(3, 1, 1, {1, -2, 3}, {-2}, nullptr, kNoClamp) == std::vector<float>{-2, 4, -6});
}

TEST_CASE("fully_connected_qs8_qc8w_reference: hand-computed", "[fully_connected]") {
  // The fp32 case with x stored at zero point 3 and integer bias [1, -1]:
  // acc = [[-1, 3], [-1, 12]].
  const std::vector<int8_t> x = {4, 5, 6, 7, 8, 9};
  const std::vector<int8_t> w = {1, 0, -1, 2, 1, 0};
  const int32_t bias[] = {1, -1};
  SECTION("multiplier 0.5: -0.5 → 0 and 1.5 → 2 (ties toward +infinity)") {
    const std::vector<Multiplier> m = {kHalf};
    CHECK(run_qs8(2, 2, 3, x, 3, w, bias, quant_out(m, -10)) ==
          std::vector<int8_t>{-10, -8, -10, -4});
  }
  SECTION("per-channel 0.5 and 0.25") {
    // Column 1: 3/4 = 0.75 → 1, 12/4 = 3.
    const std::vector<Multiplier> m = {kHalf, kQuarter};
    CHECK(run_qs8(2, 2, 3, x, 3, w, bias, quant_out(m, 0)) == std::vector<int8_t>{0, 1, 0, 3});
  }
  SECTION("null bias") {
    // acc = [[-2, 4], [-2, 13]]: -1, 2, -1, 6.5 → 7.
    const std::vector<Multiplier> m = {kHalf};
    CHECK(run_qs8(2, 2, 3, x, 3, w, nullptr, quant_out(m, 0)) == std::vector<int8_t>{-1, 2, -1, 7});
  }
  SECTION("ReLU6-like clamp [zy, zy + 4]") {
    const std::vector<Multiplier> m = {kHalf};
    CHECK(run_qs8(2, 2, 3, x, 3, w, nullptr, quant_out(m, 100, 100, 104)) ==
          std::vector<int8_t>{100, 102, 100, 104});
  }
  SECTION("zero points at both ends, weights ±127") {
    // x = 127 at zero point -128 is 255; x = -128 at zero point 127 is -255.
    const std::vector<int8_t> xp = {127, 127};
    const std::vector<int8_t> wp = {127, 127, -127, 127};
    const std::vector<Multiplier> m = {Multiplier{1 << 30, 38}};  // 2^-8
    // acc = [2 · 255 · 127, 0] = [64770, 0]; 64770 / 256 = 253.01 → 253; plus -128 → 125.
    CHECK(run_qs8(1, 2, 2, xp, -128, wp, nullptr, quant_out(m, -128)) ==
          std::vector<int8_t>{125, -128});
    const std::vector<int8_t> xn = {-128, -128};
    // acc = [-64770, 0] → -253.01 → -253; plus 127 → -126.
    CHECK(run_qs8(1, 2, 2, xn, 127, wp, nullptr, quant_out(m, 127)) ==
          std::vector<int8_t>{-126, 127});
  }
}

struct Dims {
  int32_t m, n, k;
};

const Dims kDims[] = {{1, 1, 1},  {3, 5, 7},    {4, 16, 64},  {7, 1, 300},
                      {1, 9, 33}, {2, 3, 4096}, {5, 4, 1000}, {0, 3, 5}};

TEST_CASE("fully_connected_f32_reference: random shapes against a double-precision product",
          "[fully_connected]") {
  int seed = 0;
  for (const Dims& d : kDims) {
    for (int variant = 0; variant < 2; ++variant) {
      ++seed;
      DYNAMIC_SECTION("m " << d.m << " n " << d.n << " k " << d.k
                           << (variant == 0 ? " / bias, no clamp" : " / no bias, clamp")) {
        std::mt19937 rng(100 + seed);
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        std::vector<float> x(size_t(d.m) * d.k), w(size_t(d.n) * d.k), bias(d.n);
        for (float& v : x) v = dist(rng);
        for (float& v : w) v = dist(rng);
        for (float& v : bias) v = dist(rng);
        const bool with_bias = variant == 0;
        const FloatClamp clamp = with_bias ? kNoClamp : FloatClamp{-0.5f, 2.0f};
        const std::vector<float> y =
            run_f32(d.m, d.n, d.k, x, w, with_bias ? bias.data() : nullptr, clamp);
        const std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end());
        std::vector<double> xa(xd), wa(wd);
        for (double& v : xa) v = std::fabs(v);
        for (double& v : wa) v = std::fabs(v);
        const std::vector<double> sums = naive_fc<double, double>(d.m, d.n, d.k, xd, 0.0, wd);
        const std::vector<double> mags = naive_fc<double, double>(d.m, d.n, d.k, xa, 0.0, wa);
        int bad = 0;
        std::string first;
        for (size_t i = 0; i < y.size(); ++i) {
          const size_t j = i % d.n;
          double ref = sums[i] + (with_bias ? bias[j] : 0.0);
          const double mag = mags[i] + (with_bias ? std::fabs(bias[j]) : 0.0);
          ref = std::min<double>(clamp.max, std::max<double>(clamp.min, ref));
          if (!(std::fabs(y[i] - ref) <= 1e-5 * std::max(std::fabs(ref), mag)) && bad++ == 0) {
            std::ostringstream os;
            os << "output " << i << ": got " << y[i] << ", want " << ref;
            first = os.str();
          }
        }
        INFO(first);
        CHECK(bad == 0);
      }
    }
  }
}

struct QuantCase {
  const char* name;
  int32_t zx, zy, qmin, qmax;
  bool per_channel, with_bias;
};

const QuantCase kQuantCases[] = {
    {"zx 0, zy 0, per-channel, bias", 0, 0, -128, 127, true, true},
    {"zx -128, zy 127, per-tensor, bias", -128, 127, -128, 127, false, true},
    {"zx 127, zy -128, per-channel, null bias", 127, -128, -128, 127, true, false},
    {"zx 9, zy -20, ReLU6-like [-20, 40], per-tensor, null bias", 9, -20, -20, 40, false, false},
    {"zx -7, zy 5, ReLU [5, 127], per-channel, bias", -7, 5, 5, 127, true, true},
};

enum class Values { kRandom, kExtremes };

void check_qs8_random(const Dims& d, const QuantCase& qc, Values values, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> xdist(-128, 127), wdist(-127, 127), bit(0, 1);
  std::vector<int8_t> x(size_t(d.m) * d.k), w(size_t(d.n) * d.k);
  for (int8_t& v : x) {
    v = static_cast<int8_t>(values == Values::kRandom ? xdist(rng) : (bit(rng) ? 127 : -128));
  }
  for (int8_t& v : w) {
    v = static_cast<int8_t>(values == Values::kRandom ? wdist(rng) : (bit(rng) ? 127 : -127));
  }
  const std::vector<int64_t> sums = naive_fc<int8_t, int64_t>(d.m, d.n, d.k, x, qc.zx, w);
  double sq = 0;
  for (int64_t v : sums) sq += double(v) * double(v);
  const double rms = sums.empty() ? 1.0 : std::max(1.0, std::sqrt(sq / sums.size()));
  std::vector<int32_t> bias(d.n, 0);
  std::uniform_int_distribution<int32_t> bdist(-static_cast<int32_t>(2 * rms),
                                               static_cast<int32_t>(2 * rms));
  if (qc.with_bias) {
    for (int32_t& v : bias) v = bdist(rng);
  }
  const double s_x = 0.02;
  std::uniform_real_distribution<double> sw_dist(0.002, 0.01);
  std::vector<double> s_w(d.n, 0.005);
  if (qc.per_channel) {
    for (double& v : s_w) v = sw_dist(rng);
  }
  const double s_y = s_x * 0.005 * rms / 40.0;
  std::vector<Multiplier> ms;
  for (int32_t c = 0; c < (qc.per_channel ? d.n : 1); ++c) {
    ms.push_back(multiplier_of(s_x * s_w[c] / s_y));
  }
  const QuantOut out = quant_out(ms, qc.zy, qc.qmin, qc.qmax);
  const std::vector<int8_t> y =
      run_qs8(d.m, d.n, d.k, x, qc.zx, w, qc.with_bias ? bias.data() : nullptr, out);

  std::vector<double> xr(x.size()), wr(w.size());
  for (size_t i = 0; i < x.size(); ++i) xr[i] = s_x * (x[i] - qc.zx);
  for (size_t i = 0; i < w.size(); ++i) wr[i] = s_w[i / d.k] * w[i];
  const std::vector<double> real = naive_fc<double, double>(d.m, d.n, d.k, xr, 0.0, wr);

  int bad_exact = 0, bad_real = 0;
  std::string first_exact, first_real;
  for (size_t i = 0; i < y.size(); ++i) {
    const int32_t c = static_cast<int32_t>(i % d.n);
    const int64_t acc = sums[i] + bias[c];
    REQUIRE(acc == static_cast<int32_t>(acc));
    const int32_t want = expected_q(acc, out.for_channel(c), qc.zy, qc.qmin, qc.qmax);
    if (y[i] != want && bad_exact++ == 0) {
      std::ostringstream os;
      os << "output " << i << ": acc " << acc << ", got " << int{y[i]} << ", want " << want;
      first_exact = os.str();
    }
    double r = real[i] + s_x * s_w[c] * bias[c];
    r = std::min(s_y * (qc.qmax - qc.zy), std::max(s_y * (qc.qmin - qc.zy), r));
    const double deq = s_y * (y[i] - qc.zy);
    if (!(std::fabs(deq - r) <= s_y * (0.5 + 1e-6)) && bad_real++ == 0) {
      std::ostringstream os;
      os << "output " << i << ": dequantized " << deq << ", real " << r << ", step " << s_y;
      first_real = os.str();
    }
  }
  INFO(first_exact);
  CHECK(bad_exact == 0);
  INFO(first_real);
  CHECK(bad_real == 0);
}

TEST_CASE("fully_connected_qs8_qc8w_reference: random shapes against an integer product",
          "[fully_connected]") {
  uint32_t seed = 0;
  for (const Dims& d : kDims) {
    for (const QuantCase& qc : kQuantCases) {
      ++seed;
      DYNAMIC_SECTION("m " << d.m << " n " << d.n << " k " << d.k << " / " << qc.name) {
        check_qs8_random(d, qc, Values::kRandom, 200 + seed);
      }
    }
  }
}

TEST_CASE("fully_connected_qs8_qc8w_reference: weights ±127 and inputs at both ends",
          "[fully_connected]") {
  uint32_t seed = 0;
  for (const Dims& d : {kDims[1], kDims[5]}) {
    for (const QuantCase& qc : {kQuantCases[1], kQuantCases[2]}) {
      ++seed;
      DYNAMIC_SECTION("m " << d.m << " n " << d.n << " k " << d.k << " / " << qc.name) {
        check_qs8_random(d, qc, Values::kExtremes, 300 + seed);
      }
    }
  }
}

}  // namespace
