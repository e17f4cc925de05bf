// SPDX-License-Identifier: Apache-2.0
//
// int8 ADD/SUB/MUL, AVX-512 (F+BW+VL; in the avx512vnni library, no VNNI
// instruction used): 32 elements per step as two zmm of int32 lanes. The
// requantization is the reference's exact 64-bit rule: vpmuldq forms the
// products of even lanes and (after a 32-bit shift) odd lanes, vpsraq shifts
// them; the low 32 bits are kept, which callers ensure hold the whole result
// (else the kernel delegates to the reference). vpmovsdb saturates to int8,
// then the qmin/qmax clamp, as the reference's clamp since [qmin, qmax] lies
// within int8. Inputs are runs of contiguous or stride-0 elements
// (make_broadcast_runs); tails use masked loads and stores, so nothing is
// read past an input or written past the output.
#include <immintrin.h>

#include "kernels/binary/binary.h"
#include "kernels/common/requantize.h"

namespace octet::kernels {
namespace {

struct Rq {
  __m512i mult;
  __m512i round;  // 2^(t-1) in every 64-bit lane
  __m128i shift;  // t
};

Rq make_rq(const Multiplier& m) {
  Rq r;
  r.mult = _mm512_set1_epi32(m.multiplier);
  r.round = _mm512_set1_epi64(int64_t{1} << (m.rshift - 1));
  r.shift = _mm_cvtsi32_si128(m.rshift);
  return r;
}

// floor((x · M + 2^(t-1)) / 2^t) per int32 lane, low 32 bits.
inline __m512i requantize16(__m512i x, const Rq& r) {
  __m512i even = _mm512_mul_epi32(x, r.mult);
  __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(x, 32), r.mult);
  even = _mm512_sra_epi64(_mm512_add_epi64(even, r.round), r.shift);
  odd = _mm512_sra_epi64(_mm512_add_epi64(odd, r.round), r.shift);
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

struct AddSubOp {
  __m512i za, zb, zy;
  Rq ra, rb, ry;
  __m128i qmin, qmax;
  bool sub;

  inline __m128i operator()(__m128i a8, __m128i b8) const {
    const __m512i a = _mm512_cvtepi8_epi32(a8);
    const __m512i b = _mm512_cvtepi8_epi32(b8);
    const __m512i da = _mm512_slli_epi32(_mm512_sub_epi32(a, za), kAddSubLeftShift);
    const __m512i db = _mm512_slli_epi32(_mm512_sub_epi32(b, zb), kAddSubLeftShift);
    const __m512i xa = requantize16(da, ra);
    const __m512i xb = requantize16(db, rb);
    const __m512i acc = sub ? _mm512_sub_epi32(xa, xb) : _mm512_add_epi32(xa, xb);
    const __m128i q = _mm512_cvtsepi32_epi8(_mm512_add_epi32(requantize16(acc, ry), zy));
    return _mm_min_epi8(_mm_max_epi8(q, qmin), qmax);
  }
};

struct MulOp {
  __m512i za, zb, zy;
  Rq ry;
  __m128i qmin, qmax;

  inline __m128i operator()(__m128i a8, __m128i b8) const {
    const __m512i a = _mm512_sub_epi32(_mm512_cvtepi8_epi32(a8), za);
    const __m512i b = _mm512_sub_epi32(_mm512_cvtepi8_epi32(b8), zb);
    const __m128i q =
        _mm512_cvtsepi32_epi8(_mm512_add_epi32(requantize16(_mm512_mullo_epi32(a, b), ry), zy));
    return _mm_min_epi8(_mm_max_epi8(q, qmin), qmax);
  }
};

template <int SA, int SB, typename Op>
void run(const int8_t* a, const int8_t* b, int64_t n, const Op& op, int8_t* y) {
  const __m128i a_splat = _mm_set1_epi8(*a);
  const __m128i b_splat = _mm_set1_epi8(*b);
  int64_t i = 0;
  // Two independent 16-element chains per step for the multiplier latency.
  for (; i + 32 <= n; i += 32) {
    const __m128i va0 = SA ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)) : a_splat;
    const __m128i va1 =
        SA ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i + 16)) : a_splat;
    const __m128i vb0 = SB ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)) : b_splat;
    const __m128i vb1 =
        SB ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i + 16)) : b_splat;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), op(va0, vb0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i + 16), op(va1, vb1));
  }
  for (; i < n; i += 16) {
    const int64_t rest = n - i < 16 ? n - i : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << rest) - 1);
    const __m128i va = SA ? _mm_maskz_loadu_epi8(m, a + i) : a_splat;
    const __m128i vb = SB ? _mm_maskz_loadu_epi8(m, b + i) : b_splat;
    _mm_mask_storeu_epi8(y + i, m, op(va, vb));
  }
}

template <int SA, int SB, typename Op>
void walk_runs(const BroadcastRuns& r, const int8_t* a, const int8_t* b, const Op& op, int8_t* y) {
  int64_t index[kMaxRank] = {};
  int64_t ao = 0;
  int64_t bo = 0;
  for (;;) {
    run<SA, SB>(a + ao, b + bo, r.inner, op, y);
    y += r.inner;
    int32_t d = r.outer_rank - 1;
    for (; d >= 0; --d) {
      ao += r.a_strides[d];
      bo += r.b_strides[d];
      if (++index[d] < r.outer_dims[d]) break;
      ao -= r.a_strides[d] * r.outer_dims[d];
      bo -= r.b_strides[d] * r.outer_dims[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

template <typename Op>
void walk(const BroadcastShape& s, const int8_t* a, const int8_t* b, const Op& op, int8_t* y) {
  if (broadcast_output_size(s) == 0) return;
  BroadcastRuns r;
  make_broadcast_runs(s, &r);
  if (r.a_inner && r.b_inner) return walk_runs<1, 1>(r, a, b, op, y);
  if (r.a_inner) return walk_runs<1, 0>(r, a, b, op, y);
  if (r.b_inner) return walk_runs<0, 1>(r, a, b, op, y);
  walk_runs<0, 0>(r, a, b, op, y);
}

bool int8_zero_points(const BinaryQs8Params& p) {
  auto in8 = [](int32_t z) { return z >= -128 && z <= 127; };
  return in8(p.a_zero_point) && in8(p.b_zero_point) && in8(p.y_zero_point) && p.qmin >= -128 &&
         p.qmax <= 127;
}

void add_sub(const BroadcastShape& s, const int8_t* a, const int8_t* b, const BinaryQs8Params& p,
             bool sub, int8_t* y) {
  // See x86_avx2.cc: the bounds that keep every requantized value in int32.
  if (!int8_zero_points(p) || p.y_multiplier.rshift < 30 || p.a_multiplier.rshift < 31 ||
      p.b_multiplier.rshift < 31) {
    return sub ? sub_qs8_reference(s, a, b, p, y) : add_qs8_reference(s, a, b, p, y);
  }
  AddSubOp op;
  op.za = _mm512_set1_epi32(p.a_zero_point);
  op.zb = _mm512_set1_epi32(p.b_zero_point);
  op.zy = _mm512_set1_epi32(p.y_zero_point);
  op.ra = make_rq(p.a_multiplier);
  op.rb = make_rq(p.b_multiplier);
  op.ry = make_rq(p.y_multiplier);
  op.qmin = _mm_set1_epi8(static_cast<char>(p.qmin));
  op.qmax = _mm_set1_epi8(static_cast<char>(p.qmax));
  op.sub = sub;
  walk(s, a, b, op, y);
}

}  // namespace

void add_qs8_avx512vnni(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y) {
  add_sub(s, a, b, p, false, y);
}

void sub_qs8_avx512vnni(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y) {
  add_sub(s, a, b, p, true, y);
}

void mul_qs8_avx512vnni(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                        const BinaryQs8Params& p, int8_t* y) {
  if (!int8_zero_points(p) || p.y_multiplier.rshift < 17) return mul_qs8_reference(s, a, b, p, y);
  MulOp op;
  op.za = _mm512_set1_epi32(p.a_zero_point);
  op.zb = _mm512_set1_epi32(p.b_zero_point);
  op.zy = _mm512_set1_epi32(p.y_zero_point);
  op.ry = make_rq(p.y_multiplier);
  op.qmin = _mm_set1_epi8(static_cast<char>(p.qmin));
  op.qmax = _mm_set1_epi8(static_cast<char>(p.qmax));
  walk(s, a, b, op, y);
}

}  // namespace octet::kernels
