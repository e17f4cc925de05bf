// SPDX-License-Identifier: Apache-2.0
//
// NEON depthwise kernel, 16 channels per step, ARMv7 NEON and AArch64 (only
// intrinsics both have), on the shared 16-channel packed layout (list.cc):
// per block, int32 bias with −zx·Σ_taps w folded in, int32 weights
// [taps][16], then multipliers in channel order and rounding terms / shifts
// parity-split (even channels' first, as the AVX-512 kernel reads them).
// Per tap: 16 input bytes widened to int32 (vmovl) × the int32 weights
// (vmlaq_s32), wrapping like the reference's exact int32 sum. Channel blocks
// are the outer loop so a block's requantization constants stay in
// registers across pixels. Reads exactly `channels` bytes per tap (a partial
// last block goes through a stack copy); writes exactly `channels` bytes per
// pixel. Epilogue: kernels/gemm/arm_requant_neon.h (exact 64-bit rule).
#include <arm_neon.h>

#include <cstring>

#include "kernels/dwconv2d/dwconv2d.h"
#include "kernels/gemm/arm_requant_neon.h"

namespace octet::kernels {
namespace {

// Requantization constants of channels 4q .. 4q+3 of a block whose rounding
// terms and shifts are parity-split: channel j's slot is (j % 2)·8 + j / 2.
NeonRequant4 load_parity_split(const int32_t* mult, const int64_t* rnd, const int64_t* shift,
                               int q) {
  const int e = 2 * q;  // slot of channel 4q (even) and of 4q + 2 is e + 1
  const int64x2_t zero = vdupq_n_s64(0);
  NeonRequant4 r;
  r.mult = vld1q_s32(mult + 4 * q);
  r.rnd_lo = vcombine_s64(vld1_s64(rnd + e), vld1_s64(rnd + 8 + e));
  r.rnd_hi = vcombine_s64(vld1_s64(rnd + e + 1), vld1_s64(rnd + 8 + e + 1));
  r.nsh_lo = vsubq_s64(zero, vcombine_s64(vld1_s64(shift + e), vld1_s64(shift + 8 + e)));
  r.nsh_hi = vsubq_s64(zero, vcombine_s64(vld1_s64(shift + e + 1), vld1_s64(shift + 8 + e + 1)));
  return r;
}

}  // namespace

void dwconv2d_qs8_qc8w_16c_neon(size_t channels, size_t pixels, size_t taps,
                                const int8_t* const* input, const void* w, int8_t* output,
                                size_t output_stride, const GemmParams* params) {
  const size_t block_bytes = 64 * (taps + 6);
  const int32x4_t vlo = vdupq_n_s32(static_cast<int32_t>(params->lo));
  const int32x4_t vhi = vdupq_n_s32(static_cast<int32_t>(params->hi));
  const int32x4_t vzp = vdupq_n_s32(params->zero_point);
  const uint8_t* block = static_cast<const uint8_t*>(w);
  for (size_t c0 = 0; c0 < channels; c0 += 16, block += block_bytes) {
    const size_t n = channels - c0 < 16 ? channels - c0 : 16;
    const int32_t* bias = reinterpret_cast<const int32_t*>(block);
    const int32_t* wt = bias + 16;
    const int32_t* mult = wt + 16 * taps;
    const int64_t* rnd = reinterpret_cast<const int64_t*>(mult + 16);
    const int64_t* shift = rnd + 16;
    NeonRequant4 rq[4];
    for (int q = 0; q < 4; ++q) rq[q] = load_parity_split(mult, rnd, shift, q);
    const int8_t* const* in = input;
    int8_t* out = output + c0;
    for (size_t p = 0; p < pixels; ++p, in += taps, out += output_stride) {
      int32x4_t acc[4];
      for (int q = 0; q < 4; ++q) acc[q] = vld1q_s32(bias + 4 * q);
      for (size_t t = 0; t < taps; ++t) {
        int8x16_t x;
        if (n == 16) {
          x = vld1q_s8(in[t] + c0);
        } else {
          int8_t tmp[16] = {0};
          memcpy(tmp, in[t] + c0, n);
          x = vld1q_s8(tmp);
        }
        const int16x8_t x0 = vmovl_s8(vget_low_s8(x));
        const int16x8_t x1 = vmovl_s8(vget_high_s8(x));
        const int32_t* wp = wt + 16 * t;
        acc[0] = vmlaq_s32(acc[0], vmovl_s16(vget_low_s16(x0)), vld1q_s32(wp));
        acc[1] = vmlaq_s32(acc[1], vmovl_s16(vget_high_s16(x0)), vld1q_s32(wp + 4));
        acc[2] = vmlaq_s32(acc[2], vmovl_s16(vget_low_s16(x1)), vld1q_s32(wp + 8));
        acc[3] = vmlaq_s32(acc[3], vmovl_s16(vget_high_s16(x1)), vld1q_s32(wp + 12));
      }
      const int8x8_t y0 = neon_pack8(neon_requant4(acc[0], rq[0], vlo, vhi, vzp),
                                     neon_requant4(acc[1], rq[1], vlo, vhi, vzp));
      const int8x8_t y1 = neon_pack8(neon_requant4(acc[2], rq[2], vlo, vhi, vzp),
                                     neon_requant4(acc[3], rq[3], vlo, vhi, vzp));
      if (n == 16) {
        vst1q_s8(out, vcombine_s8(y0, y1));
      } else {
        neon_store_s8x8(out, y0, n < 8 ? n : 8);
        if (n > 8) neon_store_s8x8(out + 8, y1, n - 8);
      }
    }
  }
}

}  // namespace octet::kernels
