// SPDX-License-Identifier: Apache-2.0
//
// Types shared by every kernel. Kernels see sizes in elements and plain
// pointers; they never allocate, start threads or return errors.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common/requantize.h"

/// Kernels may read up to this many bytes past the end of an input buffer
/// (never write past an output); the arena planner pads every buffer by it.
#define OCTET_EXTRA_BYTES 64

namespace octet::kernels {

constexpr int kMaxRank = 6;

/// Output side of an int8 operator: zero point, clamp and the per-channel
/// (count = channels) or per-tensor (count = 1) multipliers.
struct QuantOut {
  int32_t zero_point = 0;
  int32_t qmin = -128;
  int32_t qmax = 127;
  const Multiplier* multipliers = nullptr;
  int32_t multiplier_count = 0;

  const Multiplier& for_channel(int32_t c) const {
    return multipliers[multiplier_count == 1 ? 0 : c];
  }
};

/// fp32 fused activation: clamp to [min, max] (±infinity when absent).
struct FloatClamp {
  float min;
  float max;
};

inline float clamp_f32(float v, const FloatClamp& c) {
  return v < c.min ? c.min : (v > c.max ? c.max : v);
}

}  // namespace octet::kernels
