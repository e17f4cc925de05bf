// SPDX-License-Identifier: Apache-2.0
//
// Streaming range statistics of one tensor: exact min/max, moving-average
// min/max, and a bounded-memory histogram from which percentile, KL
// (entropy) and MSE ranges are chosen after one pass over the data.
//
// The histogram has kBins bins on each side of zero, all of width `w`:
// positive bin i holds [i·w, (i+1)·w), negative bin i holds (−(i+1)·w, −i·w].
// When a value falls beyond kBins·w, w doubles and adjacent bins merge
// pairwise — exact, because the origin (0) stays a bin edge — so memory is
// fixed (2·kBins counts) whatever the data, and zero, which quantization must
// represent exactly, is always a bin boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace octet::ptq {

/// A calibration method and its parameter.
struct RangeMethod {
  enum Kind { kMinMax, kEma, kPercentile, kKl, kMse } kind = kMinMax;
  double percentile = 99.99;  ///< kPercentile
  /// "minmax", "ema", "percentile:99.99", "kl", "mse".
  std::string to_string() const;
};

/// Parses "minmax", "ema", "percentile", "percentile:P", "kl"/"entropy",
/// "mse". Throws std::invalid_argument naming the accepted spellings.
RangeMethod parse_range_method(const std::string& s);

class Histogram {
 public:
  static constexpr int kBins = 2048;
  /// Momentum of the moving-average min/max (TensorFlow's default 0.01 is
  /// for per-batch statistics; one observation = one sample here).
  static constexpr double kEmaMomentum = 0.01;
  /// KL needs this many nonzero values (8 per bin) to choose a clip;
  /// sparser tensors keep their min/max range.
  static constexpr double kKlMinValues = 8.0 * kBins;

  /// Adds one observation (e.g. one inference's tensor). NaNs are ignored.
  void add(const float* values, size_t n);

  bool empty() const { return count_ == 0; }
  double count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }
  float ema_min() const { return static_cast<float>(ema_min_); }
  float ema_max() const { return static_cast<float>(ema_max_); }
  double bin_width() const { return width_; }
  const std::vector<double>& positive() const { return pos_; }
  const std::vector<double>& negative() const { return neg_; }

  /// The real range [lo, hi] the method chooses (lo ≤ 0 ≤ hi, so zero is
  /// representable), for an asymmetric quantizer of `levels` levels (256 for
  /// int8). Empty histogram: [0, 0].
  std::pair<float, float> range(const RangeMethod& m, int levels = 256) const;

  /// Value v with P(x ≤ v) ≈ q (0..1), interpolated within a bin.
  double quantile(double q) const;

 private:
  void grow_to(double amax);
  std::pair<float, float> kl_range(int levels) const;
  std::pair<float, float> mse_range(int levels) const;

  std::vector<double> pos_ = std::vector<double>(kBins, 0.0);
  std::vector<double> neg_ = std::vector<double>(kBins, 0.0);
  double width_ = 0;
  double count_ = 0;
  float min_ = 0, max_ = 0;
  double ema_min_ = 0, ema_max_ = 0;
  int64_t observations_ = 0;
  int64_t zeros_ = 0;  // exact zeros (within pos_[0])
};

/// KL-divergence threshold (TensorRT's entropy calibration) on a one-sided
/// histogram of magnitudes `h` (bin i = [i·w, (i+1)·w)): the number of bins
/// i ∈ [levels, h.size()] minimizing KL(P‖Q), where P is h[0..i) with the
/// tail folded into bin i−1 and Q is P quantized to `levels` levels.
size_t kl_threshold_bins(const std::vector<double>& h, int levels);

}  // namespace octet::ptq
