// SPDX-License-Identifier: Apache-2.0
//
// Reference MEAN: the ONNX ReduceMean examples, global average pooling (axes
// {1, 2} of NHWC), the channel axis, negative and unordered axes, rounding
// ties, and fixed-seed int8 cases up to rank 6 checked exactly against the doc
// formula (accumulated here by scattering each input element to its output
// with division and modulo) and within half an output step of the real mean.
#include "kernels/mean/mean.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "converter/quant/quant_math.h"
#include "kernels/pool2d/pool2d.h"

using octet::kernels::FloatClamp;
using octet::kernels::MeanShape;
using octet::kernels::Multiplier;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr FloatClamp kNoClamp{-kInf, kInf};
const Multiplier kOne{1 << 30, 30};

std::vector<float> mean_f32(const std::vector<int32_t>& dims, const std::vector<int32_t>& axes,
                            const std::vector<float>& x, FloatClamp clamp = kNoClamp) {
  int64_t out = 1;
  std::vector<bool> reduced(dims.size());
  for (int32_t a : axes) reduced[a < 0 ? a + dims.size() : a] = true;
  for (size_t d = 0; d < dims.size(); ++d) out *= reduced[d] ? 1 : dims[d];
  std::vector<float> y(out, -1234.0f);
  const MeanShape s{static_cast<int32_t>(dims.size()), dims.data(),
                    static_cast<int32_t>(axes.size()), axes.data()};
  octet::kernels::mean_f32_reference(s, x.data(), clamp, y.data());
  return y;
}

void check_close(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
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

int32_t doc_output(int64_t acc, const Multiplier& m, int32_t zy, int32_t qmin, int32_t qmax) {
  const int64_t t = m.rshift;
  const int64_t r = floor_div(acc * m.multiplier + (int64_t{1} << (t - 1)), int64_t{1} << t);
  return static_cast<int32_t>(std::clamp<int64_t>(r + zy, qmin, qmax));
}

}  // namespace

TEST_CASE("mean_f32: ONNX ReduceMean examples", "[mean]") {
  const std::vector<int32_t> dims = {3, 2, 2};
  const std::vector<float> x = {5, 1, 20, 2, 30, 1, 40, 2, 55, 1, 60, 2};
  SECTION("axes [1]") { check_close(mean_f32(dims, {1}, x), {12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f}); }
  SECTION("axes [-2]") {
    check_close(mean_f32(dims, {-2}, x), {12.5f, 1.5f, 35, 1.5f, 57.5f, 1.5f});
  }
  SECTION("all axes") { check_close(mean_f32(dims, {0, 1, 2}, x), {18.25f}); }
  SECTION("no axes is a copy") { check_close(mean_f32(dims, {}, x), x); }
}

TEST_CASE("mean_f32: global average pool and channel mean of NHWC", "[mean]") {
  // 1x2x2x3: pixels (0,0) (0,1) (1,0) (1,1).
  const std::vector<int32_t> dims = {1, 2, 2, 3};
  const std::vector<float> x = {1, 10, -4, 2, 20, -4, 3, 30, 4, 4, 40, 5};
  check_close(mean_f32(dims, {1, 2}, x), {2.5f, 25.0f, 0.25f});
  check_close(mean_f32(dims, {2, 1}, x), {2.5f, 25.0f, 0.25f});
  check_close(mean_f32(dims, {3}, x), {7.0f / 3, 6.0f, 37.0f / 3, 49.0f / 3});
  check_close(mean_f32(dims, {-1}, x), {7.0f / 3, 6.0f, 37.0f / 3, 49.0f / 3});
  check_close(mean_f32(dims, {1, 2}, x, FloatClamp{0.0f, 6.0f}), {2.5f, 6.0f, 0.25f});
}

TEST_CASE("mean_f32: non-adjacent axes", "[mean]") {
  // x[a][b][c] = 6a + 2b + c; the mean over a and c is 2b + 3.5.
  std::vector<float> x(12);
  std::iota(x.begin(), x.end(), 0.0f);
  check_close(mean_f32({2, 3, 2}, {0, 2}, x), {3.5f, 5.5f, 7.5f});
  // Mean over b only: x[a][.][c] = 6a + c + 2.
  check_close(mean_f32({2, 3, 2}, {1}, x), {2, 3, 8, 9});
}

TEST_CASE("mean_qs8: rounding ties go toward +infinity", "[mean]") {
  const std::vector<int32_t> dims = {1, 2};
  const std::vector<int32_t> axes = {1};
  const MeanShape s{2, dims.data(), 1, axes.data()};
  int8_t y = 0;
  const int8_t up[2] = {1, 2};
  octet::kernels::mean_qs8_reference(s, up, 0, kOne, 0, -128, 127, &y);
  CHECK(y == 2);
  const int8_t down[2] = {-1, -2};
  octet::kernels::mean_qs8_reference(s, down, 0, kOne, 0, -128, 127, &y);
  CHECK(y == -1);
  // x − zx = {-128 − 127, 127 − 127} = {-255, 0}: -127.5 -> -127, + zy 100 = -27.
  const int8_t wide[2] = {-128, 127};
  octet::kernels::mean_qs8_reference(s, wide, 127, kOne, 100, -128, 127, &y);
  CHECK(y == -27);
  // Clamp: same mean, zy = -10 -> -137 -> qmin.
  octet::kernels::mean_qs8_reference(s, wide, 127, kOne, -10, -128, 127, &y);
  CHECK(y == -128);
}

TEST_CASE("mean_qs8: global average of a 56x56 map", "[mean]") {
  // x − zx = 255 everywhere, m = 0.25: 63.75 -> 64, + zy -100 = -36.
  const std::vector<int32_t> dims = {1, 56, 56, 2};
  const std::vector<int32_t> axes = {1, 2};
  const std::vector<int8_t> x(56 * 56 * 2, 127);
  int8_t y[2] = {};
  octet::kernels::mean_qs8_reference(MeanShape{4, dims.data(), 2, axes.data()}, x.data(), -128,
                                     Multiplier{1 << 30, 32}, -100, -128, 127, y);
  CHECK(y[0] == -36);
  CHECK(y[1] == -36);
}

TEST_CASE("mean_qs8: equals average_pool2d_qs8 over the whole map", "[mean]") {
  std::mt19937 rng(5);
  const int32_t h = 7, w = 5, c = 3;
  std::vector<int8_t> x(h * w * c);
  for (auto& v : x) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  Multiplier m{};
  REQUIRE(octet::quant::quantize_multiplier(0.7, &m));
  const std::vector<int32_t> dims = {1, h, w, c};
  const std::vector<int32_t> axes = {1, 2};
  std::vector<int8_t> by_mean(c), by_pool(c);
  octet::kernels::mean_qs8_reference(MeanShape{4, dims.data(), 2, axes.data()}, x.data(), 3, m, -7,
                                     -128, 127, by_mean.data());
  octet::kernels::Pool2DShape p{};
  p.batch = 1;
  p.in_h = p.kernel_h = h;
  p.in_w = p.kernel_w = w;
  p.channels = c;
  p.out_h = p.out_w = 1;
  p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
  octet::kernels::average_pool2d_qs8_reference(p, x.data(), 3, m, -7, -128, 127, by_pool.data());
  CHECK(by_mean == by_pool);
}

TEST_CASE("mean_qs8: random shapes and axes, exact and within half a step", "[mean]") {
  std::mt19937 rng(1234);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 300; ++iter) {
    const int32_t rank = pick(0, 6);
    std::vector<int32_t> dims(rank);
    for (auto& d : dims) d = pick(1, 4);
    std::vector<int32_t> axes;
    std::vector<bool> reduced(rank);
    for (int32_t d = 0; d < rank; ++d) {
      if (pick(0, 1)) {
        reduced[d] = true;
        axes.push_back(pick(0, 1) ? d : d - rank);  // negative half the time
      }
    }
    std::shuffle(axes.begin(), axes.end(), rng);
    const int32_t zx = pick(-128, 127), zy = pick(-128, 127);
    const int32_t qmin = pick(0, 3) == 0 ? pick(-128, 0) : -128;
    const int32_t qmax = pick(0, 3) == 0 ? pick(qmin, 127) : 127;
    const double real_m =
        std::ldexp(std::uniform_real_distribution<double>(0.5, 1.0)(rng), pick(-3, 2));
    Multiplier m{};
    REQUIRE(octet::quant::quantize_multiplier(real_m, &m));

    int64_t in_count = 1, out_count = 1, n = 1;
    for (int32_t d = 0; d < rank; ++d) {
      in_count *= dims[d];
      (reduced[d] ? n : out_count) *= dims[d];
    }
    std::vector<int8_t> x(in_count);
    for (auto& v : x) v = static_cast<int8_t>(pick(-128, 127));
    std::vector<int8_t> y(out_count);
    octet::kernels::mean_qs8_reference(
        MeanShape{rank, dims.data(), static_cast<int32_t>(axes.size()), axes.data()}, x.data(), zx,
        m, zy, qmin, qmax, y.data());

    std::vector<int64_t> acc(out_count, 0);
    for (int64_t i = 0; i < in_count; ++i) {
      int64_t rest = i, out_index = 0, out_stride = 1;
      for (int32_t d = rank - 1; d >= 0; --d) {
        const int64_t coord = rest % dims[d];
        rest /= dims[d];
        if (!reduced[d]) {
          out_index += coord * out_stride;
          out_stride *= dims[d];
        }
      }
      acc[out_index] += x[i] - zx;
    }
    const Multiplier mn = doc_divide(m, n);
    for (int64_t o = 0; o < out_count; ++o) {
      INFO("iter " << iter << " rank " << rank << " output " << o << " n " << n);
      REQUIRE(y[o] == doc_output(acc[o], mn, zy, qmin, qmax));
      const double real = std::clamp<double>(real_m * acc[o] / n + zy, qmin, qmax);
      CHECK(std::abs(y[o] - real) <= 0.5 + 1e-6);
    }
  }
}

TEST_CASE("mean_f32: random shapes against a scatter sum", "[mean]") {
  std::mt19937 rng(99);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 100; ++iter) {
    const int32_t rank = pick(1, 6);
    std::vector<int32_t> dims(rank);
    for (auto& d : dims) d = pick(1, 4);
    std::vector<int32_t> axes;
    std::vector<bool> reduced(rank);
    for (int32_t d = 0; d < rank; ++d) {
      if (pick(0, 1)) {
        reduced[d] = true;
        axes.push_back(d);
      }
    }
    int64_t in_count = 1, out_count = 1, n = 1;
    for (int32_t d = 0; d < rank; ++d) {
      in_count *= dims[d];
      (reduced[d] ? n : out_count) *= dims[d];
    }
    std::vector<float> x(in_count);
    for (auto& v : x) v = std::uniform_real_distribution<float>(-10.0f, 10.0f)(rng);
    std::vector<double> sum(out_count, 0.0);
    for (int64_t i = 0; i < in_count; ++i) {
      int64_t rest = i, out_index = 0, out_stride = 1;
      for (int32_t d = rank - 1; d >= 0; --d) {
        const int64_t coord = rest % dims[d];
        rest /= dims[d];
        if (!reduced[d]) {
          out_index += coord * out_stride;
          out_stride *= dims[d];
        }
      }
      sum[out_index] += x[i];
    }
    const std::vector<float> y = mean_f32(dims, axes, x);
    for (int64_t o = 0; o < out_count; ++o) {
      CHECK(y[o] == Approx(sum[o] / n).margin(1e-5));
    }
  }
}
