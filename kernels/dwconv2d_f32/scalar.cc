// SPDX-License-Identifier: Apache-2.0
//
// Portable fp32 depthwise kernel on the 16-channel block layout (list.cc):
// per block bias[16], then w[taps][16]. Accumulators start at the bias and
// add x·w tap by tap (separate multiply and add: this library is built
// without -mfma). Reads exactly `channels` floats per tap pointer.
#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

namespace octet::kernels {

void dwconv2d_f32_16c_scalar(size_t channels, size_t pixels, size_t taps, const float* const* input,
                             const void* w, float* output, size_t output_stride,
                             const GemmF32Params* params) {
  const float lo = params->min, hi = params->max;
  for (size_t p = 0; p < pixels; ++p) {
    const float* const* in = input + p * taps;
    float* out = reinterpret_cast<float*>(reinterpret_cast<char*>(output) + p * output_stride);
    const float* block = static_cast<const float*>(w);
    for (size_t c0 = 0; c0 < channels; c0 += 16, block += 16 * (taps + 1)) {
      const size_t n = channels - c0 < 16 ? channels - c0 : 16;
      float acc[16];
      for (size_t j = 0; j < 16; ++j) acc[j] = block[j];
      for (size_t t = 0; t < taps; ++t) {
        const float* x = in[t] + c0;
        const float* wt = block + 16 * (t + 1);
        for (size_t j = 0; j < n; ++j) acc[j] += x[j] * wt[j];
      }
      for (size_t j = 0; j < n; ++j) {
        const float v = acc[j];
        out[c0 + j] = v < lo ? lo : (v > hi ? hi : v);
      }
    }
  }
}

}  // namespace octet::kernels
