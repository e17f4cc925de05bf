// SPDX-License-Identifier: Apache-2.0
//
// Reference resize: the ONNX Resize examples (nearest with every rounding mode,
// linear with half_pixel / align_corners / pytorch_half_pixel, scales and
// sizes), prepare-time tables (indices, λ, 10-bit weights and their ties),
// rounding ties of the int8 kernel, and fixed-seed int8 cases checked exactly
// against the doc formula and within one output step of the real-valued
// bilinear interpolation.
#include "kernels/resize/resize.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "converter/quant/quant_math.h"

using octet::kernels::CoordinateTransform;
using octet::kernels::FloatClamp;
using octet::kernels::Multiplier;
using octet::kernels::NearestRounding;
using octet::kernels::ResizeAxisTable;
using octet::kernels::ResizeMode;
using octet::kernels::ResizeShape;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
constexpr auto kHalfPixel = CoordinateTransform::kHalfPixel;
constexpr auto kAlignCorners = CoordinateTransform::kAlignCorners;
constexpr auto kAsymmetric = CoordinateTransform::kAsymmetric;
constexpr auto kPytorchHalfPixel = CoordinateTransform::kPytorchHalfPixel;
constexpr auto kPreferFloor = NearestRounding::kRoundPreferFloor;
constexpr auto kPreferCeil = NearestRounding::kRoundPreferCeil;
constexpr auto kFloor = NearestRounding::kFloor;
constexpr auto kCeil = NearestRounding::kCeil;

// A table with its own storage (int32 elements keep it 4-byte aligned).
class Table {
 public:
  Table(int32_t in, int32_t out, float scale, ResizeMode mode, CoordinateTransform transform,
        NearestRounding rounding = kPreferFloor)
      : storage_((octet::kernels::resize_axis_table_bytes(out) + 3) / 4 + 1),
        table_(octet::kernels::resize_axis_table_init(in, out, scale, mode, transform, rounding,
                                                      storage_.data())),
        out_(out) {}
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const ResizeAxisTable& operator*() const { return table_; }
  std::vector<int32_t> index0() const { return {table_.index0, table_.index0 + out_}; }
  std::vector<int32_t> index1() const { return {table_.index1, table_.index1 + out_}; }
  std::vector<float> lambda() const { return {table_.lambda_f32, table_.lambda_f32 + out_}; }
  std::vector<int16_t> q10() const { return {table_.lambda_q10, table_.lambda_q10 + out_}; }

 private:
  std::vector<int32_t> storage_;
  ResizeAxisTable table_;
  int32_t out_;
};

struct Resize2D {
  int32_t in_h, in_w, out_h, out_w;
  float scale_h = 0.0f, scale_w = 0.0f;  // 0: sizes given
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateTransform transform = kHalfPixel;
  NearestRounding rounding = kPreferFloor;
};

// Single image, single channel: the ONNX examples' N = C = 1.
std::vector<float> resize_f32(const Resize2D& r, const std::vector<float>& x) {
  const Table h(r.in_h, r.out_h, r.scale_h, r.mode, r.transform, r.rounding);
  const Table w(r.in_w, r.out_w, r.scale_w, r.mode, r.transform, r.rounding);
  const ResizeShape s{1, r.in_h, r.in_w, 1, r.out_h, r.out_w};
  std::vector<float> y(static_cast<size_t>(r.out_h) * r.out_w, -1234.0f);
  if (r.mode == ResizeMode::kNearest) {
    octet::kernels::resize_nearest_reference(s, *h, *w, x.data(), sizeof(float), y.data());
  } else {
    octet::kernels::resize_bilinear_f32_reference(s, *h, *w, x.data(), kNoClamp, y.data());
  }
  return y;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
  }
}

const std::vector<float> k2x2 = {1, 2, 3, 4};
const std::vector<float> k2x4 = {1, 2, 3, 4, 5, 6, 7, 8};
const std::vector<float> k4x4 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

TEST_CASE("resize nearest: ONNX examples", "[resize]") {
  SECTION("upsample_scales_nearest (2, 3)") {
    Resize2D r{2, 2, 4, 6, 2.0f, 3.0f};
    CHECK(resize_f32(r, k2x2) == std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                                    3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  }
  SECTION("downsample_scales_nearest (0.6, 0.6)") {
    Resize2D r{2, 4, 1, 2, 0.6f, 0.6f};
    CHECK(resize_f32(r, k2x4) == std::vector<float>{1, 3});
  }
  SECTION("upsample_sizes_nearest 7x8") {
    Resize2D r{2, 2, 7, 8};
    const std::vector<float> top = {1, 1, 1, 1, 2, 2, 2, 2}, bottom = {3, 3, 3, 3, 4, 4, 4, 4};
    std::vector<float> want;
    for (int i = 0; i < 4; ++i) want.insert(want.end(), top.begin(), top.end());
    for (int i = 0; i < 3; ++i) want.insert(want.end(), bottom.begin(), bottom.end());
    CHECK(resize_f32(r, k2x2) == want);
  }
  SECTION("downsample_sizes_nearest 1x3") {
    Resize2D r{2, 4, 1, 3};
    CHECK(resize_f32(r, k2x4) == std::vector<float>{1, 2, 4});
  }
  SECTION("upsample_sizes_nearest_ceil_half_pixel") {
    Resize2D r{4, 4, 8, 8};
    r.rounding = kCeil;
    CHECK(resize_f32(r, k4x4) ==
          std::vector<float>{1,  2,  2,  3,  3,  4,  4,  4,  5,  6,  6,  7,  7,  8,  8,  8,
                             5,  6,  6,  7,  7,  8,  8,  8,  9,  10, 10, 11, 11, 12, 12, 12,
                             9,  10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16,
                             13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16});
  }
  SECTION("upsample_sizes_nearest_floor_align_corners") {
    Resize2D r{4, 4, 8, 8};
    r.transform = kAlignCorners;
    r.rounding = kFloor;
    CHECK(resize_f32(r, k4x4) ==
          std::vector<float>{1, 1, 1, 2,  2,  3,  3,  4,  1,  1,  1,  2,  2,  3,  3,  4,
                             1, 1, 1, 2,  2,  3,  3,  4,  5,  5,  5,  6,  6,  7,  7,  8,
                             5, 5, 5, 6,  6,  7,  7,  8,  9,  9,  9,  10, 10, 11, 11, 12,
                             9, 9, 9, 10, 10, 11, 11, 12, 13, 13, 13, 14, 14, 15, 15, 16});
  }
  SECTION("upsample_sizes_nearest_round_prefer_ceil_asymmetric") {
    Resize2D r{4, 4, 8, 8};
    r.transform = kAsymmetric;
    r.rounding = kPreferCeil;
    CHECK(resize_f32(r, k4x4) ==
          std::vector<float>{1,  2,  2,  3,  3,  4,  4,  4,  5,  6,  6,  7,  7,  8,  8,  8,
                             5,  6,  6,  7,  7,  8,  8,  8,  9,  10, 10, 11, 11, 12, 12, 12,
                             9,  10, 10, 11, 11, 12, 12, 12, 13, 14, 14, 15, 15, 16, 16, 16,
                             13, 14, 14, 15, 15, 16, 16, 16, 13, 14, 14, 15, 15, 16, 16, 16});
  }
}

TEST_CASE("resize bilinear f32: ONNX examples", "[resize]") {
  Resize2D r{2, 2, 4, 4, 2.0f, 2.0f, ResizeMode::kBilinear};
  SECTION("upsample_scales_linear") {
    check_close(resize_f32(r, k2x2), {1.0f, 1.25f, 1.75f, 2.0f, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f,
                                      2.75f, 3.25f, 3.5f, 3.0f, 3.25f, 3.75f, 4.0f});
  }
  SECTION("upsample_scales_linear_align_corners") {
    r.transform = kAlignCorners;
    check_close(resize_f32(r, k2x2), {1.0f, 1.33333333f, 1.66666667f, 2.0f, 1.66666667f, 2.0f,
                                      2.33333333f, 2.66666667f, 2.33333333f, 2.66666667f, 3.0f,
                                      3.33333333f, 3.0f, 3.33333333f, 3.66666667f, 4.0f});
  }
  SECTION("downsample_scales_linear") {
    Resize2D d{2, 4, 1, 2, 0.6f, 0.6f, ResizeMode::kBilinear};
    check_close(resize_f32(d, k2x4), {2.6666665f, 4.3333331f});
  }
  SECTION("downsample_scales_linear_align_corners: resized length 2.4, not 2") {
    Resize2D d{2, 4, 1, 2, 0.6f, 0.6f, ResizeMode::kBilinear, kAlignCorners};
    check_close(resize_f32(d, k2x4), {1.0f, 3.142857f});
    // With sizes instead of scales the length is exactly 2: corners align.
    d.scale_h = d.scale_w = 0.0f;
    check_close(resize_f32(d, k2x4), {1.0f, 4.0f});
  }
  SECTION("downsample_sizes_linear_pytorch_half_pixel 3x1") {
    Resize2D d{4, 4, 3, 1, 0.0f, 0.0f, ResizeMode::kBilinear, kPytorchHalfPixel};
    check_close(resize_f32(d, k4x4), {1.6666666f, 7.0f, 12.333333f});
  }
}

TEST_CASE("resize tables: indices, lambdas, 10-bit weights", "[resize]") {
  CHECK(octet::kernels::resize_axis_table_bytes(5) == 5 * 14);
  SECTION("bilinear half_pixel x2 clamps both borders") {
    const Table t(2, 4, 0.0f, ResizeMode::kBilinear, kHalfPixel);
    CHECK(t.index0() == std::vector<int32_t>{0, 0, 0, 1});
    CHECK(t.index1() == std::vector<int32_t>{1, 1, 1, 1});
    CHECK(t.lambda() == std::vector<float>{0.0f, 0.25f, 0.75f, 0.0f});
    CHECK(t.q10() == std::vector<int16_t>{0, 256, 768, 0});
  }
  SECTION("bilinear align_corners thirds round to nearest") {
    const Table t(2, 4, 0.0f, ResizeMode::kBilinear, kAlignCorners);
    CHECK(t.index0() == std::vector<int32_t>{0, 0, 0, 1});
    CHECK(t.index1() == std::vector<int32_t>{1, 1, 1, 1});
    CHECK(t.q10() == std::vector<int16_t>{0, 341, 683, 0});  // 341.33, 682.67
  }
  SECTION("10-bit weight ties round up") {
    // asymmetric, scale 2048: λ = x / 2048, λ·1024 = x / 2.
    const Table t(2, 4, 2048.0f, ResizeMode::kBilinear, kAsymmetric);
    CHECK(t.index0() == std::vector<int32_t>{0, 0, 0, 0});
    CHECK(t.q10() == std::vector<int16_t>{0, 1, 1, 2});
  }
  SECTION("nearest ties: half_pixel /2 lands on x.5") {
    // Source coordinate 2x + 0.5.
    CHECK(Table(6, 3, 0.0f, ResizeMode::kNearest, kHalfPixel, kPreferFloor).index0() ==
          std::vector<int32_t>{0, 2, 4});
    CHECK(Table(6, 3, 0.0f, ResizeMode::kNearest, kHalfPixel, kPreferCeil).index0() ==
          std::vector<int32_t>{1, 3, 5});
    CHECK(Table(6, 3, 0.0f, ResizeMode::kNearest, kHalfPixel, kFloor).index0() ==
          std::vector<int32_t>{0, 2, 4});
    CHECK(Table(6, 3, 0.0f, ResizeMode::kNearest, kHalfPixel, kCeil).index0() ==
          std::vector<int32_t>{1, 3, 5});
  }
  SECTION("nearest asymmetric x2: ties and clamping at the far edge") {
    // Source coordinate x / 2: 0, 0.5, 1, 1.5, 2, 2.5.
    CHECK(Table(3, 6, 0.0f, ResizeMode::kNearest, kAsymmetric, kPreferFloor).index0() ==
          std::vector<int32_t>{0, 0, 1, 1, 2, 2});
    CHECK(Table(3, 6, 0.0f, ResizeMode::kNearest, kAsymmetric, kPreferCeil).index0() ==
          std::vector<int32_t>{0, 1, 1, 2, 2, 2});
    CHECK(Table(3, 6, 0.0f, ResizeMode::kNearest, kAsymmetric, kCeil).index0() ==
          std::vector<int32_t>{0, 1, 1, 2, 2, 2});
    const Table t(3, 6, 0.0f, ResizeMode::kNearest, kAsymmetric, kFloor);
    CHECK(t.index0() == std::vector<int32_t>{0, 0, 1, 1, 2, 2});
    CHECK(t.index1() == t.index0());
    CHECK(t.q10() == std::vector<int16_t>(6, 0));
  }
  SECTION("nearest half_pixel upsample clamps negative coordinates to 0") {
    // x2: coordinates -0.25, 0.25, ...; prefer_ceil rounds -0.25 to 0 anyway,
    // ceil rounds it to 0, floor to -1 -> clamped to 0.
    CHECK(Table(2, 4, 0.0f, ResizeMode::kNearest, kHalfPixel, kFloor).index0() ==
          std::vector<int32_t>{0, 0, 0, 1});
  }
  SECTION("pytorch_half_pixel with one output maps to 0") {
    CHECK(Table(5, 1, 0.0f, ResizeMode::kNearest, kPytorchHalfPixel).index0() ==
          std::vector<int32_t>{0});
    CHECK(Table(5, 1, 0.0f, ResizeMode::kNearest, kHalfPixel).index0() == std::vector<int32_t>{2});
  }
}

TEST_CASE("resize tables: random against the ONNX coordinate formulas", "[resize]") {
  std::mt19937 rng(17);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 300; ++iter) {
    const int32_t in = pick(1, 12), out = pick(1, 24);
    const auto transform = static_cast<CoordinateTransform>(pick(0, 3));
    const bool given = pick(0, 1) == 1;
    const float scale = given ? static_cast<float>(out) / in * (1.0f + 0.01f * pick(0, 3)) : 0.0f;
    const double s = given ? double{scale} : double(out) / in;
    const double length = given ? s * in : out;
    const Table t(in, out, scale, ResizeMode::kBilinear, transform);
    for (int32_t x = 0; x < out; ++x) {
      double c = 0.0;
      switch (transform) {
        case kHalfPixel:
          c = (x + 0.5) / s - 0.5;
          break;
        case kAlignCorners:
          c = length == 1 ? 0 : x * (in - 1.0) / (length - 1);
          break;
        case kAsymmetric:
          c = x / s;
          break;
        case kPytorchHalfPixel:
          c = length == 1 ? 0 : (x + 0.5) / s - 0.5;
          break;
      }
      c = std::clamp(c, 0.0, in - 1.0);
      INFO("iter " << iter << " in " << in << " out " << out << " x " << x);
      REQUIRE(t.index0()[x] == static_cast<int32_t>(std::floor(c)));
      REQUIRE(t.index1()[x] == std::min(t.index0()[x] + 1, in - 1));
      REQUIRE(t.lambda()[x] == Approx(c - std::floor(c)).margin(1e-6));
      REQUIRE(std::abs(t.q10()[x] - (c - std::floor(c)) * 1024) <= 0.5);
    }
  }
}

TEST_CASE("resize nearest: batch, channels, element sizes", "[resize]") {
  // 2 x 2x3 x 3 channels of int16: element (n, h, w, c) = 1000n + 100h + 10w + c.
  std::vector<int16_t> x;
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 3; ++w)
        for (int c = 0; c < 3; ++c)
          x.push_back(static_cast<int16_t>(1000 * n + 100 * h + 10 * w + c));
  const Table th(2, 3, 0.0f, ResizeMode::kNearest, kAsymmetric, kFloor);  // 0, 0, 1
  const Table tw(3, 2, 0.0f, ResizeMode::kNearest, kAsymmetric, kFloor);  // 0, 1
  const ResizeShape s{2, 2, 3, 3, 3, 2};
  std::vector<int16_t> y(2 * 3 * 2 * 3);
  octet::kernels::resize_nearest_reference(s, *th, *tw, x.data(), sizeof(int16_t), y.data());
  size_t o = 0;
  const int hs[] = {0, 0, 1}, ws[] = {0, 1};
  for (int n = 0; n < 2; ++n)
    for (int oy = 0; oy < 3; ++oy)
      for (int ox = 0; ox < 2; ++ox)
        for (int c = 0; c < 3; ++c) REQUIRE(y[o++] == 1000 * n + 100 * hs[oy] + 10 * ws[ox] + c);
}

TEST_CASE("resize bilinear qs8: exact cases and rounding ties", "[resize]") {
  const Multiplier one{1 << 30, 30};
  SECTION("x2 half_pixel with integer results") {
    // x − zx = [[0 4] [8 12]]: 4 · (ONNX upsample_scales_linear − 1).
    const int32_t zx = -20, zy = -5;
    const std::vector<int8_t> x = {-20, -16, -12, -8};
    const Table h(2, 4, 2.0f, ResizeMode::kBilinear, kHalfPixel);
    const Table w(2, 4, 2.0f, ResizeMode::kBilinear, kHalfPixel);
    std::vector<int8_t> y(16);
    octet::kernels::resize_bilinear_qs8_reference(ResizeShape{1, 2, 2, 1, 4, 4}, *h, *w, x.data(),
                                                  zx, one, zy, -128, 127, y.data());
    CHECK(y == std::vector<int8_t>{-5, -4, -2, -1, -3, -2, 0, 1, 1, 2, 4, 5, 3, 4, 6, 7});
  }
  SECTION("λ = 0.5 ties go toward +infinity") {
    const Table h(1, 1, 0.0f, ResizeMode::kBilinear, kAlignCorners);
    const Table w(2, 3, 0.0f, ResizeMode::kBilinear, kAlignCorners);  // 0, 0.5, 1
    const ResizeShape s{1, 1, 2, 1, 1, 3};
    std::vector<int8_t> y(3);
    const int8_t up[] = {1, 2};
    octet::kernels::resize_bilinear_qs8_reference(s, *h, *w, up, 0, one, 0, -128, 127, y.data());
    CHECK(y == std::vector<int8_t>{1, 2, 2});
    const int8_t down[] = {-1, -2};
    octet::kernels::resize_bilinear_qs8_reference(s, *h, *w, down, 0, one, 0, -128, 127, y.data());
    CHECK(y == std::vector<int8_t>{-1, -1, -2});
    // m = 0.5 and a clamp: (−128 − 0) · 0.5 = −64 → qmin −50.
    const int8_t wide[] = {-128, 127};
    octet::kernels::resize_bilinear_qs8_reference(s, *h, *w, wide, 0, Multiplier{1 << 30, 31}, 0,
                                                  -50, 127, y.data());
    CHECK(y == std::vector<int8_t>{-50, 0, 64});  // −0.25 → 0; 63.5 → 64
  }
}

TEST_CASE("resize bilinear qs8: random, exact and within one step", "[resize]") {
  std::mt19937 rng(31337);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  int checked = 0;
  for (int iter = 0; iter < 200; ++iter) {
    const ResizeShape s{pick(1, 2), pick(1, 6), pick(1, 6), pick(1, 4), pick(1, 12), pick(1, 12)};
    const auto transform = static_cast<CoordinateTransform>(pick(0, 3));
    const Table h(s.in_h, s.out_h, 0.0f, ResizeMode::kBilinear, transform);
    const Table w(s.in_w, s.out_w, 0.0f, ResizeMode::kBilinear, transform);
    const int32_t zx = pick(-128, 127), zy = pick(-128, 127);
    const int32_t qmin = pick(0, 3) == 0 ? pick(-128, 0) : -128;
    const int32_t qmax = pick(0, 3) == 0 ? pick(qmin, 127) : 127;
    const double real_m =
        std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), pick(-4, 0));
    Multiplier m{};
    REQUIRE(octet::quant::quantize_multiplier(real_m, &m));
    std::vector<int8_t> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
    for (auto& v : x) v = static_cast<int8_t>(pick(-128, 127));
    std::vector<int8_t> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels);
    octet::kernels::resize_bilinear_qs8_reference(s, *h, *w, x.data(), zx, m, zy, qmin, qmax,
                                                  y.data());
    auto at = [&](int n, int yy, int xx, int c) {
      return int64_t{x[((static_cast<size_t>(n) * s.in_h + yy) * s.in_w + xx) * s.channels + c]} -
             zx;
    };
    size_t o = 0;
    for (int n = 0; n < s.batch; ++n)
      for (int oy = 0; oy < s.out_h; ++oy)
        for (int ox = 0; ox < s.out_w; ++ox)
          for (int c = 0; c < s.channels; ++c, ++o) {
            const int32_t y0 = h.index0()[oy], y1 = h.index1()[oy];
            const int32_t x0 = w.index0()[ox], x1 = w.index1()[ox];
            const int64_t ly = h.q10()[oy], lx = w.q10()[ox];
            // The doc's sum over the four corners, one product each.
            const int64_t acc = (1024 - ly) * (1024 - lx) * at(n, y0, x0, c) +
                                (1024 - ly) * lx * at(n, y0, x1, c) +
                                ly * (1024 - lx) * at(n, y1, x0, c) + ly * lx * at(n, y1, x1, c);
            const int64_t t = m.rshift + 20;
            const int64_t r =
                floor_div(acc * m.multiplier + (int64_t{1} << (t - 1)), int64_t{1} << t);
            const int32_t want = static_cast<int32_t>(std::clamp<int64_t>(r + zy, qmin, qmax));
            INFO("iter " << iter << " output " << o);
            REQUIRE(y[o] == want);
            const double fy = h.lambda()[oy], fx = w.lambda()[ox];
            const double real =
                real_m * ((1 - fy) * ((1 - fx) * at(n, y0, x0, c) + fx * at(n, y0, x1, c)) +
                          fy * ((1 - fx) * at(n, y1, x0, c) + fx * at(n, y1, x1, c))) +
                zy;
            CHECK(std::abs(y[o] - std::clamp<double>(real, qmin, qmax)) <= 1.0);
            ++checked;
          }
  }
  CHECK(checked > 1000);
}

TEST_CASE("resize bilinear f32: random against double interpolation, clamp", "[resize]") {
  std::mt19937 rng(8);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 50; ++iter) {
    const ResizeShape s{pick(1, 2), pick(1, 5), pick(1, 5), pick(1, 3), pick(1, 9), pick(1, 9)};
    const auto transform = static_cast<CoordinateTransform>(pick(0, 3));
    const Table h(s.in_h, s.out_h, 0.0f, ResizeMode::kBilinear, transform);
    const Table w(s.in_w, s.out_w, 0.0f, ResizeMode::kBilinear, transform);
    std::vector<float> x(static_cast<size_t>(s.batch) * s.in_h * s.in_w * s.channels);
    for (auto& v : x) v = std::uniform_real_distribution<float>(-5.0f, 5.0f)(rng);
    std::vector<float> y(static_cast<size_t>(s.batch) * s.out_h * s.out_w * s.channels);
    const FloatClamp clamp{-2.0f, 3.0f};
    octet::kernels::resize_bilinear_f32_reference(s, *h, *w, x.data(), clamp, y.data());
    auto at = [&](int n, int yy, int xx, int c) {
      return double{x[((static_cast<size_t>(n) * s.in_h + yy) * s.in_w + xx) * s.channels + c]};
    };
    size_t o = 0;
    for (int n = 0; n < s.batch; ++n)
      for (int oy = 0; oy < s.out_h; ++oy)
        for (int ox = 0; ox < s.out_w; ++ox)
          for (int c = 0; c < s.channels; ++c, ++o) {
            const double fy = h.lambda()[oy], fx = w.lambda()[ox];
            const int y0 = h.index0()[oy], y1 = h.index1()[oy];
            const int x0 = w.index0()[ox], x1 = w.index1()[ox];
            const double v = (1 - fy) * ((1 - fx) * at(n, y0, x0, c) + fx * at(n, y0, x1, c)) +
                             fy * ((1 - fx) * at(n, y1, x0, c) + fx * at(n, y1, x1, c));
            REQUIRE(y[o] == Approx(std::clamp(v, -2.0, 3.0)).margin(1e-5));
          }
  }
}
