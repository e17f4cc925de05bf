// SPDX-License-Identifier: Apache-2.0
//
// Tables and multipliers for the elementwise int8 operators, computed in
// double precision from the float scales stored in the model.
#include "converter/quant/lut.h"

#include <cassert>
#include <cmath>

#include "converter/quant/quant_math.h"

namespace octet::quant {
namespace {

bool valid_scale(double s) { return std::isfinite(s) && s > 0.0; }

bool valid_int8(int32_t v) { return v >= -128 && v <= 127; }

double saturate01(double v) { return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v); }

double evaluate(LutFunction f, double alpha, double beta, double x) {
  switch (f) {
    case kSigmoid:
      return x >= 0.0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
    case kTanh:
      return std::tanh(x);
    case kHardSwish:
      return x * saturate01(x / 6.0 + 0.5);
    case kHardSigmoid:
      return saturate01(alpha * x + beta);
    case kLeakyRelu:
      return x >= 0.0 ? x : alpha * x;
  }
  return 0.0;
}

}  // namespace

bool build_lut_qs8(LutFunction f, float alpha, float beta, float x_scale, int32_t x_zero_point,
                   float y_scale, int32_t y_zero_point, int32_t qmin, int32_t qmax,
                   int8_t lut[256]) {
  if (f != kSigmoid && f != kTanh && f != kHardSwish && f != kHardSigmoid && f != kLeakyRelu) {
    return false;
  }
  if (!valid_scale(x_scale) || !valid_scale(y_scale)) return false;
  if (!std::isfinite(alpha) || !std::isfinite(beta)) return false;
  if (!valid_int8(x_zero_point) || !valid_int8(y_zero_point)) return false;
  if (!valid_int8(qmin) || !valid_int8(qmax) || qmin > qmax) return false;
  for (int32_t i = 0; i < 256; ++i) {
    const double x = static_cast<double>(x_scale) * (i - 128 - x_zero_point);
    const double v = evaluate(f, alpha, beta, x) / static_cast<double>(y_scale);
    // Clamp in double before converting: v can be far outside int32 when the
    // output scale is tiny, and the conversion of such a value is undefined.
    double q = round_half_even(v) + y_zero_point;
    q = q < qmin ? qmin : (q > qmax ? qmax : q);
    lut[i] = static_cast<int8_t>(static_cast<int32_t>(q));
  }
  return true;
}

void build_softmax_exp_table(float beta, float x_scale, int32_t table[256]) {
  const double k = static_cast<double>(beta) * static_cast<double>(x_scale);
  assert(std::isfinite(k) && k >= 0.0);
  for (int32_t d = 0; d < 256; ++d) {
    double e = round_half_even(std::ldexp(std::exp(-k * d), 24));
    // Only reachable when the precondition is broken (k < 0 or NaN): keep the
    // conversion defined and the table non-negative.
    if (!(e >= 0.0)) e = 0.0;
    if (e > 2147483647.0) e = 2147483647.0;
    table[d] = static_cast<int32_t>(e);
  }
}

bool add_sub_multipliers(float sa, float sb, float sy, kernels::Multiplier out[3]) {
  if (!valid_scale(sa) || !valid_scale(sb) || !valid_scale(sy)) return false;
  const double a = sa;
  const double b = sb;
  const double twice_max = 2.0 * (a > b ? a : b);
  kernels::Multiplier m[3];
  if (!quantize_multiplier(a / twice_max, &m[0]) || !quantize_multiplier(b / twice_max, &m[1]) ||
      !quantize_multiplier(twice_max / (std::ldexp(1.0, 20) * sy), &m[2])) {
    return false;
  }
  out[0] = m[0];
  out[1] = m[1];
  out[2] = m[2];
  return true;
}

bool mul_multiplier(float sa, float sb, float sy, kernels::Multiplier* out) {
  if (!valid_scale(sa) || !valid_scale(sb) || !valid_scale(sy)) return false;
  return quantize_multiplier(static_cast<double>(sa) * sb / sy, out);
}

bool prelu_multipliers(float sx, float salpha, float sy, kernels::Multiplier out[2]) {
  if (!valid_scale(sx) || !valid_scale(salpha) || !valid_scale(sy)) return false;
  kernels::Multiplier m[2];
  if (!quantize_multiplier(static_cast<double>(sx) / sy, &m[0]) ||
      !quantize_multiplier(static_cast<double>(sx) * salpha / sy, &m[1])) {
    return false;
  }
  out[0] = m[0];
  out[1] = m[1];
  return true;
}

bool softmax_output_multiplier(float sy, kernels::Multiplier* out) {
  if (!valid_scale(sy)) return false;
  kernels::Multiplier m;
  if (!quantize_multiplier(1.0 / static_cast<double>(sy), &m) || m.rshift > 31) return false;
  *out = m;
  return true;
}

}  // namespace octet::quant
