// SPDX-License-Identifier: Apache-2.0
#include "converter/ptq/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace octet::ptq {

std::string RangeMethod::to_string() const {
  switch (kind) {
    case kMinMax: return "minmax";
    case kEma: return "ema";
    case kKl: return "kl";
    case kMse: return "mse";
    case kPercentile: {
      char buf[48];
      snprintf(buf, sizeof buf, "percentile:%g", percentile);
      return buf;
    }
  }
  return "?";
}

RangeMethod parse_range_method(const std::string& s) {
  RangeMethod m;
  if (s == "minmax") {
    m.kind = RangeMethod::kMinMax;
  } else if (s == "ema") {
    m.kind = RangeMethod::kEma;
  } else if (s == "kl" || s == "entropy") {
    m.kind = RangeMethod::kKl;
  } else if (s == "mse") {
    m.kind = RangeMethod::kMse;
  } else if (s == "percentile" || s.rfind("percentile:", 0) == 0) {
    m.kind = RangeMethod::kPercentile;
    if (s.size() > 11) {
      const std::string p = s.substr(11);
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(p, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != p.size() || !(v > 50.0 && v <= 100.0)) {
        throw std::invalid_argument("percentile '" + p + "' must be a number in (50, 100]");
      }
      m.percentile = v;
    }
  } else {
    throw std::invalid_argument("unknown calibration method '" + s +
                                "' (use minmax, ema, percentile[:P], kl or mse)");
  }
  return m;
}

void Histogram::grow_to(double amax) {
  while (amax >= kBins * width_) {
    for (int i = 0; i < kBins / 2; ++i) {
      pos_[i] = pos_[2 * i] + pos_[2 * i + 1];
      neg_[i] = neg_[2 * i] + neg_[2 * i + 1];
    }
    std::fill(pos_.begin() + kBins / 2, pos_.end(), 0.0);
    std::fill(neg_.begin() + kBins / 2, neg_.end(), 0.0);
    width_ *= 2;
  }
}

void Histogram::add(const float* v, size_t n) {
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  size_t valid = 0;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(v[i])) continue;
    lo = std::min(lo, v[i]);
    hi = std::max(hi, v[i]);
    ++valid;
  }
  if (valid == 0) return;
  lo = std::max(lo, -std::numeric_limits<float>::max());  // infinities count as the largest finite
  hi = std::min(hi, std::numeric_limits<float>::max());
  if (observations_ == 0) {
    min_ = lo, max_ = hi, ema_min_ = lo, ema_max_ = hi;
  } else {
    min_ = std::min(min_, lo), max_ = std::max(max_, hi);
    ema_min_ += kEmaMomentum * (lo - ema_min_);
    ema_max_ += kEmaMomentum * (hi - ema_max_);
  }
  ++observations_;
  const double amax = std::max(std::fabs(double(lo)), std::fabs(double(hi)));
  if (width_ == 0 && amax > 0) {
    // All earlier values were exactly 0 (bin 0 of either width).
    width_ = amax / (kBins - 1);
  }
  if (width_ > 0) grow_to(amax);
  const double inv = width_ > 0 ? 1.0 / width_ : 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double x = v[i];
    if (std::isnan(x)) continue;
    if (x == 0) {
      ++zeros_;
      pos_[0] += 1;
    } else if (x > 0) {
      pos_[std::min<size_t>(static_cast<size_t>(x * inv), kBins - 1)] += 1;
    } else {
      neg_[std::min<size_t>(static_cast<size_t>(-x * inv), kBins - 1)] += 1;
    }
  }
  count_ += static_cast<double>(valid);
}

double Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  const double target = std::clamp(q, 0.0, 1.0) * count_;
  double acc = 0;
  for (int i = kBins - 1; i >= 0; --i) {  // negative side, ascending values
    if (neg_[i] > 0 && acc + neg_[i] >= target) {
      const double f = (target - acc) / neg_[i];
      return std::clamp(-(i + 1) * width_ + f * width_, double(min_), double(max_));
    }
    acc += neg_[i];
  }
  for (int i = 0; i < kBins; ++i) {
    if (pos_[i] > 0 && acc + pos_[i] >= target) {
      const double f = (target - acc) / pos_[i];
      return std::clamp(i * width_ + f * width_, double(min_), double(max_));
    }
    acc += pos_[i];
  }
  return max_;
}

namespace {

// MXNet / TensorRT smoothing: move a little mass onto empty bins so that
// KL(P‖Q) stays finite.
bool smooth(std::vector<double>& h) {
  constexpr double kEps = 1e-4;
  size_t zeros = 0;
  for (double v : h) zeros += v == 0;
  const size_t nonzeros = h.size() - zeros;
  if (nonzeros == 0) return false;
  const double eps1 = kEps * double(zeros) / double(nonzeros);
  for (double& v : h) v = v == 0 ? kEps : v - eps1;
  return true;
}

double kl_divergence(std::vector<double>& p, std::vector<double>& q) {
  if (!smooth(p) || !smooth(q)) return std::numeric_limits<double>::infinity();
  double sp = 0, sq = 0;
  for (size_t i = 0; i < p.size(); ++i) sp += p[i], sq += q[i];
  double kl = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const double pi = p[i] / sp, qi = q[i] / sq;
    if (pi > 0 && qi > 0) kl += pi * std::log(pi / qi);
  }
  return kl;
}

}  // namespace

size_t kl_threshold_bins(const std::vector<double>& hist, int levels) {
  size_t n = hist.size();
  while (n > 0 && hist[n - 1] == 0) --n;
  if (n <= static_cast<size_t>(levels)) return n;
  std::vector<double> tail(n + 1, 0.0);  // tail[i] = Σ hist[i..n)
  for (size_t i = n; i-- > 0;) tail[i] = tail[i + 1] + hist[i];
  double best = std::numeric_limits<double>::infinity();
  size_t best_i = n;
  std::vector<double> p, q;
  for (size_t i = static_cast<size_t>(levels); i <= n; ++i) {
    p.assign(hist.begin(), hist.begin() + i);
    p[i - 1] += tail[i];
    // Q: hist[0..i) merged into `levels` buckets, each spread evenly over
    // the bucket's non-empty bins.
    q.assign(i, 0.0);
    const size_t merged = i / levels;
    for (int j = 0; j < levels; ++j) {
      const size_t start = j * merged;
      const size_t stop = j == levels - 1 ? i : start + merged;
      double sum = 0;
      size_t nonzero = 0;
      for (size_t k = start; k < stop; ++k) {
        sum += hist[k];
        nonzero += p[k] != 0;
      }
      if (nonzero == 0) continue;
      for (size_t k = start; k < stop; ++k) q[k] = p[k] != 0 ? sum / double(nonzero) : 0.0;
    }
    const double kl = kl_divergence(p, q);
    if (kl < best) best = kl, best_i = i;
  }
  return best_i;
}

std::pair<float, float> Histogram::kl_range(int levels) const {
  const float lo0 = std::min(min_, 0.0f), hi0 = std::max(max_, 0.0f);
  if (width_ == 0) return {lo0, hi0};
  // KL on a sparse histogram measures sampling noise, not the distribution
  // (a classifier's logits: 10 values per sample): keep the full range.
  if (count_ - double(zeros_) < kKlMinValues) return {lo0, hi0};
  if (min_ >= 0 || max_ <= 0) {
    // One-sided (e.g. after ReLU): all levels − 1 steps cover one side.
    // Exact zeros (ReLU outputs) are represented exactly whatever the
    // range; left in bin 0 they would dominate P and push the threshold down.
    std::vector<double> h = min_ >= 0 ? pos_ : neg_;
    if (min_ >= 0) h[0] -= double(zeros_);
    const double t = double(kl_threshold_bins(h, levels - 1)) * width_;
    return min_ >= 0 ? std::pair<float, float>{0.0f, std::min(hi0, float(t))}
                     : std::pair<float, float>{std::max(lo0, float(-t)), 0.0f};
  }
  // Two-sided: TensorRT's symmetric search on |x| with half the levels.
  std::vector<double> mag(kBins);
  for (int i = 0; i < kBins; ++i) mag[i] = pos_[i] + neg_[i];
  mag[0] -= double(zeros_);
  const double t = double(kl_threshold_bins(mag, levels / 2)) * width_;
  return {std::max(lo0, float(-t)), std::min(hi0, float(t))};
}

std::pair<float, float> Histogram::mse_range(int levels) const {
  const double lo0 = std::min(min_, 0.0f), hi0 = std::max(max_, 0.0f);
  if (width_ == 0 || hi0 - lo0 <= 0) return {float(lo0), float(hi0)};
  // Expected squared error of quantizing the histogram to [α·lo0, α·hi0]:
  // clipped values cost their distance to the bound, values inside cost the
  // rounding error step²/12 (exact zeros cost nothing: zero is exact).
  constexpr int kCandidates = 400;
  double best = std::numeric_limits<double>::infinity(), best_a = 1;
  for (int k = 1; k <= kCandidates; ++k) {
    const double a = double(k) / kCandidates;
    const double lo = a * lo0, hi = a * hi0;
    const double step = (hi - lo) / (levels - 1);
    const double round_err = step * step / 12.0;
    double err = -double(zeros_) * round_err;
    for (int i = 0; i < kBins; ++i) {
      const double c = (i + 0.5) * width_;
      if (pos_[i] > 0) err += pos_[i] * (c > hi ? (c - hi) * (c - hi) : round_err);
      if (neg_[i] > 0) err += neg_[i] * (-c < lo ? (lo + c) * (lo + c) : round_err);
    }
    if (err < best) best = err, best_a = a;
  }
  return {float(best_a * lo0), float(best_a * hi0)};
}

std::pair<float, float> Histogram::range(const RangeMethod& m, int levels) const {
  if (count_ == 0) return {0.0f, 0.0f};
  std::pair<float, float> r;
  switch (m.kind) {
    case RangeMethod::kMinMax: r = {min_, max_}; break;
    case RangeMethod::kEma: r = {ema_min(), ema_max()}; break;
    case RangeMethod::kPercentile: {
      const double p = m.percentile / 100.0;
      r = {min_ < 0 ? float(quantile(1.0 - p)) : 0.0f, max_ > 0 ? float(quantile(p)) : 0.0f};
      break;
    }
    case RangeMethod::kKl: r = kl_range(levels); break;
    case RangeMethod::kMse: r = mse_range(levels); break;
  }
  return {std::min(r.first, 0.0f), std::max(r.second, 0.0f)};
}

}  // namespace octet::ptq
