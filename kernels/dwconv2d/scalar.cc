// SPDX-License-Identifier: Apache-2.0
//
// Portable depthwise kernel on the 16-channel packed layout: per block,
// int32 bias with −zx·Σ_taps w folded in, int32 weights [taps][16], then
// multiplier, rounding and shift per channel (parity-split, as the AVX-512
// kernel reads them). Taps are input pointers (padding = a row of zx).
// Reads exactly `channels` bytes per tap. uint32 sums wrap like the SIMD
// int32 ones; the epilogue is requantize() spelled out.
#include <cstring>

#include "kernels/dwconv2d/dwconv2d.h"

namespace octet::kernels {

void dwconv2d_qs8_qc8w_16c_scalar(size_t channels, size_t pixels, size_t taps,
                                  const int8_t* const* input, const void* w, int8_t* output,
                                  size_t output_stride, const GemmParams* params) {
  const size_t block_bytes = 64 * (taps + 6);
  for (size_t p = 0; p < pixels; ++p, input += taps, output += output_stride) {
    const uint8_t* block = static_cast<const uint8_t*>(w);
    for (size_t c0 = 0; c0 < channels; c0 += 16, block += block_bytes) {
      const size_t n = channels - c0 < 16 ? channels - c0 : 16;
      int32_t bias[16], mult[16];
      int64_t rnd[16], shift[16];
      memcpy(bias, block, 64);
      const uint8_t* rq = block + 64 + 64 * taps;
      memcpy(mult, rq, 64);
      memcpy(rnd, rq + 64, 128);
      memcpy(shift, rq + 192, 128);
      uint32_t acc[16];
      for (size_t j = 0; j < 16; ++j) acc[j] = static_cast<uint32_t>(bias[j]);
      for (size_t t = 0; t < taps; ++t) {
        int32_t wt[16];
        memcpy(wt, block + 64 + 64 * t, 64);
        const int8_t* x = input[t] + c0;
        for (size_t j = 0; j < n; ++j) {
          acc[j] += static_cast<uint32_t>(static_cast<int32_t>(x[j]) * wt[j]);
        }
      }
      for (size_t j = 0; j < n; ++j) {
        const size_t slot = (j % 2) * 8 + j / 2;
        const int64_t prod = static_cast<int64_t>(static_cast<int32_t>(acc[j])) * mult[j];
        int64_t r = (prod + rnd[slot]) >> shift[slot];
        r = r < params->lo ? params->lo : (r > params->hi ? params->hi : r);
        output[c0 + j] = static_cast<int8_t>(r + params->zero_point);
      }
    }
  }
}

}  // namespace octet::kernels
