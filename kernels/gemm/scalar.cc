// SPDX-License-Identifier: Apache-2.0
//
// Portable GEMM kernels, MR×16c4, on the same packed layout as the vpdpbusd
// kernels (GemmLayout::kC4Offset128): per 16-column block, int32 bias with
// −(za+128)·Σw folded in, int8 weights [K/4][16][4], then multiplier,
// rounding and shift per channel (parity-split). A is used as A + 128, the
// same u8 operand vpdpbusd sees, so this is the layout's executable
// specification. Reads exactly kc bytes per A row (no over-read). The
// epilogue is requantize() of kernels/common/requantize.h, spelled out.
#include <cstring>

#include "kernels/gemm/gemm.h"

namespace octet::kernels {
namespace {

constexpr int kNr = 16;
constexpr int kKr = 4;

template <int MR>
void gemm_c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                    const void* w, int8_t* c, size_t c_stride, const GemmParams* params) {
  const size_t kp = (kc + kKr - 1) / kKr * kKr;
  const size_t block_bytes = kNr * 4 + kp * kNr + kNr * 20;
  const uint8_t* block = static_cast<const uint8_t*>(w);
  for (size_t n0 = 0; n0 < nc; n0 += kNr, block += block_bytes) {
    const size_t ncols = nc - n0 < kNr ? nc - n0 : kNr;
    int32_t bias[kNr];
    memcpy(bias, block, sizeof(bias));
    const int8_t* wk = reinterpret_cast<const int8_t*>(block + kNr * 4);
    const uint8_t* rq = block + kNr * 4 + kp * kNr;
    int32_t mult[kNr];
    int64_t rnd[kNr], shift[kNr];
    memcpy(mult, rq, sizeof(mult));
    memcpy(rnd, rq + kNr * 4, sizeof(rnd));
    memcpy(shift, rq + kNr * 12, sizeof(shift));
    // MR rows at once share each weight load; rows past mr repeat the last
    // row and are not stored.
    const int8_t* ar[MR];
    for (int i = 0; i < MR; ++i) ar[i] = a + (i < static_cast<int>(mr) ? i : mr - 1) * a_stride;
    // uint32 accumulation wraps mod 2^32 exactly like vpdpbusd's int32.
    uint32_t acc[MR][kNr];
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < kNr; ++j) acc[i][j] = static_cast<uint32_t>(bias[j]);
    }
    for (size_t k = 0; k < kc; ++k) {
      const int8_t* wg = wk + (k / kKr) * kNr * kKr + k % kKr;
      for (int i = 0; i < MR; ++i) {
        const int32_t u = static_cast<int32_t>(ar[i][k]) + 128;
        for (int j = 0; j < kNr; ++j) {
          acc[i][j] += static_cast<uint32_t>(u * static_cast<int32_t>(wg[j * kKr]));
        }
      }
    }
    for (size_t i = 0; i < mr; ++i) {
      int8_t* cr = c + i * c_stride + n0;
      for (size_t j = 0; j < ncols; ++j) {
        const size_t slot = (j % 2) * (kNr / 2) + j / 2;
        const int64_t p = static_cast<int64_t>(static_cast<int32_t>(acc[i][j])) * mult[j];
        int64_t r = (p + rnd[slot]) >> shift[slot];
        r = r < params->lo ? params->lo : (r > params->hi ? params->hi : r);
        cr[j] = static_cast<int8_t>(r + params->zero_point);
      }
    }
  }
}

}  // namespace

void gemm_qs8_qc8w_4x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                 const void* w, int8_t* c, size_t c_stride,
                                 const GemmParams* params) {
  gemm_c4_scalar<4>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

void gemm_qs8_qc8w_1x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t* a, size_t a_stride,
                                 const void* w, int8_t* c, size_t c_stride,
                                 const GemmParams* params) {
  gemm_c4_scalar<1>(mr, nc, kc, a, a_stride, w, c, c_stride, params);
}

}  // namespace octet::kernels
