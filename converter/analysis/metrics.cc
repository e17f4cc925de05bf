// SPDX-License-Identifier: Apache-2.0
#include "converter/analysis/metrics.h"

#include <algorithm>
#include <cmath>

namespace octet::analysis {

void ErrorStats::add(const float* ref, const float* got, size_t n, float clip_lo, float clip_hi,
                     float step) {
  // Per-sample sums in double: a 1M-value tensor in float would lose the
  // small error terms against the large signal terms.
  double xx = 0, yy = 0, xy = 0, ee = 0;
  const float lo = clip_lo - 0.5f * step, hi = clip_hi + 0.5f * step;
  for (size_t i = 0; i < n; ++i) {
    const double x = ref[i], y = got[i], e = x - y;
    xx += x * x;
    yy += y * y;
    xy += x * y;
    ee += e * e;
    max_abs_ = std::max(max_abs_, std::fabs(e));
    clipped_ += (ref[i] < lo || ref[i] > hi) ? 1 : 0;
    ref_min_ = std::min(ref_min_, ref[i]);
    ref_max_ = std::max(ref_max_, ref[i]);
  }
  double cos;
  if (xx == 0 && yy == 0) {
    cos = 1.0;
  } else if (xx == 0 || yy == 0) {
    cos = 0.0;
  } else {
    cos = std::clamp(xy / std::sqrt(xx * yy), -1.0, 1.0);
  }
  cos_sum_ += cos;
  cos_min_ = samples_ == 0 ? cos : std::min(cos_min_, cos);
  l2_sum_ += std::sqrt(ee);
  ref2_ += xx;
  err2_ += ee;
  values_ += n;
  ++samples_;
}

double ErrorStats::relative_l2() const {
  if (err2_ == 0) return 0.0;
  if (ref2_ == 0) return std::numeric_limits<double>::infinity();
  return std::sqrt(err2_ / ref2_);
}

double ErrorStats::sqnr_db() const {
  if (err2_ == 0) return std::numeric_limits<double>::infinity();
  if (ref2_ == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(ref2_ / err2_);
}

}  // namespace octet::analysis
