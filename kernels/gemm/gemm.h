// SPDX-License-Identifier: Apache-2.0
//
// GEMM microkernels: C[m][n] = requantize(bias[n] + Σ_k (A[m][k] − za)·W[n][k])
// for int8 activations (qs8) and symmetric per-channel int8 weights (qc8w),
// with bias, requantization, zero point and clamp fused in the epilogue. The
// semantics are fully_connected_qs8_qc8w_reference's (docs/quantization.md
// §3); every kernel here is bit-exact to it. FULLY_CONNECTED and CONV_2D (1×1
// directly, K×K through im2col) run on these. Packed layouts: docs/kernels.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"

namespace octet::kernels {

/// Output side shared by all columns (the per-channel multipliers live in
/// the packed weights). Built once at prepare by make_gemm_params().
struct GemmParams {
  int32_t zero_point;
  int32_t qmin, qmax;
  int32_t pad_;
  /// qmin − zero_point and qmax − zero_point: the clamp applied to the
  /// requantized value before the zero point is added (same result as
  /// clamp(r + zp, qmin, qmax), without a 64-bit add).
  int64_t lo, hi;
};

inline GemmParams make_gemm_params(const QuantOut& out) {
  GemmParams p;
  p.zero_point = out.zero_point;
  p.qmin = out.qmin;
  p.qmax = out.qmax;
  p.pad_ = 0;
  p.lo = int64_t{out.qmin} - out.zero_point;
  p.hi = int64_t{out.qmax} - out.zero_point;
  return p;
}

/// Computes rows [0, mr) (mr ≤ MR) and columns [0, nc) of C. Row i of A
/// starts at a + i·a_stride (bytes), row i of C at c + i·c_stride. `w` is
/// the packed block of the first column; the kernel walks ceil(nc / NR)
/// blocks. Reads up to KR − 1 bytes past the kc-th byte of each A row
/// (within OCTET_EXTRA_BYTES); writes exactly mr × nc bytes.
using GemmUkernelFn = void (*)(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                               const void* w, int8_t* c, size_t c_stride, const GemmParams* params);

/// Packed-weight families (docs/kernels.md).
enum class GemmLayout : int32_t {
  /// int8 weights in groups of 4 along K; A is read as A + 128 (u8), and
  /// −(za + 128)·Σ_k W[n][k] is folded into the bias. Requant params split
  /// by lane parity in groups of 16 channels. vpdpbusd kernels and scalar.
  kC4Offset128 = 0,
  /// int16 weights in groups of 8 along K, channel j of an 8-block paired
  /// with j + 4 in one 256-bit row; −za·Σ_k W[n][k] folded into the bias.
  /// Requant params split by parity in groups of 8. AVX2 vpmaddwd kernels.
  kC8Int16 = 1,
  /// int8 weights in groups of KR along K ([K/KR][NR][KR] per block), A used
  /// as is: NEON smull and sdot multiply s8 × s8, so no +128 offset; only
  /// −za·Σ_k W[n][k] is folded into the bias. Requant params in channel
  /// order. ARM kernels (arm_neon c8, arm_neondot c4).
  kS8 = 2,
};

/// One entry of the GEMM kernel list (kernels/gemm/kernels.inc).
struct GemmKernel {
  const char* name;
  Isa isa;
  int32_t mr, nr, kr;
  GemmLayout layout;
  GemmUkernelFn fn;
};

/// Every GEMM kernel compiled in, best first within each ISA. Tests,
/// benchmarks and dispatch all expand this one list.
const GemmKernel* gemm_kernels(int32_t* count);

/// Kernel by name, or nullptr.
const GemmKernel* find_gemm_kernel(const char* name);

/// The kernel for an M-row problem on `isa` (or the best lower path that has
/// one; see isa_fallback_chain). Never null: scalar always exists.
const GemmKernel* select_gemm_kernel(Isa isa, int64_t m);

/// Bytes of one packed block of NR columns for reduction length k.
size_t gemm_packed_block_bytes(const GemmKernel& kernel, int32_t k);
/// Bytes of the whole packed weight matrix (ceil(n / NR) blocks).
size_t gemm_packed_bytes(const GemmKernel& kernel, int32_t n, int32_t k);

/// Packs W [n][k] (row stride k), bias (nullable), the multipliers
/// (count 1 or n) and the input zero point into `packed`
/// (gemm_packed_bytes long, 64-byte aligned preferred; fully written).
void gemm_pack_qs8_qc8w(const GemmKernel& kernel, int32_t n, int32_t k, const int8_t* w,
                        const int32_t* bias, const Multiplier* multipliers,
                        int32_t multiplier_count, int32_t input_zero_point, void* packed);

}  // namespace octet::kernels
