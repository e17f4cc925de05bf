// SPDX-License-Identifier: Apache-2.0
//
// int8 ADD/SUB/MUL, AVX2: 16 elements per step as two ymm of int32 lanes.
// Every requantization is the reference's exact 64-bit rule: vpmuldq forms
// the products of even lanes and (after a 32-bit shift) odd lanes; AVX2 has no
// 64-bit arithmetic shift, so x + 2^(t-1) is biased by 2^63 (unsigned, exact),
// shifted logically and unbiased by 2^(63-t), which is floor division. Only
// the low 32 bits are kept: callers ensure the result fits int32 (else the
// kernel delegates to the reference). Saturating packs then qmin/qmax clamp
// equal the reference's clamp since [qmin, qmax] lies within int8. Inputs are
// runs of contiguous or stride-0 elements (make_broadcast_runs); a run's tail
// goes through a 16-byte stack copy, so nothing is read past an input.
#include <immintrin.h>

#include <cstring>

#include "kernels/binary/binary.h"
#include "kernels/common/requantize.h"

namespace octet::kernels {
namespace {

struct Rq {
  __m256i mult;
  __m256i bias;    // 2^(t-1) + 2^63 in every 64-bit lane
  __m128i shift;   // t
  __m256i unbias;  // low 32 bits of 2^(63-t) in every 32-bit lane
};

Rq make_rq(const Multiplier& m) {
  const int32_t t = m.rshift;
  Rq r;
  r.mult = _mm256_set1_epi32(m.multiplier);
  r.bias = _mm256_set1_epi64x(static_cast<int64_t>((uint64_t{1} << (t - 1)) | (uint64_t{1} << 63)));
  r.shift = _mm_cvtsi32_si128(t);
  r.unbias =
      _mm256_set1_epi32(static_cast<int32_t>(static_cast<uint32_t>(uint64_t{1} << (63 - t))));
  return r;
}

// floor((x · M + 2^(t-1)) / 2^t) per int32 lane, low 32 bits.
inline __m256i requantize8(__m256i x, const Rq& r) {
  __m256i even = _mm256_mul_epi32(x, r.mult);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(x, 32), r.mult);
  even = _mm256_srl_epi64(_mm256_add_epi64(even, r.bias), r.shift);
  odd = _mm256_srl_epi64(_mm256_add_epi64(odd, r.bias), r.shift);
  const __m256i v = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  return _mm256_sub_epi32(v, r.unbias);
}

// 16 int32 lanes (lo = elements 0..7) to int8 with saturation, then clamp.
inline __m128i pack16(__m256i lo, __m256i hi, __m128i qmin, __m128i qmax) {
  __m256i w = _mm256_packs_epi32(lo, hi);  // lo0-3 hi0-3 | lo4-7 hi4-7
  w = _mm256_permute4x64_epi64(w, 0xD8);   // lo0-7 | hi0-7
  const __m128i bytes = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  return _mm_min_epi8(_mm_max_epi8(bytes, qmin), qmax);
}

inline __m256i lo8(__m128i v) { return _mm256_cvtepi8_epi32(v); }
inline __m256i hi8(__m128i v) { return _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)); }

struct AddSubOp {
  __m256i za, zb, zy;
  Rq ra, rb, ry;
  __m128i qmin, qmax;
  bool sub;

  inline __m256i lanes(__m256i a, __m256i b) const {
    const __m256i da = _mm256_slli_epi32(_mm256_sub_epi32(a, za), kAddSubLeftShift);
    const __m256i db = _mm256_slli_epi32(_mm256_sub_epi32(b, zb), kAddSubLeftShift);
    const __m256i xa = requantize8(da, ra);
    const __m256i xb = requantize8(db, rb);
    const __m256i acc = sub ? _mm256_sub_epi32(xa, xb) : _mm256_add_epi32(xa, xb);
    return _mm256_add_epi32(requantize8(acc, ry), zy);
  }
  inline __m128i operator()(__m128i a, __m128i b) const {
    return pack16(lanes(lo8(a), lo8(b)), lanes(hi8(a), hi8(b)), qmin, qmax);
  }
};

struct MulOp {
  __m256i za, zb, zy;
  Rq ry;
  __m128i qmin, qmax;

  inline __m256i lanes(__m256i a, __m256i b) const {
    const __m256i acc = _mm256_mullo_epi32(_mm256_sub_epi32(a, za), _mm256_sub_epi32(b, zb));
    return _mm256_add_epi32(requantize8(acc, ry), zy);
  }
  inline __m128i operator()(__m128i a, __m128i b) const {
    return pack16(lanes(lo8(a), lo8(b)), lanes(hi8(a), hi8(b)), qmin, qmax);
  }
};

template <int SA, int SB, typename Op>
void run(const int8_t* a, const int8_t* b, int64_t n, const Op& op, int8_t* y) {
  const __m128i a_splat = _mm_set1_epi8(*a);
  const __m128i b_splat = _mm_set1_epi8(*b);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i va = SA ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)) : a_splat;
    const __m128i vb = SB ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)) : b_splat;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), op(va, vb));
  }
  if (i < n) {
    const size_t rest = static_cast<size_t>(n - i);
    alignas(16) int8_t ta[16] = {};
    alignas(16) int8_t tb[16] = {};
    alignas(16) int8_t ty[16];
    if (SA) memcpy(ta, a + i, rest);
    if (SB) memcpy(tb, b + i, rest);
    const __m128i va = SA ? _mm_load_si128(reinterpret_cast<const __m128i*>(ta)) : a_splat;
    const __m128i vb = SB ? _mm_load_si128(reinterpret_cast<const __m128i*>(tb)) : b_splat;
    _mm_store_si128(reinterpret_cast<__m128i*>(ty), op(va, vb));
    memcpy(y + i, ty, rest);
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
  // |a' ± b'| <= 2^29 + 2, so the output requantization fits int32 for
  // rshift >= 30; the input ones always do (rshift >= 31, |da| < 2^28).
  if (!int8_zero_points(p) || p.y_multiplier.rshift < 30 || p.a_multiplier.rshift < 31 ||
      p.b_multiplier.rshift < 31) {
    return sub ? sub_qs8_reference(s, a, b, p, y) : add_qs8_reference(s, a, b, p, y);
  }
  AddSubOp op;
  op.za = _mm256_set1_epi32(p.a_zero_point);
  op.zb = _mm256_set1_epi32(p.b_zero_point);
  op.zy = _mm256_set1_epi32(p.y_zero_point);
  op.ra = make_rq(p.a_multiplier);
  op.rb = make_rq(p.b_multiplier);
  op.ry = make_rq(p.y_multiplier);
  op.qmin = _mm_set1_epi8(static_cast<char>(p.qmin));
  op.qmax = _mm_set1_epi8(static_cast<char>(p.qmax));
  op.sub = sub;
  walk(s, a, b, op, y);
}

}  // namespace

void add_qs8_avx2(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y) {
  add_sub(s, a, b, p, false, y);
}

void sub_qs8_avx2(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y) {
  add_sub(s, a, b, p, true, y);
}

void mul_qs8_avx2(const BroadcastShape& s, const int8_t* a, const int8_t* b,
                  const BinaryQs8Params& p, int8_t* y) {
  // |(a − za)(b − zb)| <= 65025 < 2^16: the product over 2^17 fits 2^30.
  if (!int8_zero_points(p) || p.y_multiplier.rshift < 17) return mul_qs8_reference(s, a, b, p, y);
  MulOp op;
  op.za = _mm256_set1_epi32(p.a_zero_point);
  op.zb = _mm256_set1_epi32(p.b_zero_point);
  op.zy = _mm256_set1_epi32(p.y_zero_point);
  op.ry = make_rq(p.y_multiplier);
  op.qmin = _mm_set1_epi8(static_cast<char>(p.qmin));
  op.qmax = _mm_set1_epi8(static_cast<char>(p.qmax));
  walk(s, a, b, op, y);
}

}  // namespace octet::kernels
