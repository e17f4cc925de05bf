// SPDX-License-Identifier: Apache-2.0
//
// Streaming error statistics of one tensor: a quantized network's value `y`
// against the float network's `x` at the same place, one sample at a time.
// Memory is a handful of scalars whatever the number of samples
// (docs/analysis.md defines every metric).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace octet::analysis {

class ErrorStats {
 public:
  /// Adds one sample: `ref` = float network, `got` = quantized network
  /// (dequantized), `n` values each. Values of `ref` outside
  /// [clip_lo, clip_hi] by more than half a quantization step `step` count
  /// as clipped (pass ±inf and 0 for a float tensor).
  void add(const float* ref, const float* got, size_t n, float clip_lo, float clip_hi, float step);

  size_t samples() const { return samples_; }
  size_t values() const { return values_; }
  /// Mean over samples of cos(x, y) = x·y / (|x| |y|); 1 when both are
  /// zero, 0 when exactly one is.
  double cosine() const { return samples_ ? cos_sum_ / double(samples_) : 1.0; }
  /// Smallest per-sample cosine.
  double cosine_min() const { return samples_ ? cos_min_ : 1.0; }
  /// Mean over samples of the Euclidean distance |x − y|.
  double l2() const { return samples_ ? l2_sum_ / double(samples_) : 0.0; }
  /// sqrt(Σ|x − y|² / Σ|x|²) over all samples (0 when x is all zero and y = x).
  double relative_l2() const;
  /// 10·log10(Σ|x|² / Σ|x − y|²) over all samples; +inf when y = x exactly.
  double sqnr_db() const;
  double max_abs_error() const { return max_abs_; }
  /// Share of `ref` values beyond the quantization range (see add()).
  double clipped_fraction() const { return values_ ? double(clipped_) / double(values_) : 0.0; }
  /// Range of `ref` seen.
  float ref_min() const { return values_ ? ref_min_ : 0.0f; }
  float ref_max() const { return values_ ? ref_max_ : 0.0f; }

 private:
  size_t samples_ = 0, values_ = 0, clipped_ = 0;
  double ref2_ = 0, err2_ = 0;
  double cos_sum_ = 0, cos_min_ = 1.0, l2_sum_ = 0, max_abs_ = 0;
  float ref_min_ = std::numeric_limits<float>::infinity();
  float ref_max_ = -std::numeric_limits<float>::infinity();
};

}  // namespace octet::analysis
