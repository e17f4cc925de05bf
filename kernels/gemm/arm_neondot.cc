// SPDX-License-Identifier: Apache-2.0
//
// NEON dot-product GEMM (ARMv8.2-A DotProd, AArch64), MR×16c4 (MR = 4, 1).
// sdot multiplies s8 × s8 (unlike x86 vpdpbusd's u8 × s8), so A is used as
// is: packed layout GemmLayout::kS8 with KR = 4, i.e. per 16-column block,
// int32 bias with −za·Σw folded in (no +128 term), int8 weights [K/4][16][4]
// (one 16-byte row = 4 columns × 4 k, the operand of one vdotq_lane_s32),
// then multipliers, rounding terms and shifts in channel order. sdot's int32
// lanes wrap like the reference's exact sum (which fits int32). Reads up to
// 3 bytes past the kc-th byte of an A row (meeting zero weights). Built with
// -march=armv8.2-a+dotprod for this file only; chosen only when getauxval
// reports HWCAP_ASIMDDP. Epilogue: arm_requant_neon.h (exact 64-bit rule).
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm/arm_requant_neon.h"
#include "kernels/gemm/gemm.h"

namespace octet::kernels {
namespace {

constexpr size_t kNr = 16;
constexpr size_t kKr = 4;

template <int MR>
void gemm_c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                     const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  const size_t kp = (kc + kKr - 1) / kKr * kKr;
  const size_t block_bytes = kNr * 4 + kp * kNr + kNr * 20;
  const int8_t* ar[MR];
  for (int i = 0; i < MR; ++i) {
    ar[i] = a + (static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1) * a_stride;
  }
  const int32x4_t vlo = vdupq_n_s32(static_cast<int32_t>(params->lo));
  const int32x4_t vhi = vdupq_n_s32(static_cast<int32_t>(params->hi));
  const int32x4_t vzp = vdupq_n_s32(params->zero_point);
  const uint8_t* block = static_cast<const uint8_t*>(w);
  for (size_t n0 = 0; n0 < nc; n0 += kNr, block += block_bytes) {
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const int8_t* wk = reinterpret_cast<const int8_t*>(block + kNr * 4);
    int32x4_t acc[MR][4];
    for (int i = 0; i < MR; ++i) {
      for (int q = 0; q < 4; ++q) acc[i][q] = vld1q_s32(bias + 4 * q);
    }
    size_t k = 0;
    // 8 k per step: one 8-byte load per row feeds two sdot lanes.
    for (; k + 8 <= kc; k += 8, wk += 8 * kNr) {
      int8x16_t wv[8];
      for (int q = 0; q < 8; ++q) wv[q] = vld1q_s8(wk + 16 * q);
      for (int i = 0; i < MR; ++i) {
        const int8x8_t av = vld1_s8(ar[i] + k);
        for (int q = 0; q < 4; ++q) {
          acc[i][q] = vdotq_lane_s32(acc[i][q], wv[q], av, 0);
          acc[i][q] = vdotq_lane_s32(acc[i][q], wv[4 + q], av, 1);
        }
      }
    }
    // The last 1..7 k, 4 at a time (k rounded up to KR: the padded weights
    // are zero, so the over-read A bytes contribute nothing).
    for (; k < kc; k += 4, wk += 4 * kNr) {
      int8x16_t wv[4];
      for (int q = 0; q < 4; ++q) wv[q] = vld1q_s8(wk + 16 * q);
      for (int i = 0; i < MR; ++i) {
        int32_t a4;
        memcpy(&a4, ar[i] + k, 4);
        const int8x8_t av = vreinterpret_s8_s32(vdup_n_s32(a4));
        for (int q = 0; q < 4; ++q) acc[i][q] = vdotq_lane_s32(acc[i][q], wv[q], av, 0);
      }
    }
    const uint8_t* rq = block + kNr * 4 + kp * kNr;
    const int32_t* mult = reinterpret_cast<const int32_t*>(rq);
    const int64_t* rnd = reinterpret_cast<const int64_t*>(rq + kNr * 4);
    const int64_t* shift = rnd + kNr;
    NeonRequant4 rqv[4];
    for (int q = 0; q < 4; ++q) rqv[q] = neon_requant_load(mult + 4 * q, rnd + 4 * q, shift + 4 * q);
    const size_t ncols = nc - n0 < kNr ? nc - n0 : kNr;
    for (size_t i = 0; i < mr; ++i) {
      const int8x8_t y0 = neon_pack8(neon_requant4(acc[i][0], rqv[0], vlo, vhi, vzp),
                                     neon_requant4(acc[i][1], rqv[1], vlo, vhi, vzp));
      const int8x8_t y1 = neon_pack8(neon_requant4(acc[i][2], rqv[2], vlo, vhi, vzp),
                                     neon_requant4(acc[i][3], rqv[3], vlo, vhi, vzp));
      int8_t* cr = c + i * c_stride + n0;
      if (ncols == kNr) {
        vst1q_s8(cr, vcombine_s8(y0, y1));
      } else {
        neon_store_s8x8(cr, y0, ncols < 8 ? ncols : 8);
        if (ncols > 8) neon_store_s8x8(cr + 8, y1, ncols - 8);
      }
    }
  }
}

}  // namespace

void gemm_qs8_qc8w_4x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                  size_t a_stride, const void* w, int8_t* c, size_t c_stride,
                                  const GemmParams* params) {
  gemm_c4_neondot<4>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t* a,
                                  size_t a_stride, const void* w, int8_t* c, size_t c_stride,
                                  const GemmParams* params) {
  gemm_c4_neondot<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
