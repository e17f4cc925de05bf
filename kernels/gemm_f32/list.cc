// SPDX-License-Identifier: Apache-2.0
//
// The fp32 GEMM kernel table, the packer, and kernel selection.
#include <cpuinfo.h>

#include <cstring>

#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {

#define OCTET_GEMM_F32_KERNEL(name, isa, mr, nr)                                              \
  void name(size_t mr_, size_t nc, size_t kc, const float* a, size_t a_stride, const void* w, \
            float* c, size_t c_stride, const GemmF32Params* params);
#include "kernels/gemm_f32/kernels.inc"
#undef OCTET_GEMM_F32_KERNEL

namespace {

constexpr GemmF32Kernel kKernels[] = {
#define OCTET_GEMM_F32_KERNEL(name, isa, mr, nr) {#name, Isa::isa, mr, nr, name},
#include "kernels/gemm_f32/kernels.inc"
#undef OCTET_GEMM_F32_KERNEL
};
constexpr int32_t kKernelCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

// The avx2 path is chosen on AVX2 alone (the int8 kernels need nothing
// else); every AVX2 CPU shipped has FMA3, but check rather than fault.
bool host_has_fma() {
#if defined(__x86_64__) || defined(__i386__)
  return cpuinfo_initialize() && cpuinfo_has_x86_fma3();
#else
  return false;
#endif
}

}  // namespace

const GemmF32Kernel* gemm_f32_kernels(int32_t* count) {
  *count = kKernelCount;
  return kKernels;
}

const GemmF32Kernel* find_gemm_f32_kernel(const char* name) {
  for (const GemmF32Kernel& k : kKernels) {
    if (strcmp(k.name, name) == 0) return &k;
  }
  return nullptr;
}

bool gemm_f32_kernel_available(const GemmF32Kernel& k) {
  if (!isa_available(k.isa)) return false;
  return k.isa != Isa::kAvx2 || host_has_fma();
}

const GemmF32Kernel* select_gemm_f32_kernel(Isa isa, int64_t m) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    const GemmF32Kernel* smallest = nullptr;
    for (const GemmF32Kernel& k : kKernels) {
      if (k.isa != chain[c] || !gemm_f32_kernel_available(k)) continue;
      if (k.mr <= m) return &k;
      if (smallest == nullptr || k.mr < smallest->mr) smallest = &k;
    }
    if (smallest != nullptr) return smallest;
  }
  return &kKernels[kKernelCount - 1];
}

size_t gemm_f32_packed_block_bytes(const GemmF32Kernel& kernel, int32_t k) {
  return (1 + static_cast<size_t>(k)) * static_cast<size_t>(kernel.nr) * sizeof(float);
}

size_t gemm_f32_packed_bytes(const GemmF32Kernel& kernel, int32_t n, int32_t k) {
  const size_t blocks = (static_cast<size_t>(n) + kernel.nr - 1) / kernel.nr;
  return blocks * gemm_f32_packed_block_bytes(kernel, k);
}

void gemm_f32_pack(const GemmF32Kernel& kernel, int32_t n, int32_t k, const float* w,
                   size_t stride_n, size_t stride_k, const float* bias, void* packed) {
  const size_t nr = static_cast<size_t>(kernel.nr);
  float* out = static_cast<float*>(packed);
  memset(out, 0, gemm_f32_packed_bytes(kernel, n, k));
  for (size_t n0 = 0; n0 < static_cast<size_t>(n); n0 += nr) {
    const size_t cols = static_cast<size_t>(n) - n0 < nr ? static_cast<size_t>(n) - n0 : nr;
    for (size_t j = 0; j < cols; ++j) out[j] = bias != nullptr ? bias[n0 + j] : 0.0f;
    float* wp = out + nr;
    for (size_t p = 0; p < static_cast<size_t>(k); ++p) {
      for (size_t j = 0; j < cols; ++j) wp[p * nr + j] = w[(n0 + j) * stride_n + p * stride_k];
    }
    out += (1 + static_cast<size_t>(k)) * nr;
  }
}

}  // namespace octet::kernels
