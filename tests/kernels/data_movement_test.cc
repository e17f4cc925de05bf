// SPDX-License-Identifier: Apache-2.0
//
// Reference data movement: the ONNX Concat/Split/Slice/Transpose/Pad examples
// (negative slice steps; reflect, edge and constant pads), every permutation
// of a rank-4 transpose checked by index math, element sizes 1, 2 and 4, int8
// concat with per-input requantization (verbatim inputs, ties, clamps), and
// fixed-seed shapes checked against coordinate arithmetic written here.
#include "kernels/data_movement/data_movement.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

using octet::kernels::Multiplier;
using octet::kernels::PadMode;

namespace {

int64_t element_count(const std::vector<int32_t>& dims) {
  int64_t n = 1;
  for (int32_t d : dims) n *= d;
  return n;
}

// Multi-index of linear index i in a dense tensor of `dims`.
std::vector<int64_t> unravel(int64_t i, const std::vector<int32_t>& dims) {
  std::vector<int64_t> idx(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    idx[d] = i % dims[d];
    i /= dims[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const std::vector<int32_t>& dims) {
  int64_t i = 0;
  for (size_t d = 0; d < dims.size(); ++d) i = i * dims[d] + idx[d];
  return i;
}

template <typename T>
std::vector<T> iota_of(int64_t n, T start = 0) {
  std::vector<T> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(start + i);
  return v;
}

std::vector<float> pad_f32(const std::vector<int32_t>& dims, const std::vector<int32_t>& pads,
                           PadMode mode, const std::vector<float>& x, float value = 0.0f) {
  std::vector<int32_t> out_dims(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) out_dims[d] = dims[d] + pads[d] + pads[dims.size() + d];
  std::vector<float> y(element_count(out_dims), -1234.0f);
  octet::kernels::pad_reference(static_cast<int32_t>(dims.size()), dims.data(), pads.data(), mode,
                                &value, x.data(), sizeof(float), y.data());
  return y;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

int32_t doc_requant(int32_t d, const Multiplier& m, int32_t zy, int32_t qmin, int32_t qmax) {
  const int64_t t = m.rshift;
  const int64_t r = floor_div(int64_t{d} * m.multiplier + (int64_t{1} << (t - 1)), int64_t{1} << t);
  return static_cast<int32_t>(std::clamp<int64_t>(r + zy, qmin, qmax));
}

}  // namespace

TEST_CASE("concat: ONNX examples", "[data_movement]") {
  SECTION("1-D") {
    const std::vector<float> a = {1, 2}, b = {3, 4};
    const void* x[] = {a.data(), b.data()};
    const int32_t dims[] = {4}, sizes[] = {2, 2};
    std::vector<float> y(4);
    octet::kernels::concat_reference(1, dims, 0, 2, sizes, x, sizeof(float), y.data());
    CHECK(y == std::vector<float>{1, 2, 3, 4});
  }
  SECTION("2-D, axis 0 and axis 1") {
    const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
    const void* x[] = {a.data(), b.data()};
    const int32_t sizes[] = {2, 2};
    std::vector<float> y(8);
    const int32_t dims0[] = {4, 2};
    octet::kernels::concat_reference(2, dims0, 0, 2, sizes, x, sizeof(float), y.data());
    CHECK(y == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8});
    const int32_t dims1[] = {2, 4};
    octet::kernels::concat_reference(2, dims1, 1, 2, sizes, x, sizeof(float), y.data());
    CHECK(y == std::vector<float>{1, 2, 5, 6, 3, 4, 7, 8});
  }
}

TEST_CASE("concat and split: random shapes, element sizes 1/2/4, empty inputs", "[data_movement]") {
  std::mt19937 rng(42);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 200; ++iter) {
    const int32_t rank = pick(1, 6);
    const int32_t axis = pick(0, rank - 1);
    const size_t elem = size_t{1} << pick(0, 2);
    std::vector<int32_t> dims(rank);
    for (auto& d : dims) d = pick(1, 3);
    const int32_t count = pick(1, 4);
    std::vector<int32_t> sizes(count);
    dims[axis] = 0;
    for (auto& s : sizes) {
      s = pick(0, 3);
      dims[axis] += s;
    }
    // Inputs: input i holds bytes 40·i + j (mod 256) at byte j.
    std::vector<std::vector<uint8_t>> in(count);
    std::vector<const void*> ptrs(count);
    for (int32_t i = 0; i < count; ++i) {
      std::vector<int32_t> in_dims = dims;
      in_dims[axis] = sizes[i];
      in[i].resize(element_count(in_dims) * elem);
      for (size_t j = 0; j < in[i].size(); ++j) in[i][j] = static_cast<uint8_t>(40 * i + j);
      ptrs[i] = in[i].data();
    }
    std::vector<uint8_t> y(element_count(dims) * elem, 0xAA);
    octet::kernels::concat_reference(rank, dims.data(), axis, count, sizes.data(), ptrs.data(),
                                     elem, y.data());
    // Output element e: find its input by the axis coordinate.
    for (int64_t e = 0; e < element_count(dims); ++e) {
      std::vector<int64_t> idx = unravel(e, dims);
      int32_t i = 0;
      while (idx[axis] >= sizes[i]) idx[axis] -= sizes[i++];
      std::vector<int32_t> in_dims = dims;
      in_dims[axis] = sizes[i];
      const int64_t src = ravel(idx, in_dims);
      INFO("iter " << iter << " element " << e);
      REQUIRE(std::memcmp(&y[e * elem], &in[i][src * elem], elem) == 0);
    }
    // Split is the inverse.
    std::vector<std::vector<uint8_t>> back(count);
    std::vector<void*> outs(count);
    for (int32_t i = 0; i < count; ++i) {
      back[i].assign(in[i].size(), 0x55);
      outs[i] = back[i].data();
    }
    octet::kernels::split_reference(rank, dims.data(), axis, count, sizes.data(), y.data(), elem,
                                    outs.data());
    for (int32_t i = 0; i < count; ++i) REQUIRE(back[i] == in[i]);
  }
}

TEST_CASE("split: ONNX example", "[data_movement]") {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  std::vector<float> a(2), b(4);
  void* y[] = {a.data(), b.data()};
  const int32_t dims[] = {6}, sizes[] = {2, 4};
  octet::kernels::split_reference(1, dims, 0, 2, sizes, x.data(), sizeof(float), y);
  CHECK(a == std::vector<float>{1, 2});
  CHECK(b == std::vector<float>{3, 4, 5, 6});
  // 2-D along axis 1: [[1,2,3,4,5,6],[7,8,9,10,11,12]] -> [[1,2],[7,8]], [[3..6],[9..12]].
  const std::vector<float> x2 = iota_of<float>(12, 1);
  std::vector<float> c(4), d(8);
  void* y2[] = {c.data(), d.data()};
  const int32_t dims2[] = {2, 6};
  octet::kernels::split_reference(2, dims2, 1, 2, sizes, x2.data(), sizeof(float), y2);
  CHECK(c == std::vector<float>{1, 2, 7, 8});
  CHECK(d == std::vector<float>{3, 4, 5, 6, 9, 10, 11, 12});
}

TEST_CASE("concat_qs8: per-input requantization", "[data_movement]") {
  // Input 0 shares the output's quantization (copied verbatim, even outside
  // [qmin, qmax]); input 1 has twice the output scale and zero point 10;
  // input 2 half the scale.
  const std::vector<int8_t> a = {-128, 5, 127};
  const std::vector<int8_t> b = {10, 11, -128, 127};
  const std::vector<int8_t> c = {3, -3, 5, -5};
  const int8_t* x[] = {a.data(), b.data(), c.data()};
  const int32_t zps[] = {0, 10, 0};
  const Multiplier ms[] = {{0, 1}, {1 << 30, 29}, {1 << 30, 31}};
  const int32_t dims[] = {11}, sizes[] = {3, 4, 4};
  std::vector<int8_t> y(11);
  octet::kernels::concat_qs8_reference(1, dims, 0, 3, sizes, x, zps, ms, -1, -100, 100, y.data());
  // b: 2·(b − 10) − 1 = -1, 1, -277 -> -100, 233 -> 100.
  // c: (c / 2 rounded half up) − 1: 1.5 -> 2, -1.5 -> -1, 2.5 -> 3, -2.5 -> -2; then −1.
  CHECK(y == std::vector<int8_t>{-128, 5, 127, -1, 1, -100, 100, 1, -2, 2, -3});
}

TEST_CASE("concat_qs8: random, against the doc formula", "[data_movement]") {
  std::mt19937 rng(7);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 100; ++iter) {
    const std::vector<int32_t> base = {pick(1, 3), pick(1, 4), pick(1, 3)};
    const int32_t axis = pick(0, 2);
    const int32_t count = pick(1, 3);
    std::vector<int32_t> dims = base, sizes(count);
    dims[axis] = 0;
    std::vector<std::vector<int8_t>> in(count);
    std::vector<const int8_t*> ptrs(count);
    std::vector<int32_t> zps(count);
    std::vector<Multiplier> ms(count);
    for (int32_t i = 0; i < count; ++i) {
      sizes[i] = pick(1, 3);
      dims[axis] += sizes[i];
      std::vector<int32_t> in_dims = base;
      in_dims[axis] = sizes[i];
      in[i].resize(element_count(in_dims));
      for (auto& v : in[i]) v = static_cast<int8_t>(pick(-128, 127));
      ptrs[i] = in[i].data();
      zps[i] = pick(-128, 127);
      ms[i] =
          pick(0, 2) == 0 ? Multiplier{0, 1} : Multiplier{pick(1 << 30, INT32_MAX), pick(29, 33)};
    }
    const int32_t zy = pick(-128, 127), qmin = pick(-128, -1), qmax = pick(0, 127);
    std::vector<int8_t> y(element_count(dims));
    octet::kernels::concat_qs8_reference(3, dims.data(), axis, count, sizes.data(), ptrs.data(),
                                         zps.data(), ms.data(), zy, qmin, qmax, y.data());
    for (int64_t e = 0; e < element_count(dims); ++e) {
      std::vector<int64_t> idx = unravel(e, dims);
      int32_t i = 0;
      while (idx[axis] >= sizes[i]) idx[axis] -= sizes[i++];
      std::vector<int32_t> in_dims = base;
      in_dims[axis] = sizes[i];
      const int8_t v = in[i][ravel(idx, in_dims)];
      const int32_t want =
          ms[i].multiplier == 0 ? v : doc_requant(v - zps[i], ms[i], zy, qmin, qmax);
      INFO("iter " << iter << " element " << e);
      REQUIRE(y[e] == want);
    }
  }
}

TEST_CASE("slice: negative steps", "[data_movement]") {
  SECTION("1-D backwards with step -3") {
    const std::vector<int32_t> x = iota_of<int32_t>(10);
    const int32_t in_dims[] = {10}, begin[] = {8}, step[] = {-3}, out_dims[] = {3};
    std::vector<int32_t> y(3);
    octet::kernels::slice_reference(1, in_dims, begin, step, out_dims, x.data(), sizeof(int32_t),
                                    y.data());
    CHECK(y == std::vector<int32_t>{8, 5, 2});
  }
  SECTION("ONNX slice_neg's x[:, 0:-1], on a 3x4 tensor") {
    const std::vector<int16_t> x = iota_of<int16_t>(12);
    const int32_t in_dims[] = {3, 4}, begin[] = {0, 0}, step[] = {1, 1}, out_dims[] = {3, 3};
    std::vector<int16_t> y(9);
    octet::kernels::slice_reference(2, in_dims, begin, step, out_dims, x.data(), sizeof(int16_t),
                                    y.data());
    CHECK(y == std::vector<int16_t>{0, 1, 2, 4, 5, 6, 8, 9, 10});
  }
  SECTION("ONNX slice_neg_steps: x[20:0:-1, 10:0:-3, 4:1:-2] of a (20, 10, 5) tensor") {
    // ONNX clamps start 20 -> 19 and 10 -> 9 for negative steps; the output is
    // 19 x 3 x 2 (rows 19..1, columns 9, 6, 3, depths 4, 2).
    const std::vector<int32_t> in_dims = {20, 10, 5};
    const std::vector<float> x = iota_of<float>(element_count(in_dims));
    const int32_t begin[] = {19, 9, 4}, step[] = {-1, -3, -2}, out_dims[] = {19, 3, 2};
    std::vector<float> y(19 * 3 * 2);
    octet::kernels::slice_reference(3, in_dims.data(), begin, step, out_dims, x.data(),
                                    sizeof(float), y.data());
    size_t o = 0;
    for (int i = 19; i > 0; --i)
      for (int j = 9; j > 0; j -= 3)
        for (int k = 4; k > 1; k -= 2) {
          INFO(i << "," << j << "," << k);
          REQUIRE(y[o++] == x[(i * 10 + j) * 5 + k]);
        }
  }
  SECTION("2-D reversal of both axes") {
    const std::vector<int8_t> x = {1, 2, 3, 4, 5, 6};
    const int32_t in_dims[] = {2, 3}, begin[] = {1, 2}, step[] = {-1, -1}, out_dims[] = {2, 3};
    std::vector<int8_t> y(6);
    octet::kernels::slice_reference(2, in_dims, begin, step, out_dims, x.data(), 1, y.data());
    CHECK(y == std::vector<int8_t>{6, 5, 4, 3, 2, 1});
  }
  SECTION("empty output") {
    const std::vector<int8_t> x = {1, 2};
    const int32_t in_dims[] = {2}, begin[] = {0}, step[] = {1}, out_dims[] = {0};
    int8_t sentinel = 99;
    octet::kernels::slice_reference(1, in_dims, begin, step, out_dims, x.data(), 1, &sentinel);
    CHECK(sentinel == 99);
  }
}

TEST_CASE("slice: random begins and steps against index math", "[data_movement]") {
  std::mt19937 rng(3);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 200; ++iter) {
    const int32_t rank = pick(1, 6);
    std::vector<int32_t> in_dims(rank), begin(rank), step(rank), out_dims(rank);
    for (int32_t d = 0; d < rank; ++d) {
      in_dims[d] = pick(1, 5);
      begin[d] = pick(0, in_dims[d] - 1);
      step[d] = pick(0, 1) ? pick(1, 3) : -pick(1, 3);
      // Largest count of in-range indices begin + k·step.
      const int32_t room = step[d] > 0 ? in_dims[d] - 1 - begin[d] : begin[d];
      out_dims[d] = pick(1, room / std::abs(step[d]) + 1);
    }
    const std::vector<int32_t> x = iota_of<int32_t>(element_count(in_dims));
    std::vector<int32_t> y(element_count(out_dims));
    octet::kernels::slice_reference(rank, in_dims.data(), begin.data(), step.data(),
                                    out_dims.data(), x.data(), sizeof(int32_t), y.data());
    for (int64_t e = 0; e < element_count(out_dims); ++e) {
      std::vector<int64_t> idx = unravel(e, out_dims);
      for (int32_t d = 0; d < rank; ++d) idx[d] = begin[d] + idx[d] * step[d];
      REQUIRE(y[e] == ravel(idx, in_dims));
    }
  }
}

TEST_CASE("transpose: every permutation of a rank-4 tensor", "[data_movement]") {
  const std::vector<int32_t> in_dims = {2, 3, 4, 5};
  const std::vector<int32_t> x = iota_of<int32_t>(120);
  std::vector<int32_t> perm = {0, 1, 2, 3};
  int permutations = 0;
  do {
    ++permutations;
    std::vector<int32_t> out_dims(4);
    for (int k = 0; k < 4; ++k) out_dims[k] = in_dims[perm[k]];
    std::vector<int32_t> y(120, -1);
    octet::kernels::transpose_reference(4, in_dims.data(), perm.data(), x.data(), sizeof(int32_t),
                                        y.data());
    for (int64_t e = 0; e < 120; ++e) {
      const std::vector<int64_t> o = unravel(e, out_dims);
      std::vector<int64_t> i(4);
      for (int k = 0; k < 4; ++k) i[perm[k]] = o[k];
      INFO("perm " << perm[0] << perm[1] << perm[2] << perm[3] << " element " << e);
      REQUIRE(y[e] == ravel(i, in_dims));
    }
  } while (std::next_permutation(perm.begin(), perm.end()));
  CHECK(permutations == 24);
}

TEST_CASE("transpose: ONNX default (reversed) perm, element sizes, rank 0 and 6",
          "[data_movement]") {
  SECTION("2x3 matrix, 2-byte elements") {
    const std::vector<int16_t> x = {1, 2, 3, 4, 5, 6};
    const int32_t dims[] = {2, 3}, perm[] = {1, 0};
    std::vector<int16_t> y(6);
    octet::kernels::transpose_reference(2, dims, perm, x.data(), sizeof(int16_t), y.data());
    CHECK(y == std::vector<int16_t>{1, 4, 2, 5, 3, 6});
  }
  SECTION("NHWC -> NCHW, 1-byte elements") {
    // 1x2x2x3: channel c of pixel p is 10c + p.
    std::vector<int8_t> x;
    for (int p = 0; p < 4; ++p)
      for (int c = 0; c < 3; ++c) x.push_back(static_cast<int8_t>(10 * c + p));
    const int32_t dims[] = {1, 2, 2, 3}, perm[] = {0, 3, 1, 2};
    std::vector<int8_t> y(12);
    octet::kernels::transpose_reference(4, dims, perm, x.data(), 1, y.data());
    CHECK(y == std::vector<int8_t>{0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  }
  SECTION("rank 0") {
    const float x = 3.5f;
    float y = 0.0f;
    octet::kernels::transpose_reference(0, nullptr, nullptr, &x, sizeof(float), &y);
    CHECK(y == 3.5f);
  }
  SECTION("rank 6, reversed") {
    const std::vector<int32_t> dims = {2, 1, 3, 2, 1, 2};
    const std::vector<int32_t> perm = {5, 4, 3, 2, 1, 0};
    const std::vector<int32_t> x = iota_of<int32_t>(24);
    std::vector<int32_t> out_dims(dims.rbegin(), dims.rend());
    std::vector<int32_t> y(24);
    octet::kernels::transpose_reference(6, dims.data(), perm.data(), x.data(), sizeof(int32_t),
                                        y.data());
    for (int64_t e = 0; e < 24; ++e) {
      const std::vector<int64_t> o = unravel(e, out_dims);
      const std::vector<int64_t> i(o.rbegin(), o.rend());
      REQUIRE(y[e] == ravel(i, dims));
    }
  }
}

TEST_CASE("pad: ONNX examples", "[data_movement]") {
  const std::vector<int32_t> dims = {3, 2};
  const std::vector<float> x = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
  const std::vector<int32_t> pads = {0, 2, 0, 0};
  SECTION("constant") {
    CHECK(pad_f32(dims, pads, PadMode::kConstant, x) ==
          std::vector<float>{0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f});
  }
  SECTION("reflect (pad reaches past the opposite edge)") {
    CHECK(pad_f32(dims, pads, PadMode::kReflect, x) == std::vector<float>{1.0f, 1.2f, 1.0f, 1.2f,
                                                                          2.3f, 3.4f, 2.3f, 3.4f,
                                                                          4.5f, 5.7f, 4.5f, 5.7f});
  }
  SECTION("edge") {
    CHECK(pad_f32(dims, pads, PadMode::kEdge, x) == std::vector<float>{1.0f, 1.0f, 1.0f, 1.2f, 2.3f,
                                                                       2.3f, 2.3f, 3.4f, 4.5f, 4.5f,
                                                                       4.5f, 5.7f});
  }
}

TEST_CASE("pad: 1-D modes, both sides", "[data_movement]") {
  const std::vector<int32_t> dims = {4};
  const std::vector<float> x = {1, 2, 3, 4};
  CHECK(pad_f32(dims, {2, 3}, PadMode::kConstant, x, -7.5f) ==
        std::vector<float>{-7.5f, -7.5f, 1, 2, 3, 4, -7.5f, -7.5f, -7.5f});
  CHECK(pad_f32(dims, {2, 3}, PadMode::kReflect, x) ==
        std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2, 1});
  CHECK(pad_f32(dims, {2, 3}, PadMode::kEdge, x) == std::vector<float>{1, 1, 1, 2, 3, 4, 4, 4, 4});
  // numpy.pad([1,2,3,4], 7, 'reflect') continues with period 6.
  CHECK(pad_f32(dims, {7, 7}, PadMode::kReflect, x) ==
        std::vector<float>{2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3, 2, 1, 2, 3, 4, 3});
  // A single element reflects onto itself.
  CHECK(pad_f32({1}, {2, 1}, PadMode::kReflect, {9}) == std::vector<float>{9, 9, 9, 9});
}

TEST_CASE("pad: 2-D reflect and edge, corners", "[data_movement]") {
  // 2x3 [[1 2 3] [4 5 6]], pads before (1, 2), after (1, 1).
  const std::vector<int32_t> dims = {2, 3};
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  const std::vector<int32_t> pads = {1, 2, 1, 1};
  CHECK(pad_f32(dims, pads, PadMode::kReflect, x) == std::vector<float>{6, 5, 4, 5, 6, 5,  //
                                                                        3, 2, 1, 2, 3, 2,  //
                                                                        6, 5, 4, 5, 6, 5,  //
                                                                        3, 2, 1, 2, 3, 2});
  CHECK(pad_f32(dims, pads, PadMode::kEdge, x) == std::vector<float>{1, 1, 1, 2, 3, 3,  //
                                                                     1, 1, 1, 2, 3, 3,  //
                                                                     4, 4, 4, 5, 6, 6,  //
                                                                     4, 4, 4, 5, 6, 6});
  CHECK(pad_f32(dims, pads, PadMode::kConstant, x, 0.5f) ==
        std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,  //
                           0.5f, 0.5f, 1,    2,    3,    0.5f,  //
                           0.5f, 0.5f, 4,    5,    6,    0.5f,  //
                           0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
}

TEST_CASE("pad: negative pads crop first", "[data_movement]") {
  const std::vector<int32_t> dims = {5};
  const std::vector<float> x = {1, 2, 3, 4, 5};
  CHECK(pad_f32(dims, {-1, -2}, PadMode::kConstant, x) == std::vector<float>{2, 3});
  CHECK(pad_f32(dims, {-1, 2}, PadMode::kConstant, x) == std::vector<float>{2, 3, 4, 5, 0, 0});
  // Crop [1 2 3 4 5] -> [1 2 3], then reflect 2 before: [3 2 1 2 3].
  CHECK(pad_f32(dims, {2, -2}, PadMode::kReflect, x) == std::vector<float>{3, 2, 1, 2, 3});
  // Crop -> [1 2], reflect 2 before: period 2 -> [1 2 1 2] (not 3 2 1 2).
  CHECK(pad_f32(dims, {2, -3}, PadMode::kReflect, x) == std::vector<float>{1, 2, 1, 2});
  CHECK(pad_f32(dims, {-3, 2}, PadMode::kEdge, x) == std::vector<float>{4, 5, 5, 5});
  // 2-D: crop a row, pad a column.
  CHECK(pad_f32({2, 2}, {-1, 1, 0, 0}, PadMode::kEdge, {1, 2, 3, 4}) ==
        std::vector<float>{3, 3, 4});
}

TEST_CASE("pad: int8 constant takes the quantized pad value", "[data_movement]") {
  const std::vector<int8_t> x = {-3, 4};
  const int32_t dims[] = {1, 2, 1, 1}, pads[] = {0, 1, 0, 0, 0, 0, 0, 0};
  const int8_t pad_value = -128;
  std::vector<int8_t> y(3);
  octet::kernels::pad_reference(4, dims, pads, PadMode::kConstant, &pad_value, x.data(), 1,
                                y.data());
  CHECK(y == std::vector<int8_t>{-128, -3, 4});
}

TEST_CASE("pad: random shapes against coordinate math", "[data_movement]") {
  std::mt19937 rng(11);
  auto pick = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int iter = 0; iter < 300; ++iter) {
    const int32_t rank = pick(0, 5);
    const PadMode mode = static_cast<PadMode>(pick(0, 2));
    std::vector<int32_t> dims(rank), pads(2 * rank), out_dims(rank);
    for (int32_t d = 0; d < rank; ++d) {
      dims[d] = pick(1, 4);
      pads[d] = pick(-1, 4);
      pads[rank + d] = pick(-1, 4);
      // Keep at least one element after cropping so REFLECT and EDGE have a source.
      if (dims[d] + std::min(0, pads[d]) + std::min(0, pads[rank + d]) < 1) {
        pads[d] = std::max(0, pads[d]);
        pads[rank + d] = std::max(0, pads[rank + d]);
      }
      out_dims[d] = dims[d] + pads[d] + pads[rank + d];
    }
    const std::vector<int16_t> x = iota_of<int16_t>(element_count(dims), 1);
    const int16_t value = -1;
    std::vector<int16_t> y(element_count(out_dims));
    octet::kernels::pad_reference(rank, dims.data(), pads.data(), mode, &value, x.data(),
                                  sizeof(int16_t), y.data());
    for (int64_t e = 0; e < element_count(out_dims); ++e) {
      std::vector<int64_t> idx = unravel(e, out_dims);
      bool outside = false;
      for (int32_t d = 0; d < rank; ++d) {
        // Crop, then resolve the coordinate inside the cropped range.
        const int64_t lo = std::max(0, -pads[d]);
        const int64_t n = dims[d] - lo - std::max(0, -pads[rank + d]);
        int64_t c = idx[d] - std::max(0, pads[d]);
        if (c < 0 || c >= n) {
          if (mode == PadMode::kConstant) {
            outside = true;
          } else if (mode == PadMode::kEdge) {
            c = std::clamp<int64_t>(c, 0, n - 1);
          } else {
            // Bounce between the edges one step at a time.
            while (c < 0 || c >= n) {
              if (n == 1)
                c = 0;
              else if (c < 0)
                c = -c;
              else
                c = 2 * (n - 1) - c;
            }
          }
        }
        idx[d] = lo + c;
      }
      INFO("iter " << iter << " element " << e);
      REQUIRE(y[e] == (outside ? value : x[ravel(idx, dims)]));
    }
  }
}
