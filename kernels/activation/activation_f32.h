// SPDX-License-Identifier: Apache-2.0
//
// Vectorized fp32 activations (issue #6): one set of kernels per ISA, listed
// in kernels/activation/kernels.inc and chosen once at prepare. Every kernel
// here except sigmoid is bit-exact to its *_f32_reference in activation.h,
// NaN and ±0 included: no fused multiply-add where the reference rounds twice, and the
// min/max operand order that reproduces the reference's comparisons.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/activation/activation.h"
#include "kernels/common/isa.h"

namespace octet::kernels {

/// One ISA's fp32 activation kernels (signatures as the references').
struct ActivationF32Kernels {
  const char* name;  ///< "scalar", "avx2", "avx512f"
  Isa isa;           ///< path that selects this set
  void (*clamp)(size_t n, const float* x, const FloatClamp& act, float* y);
  void (*hard_swish)(size_t n, const float* x, float* y);
  void (*hard_sigmoid)(size_t n, const float* x, float alpha, float beta, float* y);
  /// Kernel names for profiles: "clamp_f32_<name>" etc.
  const char* clamp_name;
  const char* hard_swish_name;
  const char* hard_sigmoid_name;
  /// Not bit-exact: a vectorized exp (degree-7 polynomial, x86_avx2.cc).
  /// Tested bound (tests/kernels/activation_f32_test.cc, every x in
  /// [-90, 90] at step 2^-10 plus specials): |y − y_ref| ≤ 4 ulp(y_ref)
  /// where y_ref ≥ 2^-126 (measured maximum: 2 ulp on both x86 paths); for
  /// x < −87.33654 = ln 2^-126 the result is 0 where the reference is
  /// subnormal. NaN, ±inf, ±0 as the reference.
  void (*sigmoid)(size_t n, const float* x, float* y);
  const char* sigmoid_name;
};

/// Every set compiled in, best first; the last is the reference set.
const ActivationF32Kernels* activation_f32_kernels(int32_t* count);

/// True when the host can run `k`.
bool activation_f32_kernels_available(const ActivationF32Kernels& k);

/// The best set on `isa`'s fallback chain (isa_fallback_chain).
const ActivationF32Kernels* select_activation_f32_kernels(Isa isa);

}  // namespace octet::kernels
