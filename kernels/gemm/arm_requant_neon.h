// SPDX-License-Identifier: Apache-2.0
//
// The exact requantization (docs/quantization.md §2) of 4 int32 lanes with
// NEON, shared by the arm_neon / arm_neondot GEMM and depthwise files
// (included into each, compiled with each file's flags; internal linkage, so
// no ODR clash between ISA libraries). Only intrinsics common to ARMv7 NEON
// and AArch64 are used. Not vqrdmulh (a different rounding): the 64-bit
// product acc·M (vmull_s32), + 2^(t−1), arithmetic shift right by t
// (vshlq_s64 by −t, which floors like >>). The 64-bit clamp is done in 32
// bits after a saturating narrow (vqmovn_s64): lo and hi lie in
// [−255, 255], so clamp(sat32(r)) == clamp(r) for every 64-bit r.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace octet::kernels {
namespace {

/// Per-4-channel requantization constants: multipliers, rounding terms and
/// negated shifts of channels (c, c+1) in the low and (c+2, c+3) in the high
/// 64-bit pairs.
struct NeonRequant4 {
  int32x4_t mult;
  int64x2_t rnd_lo, rnd_hi;
  int64x2_t nsh_lo, nsh_hi;
};

/// Constants of 4 consecutive channels stored in channel order.
inline NeonRequant4 neon_requant_load(const int32_t* mult, const int64_t* rnd,
                                      const int64_t* shift) {
  const int64x2_t zero = vdupq_n_s64(0);
  NeonRequant4 q;
  q.mult = vld1q_s32(mult);
  q.rnd_lo = vld1q_s64(rnd);
  q.rnd_hi = vld1q_s64(rnd + 2);
  q.nsh_lo = vsubq_s64(zero, vld1q_s64(shift));
  q.nsh_hi = vsubq_s64(zero, vld1q_s64(shift + 2));
  return q;
}

/// clamp(requantize(acc, M, t), lo, hi) + zp, lane by lane, as int32.
inline int32x4_t neon_requant4(int32x4_t acc, const NeonRequant4& q, int32x4_t lo, int32x4_t hi,
                               int32x4_t zp) {
  int64x2_t p0 = vmull_s32(vget_low_s32(acc), vget_low_s32(q.mult));
  int64x2_t p1 = vmull_s32(vget_high_s32(acc), vget_high_s32(q.mult));
  p0 = vshlq_s64(vaddq_s64(p0, q.rnd_lo), q.nsh_lo);
  p1 = vshlq_s64(vaddq_s64(p1, q.rnd_hi), q.nsh_hi);
  int32x4_t r = vcombine_s32(vqmovn_s64(p0), vqmovn_s64(p1));
  r = vminq_s32(vmaxq_s32(r, lo), hi);
  return vaddq_s32(r, zp);
}

/// Two requantized 4-lane vectors (values already in [qmin, qmax]) as 8
/// int8 lanes; the narrowing is exact.
inline int8x8_t neon_pack8(int32x4_t a, int32x4_t b) {
  return vmovn_s16(vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
}

/// Stores the first n (≤ 8) lanes of v: never writes past the output.
inline void neon_store_s8x8(int8_t* dst, int8x8_t v, size_t n) {
  if (n == 8) {
    vst1_s8(dst, v);
    return;
  }
  int8_t tmp[8];
  vst1_s8(tmp, v);
  for (size_t i = 0; i < n; ++i) dst[i] = tmp[i];
}

}  // namespace
}  // namespace octet::kernels
