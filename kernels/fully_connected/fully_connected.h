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

}  // namespace octet::kernels
