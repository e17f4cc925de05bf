// SPDX-License-Identifier: Apache-2.0
//
// The depthwise kernel table, its packer and selection.
#include <cassert>
#include <cstring>

#include "kernels/dwconv2d/dwconv2d.h"

namespace octet::kernels {

#define OCTET_DWCONV_KERNEL(name, isa, tile)                                         \
  void name(size_t channels, size_t pixels, size_t taps, const int8_t* const* input, \
            const void* w, int8_t* output, size_t output_stride, const GemmParams* params);
#include "kernels/dwconv2d/kernels.inc"
#undef OCTET_DWCONV_KERNEL

namespace {

constexpr DwconvKernel kKernels[] = {
#define OCTET_DWCONV_KERNEL(name, isa, tile) {#name, Isa::isa, tile, name},
#include "kernels/dwconv2d/kernels.inc"
#undef OCTET_DWCONV_KERNEL
};
constexpr int32_t kCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

}  // namespace

const DwconvKernel* dwconv_kernels(int32_t* count) {
  *count = kCount;
  return kKernels;
}

const DwconvKernel* find_dwconv_kernel(const char* name) {
  for (const DwconvKernel& k : kKernels) {
    if (strcmp(k.name, name) == 0) return &k;
  }
  return nullptr;
}

const DwconvKernel* select_dwconv_kernel(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const DwconvKernel& k : kKernels) {
      if (k.isa == chain[c]) return &k;
    }
  }
  return &kKernels[kCount - 1];
}

size_t dwconv_packed_bytes(int32_t channels, int32_t taps) {
  const size_t blocks = (static_cast<size_t>(channels) + 15) / 16;
  return blocks * 64 * (static_cast<size_t>(taps) + 6);
}

void dwconv_pack_qs8_qc8w(int32_t channels, int32_t taps, const int8_t* w, const int32_t* bias,
                          const Multiplier* multipliers, int32_t multiplier_count,
                          int32_t input_zero_point, void* packed) {
  assert(multiplier_count == 1 || multiplier_count == channels);
  uint8_t* out = static_cast<uint8_t*>(packed);
  memset(out, 0, dwconv_packed_bytes(channels, taps));
  for (int32_t c0 = 0; c0 < channels; c0 += 16, out += 64 * (static_cast<size_t>(taps) + 6)) {
    int32_t* b = reinterpret_cast<int32_t*>(out);
    int32_t* wp = b + 16;
    int32_t* mult = wp + 16 * taps;
    int64_t* rnd = reinterpret_cast<int64_t*>(mult + 16);
    int64_t* shift = rnd + 16;
    for (int32_t j = 0; j < 16; ++j) {
      // Even channels' rounding/shift first, then odd ones' (vpmuldq).
      const size_t slot = static_cast<size_t>((j % 2) * 8 + j / 2);
      const int32_t c = c0 + j;
      if (c >= channels) {
        shift[slot] = 1;
        continue;
      }
      int64_t sum = 0;
      for (int32_t t = 0; t < taps; ++t) {
        const int8_t v = w[static_cast<size_t>(c) * taps + t];
        wp[t * 16 + j] = v;
        sum += v;
      }
      // Padding taps read zx, so Σ_taps (x − zx)·w = Σ x·w − zx·Σ w over
      // all taps. Wraps mod 2^32 like the kernels' int32 sums; exact.
      const int64_t bb = (bias != nullptr ? bias[c] : 0) - int64_t{input_zero_point} * sum;
      b[j] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(bb)));
      const Multiplier& m = multipliers[multiplier_count == 1 ? 0 : c];
      mult[j] = m.multiplier;
      rnd[slot] = int64_t{1} << (m.rshift - 1);
      shift[slot] = m.rshift;
    }
  }
}

void dwconv_taps(const Conv2DShape& s, const int8_t* input, const int8_t* zero_row, int32_t b,
                 int32_t oy, int32_t ox0, int32_t count, const int8_t** taps) {
  const size_t c = static_cast<size_t>(s.in_c);
  for (int32_t ox = ox0; ox < ox0 + count; ++ox) {
    for (int32_t ky = 0; ky < s.kernel_h; ++ky) {
      const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
      for (int32_t kx = 0; kx < s.kernel_w; ++kx) {
        const int32_t ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
        *taps++ = (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w)
                      ? zero_row
                      : input + ((static_cast<size_t>(b) * s.in_h + iy) * s.in_w + ix) * c;
      }
    }
  }
}

}  // namespace octet::kernels
