// SPDX-License-Identifier: Apache-2.0
//
// Reference mean: the input dims split into kept and reduced ones; the kept
// ones walk the output in order, the reduced ones walk each output's inputs.
#include <cassert>
#include <cstddef>
#include <cstdint>

#include "kernels/mean/mean.h"

namespace octet::kernels {
namespace {

/// A sub-space of the input: some of its dims with their element strides.
struct Axes {
  int32_t count = 0;
  int32_t dims[kMaxRank] = {};
  size_t strides[kMaxRank] = {};
};

/// Calls f(offset) for every multi-index of `a`, last dim fastest, offsets
/// relative to `base`.
template <typename F>
void walk(const Axes& a, size_t base, F&& f) {
  for (int32_t d = 0; d < a.count; ++d) {
    if (a.dims[d] == 0) return;
  }
  int32_t idx[kMaxRank] = {};
  size_t offset = base;
  for (;;) {
    f(offset);
    int32_t d = a.count - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < a.dims[d]) {
        offset += a.strides[d];
        break;
      }
      offset -= a.strides[d] * static_cast<size_t>(a.dims[d] - 1);
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/// Splits the input dims into kept and reduced; returns the reduced count n.
int64_t split_axes(const MeanShape& s, Axes* kept, Axes* reduced) {
  assert(s.rank >= 0 && s.rank <= kMaxRank);
  assert(s.num_axes >= 0 && s.num_axes <= s.rank);
  bool is_reduced[kMaxRank] = {};
  for (int32_t i = 0; i < s.num_axes; ++i) {
    const int32_t a = s.axes[i] < 0 ? s.axes[i] + s.rank : s.axes[i];
    assert(a >= 0 && a < s.rank);
    assert(!is_reduced[a]);
    is_reduced[a] = true;
  }
  size_t strides[kMaxRank];
  size_t stride = 1;
  for (int32_t d = s.rank - 1; d >= 0; --d) {
    assert(s.dims[d] >= 0);
    strides[d] = stride;
    stride *= static_cast<size_t>(s.dims[d]);
  }
  int64_t n = 1;
  for (int32_t d = 0; d < s.rank; ++d) {
    Axes* a = is_reduced[d] ? reduced : kept;
    a->dims[a->count] = s.dims[d];
    a->strides[a->count] = strides[d];
    ++a->count;
    if (is_reduced[d]) n *= s.dims[d];
  }
  return n;
}

}  // namespace

void mean_f32_reference(const MeanShape& shape, const float* x, const FloatClamp& clamp, float* y) {
  Axes kept, reduced;
  const int64_t n = split_axes(shape, &kept, &reduced);
  float* out = y;
  walk(kept, 0, [&](size_t base) {
    // Double: the reference stays close to the exact mean even for long
    // reductions (global pooling over 56×56); fp32 variants use a tolerance.
    double sum = 0.0;
    walk(reduced, base, [&](size_t i) { sum += x[i]; });
    // n = 0 only when a reduced dim is empty: ONNX gives NaN there, as does this.
    *out++ = clamp_f32(static_cast<float>(sum / static_cast<double>(n)), clamp);
  });
}

void mean_qs8_reference(const MeanShape& shape, const int8_t* x, int32_t x_zero_point,
                        const Multiplier& m, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                        int8_t* y) {
  assert(-128 <= qmin && qmin <= qmax && qmax <= 127);
  Axes kept, reduced;
  const int64_t n = split_axes(shape, &kept, &reduced);
  // |x − zx| ≤ 255: an int32 sum of fewer than 2^23 terms cannot wrap.
  assert(n < (int64_t{1} << 23));
  // An empty reduction has no mean; real 0 (the zero point) is the quiet answer.
  const Multiplier mn =
      n > 0 ? divide_multiplier(m.multiplier, m.rshift, static_cast<int32_t>(n)) : Multiplier{0, 1};
  int8_t* out = y;
  walk(kept, 0, [&](size_t base) {
    int32_t acc = 0;
    walk(reduced, base, [&](size_t i) { acc += x[i] - x_zero_point; });
    *out++ = static_cast<int8_t>(
        requantize_output(acc, mn.multiplier, mn.rshift, y_zero_point, qmin, qmax));
  });
}

}  // namespace octet::kernels
