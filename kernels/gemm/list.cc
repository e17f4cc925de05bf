// SPDX-License-Identifier: Apache-2.0
//
// The GEMM kernel table, the packer, and kernel selection.
#include <cassert>
#include <cstring>

#include "kernels/gemm/gemm.h"

namespace octet::kernels {

#define OCTET_GEMM_KERNEL(name, isa, mr, nr, kr, layout)                                       \
  void name(size_t mr_, size_t nc, size_t kc, const int8_t* a, size_t a_stride, const void* w, \
            int8_t* c, size_t c_stride, const GemmParams* params);
#include "kernels/gemm/kernels.inc"
#undef OCTET_GEMM_KERNEL

namespace {

constexpr GemmKernel kKernels[] = {
#define OCTET_GEMM_KERNEL(name, isa, mr, nr, kr, layout) \
  {#name, Isa::isa, mr, nr, kr, GemmLayout::layout, name},
#include "kernels/gemm/kernels.inc"
#undef OCTET_GEMM_KERNEL
};
constexpr int32_t kKernelCount = static_cast<int32_t>(sizeof(kKernels) / sizeof(kKernels[0]));

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

int32_t weight_bytes(GemmLayout l) { return l == GemmLayout::kC8Int16 ? 2 : 1; }
// Channels per requantization vector (parity split granule); 1 = channel
// order (parity_slot(j, 1) == j).
int32_t requant_group(GemmLayout l) {
  return l == GemmLayout::kC8Int16 ? 8 : (l == GemmLayout::kS8 ? 1 : 16);
}

// Where channel j of a block keeps its rounding term and shift: within each
// group of G channels, even channels first, then odd ones, because vpmuldq
// produces the even lanes' and the odd lanes' 64-bit products separately.
size_t parity_slot(int32_t j, int32_t g) {
  const int32_t base = j / g * g, r = j % g;
  return static_cast<size_t>(base + (r % 2) * (g / 2) + r / 2);
}

}  // namespace

const GemmKernel* gemm_kernels(int32_t* count) {
  *count = kKernelCount;
  return kKernels;
}

const GemmKernel* find_gemm_kernel(const char* name) {
  for (const GemmKernel& k : kKernels) {
    if (strcmp(k.name, name) == 0) return &k;
  }
  return nullptr;
}

const GemmKernel* select_gemm_kernel(Isa isa, int64_t m) {
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    // Best first: the first kernel whose MR the problem fills, else the
    // one with the smallest MR (no redundant rows for tiny M).
    const GemmKernel* smallest = nullptr;
    for (const GemmKernel& k : kKernels) {
      if (k.isa != chain[c]) continue;
      if (k.mr <= m) return &k;
      if (smallest == nullptr || k.mr < smallest->mr) smallest = &k;
    }
    if (smallest != nullptr) return smallest;
  }
  return &kKernels[kKernelCount - 1];
}

size_t gemm_packed_block_bytes(const GemmKernel& kernel, int32_t k) {
  const size_t nr = static_cast<size_t>(kernel.nr);
  const size_t kp = round_up(static_cast<size_t>(k), static_cast<size_t>(kernel.kr));
  // bias (int32) + weights + multiplier (int32) + rounding (int64) + shift (int64)
  return nr * 4 + kp * nr * static_cast<size_t>(weight_bytes(kernel.layout)) + nr * 4 + nr * 16;
}

size_t gemm_packed_bytes(const GemmKernel& kernel, int32_t n, int32_t k) {
  const size_t blocks = (static_cast<size_t>(n) + kernel.nr - 1) / kernel.nr;
  return blocks * gemm_packed_block_bytes(kernel, k);
}

void gemm_pack_qs8_qc8w(const GemmKernel& kernel, int32_t n, int32_t k, const int8_t* w,
                        const int32_t* bias, const Multiplier* multipliers,
                        int32_t multiplier_count, int32_t input_zero_point, void* packed) {
  assert(multiplier_count == 1 || multiplier_count == n);
  const int32_t nr = kernel.nr, kr = kernel.kr;
  const size_t kp = round_up(static_cast<size_t>(k), static_cast<size_t>(kr));
  const size_t block_bytes = gemm_packed_block_bytes(kernel, k);
  const bool wide = kernel.layout == GemmLayout::kC8Int16;
  // vpdpbusd sees A + 128: subtract (za + 128)·Σw instead of za·Σw.
  const int64_t a_offset = kernel.layout == GemmLayout::kC4Offset128
                               ? int64_t{input_zero_point} + 128
                               : input_zero_point;
  const int32_t g = requant_group(kernel.layout);
  uint8_t* out = static_cast<uint8_t*>(packed);
  memset(out, 0, gemm_packed_bytes(kernel, n, k));
  for (int32_t n0 = 0; n0 < n; n0 += nr) {
    int32_t* b = reinterpret_cast<int32_t*>(out);
    uint8_t* wp = out + static_cast<size_t>(nr) * 4;
    int32_t* mult = reinterpret_cast<int32_t*>(wp + kp * nr * (wide ? 2 : 1));
    int64_t* rnd = reinterpret_cast<int64_t*>(mult + nr);
    int64_t* shift = rnd + nr;
    for (int32_t j = 0; j < nr; ++j) {
      const int32_t ch = n0 + j;
      if (ch >= n) {
        // Padding columns: zero weights and multiplier, a valid shift; the
        // kernel computes them and never stores them.
        shift[parity_slot(j, g)] = 1;
        continue;
      }
      const int8_t* row = w + static_cast<size_t>(ch) * k;
      int64_t sum = 0;
      for (int32_t p = 0; p < k; ++p) sum += row[p];
      // The true accumulator fits int32 (loader bound); bias' and the partial
      // sums may not, but int32 arithmetic wraps mod 2^32 and the final sum
      // is exact. Convert through uint32 for well-defined wrapping.
      const int64_t bb = (bias != nullptr ? bias[ch] : 0) - a_offset * sum;
      b[j] = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(bb)));
      for (int32_t p = 0; p < k; ++p) {
        const size_t group = static_cast<size_t>(p / kr), kk = static_cast<size_t>(p % kr);
        if (wide) {
          // 8-channel block: 256-bit row r holds channel r (low half) and
          // r + 4 (high half), 8 k each.
          int16_t* wg = reinterpret_cast<int16_t*>(wp) + group * 8 * 8;
          const size_t pos = static_cast<size_t>(j % 4) * 16 + static_cast<size_t>(j / 4) * 8 + kk;
          wg[pos] = row[p];
        } else {
          int8_t* wg = reinterpret_cast<int8_t*>(wp) + group * nr * kr;
          wg[static_cast<size_t>(j) * kr + kk] = row[p];
        }
      }
      const Multiplier& m = multipliers[multiplier_count == 1 ? 0 : ch];
      mult[j] = m.multiplier;
      rnd[parity_slot(j, g)] = int64_t{1} << (m.rshift - 1);
      shift[parity_slot(j, g)] = m.rshift;
    }
    out += block_bytes;
  }
}

}  // namespace octet::kernels
