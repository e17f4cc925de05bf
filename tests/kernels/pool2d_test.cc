// SPDX-License-Identifier: Apache-2.0
//
// Reference pooling: the ONNX MaxPool/AveragePool examples (pads, strides,
// ceil mode, dilations, count_include_pad), border counts with and without
// count_include_pad, rounding ties, and fixed-seed int8 cases checked exactly
// against the doc formula (written here by scanning the whole input for each
// window with modular arithmetic, independently of the kernels' tap loops) and
// within half an output step of the real-valued average.
#include "kernels/pool2d/pool2d.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "converter/quant/quant_math.h"

using octet::kernels::FloatClamp;
using octet::kernels::Multiplier;
using octet::kernels::Pool2DShape;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};

// Single image, single channel, square everything unless overridden.
Pool2DShape square(int32_t in, int32_t out, int32_t kernel, int32_t stride, int32_t pad,
                   bool count_include_pad = false, int32_t dilation = 1) {
  Pool2DShape s{};
  s.batch = 1;
  s.channels = 1;
  s.in_h = s.in_w = in;
  s.out_h = s.out_w = out;
  s.kernel_h = s.kernel_w = kernel;
  s.stride_h = s.stride_w = stride;
  s.dilation_h = s.dilation_w = dilation;
  s.pad_top = s.pad_left = pad;
  s.pad_bottom = s.pad_right = pad;
  s.count_include_pad = count_include_pad;
  return s;
}

std::vector<float> iota_f32(int32_t n, float start = 1.0f) {
  std::vector<float> v(n);
  for (int32_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

std::vector<float> run_max_f32(const Pool2DShape& s, const std::vector<float>& x,
                               FloatClamp clamp = kNoClamp) {
  std::vector<float> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels, -1234.0f);
  octet::kernels::max_pool2d_f32_reference(s, x.data(), clamp, y.data());
  return y;
}

std::vector<float> run_avg_f32(const Pool2DShape& s, const std::vector<float>& x,
                               FloatClamp clamp = kNoClamp) {
  std::vector<float> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels, -1234.0f);
  octet::kernels::average_pool2d_f32_reference(s, x.data(), clamp, y.data());
  return y;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(1e-6).margin(1e-6));
  }
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// docs/quantization.md §2, "Dividing a multiplier by an integer".
Multiplier doc_divide(const Multiplier& m, int64_t n) {
  int32_t k = 0;
  while ((int64_t{1} << k) <= n) ++k;
  int32_t s = k;
  int64_t mn = floor_div(static_cast<int64_t>(m.multiplier) * (int64_t{1} << s) + n / 2, n);
  if (mn >= (int64_t{1} << 31)) {
    s = k - 1;
    mn = floor_div(static_cast<int64_t>(m.multiplier) * (int64_t{1} << s) + n / 2, n);
  }
  int32_t t = m.rshift + s;
  if (t > 62) {
    mn = floor_div(mn, int64_t{1} << (t - 62));
    t = 62;
  }
  return Multiplier{static_cast<int32_t>(mn), t};
}

// clamp(floor((acc · M + 2^(t−1)) / 2^t) + zy, qmin, qmax).
int32_t doc_output(int64_t acc, const Multiplier& m, int32_t zy, int32_t qmin, int32_t qmax) {
  const int64_t t = m.rshift;
  const int64_t r = floor_div(acc * m.multiplier + (int64_t{1} << (t - 1)), int64_t{1} << t);
  return static_cast<int32_t>(std::clamp<int64_t>(r + zy, qmin, qmax));
}

// Whether input coordinate i is a tap of output o along one axis, and whether
// it counts for the divisor (inside the input, or inside the padded input).
struct AxisTaps {
  int32_t in, stride, pad_before, pad_after, kernel, dilation;
  bool is_tap(int32_t o, int32_t i) const {
    const int32_t rel = i - (o * stride - pad_before);
    return rel >= 0 && rel % dilation == 0 && rel / dilation < kernel;
  }
  int32_t padded_count(int32_t o) const {
    int32_t n = 0;
    const int32_t hi = pad_after < 0 ? std::numeric_limits<int32_t>::max() : in + pad_after;
    for (int32_t i = -pad_before - kernel * dilation; i < in + kernel * dilation + stride * 4;
         ++i) {
      n += is_tap(o, i) && i >= -pad_before && i < hi;
    }
    return n;
  }
};

struct Qs8Case {
  Pool2DShape shape;
  int32_t zx, zy, qmin, qmax;
  double m;  // s_x / s_y
};

// Output size ONNX would pick, optionally in ceil mode (the last window may
// hang past the padding but must start inside input or left padding).
int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad_b, int32_t pad_a,
                 bool ceil_mode) {
  const int32_t span = in + pad_b + pad_a - ((k - 1) * dil + 1);
  if (span < 0) return 0;  // the window does not fit: no output at all
  int32_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad_b) --out;
  return out;
}

Qs8Case random_case(std::mt19937& rng) {
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  Qs8Case c{};
  Pool2DShape& s = c.shape;
  s.batch = pick(1, 2);
  s.channels = pick(1, 5);
  s.in_h = pick(1, 9);
  s.in_w = pick(1, 9);
  s.kernel_h = pick(1, 4);
  s.kernel_w = pick(1, 4);
  s.stride_h = pick(1, 3);
  s.stride_w = pick(1, 3);
  s.dilation_h = pick(1, 2);
  s.dilation_w = pick(1, 2);
  s.pad_top = pick(0, s.kernel_h - 1);
  s.pad_bottom = pick(0, s.kernel_h - 1);
  s.pad_left = pick(0, s.kernel_w - 1);
  s.pad_right = pick(0, s.kernel_w - 1);
  s.count_include_pad = pick(0, 1) == 1;
  const bool ceil_mode = pick(0, 1) == 1;
  s.out_h =
      out_size(s.in_h, s.kernel_h, s.stride_h, s.dilation_h, s.pad_top, s.pad_bottom, ceil_mode);
  s.out_w =
      out_size(s.in_w, s.kernel_w, s.stride_w, s.dilation_w, s.pad_left, s.pad_right, ceil_mode);
  c.zx = pick(-128, 127);
  c.zy = pick(-128, 127);
  c.qmin = pick(0, 3) == 0 ? pick(-128, 0) : -128;
  c.qmax = pick(0, 3) == 0 ? pick(c.qmin, 127) : 127;
  c.m = std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), pick(-4, 1));
  return c;
}

}  // namespace

TEST_CASE("max_pool2d_f32: ONNX examples", "[pool2d]") {
  SECTION("precomputed_pads: 5x5, kernel 5, pads 2") {
    check_close(run_max_f32(square(5, 5, 5, 1, 2), iota_f32(25)),
                {13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25,
                 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25});
  }
  SECTION("precomputed_strides: 5x5, kernel 2, stride 2") {
    check_close(run_max_f32(square(5, 2, 2, 2, 0), iota_f32(25)), {7, 9, 17, 19});
  }
  SECTION("precomputed_same_upper: 5x5, kernel 3, stride 2, pads 1") {
    check_close(run_max_f32(square(5, 3, 3, 2, 1), iota_f32(25)),
                {7, 9, 10, 17, 19, 20, 22, 24, 25});
  }
  SECTION("2d_ceil: 4x4, kernel 3, stride 2, last window hangs over") {
    check_close(run_max_f32(square(4, 2, 3, 2, 0), iota_f32(16)), {11, 12, 15, 16});
  }
  SECTION("2d_dilations: 4x4, kernel 2, dilation 2") {
    check_close(run_max_f32(square(4, 2, 2, 1, 0, false, 2), iota_f32(16)), {11, 12, 15, 16});
  }
}

TEST_CASE("max_pool2d_f32: padding is never the maximum", "[pool2d]") {
  // All inputs negative: a zero-padded max would return 0 at the borders.
  std::vector<float> x = iota_f32(9, -20.0f);  // -20 .. -12
  check_close(run_max_f32(square(3, 3, 3, 1, 1), x), {-16, -15, -15, -13, -12, -12, -13, -12, -12});
}

TEST_CASE("max_pool2d_f32: channels, batch and clamp", "[pool2d]") {
  Pool2DShape s = square(2, 1, 2, 1, 0);
  s.batch = 2;
  s.channels = 3;
  // NHWC: element (n, h, w, c) = 100n + 10(2h + w) + c, minus 25.
  std::vector<float> x;
  for (int n = 0; n < 2; ++n)
    for (int p = 0; p < 4; ++p)
      for (int c = 0; c < 3; ++c) x.push_back(100.0f * n + 10.0f * p + c - 25.0f);
  check_close(run_max_f32(s, x), {5, 6, 7, 105, 106, 107});
  check_close(run_max_f32(s, x, FloatClamp{6.0f, 100.0f}), {6, 6, 7, 100, 100, 100});
}

TEST_CASE("average_pool2d_f32: ONNX examples", "[pool2d]") {
  SECTION("precomputed_pads: padding excluded") {
    check_close(run_avg_f32(square(5, 5, 5, 1, 2), iota_f32(25)),
                {7,  7.5f,  8,  8.5f,  9,  9.5f,  10, 10.5f, 11, 11.5f, 12, 12.5f, 13, 13.5f,
                 14, 14.5f, 15, 15.5f, 16, 16.5f, 17, 17.5f, 18, 18.5f, 19});
  }
  SECTION("precomputed_pads_count_include_pad") {
    check_close(
        run_avg_f32(square(5, 5, 5, 1, 2, true), iota_f32(25)),
        {2.52f, 3.6f, 4.8f,  4.08f, 3.24f, 4.56f,  6.4f,  8.4f,  7.04f, 5.52f, 7.2f,  10.0f, 13.0f,
         10.8f, 8.4f, 6.96f, 9.6f,  12.4f, 10.24f, 7.92f, 6.12f, 8.4f,  10.8f, 8.88f, 6.84f});
  }
  SECTION("precomputed_strides") {
    check_close(run_avg_f32(square(5, 2, 2, 2, 0), iota_f32(25)), {4, 6, 14, 16});
  }
  SECTION("precomputed_same_upper") {
    check_close(run_avg_f32(square(5, 3, 3, 2, 1), iota_f32(25)),
                {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22});
  }
  SECTION("2d_ceil") {
    check_close(run_avg_f32(square(4, 2, 3, 2, 0), iota_f32(16)), {6, 7.5f, 12, 13.5f});
  }
  SECTION("2d_dilations") {
    check_close(run_avg_f32(square(4, 2, 2, 1, 0, false, 2), iota_f32(16)), {6, 7, 10, 11});
  }
}

TEST_CASE("average_pool2d_f32: border counts", "[pool2d]") {
  // 6x6 ones, kernel 3, stride 2, pads 1 all round, ceil mode: 4x4 outputs.
  // Rows of window oh: {-1,0,1}, {1,2,3}, {3,4,5}, {5,6,7}; 7 is past the
  // bottom padding. Inside the input: 2,3,3,1 rows; inside the padded input:
  // 3,3,3,2 rows. The average of ones is inside / divisor.
  const std::vector<float> ones(36, 1.0f);
  SECTION("padding excluded: every window averages ones") {
    check_close(run_avg_f32(square(6, 4, 3, 2, 1, false), ones), std::vector<float>(16, 1.0f));
  }
  SECTION("count_include_pad: padding counted, the ceil overhang not") {
    const float a = 2.0f / 3, b = 0.5f;
    check_close(run_avg_f32(square(6, 4, 3, 2, 1, true), ones),
                {a * a, a, a, a * b, a, 1, 1, b, a, 1, 1, b, b * a, b, b, b * b});
  }
  SECTION("count_include_pad with unknown bottom/right pads counts the full window") {
    Pool2DShape s = square(6, 4, 3, 2, 1, true);
    s.pad_bottom = s.pad_right = -1;
    const float a = 2.0f / 3, c = 1.0f / 3;
    check_close(run_avg_f32(s, ones),
                {a * a, a, a, a * c, a, 1, 1, c, a, 1, 1, c, c * a, c, c, c * c});
  }
  SECTION("1-D ceil overhang without padding (onnxruntime / onnx.reference)") {
    // [1 2 3 4 5], kernel 2, stride 2, ceil: the last window covers only 5.
    Pool2DShape s = square(1, 1, 1, 1, 0, true);
    s.in_w = 5;
    s.out_w = 3;
    s.kernel_w = 2;
    s.stride_w = 2;
    check_close(run_avg_f32(s, iota_f32(5)), {1.5f, 3.5f, 5.0f});
    s.count_include_pad = false;
    check_close(run_avg_f32(s, iota_f32(5)), {1.5f, 3.5f, 5.0f});
  }
  SECTION("a window entirely in the padding yields 0 when padding is excluded") {
    Pool2DShape s = square(1, 1, 1, 1, 0);
    s.in_w = 2;
    s.out_w = 4;
    s.kernel_w = 1;
    s.stride_w = 1;
    s.pad_left = 1;
    s.pad_right = 1;
    check_close(run_avg_f32(s, {3.0f, 5.0f}), {0.0f, 3.0f, 5.0f, 0.0f});
    check_close(run_max_f32(s, {3.0f, 5.0f}), {-kInf, 3.0f, 5.0f, -kInf});
  }
}

TEST_CASE("average_pool2d_f32: clamp", "[pool2d]") {
  check_close(run_avg_f32(square(5, 2, 2, 2, 0), iota_f32(25), FloatClamp{5.0f, 15.0f}),
              {5, 6, 14, 15});
}

TEST_CASE("max_pool2d_qs8: pure max then clamp", "[pool2d]") {
  Pool2DShape s = square(3, 3, 3, 1, 1);
  const std::vector<int8_t> x = {-128, -100, -90, -80, -70, -60, 50, 120, 127};
  std::vector<int8_t> y(9);
  octet::kernels::max_pool2d_qs8_reference(s, x.data(), -128, 127, y.data());
  CHECK(y == std::vector<int8_t>{-70, -60, -60, 120, 127, 127, 120, 127, 127});
  octet::kernels::max_pool2d_qs8_reference(s, x.data(), -65, 100, y.data());
  CHECK(y == std::vector<int8_t>{-65, -60, -60, 100, 100, 100, 100, 100, 100});
}

TEST_CASE("max_pool2d_qs8: random cases against a window scan", "[pool2d]") {
  std::mt19937 rng(20240601);
  for (int iter = 0; iter < 300; ++iter) {
    const Qs8Case c = random_case(rng);
    const Pool2DShape& s = c.shape;
    std::vector<int8_t> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
    for (auto& v : x) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    std::vector<int8_t> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels);
    octet::kernels::max_pool2d_qs8_reference(s, x.data(), c.qmin, c.qmax, y.data());

    const AxisTaps ah{s.in_h, s.stride_h, s.pad_top, s.pad_bottom, s.kernel_h, s.dilation_h};
    const AxisTaps aw{s.in_w, s.stride_w, s.pad_left, s.pad_right, s.kernel_w, s.dilation_w};
    size_t o = 0;
    for (int32_t n = 0; n < s.batch; ++n)
      for (int32_t oh = 0; oh < s.out_h; ++oh)
        for (int32_t ow = 0; ow < s.out_w; ++ow)
          for (int32_t ch = 0; ch < s.channels; ++ch, ++o) {
            int32_t mx = -1000;
            for (int32_t ih = 0; ih < s.in_h; ++ih)
              for (int32_t iw = 0; iw < s.in_w; ++iw)
                if (ah.is_tap(oh, ih) && aw.is_tap(ow, iw))
                  mx =
                      std::max<int32_t>(mx, x[((n * s.in_h + ih) * s.in_w + iw) * s.channels + ch]);
            const int32_t want = mx == -1000 ? c.qmin : std::clamp(mx, c.qmin, c.qmax);
            INFO("iter " << iter << " output " << o);
            REQUIRE(y[o] == want);
          }
  }
}

TEST_CASE("average_pool2d_qs8: rounding ties go toward +infinity", "[pool2d]") {
  Pool2DShape s = square(1, 1, 1, 1, 0);
  s.in_w = 2;
  s.kernel_w = 2;
  const Multiplier one{1 << 30, 30};
  int8_t y = 0;
  const int8_t up[2] = {1, 2};  // 3 / 2 = 1.5 -> 2
  octet::kernels::average_pool2d_qs8_reference(s, up, 0, one, 0, -128, 127, &y);
  CHECK(y == 2);
  const int8_t down[2] = {-1, -2};  // -3 / 2 = -1.5 -> -1
  octet::kernels::average_pool2d_qs8_reference(s, down, 0, one, 0, -128, 127, &y);
  CHECK(y == -1);
  // With zero points: x − zx = {7, 8}, 7.5 -> 8, plus zy = -3.
  const int8_t shifted[2] = {17, 18};
  octet::kernels::average_pool2d_qs8_reference(s, shifted, 10, one, -3, -128, 127, &y);
  CHECK(y == 5);
  // m = 0.5: (7 + 8) / 2 · 0.5 = 3.75 -> 4.
  octet::kernels::average_pool2d_qs8_reference(s, shifted, 10, Multiplier{1 << 30, 31}, 0, -128,
                                               127, &y);
  CHECK(y == 4);
  // Three values: 4 / 3 = 1.33 -> 1; 5 / 3 = 1.67 -> 2.
  s.in_w = 3;
  s.kernel_w = 3;
  const int8_t three_a[3] = {1, 1, 2};
  octet::kernels::average_pool2d_qs8_reference(s, three_a, 0, one, 0, -128, 127, &y);
  CHECK(y == 1);
  const int8_t three_b[3] = {1, 2, 2};
  octet::kernels::average_pool2d_qs8_reference(s, three_b, 0, one, 0, -128, 127, &y);
  CHECK(y == 2);
}

TEST_CASE("average_pool2d_qs8: borders with and without count_include_pad", "[pool2d]") {
  // 3x3 of x − zx = 9, kernel 3, pad 1, m = 1: inside counts 4, 6, 9.
  const std::vector<int8_t> x(9, 4);
  const Multiplier one{1 << 30, 30};
  std::vector<int8_t> y(9);
  octet::kernels::average_pool2d_qs8_reference(square(3, 3, 3, 1, 1, false), x.data(), -5, one, 0,
                                               -128, 127, y.data());
  CHECK(y == std::vector<int8_t>(9, 9));
  // Counting padding: 36/9 = 4, 54/9 = 6, 81/9 = 9.
  octet::kernels::average_pool2d_qs8_reference(square(3, 3, 3, 1, 1, true), x.data(), -5, one, 0,
                                               -128, 127, y.data());
  CHECK(y == std::vector<int8_t>{4, 6, 4, 6, 9, 6, 4, 6, 4});
}

TEST_CASE("average_pool2d_qs8: random cases, exact and within half a step", "[pool2d]") {
  std::mt19937 rng(77);
  int checked_real = 0;
  for (int iter = 0; iter < 400; ++iter) {
    const Qs8Case c = random_case(rng);
    const Pool2DShape& s = c.shape;
    Multiplier m{};
    REQUIRE(octet::quant::quantize_multiplier(c.m, &m));
    std::vector<int8_t> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
    for (auto& v : x) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    std::vector<int8_t> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels);
    octet::kernels::average_pool2d_qs8_reference(s, x.data(), c.zx, m, c.zy, c.qmin, c.qmax,
                                                 y.data());

    const AxisTaps ah{s.in_h, s.stride_h, s.pad_top, s.pad_bottom, s.kernel_h, s.dilation_h};
    const AxisTaps aw{s.in_w, s.stride_w, s.pad_left, s.pad_right, s.kernel_w, s.dilation_w};
    size_t o = 0;
    for (int32_t n = 0; n < s.batch; ++n)
      for (int32_t oh = 0; oh < s.out_h; ++oh)
        for (int32_t ow = 0; ow < s.out_w; ++ow)
          for (int32_t ch = 0; ch < s.channels; ++ch, ++o) {
            int64_t acc = 0, inside = 0;
            for (int32_t ih = 0; ih < s.in_h; ++ih)
              for (int32_t iw = 0; iw < s.in_w; ++iw)
                if (ah.is_tap(oh, ih) && aw.is_tap(ow, iw)) {
                  acc += x[((n * s.in_h + ih) * s.in_w + iw) * s.channels + ch] - c.zx;
                  ++inside;
                }
            const int64_t count =
                s.count_include_pad ? int64_t{ah.padded_count(oh)} * aw.padded_count(ow) : inside;
            INFO("iter " << iter << " output " << o << " acc " << acc << " n " << count);
            const int32_t want = count == 0
                                     ? std::clamp(c.zy, c.qmin, c.qmax)
                                     : doc_output(acc, doc_divide(m, count), c.zy, c.qmin, c.qmax);
            REQUIRE(y[o] == want);
            if (count > 0) {
              const double real = c.m * static_cast<double>(acc) / count + c.zy;
              const double clamped = std::clamp<double>(real, c.qmin, c.qmax);
              CHECK(std::abs(y[o] - clamped) <= 0.5 + 1e-6);
              ++checked_real;
            }
          }
  }
  CHECK(checked_real > 1000);
}

// ------------------------------------------------------------------------
// SIMD max-pool variants (kernels/pool2d/kernels.inc): bit-exact against the
// reference over channel counts around every vector width, random windows
// (padding, dilation, ceil mode, clamps), empty windows and a ResNet shape.

namespace {

using octet::kernels::MaxPool2DQs8Kernel;

void check_max_pool(const MaxPool2DQs8Kernel& k, const Pool2DShape& s, int32_t qmin, int32_t qmax,
                    std::mt19937& rng) {
  std::vector<int8_t> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
  for (auto& v : x) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  if (!x.empty()) x[0] = -128;
  if (x.size() > 1) x[1] = 127;
  const size_t n = static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels;
  // Guard bytes past the output must survive.
  std::vector<int8_t> y(n + 64, 0x5A), ref(n + 64, 0x5A);
  k.fn(s, x.data(), qmin, qmax, y.data());
  octet::kernels::max_pool2d_qs8_reference(s, x.data(), qmin, qmax, ref.data());
  INFO(k.name << " in " << s.in_h << "x" << s.in_w << "x" << s.channels << " k " << s.kernel_h
              << "x" << s.kernel_w << " s " << s.stride_h << " d " << s.dilation_h << " pad "
              << s.pad_top << "," << s.pad_left << " out " << s.out_h << "x" << s.out_w
              << " clamp [" << qmin << "," << qmax << "]");
  REQUIRE(y == ref);
}

void test_max_pool_variant(const char* name) {
  int32_t count = 0;
  const MaxPool2DQs8Kernel* ks = octet::kernels::max_pool2d_qs8_kernels(&count);
  const MaxPool2DQs8Kernel* k = nullptr;
  for (int32_t i = 0; i < count; ++i) {
    if (std::string(ks[i].name) == name) k = &ks[i];
  }
  REQUIRE(k != nullptr);
  if (!octet::kernels::isa_available(k->isa)) {
    WARN("skipped: host or build lacks " << octet::kernels::isa_name(k->isa));
    return;
  }
  std::mt19937 rng(20261122);
  SECTION("channels_around_vector_widths") {
    for (int32_t c : {1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 96, 100, 127, 128, 130}) {
      for (int iter = 0; iter < 6; ++iter) {
        Qs8Case rc = random_case(rng);
        rc.shape.channels = c;
        check_max_pool(*k, rc.shape, rc.qmin, rc.qmax, rng);
      }
    }
  }
  SECTION("random_windows") {
    for (int iter = 0; iter < 300; ++iter) {
      const Qs8Case rc = random_case(rng);
      check_max_pool(*k, rc.shape, rc.qmin, rc.qmax, rng);
    }
  }
  SECTION("empty_windows_give_qmin") {
    // Taps at rows/columns −2 and 1 of a 1x1 input: none inside.
    Pool2DShape s = square(1, 1, 2, 1, 2, false, 3);
    for (int32_t c : {1, 16, 33, 64, 70}) {
      s.channels = c;
      check_max_pool(*k, s, -128, 127, rng);
      check_max_pool(*k, s, -20, 90, rng);
    }
  }
  SECTION("resnet_stem") {
    Pool2DShape s = square(112, 56, 3, 2, 1);
    s.channels = 64;
    check_max_pool(*k, s, -128, 127, rng);
    check_max_pool(*k, s, 0, 127, rng);
  }
}

}  // namespace

namespace {

using octet::kernels::AvgPool2DQs8Kernel;

void check_avg_pool(const AvgPool2DQs8Kernel& k, const Pool2DShape& s, int32_t zx,
                    const Multiplier& m, int32_t zy, int32_t qmin, int32_t qmax,
                    std::mt19937& rng) {
  std::vector<int8_t> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
  for (auto& v : x) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  if (!x.empty()) x[0] = -128;
  if (x.size() > 1) x[1] = 127;
  const size_t n = static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels;
  std::vector<int8_t> y(n + 64, 0x5A), ref(n + 64, 0x5A);
  k.fn(s, x.data(), zx, m, zy, qmin, qmax, y.data());
  octet::kernels::average_pool2d_qs8_reference(s, x.data(), zx, m, zy, qmin, qmax, ref.data());
  INFO(k.name << " in " << s.in_h << "x" << s.in_w << "x" << s.channels << " k " << s.kernel_h
              << "x" << s.kernel_w << " s " << s.stride_h << " d " << s.dilation_h << " pad "
              << s.pad_top << "," << s.pad_left << "," << s.pad_bottom << "," << s.pad_right
              << " cip " << s.count_include_pad << " zx " << zx << " zy " << zy << " m "
              << m.multiplier << ">>" << m.rshift << " clamp [" << qmin << "," << qmax << "]");
  REQUIRE(y == ref);
}

void test_avg_pool_variant(const char* name) {
  int32_t count = 0;
  const AvgPool2DQs8Kernel* ks = octet::kernels::avg_pool2d_qs8_kernels(&count);
  const AvgPool2DQs8Kernel* k = nullptr;
  for (int32_t i = 0; i < count; ++i) {
    if (std::string(ks[i].name) == name) k = &ks[i];
  }
  REQUIRE(k != nullptr);
  if (!octet::kernels::isa_available(k->isa)) {
    WARN("skipped: host or build lacks " << octet::kernels::isa_name(k->isa));
    return;
  }
  std::mt19937 rng(20261123);
  auto mult = [](double real) {
    Multiplier m{};
    REQUIRE(octet::quant::quantize_multiplier(real, &m));
    return m;
  };
  SECTION("channels_around_vector_widths") {
    for (int32_t c : {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 100}) {
      for (int iter = 0; iter < 6; ++iter) {
        Qs8Case rc = random_case(rng);
        rc.shape.channels = c;
        check_avg_pool(*k, rc.shape, rc.zx, mult(rc.m), rc.zy, rc.qmin, rc.qmax, rng);
      }
    }
  }
  SECTION("random_windows") {
    for (int iter = 0; iter < 300; ++iter) {
      const Qs8Case rc = random_case(rng);
      check_avg_pool(*k, rc.shape, rc.zx, mult(rc.m), rc.zy, rc.qmin, rc.qmax, rng);
    }
  }
  SECTION("extreme_zero_points_and_multipliers") {
    Pool2DShape s = square(9, 5, 3, 2, 1, true);
    s.channels = 19;
    for (int32_t zx : {-128, 127}) {
      for (int32_t zy : {-128, 127}) {
        // Saturating (large real multiplier), tiny, and the largest mantissa.
        for (const Multiplier& m : {mult(200.0), mult(1e-6), Multiplier{INT32_MAX, 1},
                                    Multiplier{INT32_MAX, 62}, Multiplier{1 << 30, 31}}) {
          check_avg_pool(*k, s, zx, m, zy, -128, 127, rng);
          check_avg_pool(*k, s, zx, m, zy, zy, 127, rng);
        }
      }
    }
  }
  SECTION("empty_windows_and_global") {
    Pool2DShape e = square(1, 1, 2, 1, 2, false, 3);  // no tap inside
    for (int32_t c : {1, 8, 17, 64}) {
      e.channels = c;
      check_avg_pool(*k, e, 3, mult(0.7), -5, -128, 127, rng);
    }
    Pool2DShape g = square(7, 1, 7, 1, 0);  // global average, MobileNet-like
    g.channels = 96;
    check_avg_pool(*k, g, -3, mult(0.9), 4, -128, 127, rng);
  }
}

}  // namespace

#define OCTET_MAX_POOL2D_QS8_KERNEL(name, isa) \
  TEST_CASE(#name, "[pool2d][" #isa "]") { test_max_pool_variant(#name); }
#define OCTET_AVG_POOL2D_QS8_KERNEL(name, isa) \
  TEST_CASE(#name, "[pool2d][" #isa "]") { test_avg_pool_variant(#name); }
#include "kernels/pool2d/kernels.inc"
#undef OCTET_MAX_POOL2D_QS8_KERNEL
#undef OCTET_AVG_POOL2D_QS8_KERNEL
