// SPDX-License-Identifier: Apache-2.0
//
// The fp32 activation kernel table and its selection.
#include "kernels/activation/activation_f32.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuinfo.h>
#endif

namespace octet::kernels {

#define OCTET_ACTIVATION_F32(suffix, isa)                                                      \
  void clamp_f32_##suffix(size_t n, const float* x, const FloatClamp& act, float* y);          \
  void hard_swish_f32_##suffix(size_t n, const float* x, float* y);                            \
  void hard_sigmoid_f32_##suffix(size_t n, const float* x, float alpha, float beta, float* y); \
  void sigmoid_f32_##suffix(size_t n, const float* x, float* y);
#include "kernels/activation/kernels.inc"
#undef OCTET_ACTIVATION_F32

namespace {

constexpr ActivationF32Kernels kSets[] = {
#define OCTET_ACTIVATION_F32(suffix, isa) \
  {#suffix,                               \
   Isa::isa,                              \
   clamp_f32_##suffix,                    \
   hard_swish_f32_##suffix,               \
   hard_sigmoid_f32_##suffix,             \
   "clamp_f32_" #suffix,                  \
   "hard_swish_f32_" #suffix,             \
   "hard_sigmoid_f32_" #suffix,           \
   sigmoid_f32_##suffix,                  \
   "sigmoid_f32_" #suffix},
#include "kernels/activation/kernels.inc"
#undef OCTET_ACTIVATION_F32
};
constexpr int32_t kSetCount = static_cast<int32_t>(sizeof(kSets) / sizeof(kSets[0]));

}  // namespace

const ActivationF32Kernels* activation_f32_kernels(int32_t* count) {
  *count = kSetCount;
  return kSets;
}

namespace {
// The avx2 path is chosen on AVX2 alone; the sigmoid's exp needs FMA3 too
// (every AVX2 CPU shipped has it, but check rather than fault).
bool host_has_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return cpuinfo_initialize() && cpuinfo_has_x86_fma3();
#else
  return false;
#endif
}
}  // namespace

bool activation_f32_kernels_available(const ActivationF32Kernels& k) {
  if (!isa_available(k.isa)) return false;
  return k.isa != Isa::kAvx2 || host_has_fma();
}

const ActivationF32Kernels* select_activation_f32_kernels(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const ActivationF32Kernels& k : kSets) {
      if (k.isa == chain[c] && activation_f32_kernels_available(k)) return &k;
    }
  }
  return &kSets[kSetCount - 1];
}

}  // namespace octet::kernels
