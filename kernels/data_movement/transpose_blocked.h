// SPDX-License-Identifier: Apache-2.0
//
// Cache-blocked TRANSPOSE for the permutations that are a batch of 2-D
// transposes: perm = (0..p−1, m..r−1, p..m−1), which covers the layout
// changes NCHW→NHWC (0,2,3,1) and NHWC→NCHW (0,3,1,2) at a model's input and
// output. Exact by nature (elements are copied); tested against
// transpose_reference in tests/kernels/transpose_blocked_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>

namespace octet::kernels {

/// A TRANSPOSE as `batch` independent [rows × cols] → [cols × rows] matrix
/// transposes of contiguous elements.
struct Transpose2DShape {
  size_t batch;
  size_t rows;
  size_t cols;
};

/// True, filling *shape, when `perm` over `in_dims` is such a batched 2-D
/// transpose with rows > 1 and cols > 1 (otherwise the reference serves).
bool transpose_as_2d(int32_t rank, const int32_t* in_dims, const int32_t* perm,
                     Transpose2DShape* shape);

/// y[b][c][r] = x[b][r][c] for elements of `elem_size` bytes, in tiles that
/// stay in L1 on both sides. Any elem_size; 1, 2, 4 and 8 get typed copies.
void transpose_2d_blocked(const Transpose2DShape& shape, const void* x, size_t elem_size, void* y);

}  // namespace octet::kernels
