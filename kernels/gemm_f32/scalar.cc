// SPDX-License-Identifier: Apache-2.0
//
// Portable fp32 GEMM kernels, MR×8: per 8-column block, bias[8] then
// W[k][8] (kernels/gemm_f32/list.cc). MR rows share each weight load; rows
// past mr repeat the last row and are not stored. Accumulators start at the
// bias and add A·W in k order with a separate multiply and add (this
// library is built without -mfma, so no contraction). Reads exactly kc
// floats per A row. The layout's executable specification.
#include "kernels/gemm_f32/gemm_f32.h"

namespace octet::kernels {
namespace {

constexpr size_t kNr = 8;

template <int MR>
void gemm_f32_scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                     const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  const float* ar[MR];
  for (int i = 0; i < MR; ++i) {
    const size_t row = static_cast<size_t>(i) < mr ? static_cast<size_t>(i) : mr - 1;
    ar[i] = reinterpret_cast<const float*>(reinterpret_cast<const char*>(a) + row * a_stride);
  }
  const float* block = static_cast<const float*>(w);
  const float lo = params->min, hi = params->max;
  for (size_t n0 = 0; n0 < nc; n0 += kNr, block += (1 + kc) * kNr) {
    const size_t cols = nc - n0 < kNr ? nc - n0 : kNr;
    float acc[MR][kNr];
    for (int i = 0; i < MR; ++i) {
      for (size_t j = 0; j < kNr; ++j) acc[i][j] = block[j];
    }
    const float* wk = block + kNr;
    for (size_t k = 0; k < kc; ++k, wk += kNr) {
      for (int i = 0; i < MR; ++i) {
        const float av = ar[i][k];
        for (size_t j = 0; j < kNr; ++j) acc[i][j] += av * wk[j];
      }
    }
    for (size_t i = 0; i < mr; ++i) {
      float* cr = reinterpret_cast<float*>(reinterpret_cast<char*>(c) + i * c_stride) + n0;
      for (size_t j = 0; j < cols; ++j) {
        const float v = acc[i][j];
        cr[j] = v < lo ? lo : (v > hi ? hi : v);
      }
    }
  }
}

}  // namespace

void gemm_f32_4x8_scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                         const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_scalar<4>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_f32_1x8_scalar(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                         const void* w, float* c, size_t c_stride, const GemmF32Params* params) {
  gemm_f32_scalar<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
