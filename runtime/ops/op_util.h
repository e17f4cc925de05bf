// SPDX-License-Identifier: Apache-2.0
//
// Checks shared by the operator prepare functions.
#pragma once

#include "runtime/interpreter.h"

namespace octet::rt {

/// int8 activation with per-tensor parameters.
inline octet_status expect_qs8_activation(PrepareContext& ctx, const TensorDesc& t,
                                          const char* role) {
  octet_status s = ctx.expect_dtype(t, role, OCTET_INT8);
  if (s != OCTET_OK) return s;
  return ctx.expect_per_tensor_quant(t, role);
}

/// Same scale and zero point (data-movement ops move codes, not values).
inline octet_status expect_same_quant(PrepareContext& ctx, const TensorDesc& a,
                                      const TensorDesc& b) {
  if (a.quant_count != b.quant_count ||
      (a.quant_count == 1 && (a.scale() != b.scale() || a.zero_point() != b.zero_point()))) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "'%s' and '%s' must have the same quantization (this operator moves codes)",
                    a.name, b.name);
  }
  return OCTET_OK;
}

/// Symmetric int8 weights, per tensor or per `axis` (constant data).
inline octet_status expect_qs8_weights(PrepareContext& ctx, const TensorDesc& w, int32_t axis) {
  octet_status s = ctx.expect_dtype(w, "weights", OCTET_INT8);
  if (s != OCTET_OK) return s;
  if (!w.is_constant()) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "int8 weights '%s' must be a constant", w.name);
  }
  if (w.quant_count == 0 || (w.quant_count > 1 && w.quant_axis != axis)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "weights '%s' need per-tensor or per-axis-%d quantization", w.name, axis);
  }
  for (int32_t i = 0; i < w.quant_count; ++i) {
    if (w.zero_point(i) != 0) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "weights '%s' must be symmetric (zero_point[%d] = %d)", w.name, i,
                      w.zero_point(i));
    }
  }
  return OCTET_OK;
}

/// Optional int32 bias of `n` elements (or f32 for the float path).
inline octet_status expect_bias(PrepareContext& ctx, int32_t index, octet_dtype dtype, int32_t n) {
  if (!ctx.has_input(index)) return OCTET_OK;
  const TensorDesc& b = ctx.input(index);
  octet_status s = ctx.expect_dtype(b, "bias", dtype);
  if (s != OCTET_OK) return s;
  if (b.elements != static_cast<size_t>(n) || b.rank != 1) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "bias '%s' has %zu elements, expected [%d]", b.name,
                    b.elements, n);
  }
  return OCTET_OK;
}

/// docs/quantization.md §3: K · 255 · 128 + max|bias| must fit in int32.
inline octet_status expect_no_accumulator_overflow(PrepareContext& ctx, int64_t k,
                                                   int32_t bias_index) {
  int64_t max_bias = 0;
  if (bias_index >= 0 && ctx.has_input(bias_index) && ctx.input(bias_index).is_constant()) {
    const TensorDesc& b = ctx.input(bias_index);
    const int32_t* v = reinterpret_cast<const int32_t*>(b.data);
    for (size_t i = 0; i < b.elements; ++i) {
      const int64_t a = v[i] < 0 ? -int64_t{v[i]} : int64_t{v[i]};
      if (a > max_bias) max_bias = a;
    }
  }
  if (k * 255 * 128 + max_bias > INT32_MAX) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED,
                    "reduction length %lld with bias up to %lld could overflow the int32 "
                    "accumulator",
                    static_cast<long long>(k), static_cast<long long>(max_bias));
  }
  return OCTET_OK;
}

/// Output side of an int8 operator from its integer parameters.
inline octet_status make_quant_out(PrepareContext& ctx, const TensorDesc& y, int32_t count_a,
                                   int32_t count_b, kernels::QuantOut* out) {
  octet_status s = ctx.multipliers(count_a, count_b, &out->multipliers, &out->multiplier_count);
  if (s != OCTET_OK) return s;
  out->zero_point = y.zero_point();
  return ctx.qclamp(&out->qmin, &out->qmax);
}

}  // namespace octet::rt
