// SPDX-License-Identifier: Apache-2.0
//
// The int8 max- and average-pool kernel tables and their selection.
#include "kernels/pool2d/pool2d.h"

namespace octet::kernels {
namespace {

constexpr MaxPool2DQs8Kernel kKernels[] = {
#define OCTET_MAX_POOL2D_QS8_KERNEL(name, isa) {#name, Isa::isa, name},
#define OCTET_AVG_POOL2D_QS8_KERNEL(name, isa)
#include "kernels/pool2d/kernels.inc"
#undef OCTET_MAX_POOL2D_QS8_KERNEL
#undef OCTET_AVG_POOL2D_QS8_KERNEL
};
constexpr int32_t kCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

constexpr AvgPool2DQs8Kernel kAvgKernels[] = {
#define OCTET_MAX_POOL2D_QS8_KERNEL(name, isa)
#define OCTET_AVG_POOL2D_QS8_KERNEL(name, isa) {#name, Isa::isa, name},
#include "kernels/pool2d/kernels.inc"
#undef OCTET_MAX_POOL2D_QS8_KERNEL
#undef OCTET_AVG_POOL2D_QS8_KERNEL
};
constexpr int32_t kAvgCount = static_cast<int32_t>(sizeof(kAvgKernels) / sizeof(kAvgKernels[0]));

}  // namespace

const MaxPool2DQs8Kernel* max_pool2d_qs8_kernels(int32_t* count) {
  *count = kCount;
  return kKernels;
}

const MaxPool2DQs8Kernel* select_max_pool2d_qs8_kernel(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const MaxPool2DQs8Kernel& k : kKernels) {
      if (k.isa == chain[c]) return &k;
    }
  }
  return &kKernels[kCount - 1];  // the reference
}

const AvgPool2DQs8Kernel* avg_pool2d_qs8_kernels(int32_t* count) {
  *count = kAvgCount;
  return kAvgKernels;
}

const AvgPool2DQs8Kernel* select_avg_pool2d_qs8_kernel(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const AvgPool2DQs8Kernel& k : kAvgKernels) {
      if (k.isa == chain[c]) return &k;
    }
  }
  return &kAvgKernels[kAvgCount - 1];  // the reference
}

}  // namespace octet::kernels
