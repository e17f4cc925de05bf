// SPDX-License-Identifier: Apache-2.0
//
// Portable cache-blocked batched 2-D transpose (transpose_blocked.h). The
// reference walks the output and recomputes a rank-r source offset per
// element; here a 32×32 tile (4 KiB of fp32 each way) is copied with typed
// loads and stores, which the compiler unrolls; reads along input rows,
// writes along output rows within the tile, so both sides stay in L1.
#include <cassert>
#include <cstring>

#include "kernels/data_movement/transpose_blocked.h"

namespace octet::kernels {
namespace {

constexpr size_t kTile = 32;

// Few rows (an image's 3 or 4 channels going NCHW -> NHWC): no tiling, the
// R input rows are streamed side by side and each output row is written
// whole; a compile-time R lets the compiler keep the R pointers in registers.
template <size_t R, typename T>
void transpose_few_rows(const Transpose2DShape& s, const T* x, T* y) {
  const size_t cols = s.cols;
  for (size_t b = 0; b < s.batch; ++b) {
    const T* xb = x + b * R * cols;
    T* yb = y + b * R * cols;
    for (size_t c = 0; c < cols; ++c) {
      for (size_t r = 0; r < R; ++r) yb[c * R + r] = xb[r * cols + c];
    }
  }
}

template <typename T>
void transpose_typed(const Transpose2DShape& s, const T* x, T* y) {
  const size_t rows = s.rows, cols = s.cols;
  if (rows == 2) return transpose_few_rows<2>(s, x, y);
  if (rows == 3) return transpose_few_rows<3>(s, x, y);
  if (rows == 4) return transpose_few_rows<4>(s, x, y);
  for (size_t b = 0; b < s.batch; ++b) {
    const T* xb = x + b * rows * cols;
    T* yb = y + b * rows * cols;
    for (size_t r0 = 0; r0 < rows; r0 += kTile) {
      const size_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
      for (size_t c0 = 0; c0 < cols; c0 += kTile) {
        const size_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
        for (size_t c = c0; c < c1; ++c) {
          T* out = yb + c * rows;
          for (size_t r = r0; r < r1; ++r) out[r] = xb[r * cols + c];
        }
      }
    }
  }
}

void transpose_bytes(const Transpose2DShape& s, const uint8_t* x, size_t e, uint8_t* y) {
  const size_t rows = s.rows, cols = s.cols;
  for (size_t b = 0; b < s.batch; ++b) {
    const uint8_t* xb = x + b * rows * cols * e;
    uint8_t* yb = y + b * rows * cols * e;
    for (size_t r0 = 0; r0 < rows; r0 += kTile) {
      const size_t r1 = r0 + kTile < rows ? r0 + kTile : rows;
      for (size_t c0 = 0; c0 < cols; c0 += kTile) {
        const size_t c1 = c0 + kTile < cols ? c0 + kTile : cols;
        for (size_t c = c0; c < c1; ++c) {
          for (size_t r = r0; r < r1; ++r)
            memcpy(yb + (c * rows + r) * e, xb + (r * cols + c) * e, e);
        }
      }
    }
  }
}

}  // namespace

bool transpose_as_2d(int32_t rank, const int32_t* in_dims, const int32_t* perm,
                     Transpose2DShape* shape) {
  int32_t p = 0;
  while (p < rank && perm[p] == p) ++p;
  if (p == rank) return false;  // identity
  // perm[p..] must be m, m+1, ..., r-1, p, p+1, ..., m-1.
  const int32_t m = perm[p];
  if (m <= p) return false;
  int32_t i = p;
  for (int32_t a = m; a < rank; ++a, ++i) {
    if (perm[i] != a) return false;
  }
  for (int32_t a = p; a < m; ++a, ++i) {
    if (perm[i] != a) return false;
  }
  size_t batch = 1, rows = 1, cols = 1;
  for (int32_t d = 0; d < p; ++d) batch *= static_cast<size_t>(in_dims[d]);
  for (int32_t d = p; d < m; ++d) rows *= static_cast<size_t>(in_dims[d]);
  for (int32_t d = m; d < rank; ++d) cols *= static_cast<size_t>(in_dims[d]);
  if (rows <= 1 || cols <= 1) return false;
  *shape = Transpose2DShape{batch, rows, cols};
  return true;
}

void transpose_2d_blocked(const Transpose2DShape& shape, const void* x, size_t elem_size, void* y) {
  assert(elem_size > 0);
  switch (elem_size) {
    case 1:
      transpose_typed(shape, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y));
      break;
    case 2:
      transpose_typed(shape, static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y));
      break;
    case 4:
      transpose_typed(shape, static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y));
      break;
    case 8:
      transpose_typed(shape, static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y));
      break;
    default:
      transpose_bytes(shape, static_cast<const uint8_t*>(x), elem_size, static_cast<uint8_t*>(y));
      break;
  }
}

}  // namespace octet::kernels
