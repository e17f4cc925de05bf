// SPDX-License-Identifier: Apache-2.0
//
// NEON GEMM, MR×8c8 (MR = 2, 1), for ARMv7 NEON and AArch64 alike (only
// intrinsics both have). Packed layout GemmLayout::kS8 with KR = 8: per
// 8-column block, int32 bias with −za·Σw folded in, int8 weights
// [K/8][8][8], then multipliers, rounding terms and shifts in channel order.
// Inner step: 8 k of one row × one column = vmull_s8 (8 int16 products, each
// |a·w| ≤ 128·128 = 2^14, never saturating) + vpadalq_s16 into 4 int32
// partial sums; no mlal pairing, so weights of −128 are exact too. The 4
// partial sums per column are reduced pairwise at the end. Reads up to 7
// bytes past the kc-th byte of an A row (those meet zero weights; within
// OCTET_EXTRA_BYTES). Epilogue: arm_requant_neon.h (exact 64-bit rule).
#include <arm_neon.h>

#include "kernels/gemm/arm_requant_neon.h"
#include "kernels/gemm/gemm.h"

namespace octet::kernels {
namespace {

constexpr size_t kNr = 8;
constexpr size_t kKr = 8;

// Lane i = the sum of the 4 lanes of v[i].
inline int32x4_t reduce4(int32x4_t v0, int32x4_t v1, int32x4_t v2, int32x4_t v3) {
#if defined(__aarch64__)
  return vpaddq_s32(vpaddq_s32(v0, v1), vpaddq_s32(v2, v3));
#else
  const int32x2_t s0 = vpadd_s32(vget_low_s32(v0), vget_high_s32(v0));
  const int32x2_t s1 = vpadd_s32(vget_low_s32(v1), vget_high_s32(v1));
  const int32x2_t s2 = vpadd_s32(vget_low_s32(v2), vget_high_s32(v2));
  const int32x2_t s3 = vpadd_s32(vget_low_s32(v3), vget_high_s32(v3));
  return vcombine_s32(vpadd_s32(s0, s1), vpadd_s32(s2, s3));
#endif
}

template <int MR>
void gemm_c8_neon(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w,
                  int8_t* c, size_t c_stride, const GemmParams* params) {
  const size_t kp = (kc + kKr - 1) / kKr * kKr;
  const size_t block_bytes = kNr * 4 + kp * kNr + kNr * 20;
  // Rows past mr repeat the last row and are not stored.
  const int8_t* ar[MR];
  for (int i = 0; i < MR; ++i) {
    ar[i] = a + (static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1) * a_stride;
  }
  const int32x4_t vlo = vdupq_n_s32(static_cast<int32_t>(params->lo));
  const int32x4_t vhi = vdupq_n_s32(static_cast<int32_t>(params->hi));
  const int32x4_t vzp = vdupq_n_s32(params->zero_point);
  const uint8_t* block = static_cast<const uint8_t*>(w);
  for (size_t n0 = 0; n0 < nc; n0 += kNr, block += block_bytes) {
    const int8_t* wk = reinterpret_cast<const int8_t*>(block + kNr * 4);
    int32x4_t acc[MR][kNr];
    for (int i = 0; i < MR; ++i) {
      for (size_t j = 0; j < kNr; ++j) acc[i][j] = vdupq_n_s32(0);
    }
    for (size_t k = 0; k < kc; k += kKr) {
      int8x8_t av[MR];
      for (int i = 0; i < MR; ++i) av[i] = vld1_s8(ar[i] + k);
      for (size_t j = 0; j < kNr; ++j, wk += kKr) {
        const int8x8_t wv = vld1_s8(wk);
        for (int i = 0; i < MR; ++i) acc[i][j] = vpadalq_s16(acc[i][j], vmull_s8(wv, av[i]));
      }
    }
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const uint8_t* rq = block + kNr * 4 + kp * kNr;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + kNr * 4);
    const int64_t* shift = rnd + kNr;
    const NeonRequant4 q0 = neon_requant_load(mult, rnd, shift);
    const NeonRequant4 q1 = neon_requant_load(mult + 4, rnd + 4, shift + 4);
    const int32x4_t b0 = vld1q_s32(bias), b1 = vld1q_s32(bias + 4);
    const size_t ncols = nc - n0 < kNr ? nc - n0 : kNr;
    for (size_t i = 0; i < mr; ++i) {
      const int32x4_t s0 = vaddq_s32(b0, reduce4(acc[i][0], acc[i][1], acc[i][2], acc[i][3]));
      const int32x4_t s1 = vaddq_s32(b1, reduce4(acc[i][4], acc[i][5], acc[i][6], acc[i][7]));
      const int8x8_t y = neon_pack8(neon_requant4(s0, q0, vlo, vhi, vzp),
                                    neon_requant4(s1, q1, vlo, vhi, vzp));
      neon_store_s8x8(c + i * c_stride + n0, y, ncols);
    }
  }
}

}  // namespace

void gemm_qs8_qc8w_2x8c8_neon(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                              const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  gemm_c8_neon<2>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x8c8_neon(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                              const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  gemm_c8_neon<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
