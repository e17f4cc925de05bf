// SPDX-License-Identifier: Apache-2.0
//
// The cache-blocked batched 2-D transpose against transpose_reference, byte
// for byte: NCHW→NHWC (0,2,3,1) and back (0,3,1,2), other batched-2-D perms
// of rank 2..5, sizes around the 32-element tile, element sizes 1, 2, 3, 4,
// 8; and which perms transpose_as_2d accepts.
#include "kernels/data_movement/transpose_blocked.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "kernels/data_movement/data_movement.h"

using namespace octet::kernels;

namespace {

void check(int32_t rank, const std::vector<int32_t>& dims, const std::vector<int32_t>& perm,
           size_t elem_size) {
  size_t n = 1;
  for (int32_t d : dims) n *= static_cast<size_t>(d);
  INFO("rank " << rank << " elem_size " << elem_size << " n " << n << " perm[1] " << perm[1]);
  Transpose2DShape s;
  REQUIRE(transpose_as_2d(rank, dims.data(), perm.data(), &s));
  REQUIRE(s.batch * s.rows * s.cols == n);
  std::mt19937 rng(static_cast<uint32_t>(n * 13 + elem_size));
  std::vector<uint8_t> x(n * elem_size);
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  std::vector<uint8_t> ref(n * elem_size + 64, 0xa5), out(n * elem_size + 64, 0xa5);
  transpose_reference(rank, dims.data(), perm.data(), x.data(), elem_size, ref.data());
  transpose_2d_blocked(s, x.data(), elem_size, out.data());
  REQUIRE(out == ref);
}

}  // namespace

TEST_CASE("transpose_2d_blocked: NCHW<->NHWC match the reference", "[data_movement][transpose]") {
  const std::vector<std::vector<int32_t>> shapes = {{1, 3, 224, 224}, {2, 3, 5, 7},  {1, 33, 31, 1},
                                                    {3, 1, 32, 32},   {1, 64, 7, 9}, {1, 2, 1, 65},
                                                    {2, 4, 9, 11}};
  for (size_t e : {1, 2, 3, 4, 8}) {
    for (const auto& d : shapes) {
      if (d[1] * d[2] * d[3] > 1) {
        const bool ok_fwd = d[1] > 1 && d[2] * d[3] > 1;
        if (ok_fwd) check(4, d, {0, 2, 3, 1}, e);
        const bool ok_inv = d[3] > 1 && d[1] * d[2] > 1;
        if (ok_inv) check(4, d, {0, 3, 1, 2}, e);
      }
    }
  }
}

TEST_CASE("transpose_2d_blocked: other batched 2-D perms", "[data_movement][transpose]") {
  check(2, {37, 45}, {1, 0}, 4);
  check(3, {2, 37, 45}, {0, 2, 1}, 2);
  check(5, {2, 3, 4, 5, 6}, {0, 1, 4, 2, 3}, 4);
  check(5, {2, 3, 4, 5, 6}, {3, 4, 0, 1, 2}, 1);
}

TEST_CASE("transpose_as_2d: which perms qualify", "[data_movement][transpose]") {
  Transpose2DShape s;
  const int32_t d4[] = {2, 3, 4, 5};
  const int32_t nhwc[] = {0, 2, 3, 1}, nchw[] = {0, 3, 1, 2}, swap[] = {0, 1, 3, 2},
                ident[] = {0, 1, 2, 3}, mixed[] = {0, 2, 1, 3}, rev[] = {3, 2, 1, 0},
                outer[] = {1, 2, 3, 0};
  REQUIRE(transpose_as_2d(4, d4, nhwc, &s));
  REQUIRE((s.batch == 2 && s.rows == 3 && s.cols == 20));
  REQUIRE(transpose_as_2d(4, d4, nchw, &s));
  REQUIRE((s.batch == 2 && s.rows == 12 && s.cols == 5));
  REQUIRE(transpose_as_2d(4, d4, swap, &s));
  REQUIRE((s.batch == 6 && s.rows == 4 && s.cols == 5));
  REQUIRE(transpose_as_2d(4, d4, outer, &s));
  REQUIRE((s.batch == 1 && s.rows == 2 && s.cols == 60));
  REQUIRE_FALSE(transpose_as_2d(4, d4, ident, &s));
  REQUIRE_FALSE(transpose_as_2d(4, d4, mixed, &s));
  REQUIRE_FALSE(transpose_as_2d(4, d4, rev, &s));
  const int32_t d_one[] = {1, 1, 4, 5};  // rows == 1: nothing to transpose
  REQUIRE_FALSE(transpose_as_2d(4, d_one, nhwc, &s));
}
