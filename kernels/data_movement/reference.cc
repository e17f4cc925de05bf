// SPDX-License-Identifier: Apache-2.0
//
// Reference data movement. Concat and split copy contiguous runs (outer ×
// axis-slab); slice, transpose and pad walk the output one element at a time
// and compute each source offset from the multi-index, which is slow but
// leaves nothing to get wrong.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/data_movement/data_movement.h"

namespace octet::kernels {
namespace {

void check_dims(int32_t rank, const int32_t* dims) {
  assert(rank >= 0 && rank <= kMaxRank);
  for (int32_t d = 0; d < rank; ++d) assert(dims[d] >= 0);
  (void)rank;
  (void)dims;
}

/// Element strides of a dense row-major tensor.
void dense_strides(int32_t rank, const int32_t* dims, int64_t* strides) {
  int64_t s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= dims[d];
  }
}

int64_t product(const int32_t* dims, int32_t begin, int32_t end) {
  int64_t p = 1;
  for (int32_t d = begin; d < end; ++d) p *= dims[d];
  return p;
}

/// Calls f(idx) for every multi-index of `dims` in row-major order, idx
/// holding `rank` coordinates. Rank 0 visits the single scalar element.
template <typename F>
void for_each_index(int32_t rank, const int32_t* dims, F&& f) {
  for (int32_t d = 0; d < rank; ++d) {
    if (dims[d] == 0) return;
  }
  int32_t idx[kMaxRank] = {};
  for (;;) {
    f(static_cast<const int32_t*>(idx));
    int32_t d = rank - 1;
    while (d >= 0 && ++idx[d] == dims[d]) idx[d--] = 0;
    if (d < 0) return;
  }
}

/// Outer count and bytes per unit of the axis for concat/split.
void axis_geometry(int32_t rank, const int32_t* dims, int32_t axis, int32_t count,
                   const int32_t* axis_sizes, size_t elem_size, int64_t* outer,
                   size_t* inner_bytes) {
  check_dims(rank, dims);
  assert(axis >= 0 && axis < rank);
  int64_t total = 0;
  for (int32_t i = 0; i < count; ++i) {
    assert(axis_sizes[i] >= 0);
    total += axis_sizes[i];
  }
  assert(total == dims[axis]);
  (void)total;
  *outer = product(dims, 0, axis);
  *inner_bytes = static_cast<size_t>(product(dims, axis + 1, rank)) * elem_size;
}

/// Index into [0, n) for a coordinate c outside it (n ≥ 1).
int64_t reflect(int64_t c, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  int64_t r = c % period;
  if (r < 0) r += period;
  return r < n ? r : period - r;
}

int64_t edge(int64_t c, int64_t n) { return c < 0 ? 0 : (c >= n ? n - 1 : c); }

}  // namespace

void concat_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_inputs,
                      const int32_t* axis_sizes, const void* const* x, size_t elem_size, void* y) {
  int64_t outer;
  size_t inner;
  axis_geometry(rank, dims, axis, num_inputs, axis_sizes, elem_size, &outer, &inner);
  auto* out = static_cast<uint8_t*>(y);
  for (int64_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < num_inputs; ++i) {
      const size_t run = static_cast<size_t>(axis_sizes[i]) * inner;
      if (run == 0) continue;  // a zero-sized input may come with a null pointer
      std::memcpy(out, static_cast<const uint8_t*>(x[i]) + static_cast<size_t>(o) * run, run);
      out += run;
    }
  }
}

void concat_qs8_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_inputs,
                          const int32_t* axis_sizes, const int8_t* const* x,
                          const int32_t* x_zero_points, const Multiplier* multipliers,
                          int32_t y_zero_point, int32_t qmin, int32_t qmax, int8_t* y) {
  assert(-128 <= qmin && qmin <= qmax && qmax <= 127);
  int64_t outer;
  size_t inner;
  axis_geometry(rank, dims, axis, num_inputs, axis_sizes, 1, &outer, &inner);
  int8_t* out = y;
  for (int64_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < num_inputs; ++i) {
      const size_t run = static_cast<size_t>(axis_sizes[i]) * inner;
      if (run == 0) continue;
      const int8_t* in = x[i] + static_cast<size_t>(o) * run;
      const Multiplier& m = multipliers[i];
      if (m.multiplier == 0) {
        std::memcpy(out, in, run);
      } else {
        for (size_t k = 0; k < run; ++k) {
          out[k] = static_cast<int8_t>(requantize_output(in[k] - x_zero_points[i], m.multiplier,
                                                         m.rshift, y_zero_point, qmin, qmax));
        }
      }
      out += run;
    }
  }
}

void split_reference(int32_t rank, const int32_t* dims, int32_t axis, int32_t num_outputs,
                     const int32_t* axis_sizes, const void* x, size_t elem_size, void* const* y) {
  int64_t outer;
  size_t inner;
  axis_geometry(rank, dims, axis, num_outputs, axis_sizes, elem_size, &outer, &inner);
  const auto* in = static_cast<const uint8_t*>(x);
  for (int64_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < num_outputs; ++i) {
      const size_t run = static_cast<size_t>(axis_sizes[i]) * inner;
      if (run == 0) continue;
      std::memcpy(static_cast<uint8_t*>(y[i]) + static_cast<size_t>(o) * run, in, run);
      in += run;
    }
  }
}

void slice_reference(int32_t rank, const int32_t* in_dims, const int32_t* begin,
                     const int32_t* step, const int32_t* out_dims, const void* x, size_t elem_size,
                     void* y) {
  check_dims(rank, in_dims);
  check_dims(rank, out_dims);
  for (int32_t d = 0; d < rank; ++d) {
    assert(step[d] != 0);
    if (out_dims[d] == 0) continue;
    // First and last index read along d must both lie inside the input.
    const int64_t last = begin[d] + static_cast<int64_t>(out_dims[d] - 1) * step[d];
    assert(begin[d] >= 0 && begin[d] < in_dims[d]);
    assert(last >= 0 && last < in_dims[d]);
    (void)last;
  }
  int64_t in_strides[kMaxRank];
  dense_strides(rank, in_dims, in_strides);
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  for_each_index(rank, out_dims, [&](const int32_t* o) {
    int64_t src = 0;
    for (int32_t d = 0; d < rank; ++d) {
      src += (begin[d] + static_cast<int64_t>(o[d]) * step[d]) * in_strides[d];
    }
    std::memcpy(out, in + static_cast<size_t>(src) * elem_size, elem_size);
    out += elem_size;
  });
}

void transpose_reference(int32_t rank, const int32_t* in_dims, const int32_t* perm, const void* x,
                         size_t elem_size, void* y) {
  check_dims(rank, in_dims);
  int32_t out_dims[kMaxRank];
  bool seen[kMaxRank] = {};
  for (int32_t i = 0; i < rank; ++i) {
    assert(perm[i] >= 0 && perm[i] < rank && !seen[perm[i]]);
    seen[perm[i]] = true;
    out_dims[i] = in_dims[perm[i]];
  }
  (void)seen;
  int64_t in_strides[kMaxRank];
  dense_strides(rank, in_dims, in_strides);
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  for_each_index(rank, out_dims, [&](const int32_t* o) {
    int64_t src = 0;
    for (int32_t k = 0; k < rank; ++k) src += o[k] * in_strides[perm[k]];
    std::memcpy(out, in + static_cast<size_t>(src) * elem_size, elem_size);
    out += elem_size;
  });
}

void pad_reference(int32_t rank, const int32_t* in_dims, const int32_t* pads, PadMode mode,
                   const void* pad_value, const void* x, size_t elem_size, void* y) {
  check_dims(rank, in_dims);
  assert(mode == PadMode::kConstant || mode == PadMode::kReflect || mode == PadMode::kEdge);
  // Per dim: the cropped input is [crop_begin, crop_begin + kept) of the
  // input, and output coordinate o reads cropped coordinate o − pad_begin.
  int32_t out_dims[kMaxRank];
  int64_t crop_begin[kMaxRank], kept[kMaxRank], pad_begin[kMaxRank];
  for (int32_t d = 0; d < rank; ++d) {
    const int64_t before = pads[d];
    const int64_t after = pads[rank + d];
    crop_begin[d] = before < 0 ? -before : 0;
    pad_begin[d] = before > 0 ? before : 0;
    kept[d] = in_dims[d] - crop_begin[d] - (after < 0 ? -after : 0);
    assert(kept[d] >= 0);  // cannot crop more than the dim holds
    out_dims[d] = static_cast<int32_t>(in_dims[d] + before + after);
    // Padding a dim with nothing to mirror or repeat is meaningless.
    assert(mode == PadMode::kConstant || kept[d] > 0 || out_dims[d] == 0);
  }
  int64_t in_strides[kMaxRank];
  dense_strides(rank, in_dims, in_strides);
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  for_each_index(rank, out_dims, [&](const int32_t* o) {
    int64_t src = 0;
    bool outside = false;
    for (int32_t d = 0; d < rank; ++d) {
      int64_t c = o[d] - pad_begin[d];
      if (c < 0 || c >= kept[d]) {
        if (mode == PadMode::kConstant) {
          outside = true;
          break;
        }
        c = mode == PadMode::kReflect ? reflect(c, kept[d]) : edge(c, kept[d]);
      }
      src += (crop_begin[d] + c) * in_strides[d];
    }
    const uint8_t* from = outside ? static_cast<const uint8_t*>(pad_value)
                                  : in + static_cast<size_t>(src) * elem_size;
    std::memcpy(out, from, elem_size);
    out += elem_size;
  });
}

}  // namespace octet::kernels
