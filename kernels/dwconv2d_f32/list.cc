// SPDX-License-Identifier: Apache-2.0
//
// The fp32 depthwise kernel table, its packer, tap pointers and selection.
#include <cpuinfo.h>

#include <cstring>

#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

namespace octet::kernels {

#define OCTET_DWCONV_F32_KERNEL(name, isa)                                                         \
  void name(size_t channels, size_t pixels, size_t taps, const float* const* input, const void* w, \
            float* output, size_t output_stride, const GemmF32Params* params);
#include "kernels/dwconv2d_f32/kernels.inc"
#undef OCTET_DWCONV_F32_KERNEL

namespace {

constexpr DwconvF32Kernel kKernels[] = {
#define OCTET_DWCONV_F32_KERNEL(name, isa) {#name, Isa::isa, name},
#include "kernels/dwconv2d_f32/kernels.inc"
#undef OCTET_DWCONV_F32_KERNEL
};
constexpr int32_t kCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

bool host_has_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return cpuinfo_initialize() && cpuinfo_has_x86_fma3();
#else
  return false;
#endif
}

}  // namespace

const DwconvF32Kernel* dwconv_f32_kernels(int32_t* count) {
  *count = kCount;
  return kKernels;
}

const DwconvF32Kernel* find_dwconv_f32_kernel(const char* name) {
  for (const DwconvF32Kernel& k : kKernels) {
    if (strcmp(k.name, name) == 0) return &k;
  }
  return nullptr;
}

bool dwconv_f32_kernel_available(const DwconvF32Kernel& k) {
  if (!isa_available(k.isa)) return false;
  return k.isa != Isa::kAvx2 || host_has_fma();
}

const DwconvF32Kernel* select_dwconv_f32_kernel(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const DwconvF32Kernel& k : kKernels) {
      if (k.isa == chain[c] && dwconv_f32_kernel_available(k)) return &k;
    }
  }
  return &kKernels[kCount - 1];
}

size_t dwconv_f32_packed_bytes(int32_t channels, int32_t taps) {
  const size_t blocks = (static_cast<size_t>(channels) + 15) / 16;
  return blocks * 64 * (static_cast<size_t>(taps) + 1);
}

void dwconv_f32_pack(int32_t channels, int32_t taps, const float* w, const float* bias,
                     void* packed) {
  float* out = static_cast<float*>(packed);
  memset(out, 0, dwconv_f32_packed_bytes(channels, taps));
  for (int32_t c0 = 0; c0 < channels; c0 += 16, out += 16 * (static_cast<size_t>(taps) + 1)) {
    for (int32_t j = 0; j < 16 && c0 + j < channels; ++j) {
      const size_t c = static_cast<size_t>(c0 + j);
      out[j] = bias != nullptr ? bias[c] : 0.0f;
      for (int32_t t = 0; t < taps; ++t) out[16 + t * 16 + j] = w[c * taps + t];
    }
  }
}

void dwconv_f32_taps(const Conv2DShape& s, const float* input, const float* zero_row, int32_t b,
                     int32_t oy, int32_t ox0, int32_t count, const float** taps) {
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
