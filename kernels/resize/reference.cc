// SPDX-License-Identifier: Apache-2.0
//
// Reference resize. resize_axis_table_init is prepare-time code (double
// arithmetic allowed); the kernels read its tables and, for int8, use only
// integers: 10-bit weights, a 20-bit-deeper requantization shift.
#include <cassert>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/resize/resize.h"

namespace octet::kernels {
namespace {

double source_coordinate(int32_t x, int32_t in_size, double s, double length,
                         CoordinateTransform transform) {
  switch (transform) {
    case CoordinateTransform::kHalfPixel:
      return (x + 0.5) / s - 0.5;
    case CoordinateTransform::kAlignCorners:
      return length == 1.0 ? 0.0 : x * static_cast<double>(in_size - 1) / (length - 1.0);
    case CoordinateTransform::kAsymmetric:
      return x / s;
    case CoordinateTransform::kPytorchHalfPixel:
      // The ONNX reference uses −0.5 here; after rounding and clamping both
      // land on index 0, so the spec's 0 is kept.
      return length == 1.0 ? 0.0 : (x + 0.5) / s - 0.5;
  }
  assert(false && "unknown CoordinateTransform");
  return 0.0;
}

double round_nearest(double c, NearestRounding rounding) {
  const double f = std::floor(c);
  const double frac = c - f;
  if (frac == 0.0) return f;
  switch (rounding) {
    case NearestRounding::kRoundPreferFloor:
      return frac <= 0.5 ? f : f + 1.0;
    case NearestRounding::kRoundPreferCeil:
      return frac < 0.5 ? f : f + 1.0;
    case NearestRounding::kFloor:
      return f;
    case NearestRounding::kCeil:
      return f + 1.0;
  }
  assert(false && "unknown NearestRounding");
  return f;
}

int32_t clamp_index(double i, int32_t in_size) {
  return i < 0.0 ? 0 : (i > in_size - 1 ? in_size - 1 : static_cast<int32_t>(i));
}

inline size_t offset(const ResizeShape& s, int32_t n, int32_t y, int32_t x) {
  return ((static_cast<size_t>(n) * s.in_h + y) * s.in_w + x) * s.channels;
}

}  // namespace

size_t resize_axis_table_bytes(int32_t out_size) {
  assert(out_size >= 0);
  return static_cast<size_t>(out_size) * (2 * sizeof(int32_t) + sizeof(float) + sizeof(int16_t));
}

ResizeAxisTable resize_axis_table_init(int32_t in_size, int32_t out_size, float scale,
                                       ResizeMode mode, CoordinateTransform transform,
                                       NearestRounding rounding, void* storage) {
  assert(in_size >= 1 && out_size >= 0);
  assert(std::isfinite(scale) && scale >= 0.0f);
  assert(reinterpret_cast<uintptr_t>(storage) % alignof(int32_t) == 0);
  // 4-byte arrays first so every array is naturally aligned.
  auto* bytes = static_cast<uint8_t*>(storage);
  const size_t n = static_cast<size_t>(out_size);
  ResizeAxisTable t;
  t.index0 = reinterpret_cast<int32_t*>(bytes);
  t.index1 = reinterpret_cast<int32_t*>(bytes + n * sizeof(int32_t));
  t.lambda_f32 = reinterpret_cast<float*>(bytes + 2 * n * sizeof(int32_t));
  t.lambda_q10 = reinterpret_cast<int16_t*>(bytes + 2 * n * sizeof(int32_t) + n * sizeof(float));

  const double s = scale > 0.0f ? static_cast<double>(scale)
                                : static_cast<double>(out_size) / static_cast<double>(in_size);
  const double length = scale > 0.0f ? s * in_size : static_cast<double>(out_size);
  for (int32_t i = 0; i < out_size; ++i) {
    const double c = source_coordinate(i, in_size, s, length, transform);
    if (mode == ResizeMode::kNearest) {
      t.index0[i] = t.index1[i] = clamp_index(round_nearest(c, rounding), in_size);
      t.lambda_f32[i] = 0.0f;
      t.lambda_q10[i] = 0;
    } else {
      assert(mode == ResizeMode::kBilinear);
      const double cc = c < 0.0 ? 0.0 : (c > in_size - 1 ? in_size - 1 : c);
      const double f = std::floor(cc);
      const double lambda = cc - f;
      t.index0[i] = static_cast<int32_t>(f);
      t.index1[i] = t.index0[i] + 1 < in_size ? t.index0[i] + 1 : in_size - 1;
      t.lambda_f32[i] = static_cast<float>(lambda);
      // λ ≥ 0, so floor(v + 0.5) is round-half-up = round-half-away.
      t.lambda_q10[i] = static_cast<int16_t>(std::floor(lambda * 1024.0 + 0.5));
    }
  }
  return t;
}

void resize_nearest_reference(const ResizeShape& s, const ResizeAxisTable& h,
                              const ResizeAxisTable& w, const void* x, size_t elem_size, void* y) {
  const auto* in = static_cast<const uint8_t*>(x);
  auto* out = static_cast<uint8_t*>(y);
  const size_t pixel = static_cast<size_t>(s.channels) * elem_size;
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      assert(h.index0[oy] >= 0 && h.index0[oy] < s.in_h);
      for (int32_t ox = 0; ox < s.out_w; ++ox) {
        assert(w.index0[ox] >= 0 && w.index0[ox] < s.in_w);
        std::memcpy(out, in + offset(s, n, h.index0[oy], w.index0[ox]) * elem_size, pixel);
        out += pixel;
      }
    }
  }
}

void resize_bilinear_f32_reference(const ResizeShape& s, const ResizeAxisTable& h,
                                   const ResizeAxisTable& w, const float* x,
                                   const FloatClamp& clamp, float* y) {
  float* out = y;
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      const float ly = h.lambda_f32[oy];
      const float* row0 = x + offset(s, n, h.index0[oy], 0);
      const float* row1 = x + offset(s, n, h.index1[oy], 0);
      for (int32_t ox = 0; ox < s.out_w; ++ox) {
        const float lx = w.lambda_f32[ox];
        const size_t c0 = static_cast<size_t>(w.index0[ox]) * s.channels;
        const size_t c1 = static_cast<size_t>(w.index1[ox]) * s.channels;
        for (int32_t c = 0; c < s.channels; ++c) {
          const float top = (1.0f - lx) * row0[c0 + c] + lx * row0[c1 + c];
          const float bottom = (1.0f - lx) * row1[c0 + c] + lx * row1[c1 + c];
          *out++ = clamp_f32((1.0f - ly) * top + ly * bottom, clamp);
        }
      }
    }
  }
}

void resize_bilinear_qs8_reference(const ResizeShape& s, const ResizeAxisTable& h,
                                   const ResizeAxisTable& w, const int8_t* x, int32_t x_zero_point,
                                   const Multiplier& m, int32_t y_zero_point, int32_t qmin,
                                   int32_t qmax, int8_t* y) {
  assert(-128 <= qmin && qmin <= qmax && qmax <= 127);
  // The weights carry 2 × 10 fractional bits that the shift must remove.
  assert(m.rshift + 20 <= 62);
  const int32_t rshift = m.rshift + 20;
  int8_t* out = y;
  for (int32_t n = 0; n < s.batch; ++n) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      const int32_t ly = h.lambda_q10[oy];
      const int8_t* row0 = x + offset(s, n, h.index0[oy], 0);
      const int8_t* row1 = x + offset(s, n, h.index1[oy], 0);
      for (int32_t ox = 0; ox < s.out_w; ++ox) {
        const int32_t lx = w.lambda_q10[ox];
        const size_t c0 = static_cast<size_t>(w.index0[ox]) * s.channels;
        const size_t c1 = static_cast<size_t>(w.index1[ox]) * s.channels;
        for (int32_t c = 0; c < s.channels; ++c) {
          // |acc| ≤ 2^20 · 255 < 2^28: exact in int32.
          const int32_t top =
              (1024 - lx) * (row0[c0 + c] - x_zero_point) + lx * (row0[c1 + c] - x_zero_point);
          const int32_t bottom =
              (1024 - lx) * (row1[c0 + c] - x_zero_point) + lx * (row1[c1 + c] - x_zero_point);
          const int32_t acc = (1024 - ly) * top + ly * bottom;
          *out++ = static_cast<int8_t>(
              requantize_output(acc, m.multiplier, rshift, y_zero_point, qmin, qmax));
        }
      }
    }
  }
}

}  // namespace octet::kernels
