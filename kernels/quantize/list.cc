// SPDX-License-Identifier: Apache-2.0
//
// The int8 QUANTIZE/DEQUANTIZE kernel table and its selection.
#include "kernels/quantize/quantize_x86.h"

namespace octet::kernels {

#define OCTET_QUANTIZE_QS8(suffix, isa)                                                         \
  void quantize_f32_qs8_##suffix(size_t n, const float* x, int8_t* y, const QuantizeParams& p); \
  void dequantize_qs8_f32_##suffix(size_t n, const int8_t* x, float* y, const DequantizeParams& p);
#include "kernels/quantize/kernels.inc"
#undef OCTET_QUANTIZE_QS8

namespace {

constexpr QuantizeQs8Kernels kSets[] = {
#define OCTET_QUANTIZE_QS8(suffix, isa) \
  {#suffix,                             \
   Isa::isa,                            \
   quantize_f32_qs8_##suffix,           \
   dequantize_qs8_f32_##suffix,         \
   "quantize_f32_qs8_" #suffix,         \
   "dequantize_qs8_f32_" #suffix},
#include "kernels/quantize/kernels.inc"
#undef OCTET_QUANTIZE_QS8
};
constexpr int32_t kSetCount = static_cast<int32_t>(sizeof(kSets) / sizeof(kSets[0]));

}  // namespace

const QuantizeQs8Kernels* quantize_qs8_kernels(int32_t* count) {
  *count = kSetCount;
  return kSets;
}

bool quantize_qs8_kernels_available(const QuantizeQs8Kernels& k) { return isa_available(k.isa); }

const QuantizeQs8Kernels* select_quantize_qs8_kernels(Isa isa) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const QuantizeQs8Kernels& k : kSets) {
      if (k.isa == chain[c] && quantize_qs8_kernels_available(k)) return &k;
    }
  }
  return &kSets[kSetCount - 1];
}

}  // namespace octet::kernels
