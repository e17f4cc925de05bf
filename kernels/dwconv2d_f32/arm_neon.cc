// SPDX-License-Identifier: Apache-2.0
//
// NEON fp32 depthwise kernel: a 16-channel block as four q registers (four
// independent FMA chains), one output pixel at a time. Layout (list.cc): per
// block bias[16], w[taps][16]. A partial last block runs 4-channel groups
// and then single channels, so no read or write past `channels`. AArch64
// uses vfmaq_f32; ARMv7 vmlaq_f32 (product rounded; same tolerance).
#include <arm_neon.h>

#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

namespace octet::kernels {
namespace {

#if defined(__aarch64__)
inline float32x4_t fma4(float32x4_t acc, float32x4_t x, float32x4_t w) {
  return vfmaq_f32(acc, x, w);
}
#else
inline float32x4_t fma4(float32x4_t acc, float32x4_t x, float32x4_t w) {
  return vmlaq_f32(acc, x, w);
}
#endif

}  // namespace

void dwconv2d_f32_16c_neon(size_t channels, size_t pixels, size_t taps, const float* const* input,
                           const void* w, float* output, size_t output_stride,
                           const GemmF32Params* params) {
  const float32x4_t vmin = vdupq_n_f32(params->min);
  const float32x4_t vmax = vdupq_n_f32(params->max);
  const float lo = params->min, hi = params->max;
  for (size_t p = 0; p < pixels; ++p) {
    const float* const* in = input + p * taps;
    float* out = reinterpret_cast<float*>(reinterpret_cast<char*>(output) + p * output_stride);
    const float* block = static_cast<const float*>(w);
    size_t c0 = 0;
    for (; c0 + 16 <= channels; c0 += 16, block += 16 * (taps + 1)) {
      float32x4_t a0 = vld1q_f32(block), a1 = vld1q_f32(block + 4);
      float32x4_t a2 = vld1q_f32(block + 8), a3 = vld1q_f32(block + 12);
      for (size_t t = 0; t < taps; ++t) {
        const float* x = in[t] + c0;
        const float* wt = block + 16 * (t + 1);
        a0 = fma4(a0, vld1q_f32(x), vld1q_f32(wt));
        a1 = fma4(a1, vld1q_f32(x + 4), vld1q_f32(wt + 4));
        a2 = fma4(a2, vld1q_f32(x + 8), vld1q_f32(wt + 8));
        a3 = fma4(a3, vld1q_f32(x + 12), vld1q_f32(wt + 12));
      }
      vst1q_f32(out + c0, vminq_f32(vmaxq_f32(a0, vmin), vmax));
      vst1q_f32(out + c0 + 4, vminq_f32(vmaxq_f32(a1, vmin), vmax));
      vst1q_f32(out + c0 + 8, vminq_f32(vmaxq_f32(a2, vmin), vmax));
      vst1q_f32(out + c0 + 12, vminq_f32(vmaxq_f32(a3, vmin), vmax));
    }
    if (c0 == channels) continue;
    // Partial block: 4-channel groups, then single channels.
    size_t j = 0;
    for (; c0 + j + 4 <= channels; j += 4) {
      float32x4_t acc = vld1q_f32(block + j);
      for (size_t t = 0; t < taps; ++t) {
        acc = fma4(acc, vld1q_f32(in[t] + c0 + j), vld1q_f32(block + 16 * (t + 1) + j));
      }
      vst1q_f32(out + c0 + j, vminq_f32(vmaxq_f32(acc, vmin), vmax));
    }
    for (; c0 + j < channels; ++j) {
      // One lane of the same vector arithmetic, so a channel's value does
      // not depend on which group it falls in.
      float32x4_t acc = vdupq_n_f32(block[j]);
      for (size_t t = 0; t < taps; ++t) {
        acc = fma4(acc, vdupq_n_f32(in[t][c0 + j]), vdupq_n_f32(block[16 * (t + 1) + j]));
      }
      const float v = vgetq_lane_f32(acc, 0);
      out[c0 + j] = v < lo ? lo : (v > hi ? hi : v);
    }
  }
}

}  // namespace octet::kernels
