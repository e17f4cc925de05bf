// SPDX-License-Identifier: Apache-2.0
//
// CONV_2D reference kernels: hand-computed cases, then fixed-seed random
// cases against an independent formulation written differently (NCHW layout,
// an explicitly padded input, double or int64 sums, floor-division
// requantization) and, for int8, against the real-valued result.
#include "kernels/conv2d/conv2d.h"

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

using octet::kernels::conv2d_f32_reference;
using octet::kernels::conv2d_qs8_qc8w_reference;
using octet::kernels::Conv2DShape;
using octet::kernels::FloatClamp;
using octet::kernels::Multiplier;
using octet::kernels::QuantOut;

using octet::test::expected_q;
using octet::test::multiplier_of;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
// Written past the end of every output buffer; a kernel must never touch it.
constexpr int kGuard = 16;
constexpr int8_t kGuardQ = 0x5A;

// A convolution described the way a framework would: with all four pads.
struct Geometry {
  const char* name;
  int32_t batch, in_h, in_w, in_c, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t groups;
};

Conv2DShape to_shape(const Geometry& g) {
  Conv2DShape s{};
  s.batch = g.batch;
  s.in_h = g.in_h;
  s.in_w = g.in_w;
  s.in_c = g.in_c;
  s.out_c = g.out_c;
  s.kernel_h = g.kernel_h;
  s.kernel_w = g.kernel_w;
  s.stride_h = g.stride_h;
  s.stride_w = g.stride_w;
  s.dilation_h = g.dilation_h;
  s.dilation_w = g.dilation_w;
  s.pad_top = g.pad_top;
  s.pad_left = g.pad_left;
  s.groups = g.groups;
  s.out_h =
      (g.in_h + g.pad_top + g.pad_bottom - (g.kernel_h - 1) * g.dilation_h - 1) / g.stride_h + 1;
  s.out_w =
      (g.in_w + g.pad_left + g.pad_right - (g.kernel_w - 1) * g.dilation_w - 1) / g.stride_w + 1;
  return s;
}

size_t input_size(const Conv2DShape& s) { return size_t(s.batch) * s.in_h * s.in_w * s.in_c; }
size_t filter_size(const Conv2DShape& s) {
  return size_t(s.out_c) * s.kernel_h * s.kernel_w * (s.in_c / s.groups);
}
size_t output_size(const Conv2DShape& s) { return size_t(s.batch) * s.out_h * s.out_w * s.out_c; }

// Independent formulation: move to NCHW / OIHW, materialize the padding as
// pad_value, then index the padded image directly with no bounds tests.
// Returns Σ (x − x_zero) · w per output in NCHW order, without bias.
template <typename T, typename Acc>
std::vector<Acc> naive_conv_nchw(const Conv2DShape& s, const std::vector<T>& x_nhwc, T pad_value,
                                 Acc x_zero, const std::vector<T>& w_ohwi) {
  const int32_t cpg = s.in_c / s.groups;
  const int32_t opg = s.out_c / s.groups;
  const int32_t hp = std::max(s.pad_top + s.in_h,
                              (s.out_h - 1) * s.stride_h + (s.kernel_h - 1) * s.dilation_h + 1);
  const int32_t wp = std::max(s.pad_left + s.in_w,
                              (s.out_w - 1) * s.stride_w + (s.kernel_w - 1) * s.dilation_w + 1);
  std::vector<T> xp(size_t(s.batch) * s.in_c * hp * wp, pad_value);
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t c = 0; c < s.in_c; ++c)
      for (int32_t h = 0; h < s.in_h; ++h)
        for (int32_t w = 0; w < s.in_w; ++w)
          xp[((size_t(b) * s.in_c + c) * hp + h + s.pad_top) * wp + w + s.pad_left] =
              x_nhwc[((size_t(b) * s.in_h + h) * s.in_w + w) * s.in_c + c];
  std::vector<T> w_oihw(filter_size(s));
  for (int32_t o = 0; o < s.out_c; ++o)
    for (int32_t i = 0; i < cpg; ++i)
      for (int32_t ky = 0; ky < s.kernel_h; ++ky)
        for (int32_t kx = 0; kx < s.kernel_w; ++kx)
          w_oihw[((size_t(o) * cpg + i) * s.kernel_h + ky) * s.kernel_w + kx] =
              w_ohwi[((size_t(o) * s.kernel_h + ky) * s.kernel_w + kx) * cpg + i];
  std::vector<Acc> out(size_t(s.batch) * s.out_c * s.out_h * s.out_w, Acc(0));
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t o = 0; o < s.out_c; ++o) {
      const int32_t g = o / opg;
      for (int32_t y = 0; y < s.out_h; ++y)
        for (int32_t x = 0; x < s.out_w; ++x) {
          Acc sum = 0;
          for (int32_t i = 0; i < cpg; ++i)
            for (int32_t ky = 0; ky < s.kernel_h; ++ky)
              for (int32_t kx = 0; kx < s.kernel_w; ++kx) {
                const T xv = xp[((size_t(b) * s.in_c + g * cpg + i) * hp + y * s.stride_h +
                                 ky * s.dilation_h) *
                                    wp +
                                x * s.stride_w + kx * s.dilation_w];
                const T wv = w_oihw[((size_t(o) * cpg + i) * s.kernel_h + ky) * s.kernel_w + kx];
                sum += (static_cast<Acc>(xv) - x_zero) * static_cast<Acc>(wv);
              }
          out[((size_t(b) * s.out_c + o) * s.out_h + y) * s.out_w + x] = sum;
        }
    }
  return out;
}

size_t nchw_index(const Conv2DShape& s, int32_t b, int32_t y, int32_t x, int32_t c) {
  return ((size_t(b) * s.out_c + c) * s.out_h + y) * s.out_w + x;
}

// Visits every output element with its NHWC index (the kernel's layout) and
// its NCHW index (the naive formulation's).
template <typename F>
void for_each_output(const Conv2DShape& s, F&& f) {
  size_t nhwc = 0;
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t y = 0; y < s.out_h; ++y)
      for (int32_t x = 0; x < s.out_w; ++x)
        for (int32_t c = 0; c < s.out_c; ++c) f(nhwc++, nchw_index(s, b, y, x, c), c);
}

std::vector<float> run_f32(const Conv2DShape& s, const std::vector<float>& x,
                           const std::vector<float>& w, const float* bias, FloatClamp clamp) {
  std::vector<float> y(output_size(s) + kGuard, std::nanf(""));
  const float guard = 1234.5f;
  std::fill(y.end() - kGuard, y.end(), guard);
  conv2d_f32_reference(s, x.data(), w.data(), bias, clamp, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == guard);
  y.resize(output_size(s));
  return y;
}

std::vector<int8_t> run_qs8(const Conv2DShape& s, const std::vector<int8_t>& x, int32_t zx,
                            const std::vector<int8_t>& w, const int32_t* bias,
                            const QuantOut& out) {
  std::vector<int8_t> y(output_size(s) + kGuard, kGuardQ);
  conv2d_qs8_qc8w_reference(s, x.data(), zx, w.data(), bias, out, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == kGuardQ);
  y.resize(output_size(s));
  return y;
}

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

const Multiplier kHalf{1 << 30, 31};     // 0.5 exactly
const Multiplier kQuarter{1 << 30, 32};  // 0.25 exactly

// Single-channel 3x3 image 1..9 and a 2x2 kernel [[1, 2], [3, 4]].
const std::vector<float> kImage = {1, 2, 3, 4, 5, 6, 7, 8, 9};
const std::vector<float> kKernel = {1, 2, 3, 4};

Conv2DShape image_shape(int32_t stride, int32_t dilation, int32_t pt, int32_t pl, int32_t pb,
                        int32_t pr) {
  return to_shape({"", 1, 3, 3, 1, 1, 2, 2, stride, stride, dilation, dilation, pt, pl, pb, pr, 1});
}

// ---------------------------------------------------------------- fp32

TEST_CASE("conv2d_f32_reference: hand-computed", "[conv2d]") {
  SECTION("3x3 input, 2x2 kernel, pad 1, bias") {
    const Conv2DShape s = image_shape(1, 1, 1, 1, 1, 1);
    REQUIRE(s.out_h == 4);
    REQUIRE(s.out_w == 4);
    const float bias = 0.5f;
    const std::vector<float> expected = {4.5f,  11.5f, 18.5f, 9.5f,  18.5f, 37.5f, 47.5f, 21.5f,
                                         36.5f, 67.5f, 77.5f, 33.5f, 14.5f, 23.5f, 26.5f, 9.5f};
    CHECK(run_f32(s, kImage, kKernel, &bias, kNoClamp) == expected);
  }
  SECTION("null bias and a clamp to [0, 30]") {
    const Conv2DShape s = image_shape(1, 1, 1, 1, 1, 1);
    const std::vector<float> expected = {4,  11, 18, 9,  18, 30, 30, 21,
                                         30, 30, 30, 30, 14, 23, 26, 9};
    CHECK(run_f32(s, kImage, kKernel, nullptr, FloatClamp{0.0f, 30.0f}) == expected);
  }
  SECTION("stride 2, pad 1") {
    const Conv2DShape s = image_shape(2, 1, 1, 1, 1, 1);
    REQUIRE(s.out_h == 2);
    REQUIRE(s.out_w == 2);
    CHECK(run_f32(s, kImage, kKernel, nullptr, kNoClamp) == std::vector<float>{4, 18, 36, 77});
  }
  SECTION("dilation 2, no padding") {
    const Conv2DShape s = image_shape(1, 2, 0, 0, 0, 0);
    REQUIRE(s.out_h == 1);
    CHECK(run_f32(s, kImage, kKernel, nullptr, kNoClamp) == std::vector<float>{64});
  }
  SECTION("dilation 2, pad 1") {
    const Conv2DShape s = image_shape(1, 2, 1, 1, 1, 1);
    REQUIRE(s.out_h == 3);
    CHECK(run_f32(s, kImage, kKernel, nullptr, kNoClamp) ==
          std::vector<float>{20, 36, 15, 36, 64, 26, 10, 16, 5});
  }
  SECTION("asymmetric padding: top 0, left 1, bottom 1, right 0") {
    const Conv2DShape s = image_shape(1, 1, 0, 1, 1, 0);
    REQUIRE(s.out_h == 3);
    REQUIRE(s.out_w == 3);
    CHECK(run_f32(s, kImage, kKernel, nullptr, kNoClamp) ==
          std::vector<float>{18, 37, 47, 36, 67, 77, 14, 23, 26});
  }
  SECTION("groups 2: each output channel sees only its half of the input") {
    const Conv2DShape s = to_shape({"", 1, 1, 1, 4, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2});
    const std::vector<float> x = {1, 2, 3, 4};
    const std::vector<float> w = {1, 10, 100, 1000};
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) == std::vector<float>{21, 4300});
  }
  SECTION("depthwise, multiplier 2: output channel c reads input channel c / 2") {
    const Conv2DShape s = to_shape({"", 1, 1, 1, 2, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2});
    const std::vector<float> x = {3, 5};
    const std::vector<float> w = {1, 2, 3, 4};
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) == std::vector<float>{3, 6, 15, 20});
  }
  SECTION("depthwise 3x3, multiplier 1, pad 1: channels stay separate") {
    const Conv2DShape s = to_shape({"", 1, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2});
    // Channel 0 is 1..4, channel 1 is 10·(1..4); filter 0 is all ones, filter 1 is the
    // centre tap only, so output channel 0 is the 2x2 box sum and channel 1 the input.
    const std::vector<float> x = {1, 10, 2, 20, 3, 30, 4, 40};
    std::vector<float> w(18, 0.0f);
    std::fill(w.begin(), w.begin() + 9, 1.0f);
    w[9 + 4] = 1.0f;
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) ==
          std::vector<float>{10, 10, 10, 20, 10, 30, 10, 40});
  }
  SECTION("window entirely in the padding gives the bias") {
    const Conv2DShape s = image_shape(1, 1, 2, 0, 0, 0);
    REQUIRE(s.out_h == 4);
    const float bias = -2.0f;
    const std::vector<float> y = run_f32(s, kImage, kKernel, &bias, kNoClamp);
    CHECK(y[0] == -2.0f);  // kernel rows at input rows -2, -1
    CHECK(y[1] == -2.0f);
    CHECK(y[2] == 3 * 1 + 4 * 2 - 2.0f);  // only the kernel's bottom row reaches row 0
  }
}

const Geometry kGeometries[] = {
    // name, batch, in_h, in_w, in_c, out_c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups
    {"3x3 same", 1, 5, 6, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"stride 2", 1, 7, 8, 3, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},
    {"dilation 2", 1, 7, 7, 2, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},
    {"asymmetric padding", 1, 5, 6, 3, 2, 3, 2, 1, 1, 1, 1, 0, 2, 2, 1, 1},
    {"groups 2", 1, 5, 5, 4, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
    {"depthwise multiplier 1", 1, 6, 6, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5},
    {"depthwise multiplier 2", 1, 6, 5, 4, 8, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 4},
    {"1x1", 1, 4, 5, 7, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {"batch 2", 2, 5, 4, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"large K 1x1x4096", 1, 2, 2, 4096, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {"large K 2x2x1024 padded", 1, 3, 3, 1024, 2, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1},
    {"stride 2x3, dilation 2x1, pads 3/0/1/2, groups 2, batch 2", 2, 9, 7, 6, 4, 3, 2, 2, 3, 2, 1,
     3, 0, 1, 2, 2},
    {"padding wider than the kernel", 1, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3, 1},
    {"stride larger than the kernel", 1, 7, 7, 2, 2, 1, 1, 3, 3, 1, 1, 0, 0, 0, 0, 1},
    {"non-square kernel 1x5", 1, 3, 8, 2, 3, 1, 5, 1, 2, 1, 1, 0, 2, 0, 2, 1},
};

TEST_CASE("conv2d_f32_reference: random shapes against an NCHW double-precision convolution",
          "[conv2d]") {
  int seed = 0;
  for (const Geometry& g : kGeometries) {
    for (int variant = 0; variant < 2; ++variant) {
      ++seed;
      DYNAMIC_SECTION(g.name << (variant == 0 ? " / bias, no clamp" : " / no bias, clamp")) {
        const Conv2DShape s = to_shape(g);
        std::mt19937 rng(1000 + seed);
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        std::vector<float> x(input_size(s)), w(filter_size(s)), bias(s.out_c);
        for (float& v : x) v = dist(rng);
        for (float& v : w) v = dist(rng);
        for (float& v : bias) v = dist(rng);
        const bool with_bias = variant == 0;
        const FloatClamp clamp = variant == 0 ? kNoClamp : FloatClamp{-0.75f, 1.25f};
        const std::vector<float> y = run_f32(s, x, w, with_bias ? bias.data() : nullptr, clamp);

        const std::vector<double> xd(x.begin(), x.end()), wd(w.begin(), w.end());
        std::vector<double> xa(xd), wa(wd);
        for (double& v : xa) v = std::fabs(v);
        for (double& v : wa) v = std::fabs(v);
        const std::vector<double> sums = naive_conv_nchw<double, double>(s, xd, 0.0, 0.0, wd);
        // Σ|x·w|: the scale of the summation error, so the tolerance is relative to it.
        const std::vector<double> mags = naive_conv_nchw<double, double>(s, xa, 0.0, 0.0, wa);
        int bad = 0;
        std::string first;
        for_each_output(s, [&](size_t i, size_t j, int32_t c) {
          double ref = sums[j] + (with_bias ? bias[c] : 0.0);
          const double mag = mags[j] + (with_bias ? std::fabs(bias[c]) : 0.0);
          ref = std::min<double>(clamp.max, std::max<double>(clamp.min, ref));
          if (!(std::fabs(y[i] - ref) <= 1e-5 * std::max(std::fabs(ref), mag))) {
            if (bad++ == 0) {
              std::ostringstream os;
              os << "output " << i << ": got " << y[i] << ", want " << ref;
              first = os.str();
            }
          }
        });
        INFO(first);
        CHECK(bad == 0);
      }
    }
  }
}

// ---------------------------------------------------------------- int8

TEST_CASE("conv2d_qs8_qc8w_reference: hand-computed", "[conv2d]") {
  // The 3x3 image stored with zero point -5 (q = real - 5), two output channels:
  // the 2x2 kernel [[1, 2], [3, 4]] with bias 1 and its negation with bias -1.
  std::vector<int8_t> x;
  for (float v : kImage) x.push_back(static_cast<int8_t>(v - 5));
  const std::vector<int8_t> w = {1, 2, 3, 4, -1, -2, -3, -4};
  const int32_t bias[] = {1, -1};
  Conv2DShape s = image_shape(1, 1, 1, 1, 1, 1);
  s.out_c = 2;

  SECTION("pad 1, multiplier 0.5: ties round toward +infinity on both signs") {
    // acc = ±{5 12 19 10 / 19 38 48 22 / 37 68 78 34 / 15 24 27 10}; acc/2 rounds
    // 2.5 → 3, 9.5 → 10, 18.5 → 19 but -2.5 → -2, -9.5 → -9, -18.5 → -18; then + 3.
    const std::vector<Multiplier> m = {kHalf};
    const std::vector<int8_t> y = run_qs8(s, x, -5, w, bias, quant_out(m, 3));
    const std::vector<int8_t> expected = {6,  1,   9,  -3,  13, -6,  8,  -2,   // row 0
                                          13, -6,  22, -16, 27, -21, 14, -8,   // row 1
                                          22, -15, 37, -31, 42, -36, 20, -14,  // row 2
                                          11, -4,  15, -9,  17, -10, 8,  -2};  // row 3
    CHECK(y == expected);
  }
  SECTION("per-channel multipliers 0.5 and 0.25") {
    // Channel 1: -5/4 = -1.25 → -1, -12/4 = -3, -19/4 = -4.75 → -5, -10/4 = -2.5 → -2.
    const std::vector<Multiplier> m = {kHalf, kQuarter};
    const std::vector<int8_t> y = run_qs8(s, x, -5, w, bias, quant_out(m, 0));
    CHECK(std::vector<int8_t>(y.begin(), y.begin() + 8) ==
          std::vector<int8_t>{3, -1, 6, -3, 10, -5, 5, -2});
  }
  SECTION("null bias") {
    // acc = ±{4 11 18 9}: 2, 5.5 → 6, 9, 4.5 → 5 and -2, -5.5 → -5, -9, -4.5 → -4.
    const std::vector<Multiplier> m = {kHalf};
    const std::vector<int8_t> y = run_qs8(s, x, -5, w, nullptr, quant_out(m, 0));
    CHECK(std::vector<int8_t>(y.begin(), y.begin() + 8) ==
          std::vector<int8_t>{2, -2, 6, -5, 9, -9, 5, -4});
  }
  SECTION("ReLU6-like clamp [zy, zy + 12]") {
    const std::vector<Multiplier> m = {kHalf};
    const std::vector<int8_t> y = run_qs8(s, x, -5, w, bias, quant_out(m, 3, 3, 15));
    CHECK(std::vector<int8_t>(y.begin(), y.begin() + 8) ==
          std::vector<int8_t>{6, 3, 9, 3, 13, 3, 8, 3});
    CHECK(y[2 * 5] == 15);  // row 1, col 1: 22 clamped
  }
}

TEST_CASE("conv2d_qs8_qc8w_reference: 1x1, per-channel vs per-tensor multipliers", "[conv2d]") {
  const Conv2DShape s = to_shape({"", 1, 1, 1, 2, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1});
  const std::vector<int8_t> x = {10, -20};  // zero point 2: real-valued 8 and -22
  const std::vector<int8_t> w = {1, 1, 2, -1, -127, 127};
  const int32_t bias[] = {0, 2, 10};
  // acc = {8 - 22, 16 + 22 + 2, -1016 - 2794 + 10} = {-14, 40, -3800}.
  SECTION("per-channel 1/2, 1/4, 1/64") {
    const std::vector<Multiplier> m = {kHalf, kQuarter, Multiplier{1 << 30, 36}};
    // -7, 10, -59.375 → -59; then zy = -1.
    CHECK(run_qs8(s, x, 2, w, bias, quant_out(m, -1)) == std::vector<int8_t>{-8, 9, -60});
  }
  SECTION("per-tensor 1/4") {
    const std::vector<Multiplier> m = {kQuarter};
    // -3.5 → -3, 10, -950 saturates; then zy = -1.
    CHECK(run_qs8(s, x, 2, w, bias, quant_out(m, -1)) == std::vector<int8_t>{-4, 9, -128});
  }
  SECTION("per-tensor 1/4 with ReLU6-like [zy, zy + 6]") {
    const std::vector<Multiplier> m = {kQuarter};
    CHECK(run_qs8(s, x, 2, w, bias, quant_out(m, -1, -1, 5)) == std::vector<int8_t>{-1, 5, -1});
  }
  SECTION("multiplier 0 outputs the zero point") {
    const std::vector<Multiplier> m = {Multiplier{0, 1}};
    CHECK(run_qs8(s, x, 2, w, bias, quant_out(m, 7)) == std::vector<int8_t>{7, 7, 7});
  }
}

TEST_CASE("conv2d_qs8_qc8w_reference: padding is the input zero point", "[conv2d]") {
  // An input equal to its zero point everywhere is real zero, like the padding
  // around it, so every output is exactly the requantized bias.
  const Conv2DShape s = to_shape({"", 1, 3, 4, 3, 2, 3, 3, 1, 1, 1, 1, 2, 1, 0, 2, 1});
  std::vector<int8_t> w(filter_size(s));
  for (size_t i = 0; i < w.size(); ++i) w[i] = i % 2 ? 127 : -127;
  const int32_t bias[] = {5, -7};
  const std::vector<Multiplier> m = {Multiplier{1 << 30, 30}};  // exactly 1
  for (int32_t zx : {-128, 127}) {
    const std::vector<int8_t> x(input_size(s), static_cast<int8_t>(zx));
    const std::vector<int8_t> y = run_qs8(s, x, zx, w, bias, quant_out(m, 0));
    for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == (i % 2 ? -7 : 5));
  }
}

TEST_CASE("conv2d_qs8_qc8w_reference: extreme accumulators", "[conv2d]") {
  // x = -128 against zero point 127 is real -255, the largest |x - zx|; with
  // |w| = 127 on every tap of a 3x3x256 window the sum is 2304 · 255 · 127.
  const Conv2DShape s = to_shape({"", 1, 3, 3, 256, 2, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1});
  const std::vector<int8_t> x(input_size(s), -128);
  std::vector<int8_t> w(filter_size(s), -127);
  std::fill(w.begin() + w.size() / 2, w.end(), 127);
  const int64_t k = 3 * 3 * 256;
  const int32_t bias[] = {1000, -1000};
  const int32_t acc0 = static_cast<int32_t>(k * 255 * 127 + 1000);  // 74,616,040
  const int32_t acc1 = -acc0;
  const Multiplier m = multiplier_of(100.0 / acc0);  // maps acc0 to ≈ 100
  const std::vector<Multiplier> ms = {m};
  const std::vector<int8_t> y = run_qs8(s, x, 127, w, bias, quant_out(ms, -20));
  CHECK(int{y[0]} == expected_q(acc0, m, -20, -128, 127));
  CHECK(int{y[1]} == expected_q(acc1, m, -20, -128, 127));
  CHECK(int{y[0]} == 80);
  CHECK(int{y[1]} == -120);
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

// Random int8 data through the kernel, compared exactly with the NCHW int64
// formulation and the floor-division requantization, and compared with the
// real-valued convolution of the dequantized data within half an output step.
void check_qs8_random(const Geometry& g, const QuantCase& qc, Values values, uint32_t seed) {
  const Conv2DShape s = to_shape(g);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> xdist(-128, 127), wdist(-127, 127), bit(0, 1);
  std::vector<int8_t> x(input_size(s)), w(filter_size(s));
  for (int8_t& v : x)
    v = static_cast<int8_t>(values == Values::kRandom ? xdist(rng) : (bit(rng) ? 127 : -128));
  for (int8_t& v : w)
    v = static_cast<int8_t>(values == Values::kRandom ? wdist(rng) : (bit(rng) ? 127 : -127));

  const std::vector<int64_t> sums =
      naive_conv_nchw<int8_t, int64_t>(s, x, static_cast<int8_t>(qc.zx), qc.zx, w);
  double sq = 0;
  for (int64_t v : sums) sq += double(v) * double(v);
  const double rms = sums.empty() ? 1.0 : std::max(1.0, std::sqrt(sq / sums.size()));
  std::vector<int32_t> bias(s.out_c, 0);
  std::uniform_int_distribution<int32_t> bdist(-static_cast<int32_t>(2 * rms),
                                               static_cast<int32_t>(2 * rms));
  if (qc.with_bias) {
    for (int32_t& v : bias) v = bdist(rng);
  }

  // Real scales: the output scale puts a typical accumulator ~40 steps from zy.
  const double s_x = 0.03;
  std::uniform_real_distribution<double> sw_dist(0.002, 0.01);
  std::vector<double> s_w(s.out_c, 0.005);
  if (qc.per_channel) {
    for (double& v : s_w) v = sw_dist(rng);
  }
  const double s_y = s_x * 0.005 * rms / 40.0;
  std::vector<Multiplier> ms;
  for (int32_t c = 0; c < (qc.per_channel ? s.out_c : 1); ++c) {
    ms.push_back(multiplier_of(s_x * s_w[c] / s_y));
  }
  const QuantOut out = quant_out(ms, qc.zy, qc.qmin, qc.qmax);
  const std::vector<int8_t> y = run_qs8(s, x, qc.zx, w, qc.with_bias ? bias.data() : nullptr, out);

  std::vector<double> xr(x.size()), wr(w.size());
  for (size_t i = 0; i < x.size(); ++i) xr[i] = s_x * (x[i] - qc.zx);
  const size_t per_oc = w.size() / s.out_c;
  for (size_t i = 0; i < w.size(); ++i) wr[i] = s_w[i / per_oc] * w[i];
  const std::vector<double> real = naive_conv_nchw<double, double>(s, xr, 0.0, 0.0, wr);

  int bad_exact = 0, bad_real = 0;
  std::string first_exact, first_real;
  for_each_output(s, [&](size_t i, size_t j, int32_t c) {
    const int64_t acc = sums[j] + bias[c];
    REQUIRE(acc == static_cast<int32_t>(acc));
    const int32_t want = expected_q(acc, out.for_channel(c), qc.zy, qc.qmin, qc.qmax);
    if (y[i] != want && bad_exact++ == 0) {
      std::ostringstream os;
      os << "output " << i << ": acc " << acc << ", got " << int{y[i]} << ", want " << want;
      first_exact = os.str();
    }
    double r = real[j] + s_x * s_w[c] * bias[c];
    r = std::min(s_y * (qc.qmax - qc.zy), std::max(s_y * (qc.qmin - qc.zy), r));
    const double deq = s_y * (y[i] - qc.zy);
    if (!(std::fabs(deq - r) <= s_y * (0.5 + 1e-6)) && bad_real++ == 0) {
      std::ostringstream os;
      os << "output " << i << ": dequantized " << deq << ", real " << r << ", step " << s_y;
      first_real = os.str();
    }
  });
  INFO(first_exact);
  CHECK(bad_exact == 0);
  INFO(first_real);
  CHECK(bad_real == 0);
}

TEST_CASE("conv2d_qs8_qc8w_reference: random shapes against an independent integer convolution",
          "[conv2d]") {
  uint32_t seed = 0;
  for (const Geometry& g : kGeometries) {
    for (const QuantCase& qc : kQuantCases) {
      ++seed;
      DYNAMIC_SECTION(g.name << " / " << qc.name) {
        check_qs8_random(g, qc, Values::kRandom, 2000 + seed);
      }
    }
  }
}

TEST_CASE("conv2d_qs8_qc8w_reference: weights ±127 and inputs at both ends", "[conv2d]") {
  uint32_t seed = 0;
  for (const Geometry& g : {kGeometries[0], kGeometries[4], kGeometries[6], kGeometries[10]}) {
    for (const QuantCase& qc : {kQuantCases[1], kQuantCases[2]}) {
      ++seed;
      DYNAMIC_SECTION(g.name << " / " << qc.name) {
        check_qs8_random(g, qc, Values::kExtremes, 3000 + seed);
      }
    }
  }
}

}  // namespace
