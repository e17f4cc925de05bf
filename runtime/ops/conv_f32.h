// SPDX-License-Identifier: Apache-2.0
//
// The fast fp32 paths of CONV_2D, FULLY_CONNECTED and MATMUL (runtime/ops/
// conv_f32.cc), called from the fp32 branches of runtime/ops/conv.cc after
// their checks. Each one either takes the operator (packs the weights,
// plans tiles and scratch, sets the step's params, eval and kernel name;
// *taken = true) or leaves the reference eval the caller installed.
#pragma once

#include "runtime/interpreter.h"

namespace octet::rt {

/// CONV_2D fp32 with constant weights (and bias): depthwise (groups == in_c
/// == out_c) on kernels/dwconv2d_f32; anything else on kernels/gemm_f32 per
/// group, 1×1 stride-1 unpadded directly over NHWC pixels, K×K via im2col.
octet_status prepare_conv2d_f32_fast(PrepareContext& ctx, const kernels::Conv2DShape& s,
                                     const kernels::FloatClamp& clamp, bool* taken);

/// FULLY_CONNECTED fp32 (constant weights [N][K], bias) on kernels/gemm_f32.
octet_status prepare_fully_connected_f32_fast(PrepareContext& ctx, int32_t m, int32_t n, int32_t k,
                                              const kernels::FloatClamp& clamp, bool* taken);

/// MATMUL fp32 with a constant rank-2 B [K][N] on kernels/gemm_f32.
octet_status prepare_matmul_f32_fast(PrepareContext& ctx, const kernels::MatMulShape& s,
                                     const kernels::FloatClamp& clamp, bool* taken);

}  // namespace octet::rt
