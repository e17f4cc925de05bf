// SPDX-License-Identifier: Apache-2.0
//
// NEON fp32 GEMM kernels, MR×8: MR rows × two q registers of accumulators
// started at the bias. Layout (list.cc): per 8-column block bias[8], then
// W[k][8]. k is unrolled by 4: one q load of 4 A values per row, then for
// each of the 4 k one pair of weight loads and a lane-indexed FMA per row
// (vfmaq_laneq_f32 on AArch64; ARMv7 has no fused lane form and uses
// vmlaq_lane_f32, which rounds the product — within the same tolerance).
// The k % 4 tail broadcasts single A values, so A is read exactly (kc
// floats per row). 6×8 keeps 12 accumulators + 6 A + 2 weights in
// AArch64's 32 q registers; ARMv7 (16) runs the same source with spills.
// Partial last blocks go through a stack tile.
#include <arm_neon.h>

#include <cstring>

#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {
namespace {

#if defined(__aarch64__)
#define OCTET_FMA_LANE(acc, b, a, l) vfmaq_laneq_f32(acc, b, a, l)
#define OCTET_FMA_DUP(acc, b, s) vfmaq_f32(acc, b, vdupq_n_f32(s))
#else
#define OCTET_FMA_LANE(acc, b, a, l) \
  vmlaq_lane_f32(acc, b, (l) < 2 ? vget_low_f32(a) : vget_high_f32(a), (l)&1)
#define OCTET_FMA_DUP(acc, b, s) vmlaq_n_f32(acc, b, s)
#endif

template <int MR>
void gemm_f32_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride, const void* w,
                   float* c, size_t c_stride, const GemmF32Params* params) {
  constexpr size_t kNr = 8;
  const float* ar[MR];
  float* cr[MR];
  for (int i = 0; i < MR; ++i) {
    const size_t row = static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1;
    ar[i] = reinterpret_cast<const float*>(reinterpret_cast<const char*>(a) + row * a_stride);
    cr[i] = reinterpret_cast<float*>(reinterpret_cast<char*>(c) + row * c_stride);
  }
  const float32x4_t vmin = vdupq_n_f32(params->min);
  const float32x4_t vmax = vdupq_n_f32(params->max);
  const float* block = static_cast<const float*>(w);
  for (size_t n0 = 0; n0 < nc; n0 += kNr, block += (1 + kc) * kNr) {
    float32x4_t acc0[MR], acc1[MR];
    const float32x4_t b0 = vld1q_f32(block), b1 = vld1q_f32(block + 4);
    for (int i = 0; i < MR; ++i) acc0[i] = b0, acc1[i] = b1;
    const float* wk = block + kNr;
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, wk += 4 * kNr) {
      float32x4_t av[MR];
      for (int i = 0; i < MR; ++i) av[i] = vld1q_f32(ar[i] + k);
#define OCTET_STEP(l)                                   \
  {                                                     \
    const float32x4_t w0 = vld1q_f32(wk + (l)*kNr);     \
    const float32x4_t w1 = vld1q_f32(wk + (l)*kNr + 4); \
    for (int i = 0; i < MR; ++i) {                      \
      acc0[i] = OCTET_FMA_LANE(acc0[i], w0, av[i], l);  \
      acc1[i] = OCTET_FMA_LANE(acc1[i], w1, av[i], l);  \
    }                                                   \
  }
      OCTET_STEP(0)
      OCTET_STEP(1)
      OCTET_STEP(2)
      OCTET_STEP(3)
#undef OCTET_STEP
    }
    for (; k < kc; ++k, wk += kNr) {
      const float32x4_t w0 = vld1q_f32(wk), w1 = vld1q_f32(wk + 4);
      for (int i = 0; i < MR; ++i) {
        acc0[i] = OCTET_FMA_DUP(acc0[i], w0, ar[i][k]);
        acc1[i] = OCTET_FMA_DUP(acc1[i], w1, ar[i][k]);
      }
    }
    const size_t cols = nc - n0 < kNr ? nc - n0 : kNr;
    // From the last row down: aliased rows write the true last row last.
    for (int i = MR - 1; i >= 0; --i) {
      const float32x4_t y0 = vminq_f32(vmaxq_f32(acc0[i], vmin), vmax);
      const float32x4_t y1 = vminq_f32(vmaxq_f32(acc1[i], vmin), vmax);
      if (cols == kNr) {
        vst1q_f32(cr[i] + n0, y0);
        vst1q_f32(cr[i] + n0 + 4, y1);
      } else {
        float tile[kNr];
        vst1q_f32(tile, y0);
        vst1q_f32(tile + 4, y1);
        memcpy(cr[i] + n0, tile, cols * sizeof(float));
      }
    }
  }
}

#undef OCTET_FMA_LANE
#undef OCTET_FMA_DUP

}  // namespace

void gemm_f32_6x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                       const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_neon<6>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_f32_1x8_neon(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                       const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_neon<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
