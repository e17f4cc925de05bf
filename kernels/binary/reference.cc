// SPDX-License-Identifier: Apache-2.0
//
// Reference binary operators: one odometer walk over the output, the input
// offsets advanced by their (possibly zero) strides. The int8 kernels are the
// definition that every optimized variant reproduces bit for bit.
#include <cassert>
#include <cstdint>

#include "kernels/binary/binary.h"

namespace octet::kernels {
namespace {

// Calls op(a_offset, b_offset, y_index) for every output element in row-major
// order. Offsets are 64-bit so that large tensors cannot wrap them.
template <typename Op>
void for_each_broadcast(const BroadcastShape& s, Op op) {
  assert(s.rank >= 0 && s.rank <= kMaxRank);
  const int64_t count = broadcast_output_size(s);
  int32_t index[kMaxRank] = {};
  int64_t a_offset = 0;
  int64_t b_offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    op(a_offset, b_offset, i);
    for (int32_t d = s.rank - 1; d >= 0; --d) {
      a_offset += s.a_strides[d];
      b_offset += s.b_strides[d];
      if (++index[d] < s.out_dims[d]) break;
      // Carry: rewind this dimension and advance the next outer one.
      a_offset -= static_cast<int64_t>(s.a_strides[d]) * s.out_dims[d];
      b_offset -= static_cast<int64_t>(s.b_strides[d]) * s.out_dims[d];
      index[d] = 0;
    }
  }
}

template <typename F>
void binary_f32(const BroadcastShape& s, const float* a, const float* b, const FloatClamp& act,
                float* y, F f) {
  for_each_broadcast(
      s, [&](int64_t ia, int64_t ib, int64_t iy) { y[iy] = clamp_f32(f(a[ia], b[ib]), act); });
}

// sign = +1 for ADD, -1 for SUB.
void add_sub_qs8(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                 const BinaryQs8Params& p, int32_t sign, int8_t* y) {
  assert(p.qmin <= p.qmax);
  // The input multipliers must be below 1 (the converter makes them <= 1/2)
  // so that the sum of the two rescaled terms cannot leave int32.
  assert(p.a_multiplier.multiplier == 0 || p.a_multiplier.rshift >= 31);
  assert(p.b_multiplier.multiplier == 0 || p.b_multiplier.rshift >= 31);
  for_each_broadcast(s, [&](int64_t ia, int64_t ib, int64_t iy) {
    // |x - z| <= 255, so the shifted difference is below 2^28 in 32 bits.
    const int32_t da = (static_cast<int32_t>(a[ia]) - p.a_zero_point) * (1 << kAddSubLeftShift);
    const int32_t db = (static_cast<int32_t>(b[ib]) - p.b_zero_point) * (1 << kAddSubLeftShift);
    // With multipliers below 1 each rescaled term is at most 2^28 in
    // magnitude, so the sum or difference fits int32.
    const int64_t ra = requantize(da, p.a_multiplier.multiplier, p.a_multiplier.rshift);
    const int64_t rb = requantize(db, p.b_multiplier.multiplier, p.b_multiplier.rshift);
    const int32_t acc = static_cast<int32_t>(ra + sign * rb);
    y[iy] = static_cast<int8_t>(requantize_output(
        acc, p.y_multiplier.multiplier, p.y_multiplier.rshift, p.y_zero_point, p.qmin, p.qmax));
  });
}

}  // namespace

bool make_broadcast_shape(int32_t a_rank, const int32_t* a_dims, int32_t b_rank,
                          const int32_t* b_dims, BroadcastShape* out) {
  if (a_rank < 0 || a_rank > kMaxRank || b_rank < 0 || b_rank > kMaxRank) return false;
  const int32_t rank = a_rank > b_rank ? a_rank : b_rank;
  BroadcastShape s{};
  s.rank = rank;
  // Walk from the innermost dimension outwards, accumulating each input's
  // dense row-major stride as we go (in 64 bits: a stride that does not fit
  // the int32 fields is rejected rather than wrapped).
  int64_t a_stride = 1;
  int64_t b_stride = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    const int32_t ad_index = d - (rank - a_rank);
    const int32_t bd_index = d - (rank - b_rank);
    const int32_t ad = ad_index >= 0 ? a_dims[ad_index] : 1;
    const int32_t bd = bd_index >= 0 ? b_dims[bd_index] : 1;
    if (ad < 0 || bd < 0) return false;
    if (ad != bd && ad != 1 && bd != 1) return false;
    if (a_stride > INT32_MAX || b_stride > INT32_MAX) return false;
    s.out_dims[d] = ad == 1 ? bd : ad;
    s.a_strides[d] = ad == 1 ? 0 : static_cast<int32_t>(a_stride);
    s.b_strides[d] = bd == 1 ? 0 : static_cast<int32_t>(b_stride);
    a_stride *= ad;
    b_stride *= bd;
  }
  for (int32_t d = rank; d < kMaxRank; ++d) {
    s.out_dims[d] = 1;
    s.a_strides[d] = 0;
    s.b_strides[d] = 0;
  }
  *out = s;
  return true;
}

int64_t broadcast_output_size(const BroadcastShape& shape) {
  int64_t n = 1;
  for (int32_t d = 0; d < shape.rank; ++d) n *= shape.out_dims[d];
  return n;
}

void add_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y) {
  binary_f32(shape, a, b, act, y, [](float u, float v) { return u + v; });
}

void sub_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y) {
  binary_f32(shape, a, b, act, y, [](float u, float v) { return u - v; });
}

void mul_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y) {
  binary_f32(shape, a, b, act, y, [](float u, float v) { return u * v; });
}

void div_f32_reference(const BroadcastShape& shape, const float* a, const float* b,
                       const FloatClamp& act, float* y) {
  binary_f32(shape, a, b, act, y, [](float u, float v) { return u / v; });
}

void add_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y) {
  add_sub_qs8(shape, a, b, p, 1, y);
}

void sub_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y) {
  add_sub_qs8(shape, a, b, p, -1, y);
}

void mul_qs8_reference(const BroadcastShape& shape, const int8_t* a, const int8_t* b,
                       const BinaryQs8Params& p, int8_t* y) {
  assert(p.qmin <= p.qmax);
  for_each_broadcast(shape, [&](int64_t ia, int64_t ib, int64_t iy) {
    // |product| <= 255 · 255 < 2^16.
    const int32_t acc = (static_cast<int32_t>(a[ia]) - p.a_zero_point) *
                        (static_cast<int32_t>(b[ib]) - p.b_zero_point);
    y[iy] = static_cast<int8_t>(requantize_output(
        acc, p.y_multiplier.multiplier, p.y_multiplier.rshift, p.y_zero_point, p.qmin, p.qmax));
  });
}

}  // namespace octet::kernels
