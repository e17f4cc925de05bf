// SPDX-License-Identifier: Apache-2.0
//
// CONV_TRANSPOSE_2D reference kernels: hand-computed cases; the adjoint
// identity <conv(x), y> = <x, conv_transpose(y)>; fixed-seed random cases
// against an independent scatter formulation (every input element scattered
// into an uncropped NCHW image, which is then cropped by the padding) in
// double / int64 with floor-division requantization; and for int8 a check
// against the real-valued result.
#include "kernels/conv_transpose2d/conv_transpose2d.h"

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
#include "kernels/conv2d/conv2d.h"

using octet::kernels::conv2d_f32_reference;
using octet::kernels::Conv2DShape;
using octet::kernels::conv_transpose2d_f32_reference;
using octet::kernels::conv_transpose2d_qs8_qc8w_reference;
using octet::kernels::FloatClamp;
using octet::kernels::Multiplier;
using octet::kernels::QuantOut;

using octet::test::expected_q;
using octet::test::multiplier_of;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
constexpr int kGuard = 16;
constexpr int8_t kGuardQ = 0x5A;

// A transposed convolution as ONNX describes it: four pads and output_padding.
struct Geometry {
  const char* name;
  int32_t batch, in_h, in_w, in_c, out_c;
  int32_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  int32_t pad_top, pad_left, pad_bottom, pad_right;
  int32_t output_padding_h, output_padding_w;
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
  // ONNX ConvTranspose output_shape formula.
  s.out_h = g.stride_h * (g.in_h - 1) + g.output_padding_h + (g.kernel_h - 1) * g.dilation_h + 1 -
            g.pad_top - g.pad_bottom;
  s.out_w = g.stride_w * (g.in_w - 1) + g.output_padding_w + (g.kernel_w - 1) * g.dilation_w + 1 -
            g.pad_left - g.pad_right;
  return s;
}

size_t input_size(const Conv2DShape& s) { return size_t(s.batch) * s.in_h * s.in_w * s.in_c; }
size_t filter_size(const Conv2DShape& s) {
  return size_t(s.out_c) * s.kernel_h * s.kernel_w * (s.in_c / s.groups);
}
size_t output_size(const Conv2DShape& s) { return size_t(s.batch) * s.out_h * s.out_w * s.out_c; }

// Independent formulation: scatter every input element through every tap into
// an uncropped NCHW image (full_h = (in_h − 1)·stride + (kh − 1)·dilation + 1,
// plus room for output_padding), then crop pad_top / pad_left off. Returns
// Σ (x − x_zero) · w per output in NCHW order, without bias.
template <typename T, typename Acc>
std::vector<Acc> naive_conv_transpose_nchw(const Conv2DShape& s, const std::vector<T>& x_nhwc,
                                           Acc x_zero, const std::vector<T>& w_ohwi) {
  const int32_t cpg = s.in_c / s.groups;
  const int32_t opg = s.out_c / s.groups;
  const int32_t full_h = std::max((s.in_h - 1) * s.stride_h + (s.kernel_h - 1) * s.dilation_h + 1,
                                  s.out_h + s.pad_top);
  const int32_t full_w = std::max((s.in_w - 1) * s.stride_w + (s.kernel_w - 1) * s.dilation_w + 1,
                                  s.out_w + s.pad_left);
  std::vector<Acc> full(size_t(s.batch) * s.out_c * full_h * full_w, Acc(0));
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t ih = 0; ih < s.in_h; ++ih)
      for (int32_t iw = 0; iw < s.in_w; ++iw)
        for (int32_t ic = 0; ic < s.in_c; ++ic) {
          const Acc xv =
              static_cast<Acc>(x_nhwc[((size_t(b) * s.in_h + ih) * s.in_w + iw) * s.in_c + ic]) -
              x_zero;
          const int32_t g = ic / cpg;
          for (int32_t o = g * opg; o < (g + 1) * opg; ++o)
            for (int32_t ky = 0; ky < s.kernel_h; ++ky)
              for (int32_t kx = 0; kx < s.kernel_w; ++kx) {
                const int32_t fy = ih * s.stride_h + ky * s.dilation_h;
                const int32_t fx = iw * s.stride_w + kx * s.dilation_w;
                const T wv = w_ohwi[((size_t(o) * s.kernel_h + ky) * s.kernel_w + kx) * cpg +
                                    (ic - g * cpg)];
                full[((size_t(b) * s.out_c + o) * full_h + fy) * full_w + fx] +=
                    xv * static_cast<Acc>(wv);
              }
        }
  std::vector<Acc> out(size_t(s.batch) * s.out_c * s.out_h * s.out_w);
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t o = 0; o < s.out_c; ++o)
      for (int32_t y = 0; y < s.out_h; ++y)
        for (int32_t x = 0; x < s.out_w; ++x)
          out[((size_t(b) * s.out_c + o) * s.out_h + y) * s.out_w + x] =
              full[((size_t(b) * s.out_c + o) * full_h + y + s.pad_top) * full_w + x + s.pad_left];
  return out;
}

// Visits every output element with its NHWC (kernel) and NCHW (naive) index.
template <typename F>
void for_each_output(const Conv2DShape& s, F&& f) {
  size_t nhwc = 0;
  for (int32_t b = 0; b < s.batch; ++b)
    for (int32_t y = 0; y < s.out_h; ++y)
      for (int32_t x = 0; x < s.out_w; ++x)
        for (int32_t c = 0; c < s.out_c; ++c)
          f(nhwc++, ((size_t(b) * s.out_c + c) * s.out_h + y) * s.out_w + x, c);
}

std::vector<float> run_f32(const Conv2DShape& s, const std::vector<float>& x,
                           const std::vector<float>& w, const float* bias, FloatClamp clamp) {
  std::vector<float> y(output_size(s) + kGuard, std::nanf(""));
  const float guard = 1234.5f;
  std::fill(y.end() - kGuard, y.end(), guard);
  conv_transpose2d_f32_reference(s, x.data(), w.data(), bias, clamp, y.data());
  for (int i = 0; i < kGuard; ++i) REQUIRE(y[y.size() - kGuard + i] == guard);
  y.resize(output_size(s));
  return y;
}

std::vector<int8_t> run_qs8(const Conv2DShape& s, const std::vector<int8_t>& x, int32_t zx,
                            const std::vector<int8_t>& w, const int32_t* bias,
                            const QuantOut& out) {
  std::vector<int8_t> y(output_size(s) + kGuard, kGuardQ);
  conv_transpose2d_qs8_qc8w_reference(s, x.data(), zx, w.data(), bias, out, y.data());
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

const Multiplier kHalf{1 << 30, 31};  // 0.5 exactly

Geometry single(int32_t in_h, int32_t in_w, int32_t k_h, int32_t k_w, int32_t stride,
                int32_t dilation, int32_t pad, int32_t output_padding) {
  Geometry g{};
  g.name = "";
  g.batch = g.in_c = g.out_c = g.groups = 1;
  g.in_h = in_h;
  g.in_w = in_w;
  g.kernel_h = k_h;
  g.kernel_w = k_w;
  g.stride_h = g.stride_w = stride;
  g.dilation_h = g.dilation_w = dilation;
  g.pad_top = g.pad_left = g.pad_bottom = g.pad_right = pad;
  g.output_padding_h = g.output_padding_w = output_padding;
  return g;
}

// ---------------------------------------------------------------- fp32

TEST_CASE("conv_transpose2d_f32_reference: hand-computed", "[conv_transpose2d]") {
  const std::vector<float> x = {1, 2, 3, 4};  // 2x2
  SECTION("stride 2: the kernel is stamped without overlap") {
    const Conv2DShape s = to_shape(single(2, 2, 2, 2, 2, 1, 0, 0));
    REQUIRE(s.out_h == 4);
    REQUIRE(s.out_w == 4);
    const std::vector<float> w = {1, 10, 100, 1000};
    const std::vector<float> expected = {1,   10,   2,   20,     // row 0
                                         100, 1000, 200, 2000,   // row 1
                                         3,   30,   4,   40,     // row 2
                                         300, 3000, 400, 4000};  // row 3
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) == expected);
  }
  SECTION("stride 1: overlapping stamps add") {
    const Conv2DShape s = to_shape(single(2, 2, 2, 2, 1, 1, 0, 0));
    REQUIRE(s.out_h == 3);
    const std::vector<float> w = {1, 2, 3, 4};
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) == std::vector<float>{1, 4, 4, 6, 20, 16, 9, 24, 16});
  }
  SECTION("stride 1, pad 1 crops one row and column on each side") {
    const Conv2DShape s = to_shape(single(2, 2, 2, 2, 1, 1, 1, 0));
    REQUIRE(s.out_h == 1);
    const std::vector<float> w = {1, 2, 3, 4};
    const float bias = 0.25f;
    CHECK(run_f32(s, x, w, &bias, kNoClamp) == std::vector<float>{20.25f});
  }
  SECTION("stride 2, pad 1, output_padding 1") {
    const Conv2DShape s = to_shape(single(2, 2, 2, 2, 2, 1, 1, 1));
    REQUIRE(s.out_h == 3);
    const std::vector<float> w = {1, 10, 100, 1000};
    CHECK(run_f32(s, x, w, nullptr, kNoClamp) ==
          std::vector<float>{1000, 200, 2000, 30, 4, 40, 3000, 400, 4000});
  }
  SECTION("dilation 2") {
    const Conv2DShape s = to_shape(single(1, 2, 1, 2, 1, 2, 0, 0));
    REQUIRE(s.out_w == 4);
    CHECK(run_f32(s, {1, 2}, {1, 10}, nullptr, kNoClamp) == std::vector<float>{1, 2, 10, 20});
  }
  SECTION("the output_padding region gets only the bias") {
    const Conv2DShape s = to_shape(single(1, 1, 1, 1, 2, 1, 0, 1));
    REQUIRE(s.out_h == 2);
    const float bias = 0.5f;
    CHECK(run_f32(s, {3}, {2}, &bias, kNoClamp) == std::vector<float>{6.5f, 0.5f, 0.5f, 0.5f});
  }
  SECTION("clamp") {
    const Conv2DShape s = to_shape(single(2, 2, 2, 2, 1, 1, 0, 0));
    CHECK(run_f32(s, x, {1, 2, 3, 4}, nullptr, FloatClamp{4.5f, 18.0f}) ==
          std::vector<float>{4.5f, 4.5f, 4.5f, 6, 18, 16, 9, 18, 16});
  }
  SECTION("groups 2") {
    // in_c 2 → out_c 4: output channels 0, 1 read input channel 0; 2, 3 read channel 1.
    const Conv2DShape s = to_shape({"", 1, 1, 1, 2, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2});
    CHECK(run_f32(s, {1, 2}, {1, 2, 3, 4}, nullptr, kNoClamp) == std::vector<float>{1, 2, 6, 8});
    // in_c 4 → out_c 2: output channel 0 sums input channels 0, 1; channel 1 sums 2, 3.
    const Conv2DShape t = to_shape({"", 1, 1, 1, 4, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2});
    CHECK(run_f32(t, {1, 2, 3, 4}, {1, 10, 100, 1000}, nullptr, kNoClamp) ==
          std::vector<float>{21, 4300});
  }
}

const Geometry kGeometries[] = {
    // name, batch, in h w c, out_c, kernel h w, stride h w, dilation h w,
    // pads t l b r, output_padding h w, groups
    {"3x3 stride 1 pad 1", 1, 4, 5, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1},
    {"stride 2", 1, 4, 3, 3, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1},
    {"stride 2, output_padding 1", 1, 3, 4, 2, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"stride 2, kernel 2 (no overlap)", 1, 3, 3, 4, 2, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1},
    {"dilation 2", 1, 4, 4, 2, 3, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 1},
    {"asymmetric padding", 1, 4, 5, 3, 2, 3, 2, 2, 1, 1, 1, 0, 2, 2, 0, 1, 0, 1},
    {"groups 2", 1, 3, 3, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 2},
    {"depthwise multiplier 1", 1, 4, 4, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 5},
    {"depthwise multiplier 2", 1, 3, 4, 3, 6, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 3},
    {"1x1", 1, 3, 4, 6, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1},
    {"1x1 stride 2 (holes)", 1, 3, 3, 2, 2, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1},
    {"batch 2", 2, 3, 3, 3, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"large K 2x2x1024", 1, 2, 2, 1024, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1},
    {"large K 1x1x4096", 1, 2, 1, 4096, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1},
    {"stride 3x2, dilation 2x3, pads 2/1/0/3, groups 2, batch 2", 2, 3, 4, 4, 6, 3, 2, 3, 2, 2, 3,
     2, 1, 0, 3, 2, 1, 2},
    {"stride 3 with kernel 2 (gaps)", 1, 3, 2, 2, 2, 2, 2, 3, 3, 1, 1, 0, 0, 0, 0, 0, 0, 1},
};

TEST_CASE("conv_transpose2d_f32_reference: adjoint of conv2d_f32_reference", "[conv_transpose2d]") {
  // With the same stride, dilation, padding and groups, conv_transpose maps the
  // conv's output space back to its input space as the transpose of the conv's
  // matrix, so <conv(x), y> = <x, conv_transpose(y)>.
  struct ConvGeometry {
    int32_t batch, in_h, in_w, in_c, out_c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
  };
  const ConvGeometry cases[] = {
      {1, 5, 6, 3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
      {1, 8, 7, 2, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 1, 1},
      {2, 9, 7, 6, 4, 3, 2, 2, 3, 2, 1, 3, 0, 1, 2, 2},
      {1, 6, 6, 4, 8, 3, 3, 2, 1, 1, 2, 0, 2, 2, 0, 4},
  };
  uint32_t seed = 0;
  for (const ConvGeometry& g : cases) {
    Conv2DShape conv{};
    conv.batch = g.batch;
    conv.in_h = g.in_h;
    conv.in_w = g.in_w;
    conv.in_c = g.in_c;
    conv.out_c = g.out_c;
    conv.kernel_h = g.kh;
    conv.kernel_w = g.kw;
    conv.stride_h = g.sh;
    conv.stride_w = g.sw;
    conv.dilation_h = g.dh;
    conv.dilation_w = g.dw;
    conv.pad_top = g.pt;
    conv.pad_left = g.pl;
    conv.groups = g.groups;
    conv.out_h = (g.in_h + g.pt + g.pb - (g.kh - 1) * g.dh - 1) / g.sh + 1;
    conv.out_w = (g.in_w + g.pl + g.pr - (g.kw - 1) * g.dw - 1) / g.sw + 1;
    Conv2DShape tr = conv;
    std::swap(tr.in_h, tr.out_h);
    std::swap(tr.in_w, tr.out_w);
    std::swap(tr.in_c, tr.out_c);

    std::mt19937 rng(4000 + ++seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> x(input_size(conv)), y(output_size(conv)), w(filter_size(conv));
    for (float& v : x) v = dist(rng);
    for (float& v : y) v = dist(rng);
    for (float& v : w) v = dist(rng);
    // conv filter [O][kh][kw][C/g] → transposed filter [C][kh][kw][O/g].
    const int32_t cpg = conv.in_c / g.groups, opg = conv.out_c / g.groups;
    std::vector<float> wt(w.size());
    for (int32_t c = 0; c < conv.in_c; ++c)
      for (int32_t ky = 0; ky < g.kh; ++ky)
        for (int32_t kx = 0; kx < g.kw; ++kx)
          for (int32_t ol = 0; ol < opg; ++ol) {
            const int32_t o = (c / cpg) * opg + ol;
            wt[((size_t(c) * g.kh + ky) * g.kw + kx) * opg + ol] =
                w[((size_t(o) * g.kh + ky) * g.kw + kx) * cpg + c % cpg];
          }
    std::vector<float> conv_x(y.size()), tr_y(x.size());
    conv2d_f32_reference(conv, x.data(), w.data(), nullptr, kNoClamp, conv_x.data());
    conv_transpose2d_f32_reference(tr, y.data(), wt.data(), nullptr, kNoClamp, tr_y.data());
    double lhs = 0, rhs = 0, mag = 0;
    for (size_t i = 0; i < y.size(); ++i) lhs += double(conv_x[i]) * y[i];
    for (size_t i = 0; i < x.size(); ++i) rhs += double(x[i]) * tr_y[i];
    for (size_t i = 0; i < x.size(); ++i) mag += std::fabs(double(x[i]) * tr_y[i]);
    CAPTURE(seed, lhs, rhs);
    CHECK(std::fabs(lhs - rhs) <= 1e-5 * mag);
  }
}

TEST_CASE("conv_transpose2d_f32_reference: random shapes against a scatter formulation",
          "[conv_transpose2d]") {
  int seed = 0;
  for (const Geometry& g : kGeometries) {
    for (int variant = 0; variant < 2; ++variant) {
      ++seed;
      DYNAMIC_SECTION(g.name << (variant == 0 ? " / bias, no clamp" : " / no bias, clamp")) {
        const Conv2DShape s = to_shape(g);
        std::mt19937 rng(5000 + seed);
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
        const std::vector<double> sums = naive_conv_transpose_nchw<double, double>(s, xd, 0.0, wd);
        const std::vector<double> mags = naive_conv_transpose_nchw<double, double>(s, xa, 0.0, wa);
        int bad = 0;
        std::string first;
        for_each_output(s, [&](size_t i, size_t j, int32_t c) {
          double ref = sums[j] + (with_bias ? bias[c] : 0.0);
          const double mag = mags[j] + (with_bias ? std::fabs(bias[c]) : 0.0);
          ref = std::min<double>(clamp.max, std::max<double>(clamp.min, ref));
          if (!(std::fabs(y[i] - ref) <= 1e-5 * std::max(std::fabs(ref), mag)) && bad++ == 0) {
            std::ostringstream os;
            os << "output " << i << ": got " << y[i] << ", want " << ref;
            first = os.str();
          }
        });
        INFO(first);
        CHECK(bad == 0);
      }
    }
  }
}

// ---------------------------------------------------------------- int8

TEST_CASE("conv_transpose2d_qs8_qc8w_reference: hand-computed", "[conv_transpose2d]") {
  // 2x2 input 1..4 stored with zero point 10; two output channels: kernel
  // [[1, 2], [3, 4]] with bias -1 and its negation with bias +1, stride 1, so
  // acc = ±{0 3 3 / 5 19 15 / 8 23 15}.
  Conv2DShape s = to_shape(single(2, 2, 2, 2, 1, 1, 0, 0));
  s.out_c = 2;
  const std::vector<int8_t> x = {11, 12, 13, 14};
  const std::vector<int8_t> w = {1, 2, 3, 4, -1, -2, -3, -4};
  const int32_t bias[] = {-1, 1};
  const std::vector<Multiplier> m = {kHalf};
  SECTION("multiplier 0.5: ties toward +infinity") {
    // 1.5 → 2, 2.5 → 3, 9.5 → 10, 7.5 → 8, 11.5 → 12;
    // -1.5 → -1, -2.5 → -2, -9.5 → -9, -7.5 → -7, -11.5 → -11.
    CHECK(run_qs8(s, x, 10, w, bias, quant_out(m, 0)) ==
          std::vector<int8_t>{0, 0, 2, -1, 2, -1, 3, -2, 10, -9, 8, -7, 4, -4, 12, -11, 8, -7});
  }
  SECTION("zero point and ReLU6-like clamp [zy, zy + 8]") {
    CHECK(run_qs8(s, x, 10, w, bias, quant_out(m, -100, -100, -92)) ==
          std::vector<int8_t>{-100, -100, -98, -100, -98, -100, -97, -100, -92, -100, -92, -100,
                              -96, -100, -92, -100, -92, -100});
  }
  SECTION("null bias, per-channel multipliers 0.5 and 1") {
    const std::vector<Multiplier> pc = {kHalf, Multiplier{1 << 30, 30}};
    // acc = ±{1 4 4 / 6 20 16 / 9 24 16}; channel 0 halves with ties up.
    CHECK(run_qs8(s, x, 10, w, nullptr, quant_out(pc, 0)) ==
          std::vector<int8_t>{1, -1, 2, -4, 2, -4, 3, -6, 10, -20, 8, -16, 5, -9, 12, -24, 8, -16});
  }
  SECTION("output_padding rows and columns are the requantized bias") {
    Conv2DShape p = to_shape(single(2, 2, 2, 2, 2, 1, 0, 1));
    p.out_c = 2;
    REQUIRE(p.out_h == 5);
    const std::vector<int8_t> y = run_qs8(p, x, 10, w, bias, quant_out(m, 7));
    // Last row: acc = bias: -1/2 = -0.5 → 0 and 1/2 = 0.5 → 1, plus 7.
    for (int32_t ow = 0; ow < 5; ++ow) {
      CHECK(int{y[(4 * 5 + ow) * 2 + 0]} == 7);
      CHECK(int{y[(4 * 5 + ow) * 2 + 1]} == 8);
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

void check_qs8_random(const Geometry& g, const QuantCase& qc, Values values, uint32_t seed) {
  const Conv2DShape s = to_shape(g);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> xdist(-128, 127), wdist(-127, 127), bit(0, 1);
  std::vector<int8_t> x(input_size(s)), w(filter_size(s));
  for (int8_t& v : x) {
    v = static_cast<int8_t>(values == Values::kRandom ? xdist(rng) : (bit(rng) ? 127 : -128));
  }
  for (int8_t& v : w) {
    v = static_cast<int8_t>(values == Values::kRandom ? wdist(rng) : (bit(rng) ? 127 : -127));
  }

  const std::vector<int64_t> sums = naive_conv_transpose_nchw<int8_t, int64_t>(s, x, qc.zx, w);
  double sq = 0;
  for (int64_t v : sums) sq += double(v) * double(v);
  const double rms = sums.empty() ? 1.0 : std::max(1.0, std::sqrt(sq / sums.size()));
  std::vector<int32_t> bias(s.out_c, 0);
  std::uniform_int_distribution<int32_t> bdist(-static_cast<int32_t>(2 * rms),
                                               static_cast<int32_t>(2 * rms));
  if (qc.with_bias) {
    for (int32_t& v : bias) v = bdist(rng);
  }
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
  const std::vector<double> real = naive_conv_transpose_nchw<double, double>(s, xr, 0.0, wr);

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

TEST_CASE("conv_transpose2d_qs8_qc8w_reference: random shapes against a scatter formulation",
          "[conv_transpose2d]") {
  uint32_t seed = 0;
  for (const Geometry& g : kGeometries) {
    for (const QuantCase& qc : kQuantCases) {
      ++seed;
      DYNAMIC_SECTION(g.name << " / " << qc.name) {
        check_qs8_random(g, qc, Values::kRandom, 6000 + seed);
      }
    }
  }
}

TEST_CASE("conv_transpose2d_qs8_qc8w_reference: weights ±127 and inputs at both ends",
          "[conv_transpose2d]") {
  uint32_t seed = 0;
  for (const Geometry& g : {kGeometries[0], kGeometries[6], kGeometries[8], kGeometries[12]}) {
    for (const QuantCase& qc : {kQuantCases[1], kQuantCases[2]}) {
      ++seed;
      DYNAMIC_SECTION(g.name << " / " << qc.name) {
        check_qs8_random(g, qc, Values::kExtremes, 7000 + seed);
      }
    }
  }
}

}  // namespace
