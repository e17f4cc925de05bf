// SPDX-License-Identifier: Apache-2.0
//
// MATMUL reference kernels: output-shape rules, hand-computed cases
// (including numpy broadcasting and rank-1 promotion), then fixed-seed random
// cases against an independent formulation (per-output-element index mapping
// through numpy's broadcasting rule, double / int64 sums, floor-division
// requantization) and, for int8, against the real-valued product.
#include "kernels/matmul/matmul.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "converter/quant/quant_math.h"
#include "tests/kernels/quant_test_util.h"

using octet::kernels::FloatClamp;
using octet::kernels::kMaxRank;
using octet::kernels::matmul_f32_reference;
using octet::kernels::matmul_output_shape;
using octet::kernels::matmul_qs8_reference;
using octet::kernels::MatMulShape;
using octet::kernels::Multiplier;
using octet::kernels::QuantOut;

using octet::test::expected_q;
using octet::test::multiplier_of;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
constexpr int kGuard = 16;
constexpr int8_t kGuardQ = 0x5A;
const Multiplier kHalf{1 << 30, 31};  // 0.5 exactly

using Dims = std::vector<int32_t>;

MatMulShape make_shape(const Dims& a, const Dims& b) {
  MatMulShape s{};
  s.a_rank = static_cast<int32_t>(a.size());
  s.b_rank = static_cast<int32_t>(b.size());
  for (size_t i = 0; i < a.size() && i < size_t(kMaxRank); ++i) s.a_dims[i] = a[i];
  for (size_t i = 0; i < b.size() && i < size_t(kMaxRank); ++i) s.b_dims[i] = b[i];
  return s;
}

// Empty when matmul_output_shape rejects the shapes; {-1} marks a scalar.
Dims output_dims(const Dims& a, const Dims& b) {
  int32_t rank = -7;
  int32_t dims[kMaxRank];
  if (!matmul_output_shape(make_shape(a, b), &rank, dims)) return {};
  if (rank == 0) return {-1};
  return Dims(dims, dims + rank);
}

size_t count(const Dims& d) {
  return std::accumulate(d.begin(), d.end(), size_t{1},
                         [](size_t acc, int32_t v) { return acc * size_t(v); });
}

QuantOut quant_out(const Multiplier& m, int32_t zy, int32_t qmin = -128, int32_t qmax = 127) {
  QuantOut q;
  q.zero_point = zy;
  q.qmin = qmin;
  q.qmax = qmax;
  q.multipliers = &m;
  q.multiplier_count = 1;
  return q;
}

std::vector<float> run_f32(const Dims& ad, const Dims& bd, const std::vector<float>& a,
                           const std::vector<float>& b, FloatClamp clamp) {
  const Dims yd = output_dims(ad, bd);
  REQUIRE(!yd.empty());
  const size_t n = yd[0] == -1 ? 1 : count(yd);
  std::vector<float> y(n + kGuard, std::nanf(""));
  const float guard = 1234.5f;
  std::fill(y.end() - kGuard, y.end(), guard);
  matmul_f32_reference(make_shape(ad, bd), a.data(), b.data(), clamp, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == guard);
  y.resize(n);
  return y;
}

std::vector<int8_t> run_qs8(const Dims& ad, const Dims& bd, const std::vector<int8_t>& a,
                            int32_t za, const std::vector<int8_t>& b, int32_t zb,
                            const QuantOut& out) {
  const Dims yd = output_dims(ad, bd);
  REQUIRE(!yd.empty());
  const size_t n = yd[0] == -1 ? 1 : count(yd);
  std::vector<int8_t> y(n + kGuard, kGuardQ);
  matmul_qs8_reference(make_shape(ad, bd), a.data(), za, b.data(), zb, out, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == kGuardQ);
  y.resize(n);
  return y;
}

// Independent formulation: promote rank-1 operands, left-pad both shapes with
// 1s to a common rank, then for every output element decode its multi-index
// and map it into each operand (index 0 along a size-1 dim) before the dot
// product. Output is row-major over the promoted output shape, which is the
// same memory order as numpy's result.
template <typename T, typename Acc>
std::vector<Acc> naive_matmul(Dims ad, Dims bd, const std::vector<T>& a, Acc za,
                              const std::vector<T>& b, Acc zb) {
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const size_t rank = std::max(ad.size(), bd.size());
  ad.insert(ad.begin(), rank - ad.size(), 1);
  bd.insert(bd.begin(), rank - bd.size(), 1);
  Dims yd(rank);
  for (size_t d = 0; d + 2 < rank; ++d) yd[d] = ad[d] == 1 ? bd[d] : ad[d];
  const int32_t k = ad[rank - 1];
  yd[rank - 2] = ad[rank - 2];
  yd[rank - 1] = bd[rank - 1];
  auto linear = [&](const Dims& dims, const std::vector<int32_t>& idx) {
    size_t off = 0;
    for (size_t d = 0; d < rank; ++d) off = off * dims[d] + idx[d];
    return off;
  };
  std::vector<Acc> y(count(yd), Acc(0));
  std::vector<int32_t> idx(rank), ai(rank), bi(rank);
  for (size_t o = 0; o < y.size(); ++o) {
    size_t rest = o;
    for (size_t d = rank; d-- > 0;) {
      idx[d] = static_cast<int32_t>(rest % yd[d]);
      rest /= yd[d];
    }
    for (size_t d = 0; d + 2 < rank; ++d) {
      ai[d] = ad[d] == 1 ? 0 : idx[d];
      bi[d] = bd[d] == 1 ? 0 : idx[d];
    }
    Acc sum = 0;
    for (int32_t p = 0; p < k; ++p) {
      ai[rank - 2] = idx[rank - 2];
      ai[rank - 1] = p;
      bi[rank - 2] = p;
      bi[rank - 1] = idx[rank - 1];
      sum +=
          (static_cast<Acc>(a[linear(ad, ai)]) - za) * (static_cast<Acc>(b[linear(bd, bi)]) - zb);
    }
    y[o] = sum;
  }
  return y;
}

TEST_CASE("matmul_output_shape", "[matmul]") {
  CHECK(output_dims({3, 4}, {4, 5}) == Dims{3, 5});
  CHECK(output_dims({2, 1, 3, 4}, {5, 4, 2}) == Dims{2, 5, 3, 2});
  CHECK(output_dims({5, 4, 2}, {2, 1, 2, 3}) == Dims{2, 5, 4, 3});
  CHECK(output_dims({1, 3, 4}, {6, 4, 2}) == Dims{6, 3, 2});
  CHECK(output_dims({2, 1, 2, 1, 3, 4}, {3, 1, 2, 4, 2}) == Dims{2, 3, 2, 2, 3, 2});
  CHECK(output_dims({0, 3, 4}, {4, 2}) == Dims{0, 3, 2});
  CHECK(output_dims({1, 3, 4}, {0, 4, 2}) == Dims{0, 3, 2});
  CHECK(output_dims({3, 0}, {0, 2}) == Dims{3, 2});
  // Rank-1 promotion: the promoted dim is dropped from the result.
  CHECK(output_dims({4}, {4, 5}) == Dims{5});
  CHECK(output_dims({3, 4}, {4}) == Dims{3});
  CHECK(output_dims({4}, {2, 4, 3}) == Dims{2, 3});
  CHECK(output_dims({2, 3, 4}, {4}) == Dims{2, 3});
  CHECK(output_dims({4}, {4}) == Dims{-1});
  // Rejections.
  CHECK(output_dims({3, 4}, {5, 2}).empty());                 // k mismatch
  CHECK(output_dims({4}, {5}).empty());                       // k mismatch, rank 1
  CHECK(output_dims({2, 3, 4}, {3, 4, 2}).empty());           // batch 2 vs 3
  CHECK(output_dims({0, 3, 4}, {2, 4, 2}).empty());           // batch 0 vs 2
  CHECK(output_dims({3, -1}, {-1, 2}).empty());               // negative dim
  CHECK(output_dims({}, {4, 2}).empty());                     // rank 0
  CHECK(output_dims({1, 1, 1, 1, 1, 3, 4}, {4, 2}).empty());  // rank > kMaxRank
}

TEST_CASE("matmul_f32_reference: hand-computed", "[matmul]") {
  SECTION("[2, 2, 2] x [2, 2]: b is reused for every batch") {
    const std::vector<float> a = {1, 2, 3, 4, -1, 0, 0, 1};
    const std::vector<float> b = {5, 6, 7, 8};
    CHECK(run_f32({2, 2, 2}, {2, 2}, a, b, kNoClamp) ==
          std::vector<float>{19, 22, 43, 50, -5, -6, 7, 8});
    CHECK(run_f32({2, 2, 2}, {2, 2}, a, b, FloatClamp{0.0f, 30.0f}) ==
          std::vector<float>{19, 22, 30, 30, 0, 0, 7, 8});
  }
  SECTION("[2, 1, 3, 4] x [5, 4, 2] -> [2, 5, 3, 2], a = arange(24), b = arange(40)") {
    std::vector<float> a(24), b(40);
    std::iota(a.begin(), a.end(), 0.0f);
    std::iota(b.begin(), b.end(), 0.0f);
    const std::vector<float> y = run_f32({2, 1, 3, 4}, {5, 4, 2}, a, b, kNoClamp);
    REQUIRE(y.size() == 60);
    // y[0][0][0][0] = Σ_k a[0][0][0][k] · b[0][k][0] = Σ k · 2k = 28.
    CHECK(y[0] == 28);
    // y[1][3][2][1] = Σ_k a[1][0][2][k] · b[3][k][1] = Σ (20 + k)(25 + 2k)
    //               = 500 + 567 + 638 + 713 = 2418.
    CHECK(y[((1 * 5 + 3) * 3 + 2) * 2 + 1] == 2418);
    // y[0][4][1][0] = Σ_k a[0][0][1][k] · b[4][k][0] = Σ (4 + k)(32 + 2k)
    //               = 128 + 170 + 216 + 266 = 780.
    CHECK(y[((0 * 5 + 4) * 3 + 1) * 2 + 0] == 780);
  }
  SECTION("rank-1 operands") {
    const std::vector<float> v = {1, 2, 3};
    const std::vector<float> mat = {1, 0, 0, 1, 1, 1};  // [3, 2] or [2, 3]
    CHECK(run_f32({3}, {3, 2}, v, mat, kNoClamp) == std::vector<float>{4, 5});
    CHECK(run_f32({2, 3}, {3}, mat, v, kNoClamp) == std::vector<float>{1, 6});
    CHECK(run_f32({3}, {3}, v, v, kNoClamp) == std::vector<float>{14});
  }
  SECTION("k = 0 gives zeros") {
    CHECK(run_f32({2, 0}, {0, 2}, {}, {}, kNoClamp) == std::vector<float>{0, 0, 0, 0});
  }
}

TEST_CASE("matmul_qs8_reference: hand-computed", "[matmul]") {
  // a = [[1, 2], [3, 4]] at zero point -3; b at zero point 5.
  const std::vector<int8_t> a = {-2, -1, 0, 1};
  SECTION("ties toward +infinity on both signs") {
    // b = [[1, -1], [2, 1]]: acc = [[5, 1], [11, 1]] → 2.5 → 3, 0.5 → 1, 5.5 → 6.
    CHECK(run_qs8({2, 2}, {2, 2}, a, -3, {6, 4, 7, 6}, 5, quant_out(kHalf, 0)) ==
          std::vector<int8_t>{3, 1, 6, 1});
    // b negated: acc = [[-5, -1], [-11, -1]] → -2.5 → -2, -0.5 → 0, -5.5 → -5.
    CHECK(run_qs8({2, 2}, {2, 2}, a, -3, {4, 6, 3, 4}, 5, quant_out(kHalf, 0)) ==
          std::vector<int8_t>{-2, 0, -5, 0});
  }
  SECTION("output zero point and ReLU6-like clamp [zy, zy + 5]") {
    CHECK(run_qs8({2, 2}, {2, 2}, a, -3, {6, 4, 7, 6}, 5, quant_out(kHalf, 50, 50, 55)) ==
          std::vector<int8_t>{53, 51, 55, 51});
  }
  SECTION("zero points at both ends") {
    // 127 at -128 is 255, -128 at 127 is -255: acc = ±2 · 255², times 2^-10.
    const Multiplier m{1 << 30, 40};
    const std::vector<int8_t> hi = {127, 127}, lo = {-128, -128};
    // -130050 / 1024 = -127.002 → -127.
    CHECK(run_qs8({1, 2}, {2, 1}, hi, -128, lo, 127, quant_out(m, 0)) == std::vector<int8_t>{-127});
    CHECK(run_qs8({1, 2}, {2, 1}, hi, -128, lo, 127, quant_out(m, -2)) ==
          std::vector<int8_t>{-128});
    CHECK(run_qs8({1, 2}, {2, 1}, lo, 127, lo, 127, quant_out(m, 0)) == std::vector<int8_t>{127});
  }
  SECTION("k = 0: acc = 0 gives the zero point") {
    CHECK(run_qs8({1, 0}, {0, 2}, {}, 3, {}, -4, quant_out(kHalf, 9)) == std::vector<int8_t>{9, 9});
  }
}

struct ShapeCase {
  const char* name;
  Dims a, b;
};

const ShapeCase kShapes[] = {
    {"[3,4]x[4,5]", {3, 4}, {4, 5}},
    {"[2,1,3,4]x[5,4,2]", {2, 1, 3, 4}, {5, 4, 2}},
    {"[1,3,4]x[6,4,2]", {1, 3, 4}, {6, 4, 2}},
    {"[5,4,7]x[7,3] (b broadcast)", {5, 4, 7}, {7, 3}},
    {"[4,7]x[2,3,7,5] (a broadcast)", {4, 7}, {2, 3, 7, 5}},
    {"[2,3,1,2,5]x[1,3,4,5,3]", {2, 3, 1, 2, 5}, {1, 3, 4, 5, 3}},
    {"rank 6 [2,1,2,1,3,4]x[1,3,1,2,4,2]", {2, 1, 2, 1, 3, 4}, {1, 3, 1, 2, 4, 2}},
    {"[6]x[2,6,3]", {6}, {2, 6, 3}},
    {"[2,3,6]x[6]", {2, 3, 6}, {6}},
    {"[9]x[9]", {9}, {9}},
    {"large K [2,4096]x[4096,3]", {2, 4096}, {4096, 3}},
    {"[1,1]x[1,1]", {1, 1}, {1, 1}},
    {"[0,2,3]x[3,2] (empty batch)", {0, 2, 3}, {3, 2}},
};

size_t operand_size(const Dims& d) { return count(d); }

TEST_CASE("matmul_f32_reference: random shapes against per-element broadcasting", "[matmul]") {
  int seed = 0;
  for (const ShapeCase& sc : kShapes) {
    for (int variant = 0; variant < 2; ++variant) {
      ++seed;
      DYNAMIC_SECTION(sc.name << (variant == 0 ? " / no clamp" : " / clamp")) {
        std::mt19937 rng(300 + seed);
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        std::vector<float> a(operand_size(sc.a)), b(operand_size(sc.b));
        for (float& v : a) v = dist(rng);
        for (float& v : b) v = dist(rng);
        const FloatClamp clamp = variant == 0 ? kNoClamp : FloatClamp{-0.5f, 0.75f};
        const std::vector<float> y = run_f32(sc.a, sc.b, a, b, clamp);
        const std::vector<double> ad(a.begin(), a.end()), bd(b.begin(), b.end());
        std::vector<double> aa(ad), ba(bd);
        for (double& v : aa) v = std::fabs(v);
        for (double& v : ba) v = std::fabs(v);
        const std::vector<double> sums = naive_matmul<double, double>(sc.a, sc.b, ad, 0.0, bd, 0.0);
        const std::vector<double> mags = naive_matmul<double, double>(sc.a, sc.b, aa, 0.0, ba, 0.0);
        REQUIRE(sums.size() == y.size());
        int bad = 0;
        std::string first;
        for (size_t i = 0; i < y.size(); ++i) {
          const double ref = std::min<double>(clamp.max, std::max<double>(clamp.min, sums[i]));
          if (!(std::fabs(y[i] - ref) <= 1e-5 * std::max(std::fabs(ref), mags[i])) && bad++ == 0) {
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
  int32_t za, zb, zy, qmin, qmax;
};

const QuantCase kQuantCases[] = {
    {"za 0, zb 0, zy 0", 0, 0, 0, -128, 127},
    {"za -128, zb 127, zy 127", -128, 127, 127, -128, 127},
    {"za 127, zb -128, zy -128", 127, -128, -128, -128, 127},
    {"za 5, zb -3, zy -20, ReLU6-like [-20, 40]", 5, -3, -20, -20, 40},
};

void check_qs8_random(const ShapeCase& sc, const QuantCase& qc, bool extremes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-128, 127), bit(0, 1);
  std::vector<int8_t> a(operand_size(sc.a)), b(operand_size(sc.b));
  for (int8_t& v : a) v = static_cast<int8_t>(extremes ? (bit(rng) ? 127 : -128) : dist(rng));
  for (int8_t& v : b) v = static_cast<int8_t>(extremes ? (bit(rng) ? 127 : -128) : dist(rng));
  const std::vector<int64_t> sums = naive_matmul<int8_t, int64_t>(sc.a, sc.b, a, qc.za, b, qc.zb);
  double sq = 0;
  for (int64_t v : sums) sq += double(v) * double(v);
  const double rms = sums.empty() ? 1.0 : std::max(1.0, std::sqrt(sq / sums.size()));
  const double s_a = 0.02, s_b = 0.07;
  const double s_y = s_a * s_b * rms / 40.0;
  const Multiplier m = multiplier_of(s_a * s_b / s_y);
  const QuantOut out = quant_out(m, qc.zy, qc.qmin, qc.qmax);
  const std::vector<int8_t> y = run_qs8(sc.a, sc.b, a, qc.za, b, qc.zb, out);
  REQUIRE(sums.size() == y.size());

  std::vector<double> ar(a.size()), br(b.size());
  for (size_t i = 0; i < a.size(); ++i) ar[i] = s_a * (a[i] - qc.za);
  for (size_t i = 0; i < b.size(); ++i) br[i] = s_b * (b[i] - qc.zb);
  const std::vector<double> real = naive_matmul<double, double>(sc.a, sc.b, ar, 0.0, br, 0.0);

  int bad_exact = 0, bad_real = 0;
  std::string first_exact, first_real;
  for (size_t i = 0; i < y.size(); ++i) {
    REQUIRE(sums[i] == static_cast<int32_t>(sums[i]));
    const int32_t want = expected_q(sums[i], m, qc.zy, qc.qmin, qc.qmax);
    if (y[i] != want && bad_exact++ == 0) {
      std::ostringstream os;
      os << "output " << i << ": acc " << sums[i] << ", got " << int{y[i]} << ", want " << want;
      first_exact = os.str();
    }
    const double r = std::min(s_y * (qc.qmax - qc.zy), std::max(s_y * (qc.qmin - qc.zy), real[i]));
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

TEST_CASE("matmul_qs8_reference: random shapes against an integer per-element product",
          "[matmul]") {
  uint32_t seed = 0;
  for (const ShapeCase& sc : kShapes) {
    for (const QuantCase& qc : kQuantCases) {
      ++seed;
      DYNAMIC_SECTION(sc.name << " / " << qc.name) { check_qs8_random(sc, qc, false, 400 + seed); }
    }
  }
}

TEST_CASE("matmul_qs8_reference: operands at both ends of the range", "[matmul]") {
  uint32_t seed = 0;
  for (const ShapeCase& sc : {kShapes[1], kShapes[6], kShapes[10]}) {
    for (const QuantCase& qc : {kQuantCases[1], kQuantCases[2]}) {
      ++seed;
      DYNAMIC_SECTION(sc.name << " / " << qc.name) { check_qs8_random(sc, qc, true, 500 + seed); }
    }
  }
}

}  // namespace
