// SPDX-License-Identifier: Apache-2.0
//
// fp32 GEMM microkernels: C[m][n] = clamp(bias[n] + Σ_k A[m][k]·W[n][k],
// min, max), bias and clamp fused. FULLY_CONNECTED, MATMUL with a constant
// B and fp32 CONV_2D (1×1 directly over NHWC pixels, K×K through im2col,
// grouped per group) run on these. Unlike int8, fp32 kernels are not
// bit-exact to the reference: they start from the bias and use FMA, the
// reference sums products in k order and adds the bias last. Both round at
// most k + 1 times per output, so the documented tolerance (docs/kernels.md
// "fp32") is |y − y_ref| ≤ 2·(k + 1)·ε·(Σ_k |A·W| + |bias|). Every kernel
// sums k in increasing order with the same instructions for every row, so a
// given kernel's output does not depend on how M or N are tiled.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/isa.h"
#include "kernels/common/types.h"

namespace octet::kernels {

/// Output clamp (±infinity when the operator has no fused activation).
struct GemmF32Params {
  float min, max;
};

inline GemmF32Params make_gemm_f32_params(const FloatClamp& c) {
  return GemmF32Params{c.min, c.max};
}

/// Computes rows [0, mr) (mr ≤ MR) and columns [0, nc) of C. Row i of A
/// starts at a + i·a_stride (bytes), row i of C at c + i·c_stride (bytes).
/// `w` is the packed block of the first column; the kernel walks
/// ceil(nc / NR) blocks. Reads exactly kc floats per A row (no over-read);
/// writes exactly mr × nc floats.
using GemmF32UkernelFn = void (*)(size_t mr, size_t nc, size_t kc, const float* a, size_t a_stride,
                                  const void* w, float* c, size_t c_stride,
                                  const GemmF32Params* params);

/// One entry of kernels/gemm_f32/kernels.inc.
struct GemmF32Kernel {
  const char* name;
  Isa isa;
  int32_t mr, nr;
  GemmF32UkernelFn fn;
};

/// Every fp32 GEMM kernel compiled in, best first within each ISA. Tests,
/// benchmarks and dispatch all expand this one list.
const GemmF32Kernel* gemm_f32_kernels(int32_t* count);

/// Kernel by name, or nullptr.
const GemmF32Kernel* find_gemm_f32_kernel(const char* name);

/// True when the host can run `k` (its ISA is available; the AVX2 kernels
/// also need FMA3, which cpuinfo reports separately).
bool gemm_f32_kernel_available(const GemmF32Kernel& k);

/// The kernel for an M-row problem on `isa` or the best lower path that has
/// one (isa_fallback_chain). For fp32, `avx512vnni` selects the AVX-512F
/// kernels and `avx2`/`avxvnni` the AVX2+FMA ones. Never null.
const GemmF32Kernel* select_gemm_f32_kernel(Isa isa, int64_t m);

/// Bytes of one packed block of NR columns: (1 + k)·NR floats.
size_t gemm_f32_packed_block_bytes(const GemmF32Kernel& kernel, int32_t k);
/// Bytes of the whole packed weight matrix (ceil(n / NR) blocks).
size_t gemm_f32_packed_bytes(const GemmF32Kernel& kernel, int32_t n, int32_t k);

/// Packs W (element (n, k) at w[n·stride_n + k·stride_k], so both [N][K]
/// weights and a [K][N] MATMUL operand pack without a copy) and the bias
/// (nullable) into `packed` (gemm_f32_packed_bytes long, 64-byte aligned
/// preferred; fully written). Per block of NR columns: bias[NR], then
/// W[k][NR]; padding columns are zero and never stored by the kernels.
void gemm_f32_pack(const GemmF32Kernel& kernel, int32_t n, int32_t k, const float* w,
                   size_t stride_n, size_t stride_k, const float* bias, void* packed);

}  // namespace octet::kernels
