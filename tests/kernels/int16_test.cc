// SPDX-License-Identifier: Apache-2.0
//
// int16 × int8 reference kernels (docs/quantization.md §6) and the integer
// part of dynamic quantization (§7):
//   - requantize_wide against an __int128 floor-division oracle, ties and
//     saturation included (x86-64 hosts have __int128; the kernel does not
//     use it, so 32-bit targets compute the same bits);
//   - conv2d_qs16 / fully_connected_qs16 against an independent formulation
//     (direct index arithmetic, int64 sums, the __int128 oracle), across
//     strides, padding, dilation, groups/depthwise, per-tensor weights, clamps;
//   - fully_connected_qd8 fast integer sums bit-exact to the reference, the
//     dynamic range rule on known inputs, and the dequantized result close
//     to fp32.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/fully_connected/fully_connected.h"
#include "tests/kernels/quant_test_util.h"

using namespace octet::kernels;
using octet::test::multiplier_of;

namespace {

#if defined(__SIZEOF_INT128__)
int64_t oracle_wide(int64_t acc, const Multiplier& m) {
  const __int128 num = static_cast<__int128>(acc) * m.multiplier + (__int128{1} << (m.rshift - 1));
  const __int128 d = __int128{1} << m.rshift;
  __int128 q = num / d;
  if (num % d != 0 && num < 0) --q;
  if (q > INT64_MAX) return INT64_MAX;
  if (q < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(q);
}
#else
// 32-bit targets (armv7) have no __int128: the same oracle on a two-word
// two's-complement integer. floor(num / 2^t) is an arithmetic shift by t.
int64_t oracle_wide(int64_t acc, const Multiplier& m) {
  const bool neg = acc < 0;
  const uint64_t a = neg ? 0 - static_cast<uint64_t>(acc) : static_cast<uint64_t>(acc);
  const uint64_t mu = static_cast<uint64_t>(m.multiplier);  // >= 0
  // |acc| * M as hi:lo (M < 2^31, so hi < 2^31).
  const uint64_t al = a & 0xffffffffu, ah = a >> 32;
  const uint64_t p0 = al * mu, p1 = ah * mu;
  uint64_t lo = p0 + (p1 << 32);
  uint64_t hi = (p1 >> 32) + (lo < p0 ? 1 : 0);
  if (neg) {  // two's-complement negate
    lo = ~lo + 1;
    hi = ~hi + (lo == 0 ? 1 : 0);
  }
  const uint64_t r = uint64_t{1} << (m.rshift - 1);
  const uint64_t lo2 = lo + r;
  hi += lo2 < lo ? 1 : 0;
  lo = lo2;
  // Arithmetic shift right by t (1..62).
  const int t = m.rshift;
  const uint64_t qlo = (lo >> t) | (hi << (64 - t));
  const int64_t qhi = static_cast<int64_t>(hi) >> t;
  const int64_t q = static_cast<int64_t>(qlo);
  if (qhi > 0 || (qhi == 0 && q < 0)) return INT64_MAX;
  if (qhi < -1 || (qhi == -1 && q >= 0)) return INT64_MIN;
  return q;
}
#endif

int16_t oracle_out(int64_t acc, const Multiplier& m, int32_t qmin, int32_t qmax) {
  const int64_t q = oracle_wide(acc, m);
  return static_cast<int16_t>(std::min<int64_t>(qmax, std::max<int64_t>(qmin, q)));
}

}  // namespace

TEST_CASE("requantize_wide: exact on every magnitude, ties toward +inf, saturating",
          "[int16][requantize]") {
  const Multiplier half{1 << 30, 31};
  SECTION("rounding_ties") {
    CHECK(requantize_wide(3, half.multiplier, half.rshift) == 2);
    CHECK(requantize_wide(-3, half.multiplier, half.rshift) == -1);
    CHECK(requantize_wide(5, half.multiplier, half.rshift) == 3);
    CHECK(requantize_wide(-5, half.multiplier, half.rshift) == -2);
  }
  SECTION("agrees with requantize on int32 inputs") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> a(INT32_MIN, INT32_MAX);
    std::uniform_int_distribution<int32_t> mm(1 << 30, INT32_MAX);
    std::uniform_int_distribution<int32_t> t(1, 62);
    for (int i = 0; i < 20000; ++i) {
      const int32_t x = a(rng), m = mm(rng), r = t(rng);
      REQUIRE(requantize_wide(x, m, r) == requantize(x, m, r));
    }
  }
  SECTION("large accumulators against __int128") {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int32_t> mm(1 << 30, INT32_MAX);
    std::uniform_int_distribution<int32_t> t(1, 62);
    std::uniform_int_distribution<int> bits(0, 63);
    for (int i = 0; i < 50000; ++i) {
      const int b = bits(rng);
      int64_t x = static_cast<int64_t>(rng() >> (63 - std::min(b, 62)));
      if (rng() & 1) x = -x;
      if (i % 1000 == 0) x = (i % 2000 == 0) ? INT64_MIN : INT64_MAX;
      const Multiplier m{mm(rng), t(rng)};
      INFO("acc " << x << " M " << m.multiplier << " t " << m.rshift);
      REQUIRE(requantize_wide(x, m.multiplier, m.rshift) == oracle_wide(x, m));
    }
    // Exact ties far above 2^31: acc · M = (2j + 1) · 2^(t−1).
    for (int64_t j : {int64_t{1} << 40, -(int64_t{1} << 40) - 1, int64_t{123456789012}}) {
      const int64_t acc = 2 * j + 1;  // × 2^30 / 2^31 = j + 0.5
      REQUIRE(requantize_wide(acc, half.multiplier, half.rshift) == j + 1);
    }
    CHECK(requantize_wide(0, 0, 1) == 0);
  }
}

namespace {

struct ConvCase {
  Conv2DShape s;
  bool per_tensor;
  int32_t qmin, qmax;
};

// Direct index arithmetic (no shared tap helper), int64 sums, __int128 oracle.
std::vector<int16_t> conv16_oracle(const ConvCase& c, const std::vector<int16_t>& x,
                                   const std::vector<int8_t>& w, const std::vector<int64_t>& b,
                                   const std::vector<Multiplier>& m) {
  const Conv2DShape& s = c.s;
  std::vector<int16_t> y;
  const int32_t icg = s.in_c / s.groups, ocg = s.out_c / s.groups;
  for (int32_t n = 0; n < s.batch; ++n)
    for (int32_t oy = 0; oy < s.out_h; ++oy)
      for (int32_t ox = 0; ox < s.out_w; ++ox)
        for (int32_t oc = 0; oc < s.out_c; ++oc) {
          int64_t acc = b.empty() ? 0 : b[oc];
          for (int32_t ky = 0; ky < s.kernel_h; ++ky)
            for (int32_t kx = 0; kx < s.kernel_w; ++kx)
              for (int32_t ic = 0; ic < icg; ++ic) {
                const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
                const int32_t ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
                if (iy < 0 || ix < 0 || iy >= s.in_h || ix >= s.in_w) continue;
                const int32_t cin = (oc / ocg) * icg + ic;
                acc += int64_t{x[((size_t(n) * s.in_h + iy) * s.in_w + ix) * s.in_c + cin]} *
                       w[((size_t(oc) * s.kernel_h + ky) * s.kernel_w + kx) * icg + ic];
              }
          y.push_back(oracle_out(acc, m[c.per_tensor ? 0 : oc], c.qmin, c.qmax));
        }
  return y;
}

}  // namespace

TEST_CASE("conv2d_qs16_qc8w_reference", "[int16][conv2d]") {
  //                  b  ih iw ic oh ow oc kh kw sh sw dh dw pt pl g
  const ConvCase cases[] = {
      {{1, 5, 5, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1}, false, -32767, 32767},  // same 3x3
      {{2, 7, 6, 4, 3, 2, 6, 3, 3, 2, 2, 1, 1, 0, 0, 2}, false, -32767, 32767},  // stride 2, groups 2
      {{1, 6, 6, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8}, false, 0, 32767},       // depthwise, ReLU
      {{1, 9, 9, 2, 5, 5, 3, 3, 3, 1, 1, 2, 2, 0, 0, 1}, true, -1000, 900},      // dilation, per tensor
      {{1, 4, 4, 64, 4, 4, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1}, false, -32767, 32767},  // K = 576
  };
  std::mt19937 rng(3);
  for (const ConvCase& c : cases) {
    const Conv2DShape& s = c.s;
    INFO("in " << s.in_h << "x" << s.in_w << "x" << s.in_c << " out_c " << s.out_c << " groups "
               << s.groups);
    std::uniform_int_distribution<int> xv(-32767, 32767), wv(-127, 127);
    std::uniform_int_distribution<int64_t> bv(-(int64_t{1} << 33), int64_t{1} << 33);
    std::vector<int16_t> x(size_t(s.batch) * s.in_h * s.in_w * s.in_c);
    for (auto& v : x) v = static_cast<int16_t>(xv(rng));
    // Extremes on the first taps: the sums need more than 32 bits.
    for (size_t i = 0; i < std::min<size_t>(x.size(), 64); ++i) x[i] = (i & 1) ? 32767 : -32767;
    std::vector<int8_t> w(size_t(s.out_c) * s.kernel_h * s.kernel_w * (s.in_c / s.groups));
    for (auto& v : w) v = static_cast<int8_t>(wv(rng));
    std::vector<int64_t> b(s.out_c);
    for (auto& v : b) v = bv(rng);
    std::vector<Multiplier> m;
    std::uniform_real_distribution<double> mr(1e-7, 2e-5);
    for (int32_t oc = 0; oc < (c.per_tensor ? 1 : s.out_c); ++oc) m.push_back(multiplier_of(mr(rng)));
    QuantOut out;
    out.zero_point = 0;
    out.qmin = c.qmin;
    out.qmax = c.qmax;
    out.multipliers = m.data();
    out.multiplier_count = static_cast<int32_t>(m.size());
    for (bool with_bias : {true, false}) {
      const std::vector<int64_t> bb = with_bias ? b : std::vector<int64_t>{};
      std::vector<int16_t> y(size_t(s.batch) * s.out_h * s.out_w * s.out_c, 0x5A5A);
      conv2d_qs16_qc8w_reference(s, x.data(), w.data(), with_bias ? b.data() : nullptr, out, y.data());
      REQUIRE(y == conv16_oracle(c, x, w, bb, m));
      // The clamp is reached (the test can fail on it) in the clamped cases.
      if (c.qmin == 0) CHECK(std::count(y.begin(), y.end(), 0) > 0);
    }
  }
}

TEST_CASE("fully_connected_qs16_qc8w_reference", "[int16][fully_connected]") {
  std::mt19937 rng(5);
  for (int32_t k : {1, 7, 64, 1000}) {
    const int32_t mrows = 3, n = 5;
    INFO("k " << k);
    std::uniform_int_distribution<int> xv(-32767, 32767), wv(-127, 127);
    std::vector<int16_t> x(size_t(mrows) * k);
    for (auto& v : x) v = static_cast<int16_t>(xv(rng));
    std::vector<int8_t> w(size_t(n) * k);
    for (auto& v : w) v = static_cast<int8_t>(wv(rng));
    std::vector<int64_t> b = {0, -(int64_t{1} << 40), 12345, int64_t{1} << 35, -7};
    std::vector<Multiplier> m;
    for (int32_t j = 0; j < n; ++j) m.push_back(multiplier_of(1e-5 * (j + 1) / std::sqrt(double(k))));
    QuantOut out;
    out.qmin = -32767, out.qmax = 32767;
    out.multipliers = m.data();
    out.multiplier_count = n;
    std::vector<int16_t> y(size_t(mrows) * n);
    fully_connected_qs16_qc8w_reference(mrows, n, k, x.data(), w.data(), b.data(), out, y.data());
    for (int32_t i = 0; i < mrows; ++i) {
      for (int32_t j = 0; j < n; ++j) {
        int64_t acc = b[j];
        for (int32_t p = 0; p < k; ++p) acc += int64_t{x[size_t(i) * k + p]} * w[size_t(j) * k + p];
        REQUIRE(y[size_t(i) * n + j] == oracle_out(acc, m[j], -32767, 32767));
      }
    }
    // The same layer as a 1x1 convolution gives the same codes.
    Conv2DShape s{1, 1, mrows, k, 1, mrows, n, 1, 1, 1, 1, 1, 1, 0, 0, 1};
    std::vector<int16_t> yc(y.size());
    conv2d_qs16_qc8w_reference(s, x.data(), w.data(), b.data(), out, yc.data());
    REQUIRE(yc == y);
  }
}

TEST_CASE("dynamic quantization: range rule", "[int16][dynamic]") {
  const std::vector<float> pos = {0.5f, 1.0f, 2.55f};
  DynamicQuant q = dynamic_quant_params_f32(pos.size(), pos.data());
  CHECK(q.scale == Approx(2.55f / 255));
  CHECK(q.zero_point == -128);  // min widened to 0
  const std::vector<float> mixed = {-1.0f, 0.0f, 1.55f};
  q = dynamic_quant_params_f32(mixed.size(), mixed.data());
  CHECK(q.scale == Approx(2.55f / 255));
  CHECK(q.zero_point == -28);  // round(−128 + 100)
  std::vector<int8_t> y(3);
  dynamic_quantize_f32_qs8(mixed.size(), mixed.data(), q, y.data());
  CHECK(y == std::vector<int8_t>{-128, -28, 127});  // zero exact, ends on the range
  const std::vector<float> zeros(5, 0.0f);
  q = dynamic_quant_params_f32(zeros.size(), zeros.data());
  CHECK(q.scale == 1.0f);
  CHECK(q.zero_point == 0);
}

TEST_CASE("fully_connected_qd8_qc8w_acc_fast", "[int16][dynamic][fully_connected]") {
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> v(-128, 127);
  auto check = [&](int32_t m, int32_t n, int32_t k, int32_t zp) {
    INFO("m " << m << " n " << n << " k " << k << " zp " << zp);
    std::vector<int8_t> x(size_t(m) * k), w(size_t(n) * k);
    for (auto& e : x) e = static_cast<int8_t>(v(rng));
    for (auto& e : w) e = static_cast<int8_t>(std::max(-127, v(rng)));
    std::vector<int32_t> cs(n), ref(size_t(m) * n), fast(size_t(m) * n, 0x5A5A5A5A);
    fully_connected_qd8_colsums(n, k, w.data(), cs.data());
    fully_connected_qd8_qc8w_acc_reference(m, n, k, x.data(), zp, w.data(), ref.data());
    fully_connected_qd8_qc8w_acc_fast(m, n, k, x.data(), zp, w.data(), cs.data(), fast.data());
    REQUIRE(fast == ref);
  };
  SECTION("m_div_4") { check(8, 7, 33, -5); }
  SECTION("m_lt_4") { check(3, 5, 16, 127); }
  SECTION("m_gt_4_remainder") { check(6, 9, 1, -128); }
  SECTION("k_large") { check(5, 3, 4096, 17); }
  SECTION("extremes") {
    // Every x = −128, zero point 127, w = −127: |x − zx| · |w| at its maximum.
    const int32_t m = 4, n = 2, k = 300;
    std::vector<int8_t> x(size_t(m) * k, -128), w(size_t(n) * k, -127);
    std::vector<int32_t> cs(n), ref(size_t(m) * n), fast(size_t(m) * n);
    fully_connected_qd8_colsums(n, k, w.data(), cs.data());
    fully_connected_qd8_qc8w_acc_reference(m, n, k, x.data(), 127, w.data(), ref.data());
    fully_connected_qd8_qc8w_acc_fast(m, n, k, x.data(), 127, w.data(), cs.data(), fast.data());
    REQUIRE(fast == ref);
    CHECK(ref[0] == 255 * 127 * k);
  }
}

#if defined(OCTET_HAVE_AVX2)
TEST_CASE("fully_connected_qd8_qc8w_acc_avx2", "[int16][dynamic][fully_connected][avx2]") {
  if (!isa_available(Isa::kAvx2)) {
    WARN("host lacks AVX2: skipped");
    return;
  }
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> v(-128, 127);
  auto check = [&](int32_t m, int32_t n, int32_t k, int32_t zp, bool extremes) {
    INFO("m " << m << " n " << n << " k " << k << " zp " << zp);
    std::vector<int8_t> x(size_t(m) * k), w(size_t(n) * k);
    for (auto& e : x) e = extremes ? -128 : static_cast<int8_t>(v(rng));
    for (auto& e : w) e = extremes ? -127 : static_cast<int8_t>(std::max(-127, v(rng)));
    std::vector<int32_t> cs(n), ref(size_t(m) * n), got(size_t(m) * n, 0x5A5A5A5A);
    fully_connected_qd8_colsums(n, k, w.data(), cs.data());
    fully_connected_qd8_qc8w_acc_reference(m, n, k, x.data(), zp, w.data(), ref.data());
    fully_connected_qd8_qc8w_acc_avx2(m, n, k, x.data(), zp, w.data(), cs.data(), got.data());
    REQUIRE(got == ref);
  };
  SECTION("k_eq_kr") { check(2, 8, 16, 3, false); }
  SECTION("k_lt_kr") { check(3, 5, 7, -9, false); }
  SECTION("k_gt_kr") { check(1, 9, 23, 100, false); }
  SECTION("k_div_kr") { check(2, 12, 1024, -128, false); }
  SECTION("n_gt_nr") { check(1, 37, 64, 0, false); }
  SECTION("subtile_n") { check(4, 3, 48, 1, false); }
  SECTION("qmin_qmax") { check(2, 6, 4000, 127, true); }  // largest |sums|
}
#endif

#if defined(OCTET_HAVE_AVX2)
TEST_CASE("gemm_qs16_qc8w_avx2", "[int16][fully_connected][avx2]") {
  if (!isa_available(Isa::kAvx2)) {
    WARN("host lacks AVX2: skipped");
    return;
  }
  std::mt19937 rng(23);
  auto check = [&](int32_t m, int32_t n, int32_t k, bool extremes, bool per_tensor, int32_t qmin,
                   int32_t qmax) {
    INFO("m " << m << " n " << n << " k " << k);
    std::uniform_int_distribution<int> xv(-32767, 32767), wv(-127, 127);
    const int32_t kp = gemm_qs16_padded_k(k);
    // Rows of x with stride k, plus the over-read the kernel may do.
    std::vector<int16_t> x(size_t(m) * k + 16);
    for (auto& e : x) e = extremes ? 32767 : static_cast<int16_t>(xv(rng));
    std::vector<int8_t> w(size_t(n) * k);
    for (auto& e : w) e = extremes ? 127 : static_cast<int8_t>(wv(rng));
    std::vector<int16_t> w16(size_t(n) * kp);
    gemm_qs16_pack_weights(n, k, w.data(), w16.data());
    std::vector<int64_t> b(n);
    for (int32_t j = 0; j < n; ++j) b[j] = (j % 3 - 1) * (int64_t{1} << (20 + j % 20));
    std::vector<Multiplier> mult;
    for (int32_t j = 0; j < (per_tensor ? 1 : n); ++j) {
      mult.push_back(multiplier_of(2e-5 * (j + 1) / std::sqrt(double(k))));
    }
    QuantOut out;
    out.qmin = qmin, out.qmax = qmax;
    out.multipliers = mult.data();
    out.multiplier_count = static_cast<int32_t>(mult.size());
    std::vector<int16_t> ref(size_t(m) * n), got(size_t(m) * n, 0x5A5A);
    fully_connected_qs16_qc8w_reference(m, n, k, x.data(), w.data(), b.data(), out, ref.data());
    gemm_qs16_qc8w_avx2(m, n, kp, x.data(), size_t(k), w16.data(), b.data(), out, got.data(),
                        size_t(n));
    REQUIRE(got == ref);
  };
  SECTION("k_eq_kr") { check(3, 8, 16, false, false, -32767, 32767); }
  SECTION("k_lt_kr") { check(2, 5, 9, false, false, -32767, 32767); }
  SECTION("k_gt_kr") { check(4, 6, 37, false, false, -32767, 32767); }
  SECTION("k_div_kr") { check(2, 4, 4096, false, false, -32767, 32767); }
  SECTION("k_over_int32_block") { check(2, 5, 9000, true, false, -32767, 32767); }
  SECTION("n_gt_nr") { check(2, 19, 64, false, false, -32767, 32767); }
  SECTION("subtile_n") { check(1, 3, 64, false, true, -32767, 32767); }
  SECTION("qmin_qmax") { check(5, 7, 300, false, false, 0, 1000); }
}
#endif

TEST_CASE("dynamic FULLY_CONNECTED is close to fp32", "[int16][dynamic][fully_connected]") {
  std::mt19937 rng(13);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  const int32_t m = 4, n = 16, k = 128;
  std::vector<float> x(size_t(m) * k), w(size_t(n) * k), b(n);
  for (auto& e : x) e = nd(rng);
  for (auto& e : w) e = 0.1f * nd(rng);
  for (auto& e : b) e = nd(rng);
  std::vector<int8_t> wq(w.size()), xq(x.size());
  std::vector<float> ws(n);
  for (int32_t j = 0; j < n; ++j) {
    float amax = 0;
    for (int32_t p = 0; p < k; ++p) amax = std::max(amax, std::fabs(w[size_t(j) * k + p]));
    ws[j] = amax / 127;
    for (int32_t p = 0; p < k; ++p) wq[size_t(j) * k + p] = static_cast<int8_t>(std::lrint(w[size_t(j) * k + p] / ws[j]));
  }
  const float inf = std::numeric_limits<float>::infinity();
  const FloatClamp none{-inf, inf};
  std::vector<float> ref(size_t(m) * n), got(size_t(m) * n);
  fully_connected_f32_reference(m, n, k, x.data(), w.data(), b.data(), none, ref.data());
  const DynamicQuant q = dynamic_quant_params_f32(x.size(), x.data());
  dynamic_quantize_f32_qs8(x.size(), x.data(), q, xq.data());
  std::vector<int32_t> cs(n), acc(size_t(m) * n);
  fully_connected_qd8_colsums(n, k, wq.data(), cs.data());
  fully_connected_qd8_qc8w_acc_fast(m, n, k, xq.data(), q.zero_point, wq.data(), cs.data(), acc.data());
  fully_connected_qd8_dequantize(m, n, acc.data(), q.scale, ws.data(), n, b.data(), none, got.data());
  double err = 0, sig = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err += (ref[i] - got[i]) * double(ref[i] - got[i]);
    sig += double(ref[i]) * ref[i];
  }
  const double sqnr_db = 10 * std::log10(sig / err);
  INFO("SQNR " << sqnr_db << " dB");
  CHECK(sqnr_db > 30.0);  // int8 × int8 with per-tensor input, per-channel weights
}
