// SPDX-License-Identifier: Apache-2.0
//
// FULLY_CONNECTED (docs/quantization.md §3): y[m][n] = x[m][k] · w[n][k]ᵀ + b[n].
// x is row-major with m = the product of the input's leading dims; w is in
// output-major [n][k] order (TFLite / ONNX Gemm with transB = 1).
#pragma once

#include <cstdint>

#include "kernels/common/types.h"

namespace octet::kernels {

/// fp32: y[i][j] = clamp(Σ_k x[i][k] · w[j][k] + bias[j]), summed in float in
/// k order, bias (nullable) added after the sum.
void fully_connected_f32_reference(int32_t m, int32_t n, int32_t k, const float* x, const float* w,
                                   const float* bias, const FloatClamp& clamp, float* y);

/// int8, per-channel (out.multiplier_count == n) or per-tensor (== 1) weights:
/// acc = bias[j] + Σ_k (x[i][k] − x_zero_point) · w[j][k];
/// y[i][j] = requantize_output(acc, M[j], t[j], zy, qmin, qmax). bias may be null.
void fully_connected_qs8_qc8w_reference(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                        int32_t x_zero_point, const int8_t* w, const int32_t* bias,
                                        const QuantOut& out, int8_t* y);

/// int16 × int8 (docs/quantization.md §6): symmetric int16 x (zero point 0),
/// int8 weights per channel (or per tensor), int64 bias (nullable):
/// acc = bias[j] + Σ_k x[i][k] · w[j][k] exact in int64;
/// y[i][j] = clamp(requantize_wide(acc, M[j], t[j]), qmin, qmax).
void fully_connected_qs16_qc8w_reference(int32_t m, int32_t n, int32_t k, const int16_t* x,
                                         const int8_t* w, const int64_t* bias, const QuantOut& out,
                                         int16_t* y);

/// Dynamic quantization (docs/quantization.md §7): the per-invoke int8
/// parameters of a float tensor, from its actual min/max (widened to
/// include 0): scale = (max − min) / 255, zero_point = clamp(round(−128 −
/// min / scale)); scale = 1, zero_point = 0 for an all-zero tensor.
struct DynamicQuant {
  float scale;
  int32_t zero_point;
};
DynamicQuant dynamic_quant_params_f32(size_t n, const float* x);
/// q = clamp(round_half_even(x / scale) + zero_point, −128, 127).
void dynamic_quantize_f32_qs8(size_t n, const float* x, const DynamicQuant& q, int8_t* y);

/// The integer part of a dynamically quantized FULLY_CONNECTED:
/// acc[i][j] = Σ_k (x[i][k] − x_zero_point) · w[j][k], exact in int32
/// (k · 255 · 127 < 2^31 is the caller's precondition).
void fully_connected_qd8_qc8w_acc_reference(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                            int32_t x_zero_point, const int8_t* w, int32_t* acc);
/// Same integers, fast: Σ_k x·w − x_zero_point · colsum[j] with the
/// column sums Σ_k w[j][k] precomputed (fully_connected_qd8_colsums), four
/// rows of x at a time. Bit-exact to the reference.
void fully_connected_qd8_qc8w_acc_fast(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                       int32_t x_zero_point, const int8_t* w,
                                       const int32_t* colsums, int32_t* acc);
void fully_connected_qd8_colsums(int32_t n, int32_t k, const int8_t* w, int32_t* colsums);
#if defined(OCTET_HAVE_AVX2)
/// The same integers on AVX2 (kernels/fully_connected/x86_avx2.cc); call
/// only when isa_available(Isa::kAvx2).
void fully_connected_qd8_qc8w_acc_avx2(int32_t m, int32_t n, int32_t k, const int8_t* x,
                                       int32_t x_zero_point, const int8_t* w,
                                       const int32_t* colsums, int32_t* acc);
/// int16 × int8 rows on AVX2 (kernels/fully_connected/x86_avx2.cc), bit-exact
/// to fully_connected_qs16_qc8w_reference: weights pre-widened to int16,
/// [n][kp], kp a multiple of 16, zeros past k (gemm_qs16_pack_weights); row
/// i of x at x + i·x_stride is read for kp elements (over-read ≤ 30 bytes);
/// row i of y at y + i·y_stride.
void gemm_qs16_qc8w_avx2(int32_t m, int32_t n, int32_t kp, const int16_t* x, size_t x_stride,
                         const int16_t* w16, const int64_t* bias, const QuantOut& out, int16_t* y,
                         size_t y_stride);
#endif
/// kp = k rounded up to 16; w16 [n][kp] = w widened, zeros past k.
inline int32_t gemm_qs16_padded_k(int32_t k) { return (k + 15) / 16 * 16; }
inline void gemm_qs16_pack_weights(int32_t n, int32_t k, const int8_t* w, int16_t* w16) {
  const int32_t kp = gemm_qs16_padded_k(k);
  for (int32_t j = 0; j < n; ++j) {
    for (int32_t p = 0; p < kp; ++p) {
      w16[static_cast<size_t>(j) * kp + p] = p < k ? w[static_cast<size_t>(j) * k + p] : 0;
    }
  }
}
/// Float epilogue: y[i][j] = clamp(acc[i][j] · (x_scale · w_scale[j]) +
/// bias[j]) with w_scales of n entries (or 1), bias nullable.
void fully_connected_qd8_dequantize(int32_t m, int32_t n, const int32_t* acc, float x_scale,
                                    const float* w_scales, int32_t w_scale_count,
                                    const float* bias, const FloatClamp& clamp, float* y);

}  // namespace octet::kernels
