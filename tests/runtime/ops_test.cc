// SPDX-License-Identifier: Apache-2.0
//
// Every operator in fp32 and int8 through the builder. Each test builds a
// one-operator model with octet::ModelBuilder, loads it (verifier + prepare),
// runs it through the C++ API and compares
//  - fp32: with an independent computation written here in double (naive NHWC
//    loops), within 1e-5 relative / absolute;
//  - int8: bit for bit with the reference kernel called directly, its integer
//    parameters derived as docs/quantization.md defines them (with the same
//    octet::quant helpers the builder uses at finish()), and within one output
//    step of the real-valued result computed from the dequantized inputs.
// Then a small CNN in fp32 and int8 fed the same input, and load-time errors of
// inconsistent operators.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "converter/quant/lut.h"
#include "converter/quant/quant_math.h"
#include "kernels/kernels.h"
#include "tests/runtime/model_util.h"

using namespace octet;
namespace k = octet::kernels;
namespace fb = octet::schema;
using Shape = std::vector<int32_t>;
using Id = ModelBuilder::Id;

namespace {

// ------------------------------------------------------------ shapes, indices

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int32_t d : s) n *= d;
  return n;
}

std::vector<int64_t> dense_strides(const Shape& s) {
  std::vector<int64_t> st(s.size());
  int64_t v = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = v;
    v *= s[i];
  }
  return st;
}

// f(idx, linear) for every multi-index of `s` in row-major order.
template <typename F>
void for_each_index(const Shape& s, F&& f) {
  const int64_t n = numel(s);
  std::vector<int32_t> idx(s.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    f(idx, i);
    for (size_t d = s.size(); d-- > 0;) {
      if (++idx[d] < s[d]) break;
      idx[d] = 0;
    }
  }
}

std::string shape_str(const Shape& s) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "," : "") << s[i];
  o << "]";
  return o.str();
}

// ---------------------------------------------------------------------- data

// Fixed-seed data. Values come straight from mt19937's output (specified by
// the standard) rather than through std::uniform_*_distribution (whose
// algorithm is implementation-defined), so every platform sees the same data.
struct Rng {
  std::mt19937 g;
  explicit Rng(uint32_t seed) : g(seed) {}
  std::vector<float> f32(int64_t n, float lo, float hi) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(g() >> 8) * 0x1p-24f;
    return v;
  }
  // Codes over the whole int8 range; both ends are always present.
  std::vector<int8_t> i8_full(int64_t n) {
    std::vector<int8_t> v(static_cast<size_t>(n));
    for (auto& x : v) x = static_cast<int8_t>(static_cast<int32_t>(g() >> 24) - 128);
    if (n >= 2) {
      v[0] = -128;
      v[static_cast<size_t>(n) - 1] = 127;
    }
    return v;
  }
};

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Per-tensor activation quantization.
struct QP {
  float s;
  int32_t z;
  Quant quant() const { return Quant::per_tensor(s, z); }
  double real(int32_t q) const { return static_cast<double>(s) * (q - z); }
};

std::vector<double> deq(const std::vector<int8_t>& q, QP p) {
  std::vector<double> r(q.size());
  for (size_t i = 0; i < q.size(); ++i) r[i] = p.real(q[i]);
  return r;
}

// Asymmetric int8 parameters covering [min(v, 0), max(v, 0)] (min/max
// calibration; zero stays exactly representable).
QP calibrate(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (hi - lo < 1e-6) hi = lo + 1e-6;
  const float s = static_cast<float>((hi - lo) / 255.0);
  const double z = std::nearbyint(-128.0 - lo / s);
  return QP{s, static_cast<int32_t>(std::clamp(z, -128.0, 127.0))};
}
QP calibrate(const std::vector<double>& v) {
  const auto mm = std::minmax_element(v.begin(), v.end());
  return calibrate(*mm.first, *mm.second);
}

// Symmetric per-output-channel int8 weights (axis 0), scale max|w| / 127.
struct QWeights {
  std::vector<int8_t> q;
  std::vector<float> scale;
  std::vector<double> real;
};
QWeights quantize_weights(const std::vector<float>& w, int32_t out_c) {
  QWeights r;
  const size_t per = w.size() / static_cast<size_t>(out_c);
  r.q.resize(w.size());
  r.real.resize(w.size());
  for (int32_t c = 0; c < out_c; ++c) {
    float mx = 0;
    for (size_t i = 0; i < per; ++i) mx = std::max(mx, std::fabs(w[c * per + i]));
    const float s = mx > 0 ? mx / 127.0f : 1.0f;
    r.scale.push_back(s);
    for (size_t i = 0; i < per; ++i) {
      const double q = std::clamp(std::nearbyint(w[c * per + i] / s), -127.0f, 127.0f);
      r.q[c * per + i] = static_cast<int8_t>(q);
      r.real[c * per + i] = static_cast<double>(s) * q;
    }
  }
  return r;
}

// int32 bias with scale s_x · s_w[c], zero point 0.
struct QBias {
  std::vector<int32_t> q;
  std::vector<float> scale;
  std::vector<double> real;  // empty: no bias
};
QBias quantize_bias(const std::vector<float>& b, float sx, const std::vector<float>& sw) {
  QBias r;
  for (size_t c = 0; c < b.size(); ++c) {
    const double s = static_cast<double>(sx) * sw[c];
    const int32_t q = static_cast<int32_t>(std::nearbyint(b[c] / s));
    r.q.push_back(q);
    r.scale.push_back(static_cast<float>(s));
    r.real.push_back(q * s);  // what the integer path adds: q in units of s_x · s_w[c]
  }
  return r;
}

k::Multiplier mult(double real) {
  k::Multiplier m{};
  REQUIRE(quant::quantize_multiplier(real, &m));
  return m;
}

// docs/quantization.md §4: the output clamp of a fused activation.
void out_range(const Activation& a, QP y, int32_t* lo, int32_t* hi) {
  *lo = -128;
  *hi = 127;
  auto q = [&](double r) {
    return static_cast<int32_t>(std::nearbyint(r / static_cast<double>(y.s))) + y.z;
  };
  switch (a.kind) {
    case Activation::kNone:
      break;
    case Activation::kRelu:
      *lo = std::max(*lo, y.z);
      break;
    case Activation::kRelu6:
      *lo = std::max(*lo, y.z);
      *hi = std::min(*hi, q(6.0));
      break;
    case Activation::kClamp:
      *lo = std::max(*lo, q(a.min));
      *hi = std::min(*hi, q(a.max));
      break;
  }
}

double act_f(double v, const Activation& a) {
  switch (a.kind) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return std::max(v, 0.0);
    case Activation::kRelu6:
      return std::min(std::max(v, 0.0), 6.0);
    case Activation::kClamp:
      return std::min(std::max(v, double(a.min)), double(a.max));
  }
  return v;
}
std::vector<double> act_f(std::vector<double> v, const Activation& a) {
  for (auto& x : v) x = act_f(x, a);
  return v;
}

const char* act_name(const Activation& a) {
  switch (a.kind) {
    case Activation::kNone:
      return "NONE";
    case Activation::kRelu:
      return "RELU";
    case Activation::kRelu6:
      return "RELU6";
    case Activation::kClamp:
      return "CLAMP";
  }
  return "?";
}

// ------------------------------------------------------------ running models

template <typename T>
std::vector<std::vector<T>> run_as(ModelBuilder& b, const std::vector<std::vector<uint8_t>>& in,
                                   int threads = 1) {
  test::LoadedModel lm(b.finish());
  INFO("load: " << lm.status.message());
  REQUIRE(lm.status.ok());
  std::vector<std::vector<T>> r;
  for (const auto& o : test::run_model(lm.model, in, threads)) r.push_back(test::from_bytes<T>(o));
  return r;
}

// Thread counts the int8 GEMM-backed operators run with: the output must not
// depend on the tiling.
constexpr int kThreadCounts[] = {1, 3};

template <typename T>
std::vector<uint8_t> bytes(const std::vector<T>& v) {
  return test::to_bytes(v);
}

// ---------------------------------------------------------------- comparison

// fp32 result against the double computation: |got − want| ≤ tol · max(1, |want|).
void check_close(const std::vector<float>& got, const std::vector<double>& want,
                 double tol = 1e-5) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double lim = tol * std::max(1.0, std::fabs(want[i]));
    if (!(err <= lim)) {
      if (bad++ == 0) first = i;
    }
    worst = std::max(worst, err / std::max(1.0, std::fabs(want[i])));
  }
  std::ostringstream msg;
  msg << "worst relative error " << worst;
  if (bad) {
    msg << "; " << bad << " of " << got.size() << " outside " << tol << ", first at " << first
        << ": got " << got[first] << ", want " << want[first];
  }
  INFO(msg.str());
  CHECK(bad == 0);
}

// Exact equality, reporting the first difference.
template <typename T>
void check_equal(const std::vector<T>& got, const std::vector<T>& want) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(got[i] == want[i])) {
      if (bad++ == 0) first = i;
    }
  }
  std::ostringstream msg;
  if (bad) {
    msg << bad << " of " << got.size() << " differ; first at " << first << ": got " << +got[first]
        << ", want " << +want[first];
  }
  INFO(msg.str());
  CHECK(bad == 0);
}

// "Exact" in output steps: only the float rounding of s · (q − z) differs.
constexpr double kExact = 1e-4;

// Dequantized int8 output within `steps` output steps of the real result,
// saturated to the representable output range [s(qmin − z), s(qmax − z)].
void check_steps(const std::vector<int8_t>& got, const std::vector<double>& want, QP y,
                 int32_t qmin, int32_t qmax, double steps) {
  REQUIRE(got.size() == want.size());
  const double lo = y.real(qmin), hi = y.real(qmax);
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double w = std::clamp(want[i], lo, hi);
    const double err = std::fabs(y.real(got[i]) - w) / static_cast<double>(y.s);
    if (err > worst) {
      worst = err;
      at = i;
    }
  }
  INFO("worst error " << worst << " steps at " << at << " (code " << +got[at] << ", real "
                      << want[at] << ")");
  CHECK(worst <= steps);
}

// ============================================================ fp64 references

// ---- CONV_2D: x NHWC, w OHWI [out_c][kh][kw][in_c / groups].
Shape conv_shape(const Shape& xs, const Shape& ws, const Conv2DOptions& o) {
  auto out = [](int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
    return (in + p0 + p1 - (d * (k - 1) + 1)) / s + 1;
  };
  return {xs[0], out(xs[1], ws[1], o.stride_h, o.dilation_h, o.pad_top, o.pad_bottom),
          out(xs[2], ws[2], o.stride_w, o.dilation_w, o.pad_left, o.pad_right), ws[0]};
}

std::vector<double> conv_ref(const std::vector<double>& x, const Shape& xs,
                             const std::vector<double>& w, const Shape& ws,
                             const std::vector<double>& bias, const Conv2DOptions& o) {
  const Shape ys = conv_shape(xs, ws, o);
  const int32_t H = xs[1], W = xs[2], C = xs[3];
  const int32_t OH = ys[1], OW = ys[2], OC = ws[0], KH = ws[1], KW = ws[2], CG = ws[3];
  const int32_t ocg = OC / o.groups;
  std::vector<double> y(static_cast<size_t>(numel(ys)));
  for (int32_t n = 0; n < xs[0]; ++n)
    for (int32_t oh = 0; oh < OH; ++oh)
      for (int32_t ow = 0; ow < OW; ++ow)
        for (int32_t oc = 0; oc < OC; ++oc) {
          const int32_t g = oc / ocg;
          double acc = bias.empty() ? 0.0 : bias[oc];
          for (int32_t kh = 0; kh < KH; ++kh) {
            const int32_t ih = oh * o.stride_h - o.pad_top + kh * o.dilation_h;
            if (ih < 0 || ih >= H) continue;
            for (int32_t kw = 0; kw < KW; ++kw) {
              const int32_t iw = ow * o.stride_w - o.pad_left + kw * o.dilation_w;
              if (iw < 0 || iw >= W) continue;
              for (int32_t ic = 0; ic < CG; ++ic) {
                acc += x[((int64_t{n} * H + ih) * W + iw) * C + g * CG + ic] *
                       w[((int64_t{oc} * KH + kh) * KW + kw) * CG + ic];
              }
            }
          }
          y[((int64_t{n} * OH + oh) * OW + ow) * OC + oc] = acc;
        }
  return y;
}

// ---- CONV_TRANSPOSE_2D, written as a scatter (the kernel gathers).
Shape convt_shape(const Shape& xs, const Shape& ws, const Conv2DOptions& o) {
  return {xs[0],
          o.stride_h * (xs[1] - 1) + o.output_padding_h + (ws[1] - 1) * o.dilation_h + 1 -
              o.pad_top - o.pad_bottom,
          o.stride_w * (xs[2] - 1) + o.output_padding_w + (ws[2] - 1) * o.dilation_w + 1 -
              o.pad_left - o.pad_right,
          ws[0]};
}

std::vector<double> convt_ref(const std::vector<double>& x, const Shape& xs,
                              const std::vector<double>& w, const Shape& ws,
                              const std::vector<double>& bias, const Conv2DOptions& o) {
  const Shape ys = convt_shape(xs, ws, o);
  const int32_t H = xs[1], W = xs[2], C = xs[3];
  const int32_t OH = ys[1], OW = ys[2], OC = ws[0], KH = ws[1], KW = ws[2], CG = ws[3];
  const int32_t ocg = OC / o.groups;
  std::vector<double> y(static_cast<size_t>(numel(ys)), 0.0);
  for (int32_t n = 0; n < xs[0]; ++n)
    for (int32_t oh = 0; oh < OH; ++oh)
      for (int32_t ow = 0; ow < OW; ++ow)
        for (int32_t oc = 0; oc < OC; ++oc)
          y[((int64_t{n} * OH + oh) * OW + ow) * OC + oc] = bias.empty() ? 0.0 : bias[oc];
  for (int32_t n = 0; n < xs[0]; ++n)
    for (int32_t ih = 0; ih < H; ++ih)
      for (int32_t iw = 0; iw < W; ++iw)
        for (int32_t oc = 0; oc < OC; ++oc) {
          const int32_t g = oc / ocg;
          for (int32_t kh = 0; kh < KH; ++kh) {
            const int32_t oh = ih * o.stride_h - o.pad_top + kh * o.dilation_h;
            if (oh < 0 || oh >= OH) continue;
            for (int32_t kw = 0; kw < KW; ++kw) {
              const int32_t ow = iw * o.stride_w - o.pad_left + kw * o.dilation_w;
              if (ow < 0 || ow >= OW) continue;
              for (int32_t ic = 0; ic < CG; ++ic) {
                y[((int64_t{n} * OH + oh) * OW + ow) * OC + oc] +=
                    x[((int64_t{n} * H + ih) * W + iw) * C + g * CG + ic] *
                    w[((int64_t{oc} * KH + kh) * KW + kw) * CG + ic];
              }
            }
          }
        }
  return y;
}

// ---- FULLY_CONNECTED: y[m][n] = Σ_k x[m][k] · w[n][k] + b[n].
std::vector<double> fc_ref(const std::vector<double>& x, const std::vector<double>& w,
                           const std::vector<double>& bias, int32_t n, int32_t kk) {
  const size_t m = x.size() / static_cast<size_t>(kk);
  std::vector<double> y(m * n);
  for (size_t i = 0; i < m; ++i)
    for (int32_t j = 0; j < n; ++j) {
      double acc = bias.empty() ? 0.0 : bias[j];
      for (int32_t t = 0; t < kk; ++t) acc += x[i * kk + t] * w[int64_t{j} * kk + t];
      y[i * n + j] = acc;
    }
  return y;
}

// ---- numpy broadcasting.
Shape bcast_shape(const Shape& a, const Shape& b) {
  const size_t r = std::max(a.size(), b.size());
  Shape y(r);
  for (size_t i = 0; i < r; ++i) {
    const int32_t da = i + a.size() >= r ? a[i + a.size() - r] : 1;
    const int32_t db = i + b.size() >= r ? b[i + b.size() - r] : 1;
    y[i] = std::max(da, db);
  }
  return y;
}

// Offset in `s` (right-aligned against an output index of rank out_idx.size()).
int64_t bcast_offset(const Shape& s, const std::vector<int32_t>& out_idx) {
  const size_t lead = out_idx.size() - s.size();
  int64_t off = 0;
  for (size_t i = 0; i < s.size(); ++i) off = off * s[i] + (s[i] == 1 ? 0 : out_idx[lead + i]);
  return off;
}

template <typename F>
std::vector<double> bcast_ref(const std::vector<double>& a, const Shape& as,
                              const std::vector<double>& b, const Shape& bs, F f) {
  const Shape ys = bcast_shape(as, bs);
  std::vector<double> y(static_cast<size_t>(numel(ys)));
  for_each_index(ys, [&](const std::vector<int32_t>& idx, int64_t i) {
    y[i] = f(a[bcast_offset(as, idx)], b[bcast_offset(bs, idx)]);
  });
  return y;
}

// ---- MATMUL with broadcast batch dims.
Shape matmul_shape(const Shape& as, const Shape& bs) {
  const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  Shape y = bcast_shape(ab, bb);
  y.push_back(as[as.size() - 2]);
  y.push_back(bs.back());
  return y;
}

std::vector<double> matmul_ref(const std::vector<double>& a, const Shape& as,
                               const std::vector<double>& b, const Shape& bs) {
  const Shape ys = matmul_shape(as, bs);
  const Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const Shape batch(ys.begin(), ys.end() - 2);
  const int32_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  std::vector<double> y(static_cast<size_t>(numel(ys)));
  for_each_index(batch, [&](const std::vector<int32_t>& idx, int64_t bi) {
    const int64_t ao = bcast_offset(ab, idx) * M * K, bo = bcast_offset(bb, idx) * K * N;
    for (int32_t i = 0; i < M; ++i)
      for (int32_t j = 0; j < N; ++j) {
        double acc = 0;
        for (int32_t t = 0; t < K; ++t) acc += a[ao + i * K + t] * b[bo + int64_t{t} * N + j];
        y[(bi * M + i) * N + j] = acc;
      }
  });
  return y;
}

// ---- pooling (ONNX semantics; ceil mode keeps the last window only if it
// starts inside the input or the top/left padding).
Shape pool_shape(const Shape& xs, const Pool2DOptions& o) {
  auto out = [&](int32_t in, int32_t kk, int32_t s, int32_t d, int32_t p0, int32_t p1) {
    const int32_t span = in + p0 + p1 - (d * (kk - 1) + 1);
    int32_t n = (o.ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (o.ceil_mode && (n - 1) * s >= in + p0) --n;
    return n;
  };
  return {xs[0], out(xs[1], o.kernel_h, o.stride_h, o.dilation_h, o.pad_top, o.pad_bottom),
          out(xs[2], o.kernel_w, o.stride_w, o.dilation_w, o.pad_left, o.pad_right), xs[3]};
}

std::vector<double> pool_ref(const std::vector<double>& x, const Shape& xs, const Pool2DOptions& o,
                             bool is_max) {
  const Shape ys = pool_shape(xs, o);
  const int32_t H = xs[1], W = xs[2], C = xs[3], OH = ys[1], OW = ys[2];
  std::vector<double> y(static_cast<size_t>(numel(ys)));
  for (int32_t n = 0; n < xs[0]; ++n)
    for (int32_t oh = 0; oh < OH; ++oh)
      for (int32_t ow = 0; ow < OW; ++ow)
        for (int32_t c = 0; c < C; ++c) {
          double sum = 0, mx = -INFINITY;
          int32_t count = 0;
          for (int32_t kh = 0; kh < o.kernel_h; ++kh) {
            const int32_t ih = oh * o.stride_h - o.pad_top + kh * o.dilation_h;
            for (int32_t kw = 0; kw < o.kernel_w; ++kw) {
              const int32_t iw = ow * o.stride_w - o.pad_left + kw * o.dilation_w;
              const bool in = ih >= 0 && ih < H && iw >= 0 && iw < W;
              const bool in_padded = ih >= -o.pad_top && ih < H + o.pad_bottom &&
                                     iw >= -o.pad_left && iw < W + o.pad_right;
              if (in) {
                const double v = x[((int64_t{n} * H + ih) * W + iw) * C + c];
                sum += v;
                mx = std::max(mx, v);
              }
              count += o.count_include_pad ? in_padded : in;
            }
          }
          y[((int64_t{n} * OH + oh) * OW + ow) * C + c] = is_max ? mx : sum / count;
        }
  return y;
}

// ---- MEAN over `axes` (normalized).
std::vector<double> mean_ref(const std::vector<double>& x, const Shape& xs,
                             const std::vector<int32_t>& axes) {
  std::vector<bool> red(xs.size(), false);
  int64_t n = 1;
  for (int32_t a : axes) {
    red[a] = true;
    n *= xs[a];
  }
  Shape kept;
  for (size_t i = 0; i < xs.size(); ++i)
    if (!red[i]) kept.push_back(xs[i]);
  std::vector<double> y(static_cast<size_t>(numel(kept)), 0.0);
  for_each_index(xs, [&](const std::vector<int32_t>& idx, int64_t i) {
    int64_t o = 0;
    for (size_t d = 0; d < xs.size(); ++d)
      if (!red[d]) o = o * xs[d] + idx[d];
    y[o] += x[i];
  });
  for (auto& v : y) v /= static_cast<double>(n);
  return y;
}

// ---- data movement, for any element type.
template <typename T>
std::vector<T> concat_ref(const std::vector<std::vector<T>>& xs, const std::vector<Shape>& shapes,
                          int32_t axis, Shape* ys_out) {
  Shape ys = shapes[0];
  ys[axis] = 0;
  for (const auto& s : shapes) ys[axis] += s[axis];
  std::vector<T> y(static_cast<size_t>(numel(ys)));
  for_each_index(ys, [&](const std::vector<int32_t>& idx, int64_t i) {
    std::vector<int32_t> j = idx;
    size_t k = 0;
    while (j[axis] >= shapes[k][axis]) j[axis] -= shapes[k++][axis];
    const auto st = dense_strides(shapes[k]);
    int64_t off = 0;
    for (size_t d = 0; d < j.size(); ++d) off += j[d] * st[d];
    y[i] = xs[k][off];
  });
  *ys_out = ys;
  return y;
}

// Elements at the given per-dimension index lists.
template <typename T>
std::vector<T> gather_ref(const std::vector<T>& x, const Shape& xs,
                          const std::vector<std::vector<int32_t>>& index) {
  Shape ys;
  for (const auto& v : index) ys.push_back(static_cast<int32_t>(v.size()));
  const auto st = dense_strides(xs);
  std::vector<T> y(static_cast<size_t>(numel(ys)));
  for_each_index(ys, [&](const std::vector<int32_t>& idx, int64_t i) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += index[d][idx[d]] * st[d];
    y[i] = x[off];
  });
  return y;
}

std::vector<int32_t> iota(int32_t begin, int32_t count) {
  std::vector<int32_t> v(count);
  for (int32_t i = 0; i < count; ++i) v[i] = begin + i;
  return v;
}

// Python slice semantics: indices of range(n)[b:e:s].
std::vector<int32_t> py_slice(int32_t n, int32_t b, int32_t e, int32_t s) {
  std::vector<int32_t> all = iota(0, n), r;
  auto norm = [&](int32_t v, int32_t lo, int32_t hi) {
    if (v < 0) v += n;
    return std::clamp(v, lo, hi);
  };
  if (s > 0) {
    for (int32_t i = norm(b, 0, n); i < norm(e, 0, n); i += s) r.push_back(all[i]);
  } else {
    for (int32_t i = norm(b, -1, n - 1); i > norm(e, -1, n - 1); i += s) r.push_back(all[i]);
  }
  return r;
}

template <typename T>
std::vector<T> transpose_ref(const std::vector<T>& x, const Shape& xs,
                             const std::vector<int32_t>& perm, Shape* ys_out) {
  Shape ys(xs.size());
  for (size_t i = 0; i < perm.size(); ++i) ys[i] = xs[perm[i]];
  const auto st = dense_strides(xs);
  std::vector<T> y(static_cast<size_t>(numel(ys)));
  for_each_index(ys, [&](const std::vector<int32_t>& idx, int64_t i) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * st[perm[d]];
    y[i] = x[off];
  });
  *ys_out = ys;
  return y;
}

template <typename T>
std::vector<T> pad_ref(const std::vector<T>& x, const Shape& xs, const std::vector<int32_t>& pads,
                       PadMode mode, T value, Shape* ys_out) {
  const size_t r = xs.size();
  Shape ys(r);
  for (size_t d = 0; d < r; ++d) ys[d] = xs[d] + pads[d] + pads[d + r];
  const auto st = dense_strides(xs);
  std::vector<T> y(static_cast<size_t>(numel(ys)));
  for_each_index(ys, [&](const std::vector<int32_t>& idx, int64_t i) {
    int64_t off = 0;
    bool outside = false;
    for (size_t d = 0; d < r; ++d) {
      int32_t c = idx[d] - pads[d];
      const int32_t n = xs[d];
      if (c < 0 || c >= n) {
        if (mode == PadMode::kConstant) outside = true;
        if (mode == PadMode::kReflect) c = c < 0 ? -c : 2 * (n - 1) - c;
        if (mode == PadMode::kEdge) c = c < 0 ? 0 : n - 1;
      }
      off += c * st[d];
    }
    y[i] = outside ? value : x[off];
  });
  *ys_out = ys;
  return y;
}

// ---- RESIZE (ONNX Resize with sizes given: scale = out / in).
double src_coord(int32_t xo, int32_t in, int32_t out, CoordinateTransform t) {
  const double s = static_cast<double>(out) / in;
  switch (t) {
    case CoordinateTransform::kHalfPixel:
      return (xo + 0.5) / s - 0.5;
    case CoordinateTransform::kAlignCorners:
      return out == 1 ? 0.0 : xo * static_cast<double>(in - 1) / (out - 1);
    case CoordinateTransform::kAsymmetric:
      return xo / s;
    case CoordinateTransform::kPytorchHalfPixel:
      return out == 1 ? 0.0 : (xo + 0.5) / s - 0.5;
  }
  return 0;
}

int32_t nearest_index(double c, NearestRounding r, int32_t in) {
  double v = 0;
  switch (r) {
    case NearestRounding::kRoundPreferFloor:
      v = std::ceil(c - 0.5);
      break;
    case NearestRounding::kRoundPreferCeil:
      v = std::floor(c + 0.5);
      break;
    case NearestRounding::kFloor:
      v = std::floor(c);
      break;
    case NearestRounding::kCeil:
      v = std::ceil(c);
      break;
  }
  return static_cast<int32_t>(std::clamp(v, 0.0, static_cast<double>(in - 1)));
}

template <typename T>
std::vector<T> resize_nearest_ref(const std::vector<T>& x, const Shape& xs, int32_t oh, int32_t ow,
                                  const ResizeOptions& o) {
  std::vector<std::vector<int32_t>> index = {iota(0, xs[0]), {}, {}, iota(0, xs[3])};
  for (int32_t i = 0; i < oh; ++i)
    index[1].push_back(
        nearest_index(src_coord(i, xs[1], oh, o.coordinate_transform), o.nearest_rounding, xs[1]));
  for (int32_t i = 0; i < ow; ++i)
    index[2].push_back(
        nearest_index(src_coord(i, xs[2], ow, o.coordinate_transform), o.nearest_rounding, xs[2]));
  return gather_ref(x, xs, index);
}

std::vector<double> resize_bilinear_ref(const std::vector<double>& x, const Shape& xs, int32_t oh,
                                        int32_t ow, const ResizeOptions& o) {
  struct Tap {
    int32_t i0, i1;
    double l;
  };
  auto taps = [&](int32_t in, int32_t out) {
    std::vector<Tap> t;
    for (int32_t i = 0; i < out; ++i) {
      const double c = std::clamp(src_coord(i, in, out, o.coordinate_transform), 0.0,
                                  static_cast<double>(in - 1));
      const int32_t i0 = static_cast<int32_t>(std::floor(c));
      t.push_back({i0, std::min(i0 + 1, in - 1), c - i0});
    }
    return t;
  };
  const auto th = taps(xs[1], oh), tw = taps(xs[2], ow);
  const int32_t H = xs[1], W = xs[2], C = xs[3];
  std::vector<double> y;
  auto at = [&](int32_t n, int32_t h, int32_t w, int32_t c) {
    return x[((int64_t{n} * H + h) * W + w) * C + c];
  };
  for (int32_t n = 0; n < xs[0]; ++n)
    for (const Tap& a : th)
      for (const Tap& b : tw)
        for (int32_t c = 0; c < C; ++c) {
          y.push_back((1 - a.l) * (1 - b.l) * at(n, a.i0, b.i0, c) +
                      (1 - a.l) * b.l * at(n, a.i0, b.i1, c) +
                      a.l * (1 - b.l) * at(n, a.i1, b.i0, c) + a.l * b.l * at(n, a.i1, b.i1, c));
        }
  return y;
}

// ---- SOFTMAX over the last axis.
std::vector<double> softmax_ref(const std::vector<double>& x, int32_t cols, double beta) {
  std::vector<double> y(x.size());
  for (size_t r = 0; r < x.size() / cols; ++r) {
    const double* xr = &x[r * cols];
    const double mx = *std::max_element(xr, xr + cols);
    double sum = 0;
    for (int32_t j = 0; j < cols; ++j) sum += std::exp(beta * (xr[j] - mx));
    for (int32_t j = 0; j < cols; ++j) y[r * cols + j] = std::exp(beta * (xr[j] - mx)) / sum;
  }
  return y;
}

// ---- elementwise functions.
double sigmoid_d(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double hard_swish_d(double v) { return v * std::clamp(v / 6.0 + 0.5, 0.0, 1.0); }
double hard_sigmoid_d(double v, double a, double b) { return std::clamp(a * v + b, 0.0, 1.0); }
double leaky_d(double v, double a) { return v >= 0 ? v : a * v; }

Conv2DOptions conv_opts(int32_t sh, int32_t sw, int32_t dh, int32_t dw, int32_t pt, int32_t pl,
                        int32_t pb, int32_t pr, int32_t groups, int32_t oph = 0, int32_t opw = 0) {
  Conv2DOptions o;
  o.stride_h = sh;
  o.stride_w = sw;
  o.dilation_h = dh;
  o.dilation_w = dw;
  o.pad_top = pt;
  o.pad_left = pl;
  o.pad_bottom = pb;
  o.pad_right = pr;
  o.groups = groups;
  o.output_padding_h = oph;
  o.output_padding_w = opw;
  return o;
}

k::Conv2DShape kernel_conv_shape(const Shape& xs, const Shape& ys, const Shape& ws,
                                 const Conv2DOptions& o) {
  return k::Conv2DShape{xs[0],        xs[1],     xs[2],      xs[3],      ys[1],      ys[2],
                        ys[3],        ws[1],     ws[2],      o.stride_h, o.stride_w, o.dilation_h,
                        o.dilation_w, o.pad_top, o.pad_left, o.groups};
}

}  // namespace

// =================================================================== CONV_2D

namespace {
struct ConvCase {
  const char* name;
  Shape x, w;
  Conv2DOptions o;
  Activation act;
  bool bias;
  bool per_tensor = false;  // int8: one weight scale instead of one per channel
  int32_t zx = 1000;        // int8 input zero point; 1000: pick one per case
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3 same padding",
       {1, 6, 7, 5},
       {4, 3, 3, 5},
       conv_opts(1, 1, 1, 1, 1, 1, 1, 1, 1),
       Activation::none(),
       true},
      {"stride 2, asymmetric padding, RELU",
       {2, 9, 8, 3},
       {6, 3, 3, 3},
       conv_opts(2, 2, 1, 1, 0, 1, 1, 0, 1),
       Activation::relu(),
       true},
      {"dilation 2x3, RELU6",
       {1, 9, 9, 4},
       {5, 3, 2, 4},
       conv_opts(1, 1, 2, 3, 2, 3, 1, 0, 1),
       Activation::relu6(),
       true},
      {"groups 2, stride 1x2",
       {1, 6, 6, 6},
       {4, 3, 3, 3},
       conv_opts(1, 2, 1, 1, 1, 1, 1, 1, 2),
       Activation::none(),
       true},
      {"depthwise stride 2, RELU",
       {1, 7, 7, 4},
       {4, 3, 3, 1},
       conv_opts(2, 2, 1, 1, 1, 1, 1, 1, 4),
       Activation::relu(),
       true},
      {"depthwise multiplier 2, no bias, CLAMP",
       {2, 5, 6, 3},
       {6, 3, 3, 1},
       conv_opts(1, 1, 1, 1, 1, 1, 1, 1, 3),
       Activation::clamp(-1.0f, 2.0f),
       false},
      {"1x1 pointwise",
       {1, 4, 4, 8},
       {3, 1, 1, 8},
       conv_opts(1, 1, 1, 1, 0, 0, 0, 0, 1),
       Activation::none(),
       true},
      // Larger shapes: N and K not multiples of any register tile, M spanning
      // several row tiles (the int8 path may run on GEMM microkernels).
      {"1x1 pointwise, 70 pixels x 33 -> 37 channels",
       {2, 5, 7, 33},
       {37, 1, 1, 33},
       conv_opts(1, 1, 1, 1, 0, 0, 0, 0, 1),
       Activation::relu(),
       true},
      {"3x3 pad 1, 19 -> 21 channels",
       {1, 9, 11, 19},
       {21, 3, 3, 19},
       conv_opts(1, 1, 1, 1, 1, 1, 1, 1, 1),
       Activation::none(),
       true},
      {"3x3 stride 2, per-tensor weights, input zero point 127",
       {1, 8, 9, 6},
       {17, 3, 3, 6},
       conv_opts(2, 2, 1, 1, 1, 0, 1, 1, 1),
       Activation::relu6(),
       true,
       true,
       127},
      {"1x1 per-tensor weights, input zero point -128, no bias",
       {3, 4, 4, 24},
       {9, 1, 1, 24},
       conv_opts(1, 1, 1, 1, 0, 0, 0, 0, 1),
       Activation::none(),
       false,
       true,
       -128},
  };
}
}  // namespace

TEST_CASE("ops: CONV_2D fp32", "[ops]") {
  Rng rng(101);
  for (const ConvCase& c : conv_cases()) {
    INFO(c.name);
    const Shape ys = conv_shape(c.x, c.w, c.o);
    const auto xv = rng.f32(numel(c.x), -2, 2);
    const auto wv = rng.f32(numel(c.w), -0.5f, 0.5f);
    const auto bv = c.bias ? rng.f32(c.w[0], -1, 1) : std::vector<float>{};
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    const Id w = b.constant_f32("w", c.w, wv);
    const Id bias = c.bias ? b.constant_f32("b", {c.w[0]}, bv) : ModelBuilder::kNone;
    const Id y = b.conv2d(x, w, bias, c.o, c.act, "conv");
    b.output(y);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    check_close(got,
                act_f(conv_ref(to_double(xv), c.x, to_double(wv), c.w, to_double(bv), c.o), c.act));
  }
}

TEST_CASE("ops: CONV_2D int8", "[ops]") {
  Rng rng(102);
  int32_t zx = -23;
  for (const ConvCase& c : conv_cases()) {
    INFO(c.name);
    zx = (zx + 41) % 60 - 30;  // a different input zero point per case
    const Shape ys = conv_shape(c.x, c.w, c.o);
    const int32_t oc = c.w[0];
    const QP xq{0.031f, c.zx != 1000 ? c.zx : zx};
    const auto xc = rng.i8_full(numel(c.x));
    const QWeights w = quantize_weights(rng.f32(numel(c.w), -0.6f, 0.6f), c.per_tensor ? 1 : oc);
    const std::vector<float> sw = c.per_tensor ? std::vector<float>(oc, w.scale[0]) : w.scale;
    const QBias bias = c.bias ? quantize_bias(rng.f32(oc, -1, 1), xq.s, sw) : QBias{};
    const auto pre = conv_ref(deq(xc, xq), c.x, w.real, c.w, bias.real, c.o);
    // Output range calibrated before the activation, so the fused clamp bites.
    const QP yq = calibrate(pre);
    int32_t qmin, qmax;
    out_range(c.act, yq, &qmin, &qmax);

    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id wt = b.constant_i8(
        "w", c.w, w.q,
        c.per_tensor ? Quant::per_tensor(w.scale[0]) : Quant::per_channel(w.scale, 0));
    const Id bt = c.bias ? b.constant_i32("b", {oc}, bias.q, Quant::per_channel(bias.scale, 0))
                         : ModelBuilder::kNone;
    const Id y = b.conv2d(x, wt, bt, c.o, c.act, "conv", yq.quant());
    b.output(y);
    CHECK(b.shape(y) == ys);

    std::vector<k::Multiplier> m;
    for (size_t i = 0; i < w.scale.size(); ++i) {
      m.push_back(mult(double(xq.s) * w.scale[i] / yq.s));
    }
    const k::QuantOut out{yq.z, qmin, qmax, m.data(), static_cast<int32_t>(m.size())};
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::conv2d_qs8_qc8w_reference(kernel_conv_shape(c.x, ys, c.w, c.o), xc.data(), xq.z, w.q.data(),
                                 c.bias ? bias.q.data() : nullptr, out, want.data());
    const auto model = b.finish();
    for (int threads : kThreadCounts) {
      INFO(threads << " thread(s)");
      test::LoadedModel lm(model);
      INFO("load: " << lm.status.message());
      REQUIRE(lm.status.ok());
      const auto got = test::from_bytes<int8_t>(test::run_model(lm.model, {bytes(xc)}, threads)[0]);
      check_equal(got, want);
      check_steps(got, act_f(pre, c.act), yq, qmin, qmax, 1.0);
    }
  }
}

// ========================================================= CONV_TRANSPOSE_2D

namespace {
std::vector<ConvCase> convt_cases() {
  return {
      {"stride 2, padding 1, output padding 1",
       {1, 4, 5, 3},
       {4, 3, 3, 3},
       conv_opts(2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1),
       Activation::none(),
       true},
      {"groups 2, stride 1x2, dilation 2x1, asymmetric padding, RELU",
       {2, 3, 3, 4},
       {6, 2, 3, 2},
       conv_opts(1, 2, 2, 1, 0, 1, 1, 0, 2),
       Activation::relu(),
       false},
      {"stride 3, kernel 2, RELU6",
       {1, 3, 2, 2},
       {3, 2, 2, 2},
       conv_opts(3, 3, 1, 1, 0, 0, 0, 0, 1),
       Activation::relu6(),
       true},
      // Output padding below the dilation but not below the stride: valid in
      // PyTorch and ONNX (output_padding < max(stride, dilation)).
      {"stride 1, dilation 2, output padding 1",
       {1, 3, 4, 2},
       {3, 3, 3, 2},
       conv_opts(1, 1, 2, 2, 1, 0, 0, 1, 1, 1, 1),
       Activation::none(),
       true},
  };
}
}  // namespace

TEST_CASE("ops: CONV_TRANSPOSE_2D fp32", "[ops]") {
  Rng rng(111);
  for (const ConvCase& c : convt_cases()) {
    INFO(c.name);
    const Shape ys = convt_shape(c.x, c.w, c.o);
    const auto xv = rng.f32(numel(c.x), -2, 2);
    const auto wv = rng.f32(numel(c.w), -1, 1);
    const auto bv = c.bias ? rng.f32(c.w[0], -1, 1) : std::vector<float>{};
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    const Id w = b.constant_f32("w", c.w, wv);
    const Id bias = c.bias ? b.constant_f32("b", {c.w[0]}, bv) : ModelBuilder::kNone;
    const Id y = b.conv_transpose2d(x, w, bias, c.o, c.act, "deconv");
    b.output(y);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    check_close(
        got, act_f(convt_ref(to_double(xv), c.x, to_double(wv), c.w, to_double(bv), c.o), c.act));
  }
}

TEST_CASE("ops: CONV_TRANSPOSE_2D int8", "[ops]") {
  Rng rng(112);
  int32_t zx = 17;
  for (const ConvCase& c : convt_cases()) {
    INFO(c.name);
    zx = -zx + 5;
    const Shape ys = convt_shape(c.x, c.w, c.o);
    const int32_t oc = c.w[0];
    const QP xq{0.02f, zx};
    const auto xc = rng.i8_full(numel(c.x));
    const QWeights w = quantize_weights(rng.f32(numel(c.w), -1, 1), oc);
    const QBias bias = c.bias ? quantize_bias(rng.f32(oc, -1, 1), xq.s, w.scale) : QBias{};
    const auto pre = convt_ref(deq(xc, xq), c.x, w.real, c.w, bias.real, c.o);
    const QP yq = calibrate(pre);
    int32_t qmin, qmax;
    out_range(c.act, yq, &qmin, &qmax);

    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id wt = b.constant_i8("w", c.w, w.q, Quant::per_channel(w.scale, 0));
    const Id bt = c.bias ? b.constant_i32("b", {oc}, bias.q, Quant::per_channel(bias.scale, 0))
                         : ModelBuilder::kNone;
    const Id y = b.conv_transpose2d(x, wt, bt, c.o, c.act, "deconv", yq.quant());
    b.output(y);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];

    std::vector<k::Multiplier> m;
    for (int32_t i = 0; i < oc; ++i) m.push_back(mult(double(xq.s) * w.scale[i] / yq.s));
    const k::QuantOut out{yq.z, qmin, qmax, m.data(), oc};
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::conv_transpose2d_qs8_qc8w_reference(kernel_conv_shape(c.x, ys, c.w, c.o), xc.data(), xq.z,
                                           w.q.data(), c.bias ? bias.q.data() : nullptr, out,
                                           want.data());
    check_equal(got, want);
    check_steps(got, act_f(pre, c.act), yq, qmin, qmax, 1.0);
  }
}

TEST_CASE("ops: CONV_TRANSPOSE_2D output padding must be below max(stride; dilation)", "[ops]") {
  // The builder refuses what the loader would reject, instead of writing a
  // model that cannot be loaded.
  struct Case {
    int32_t stride, dilation, output_padding;
    bool valid;
  };
  const Case cases[] = {{2, 1, 1, true}, {2, 1, 2, false}, {1, 2, 1, true},  {1, 2, 2, false},
                        {3, 2, 2, true}, {1, 1, 1, false}, {2, 1, -1, false}};
  for (const Case& c : cases) {
    INFO("stride " << c.stride << ", dilation " << c.dilation << ", output padding "
                   << c.output_padding);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, {1, 3, 3, 2});
    const Id w = b.constant_f32("w", {2, 3, 3, 2}, std::vector<float>(36, 1.0f));
    const Conv2DOptions o =
        conv_opts(c.stride, c.stride, c.dilation, c.dilation, 0, 0, 0, 0, 1, c.output_padding, 0);
    if (c.valid) {
      b.output(b.conv_transpose2d(x, w, ModelBuilder::kNone, o, Activation::none(), "deconv"));
      const Status s = test::try_load(b.finish());
      INFO(s.message());
      CHECK(s.ok());
    } else {
      CHECK_THROWS_AS(
          b.conv_transpose2d(x, w, ModelBuilder::kNone, o, Activation::none(), "deconv"),
          std::invalid_argument);
    }
  }
}

// =========================================================== FULLY_CONNECTED

namespace {
struct FcCase {
  const char* name;
  Shape x;
  int32_t n;
  Activation act;
  bool bias;
  bool per_tensor = false;
};
const FcCase kFcCases[] = {
    {"rank-2 input, bias, RELU", {3, 20}, 7, Activation::relu(), true},
    {"rank-3 input, no bias", {2, 3, 16}, 5, Activation::none(), false},
    {"rank-4 input [1,1,1,K], RELU6", {1, 1, 1, 24}, 6, Activation::relu6(), true},
    {"[37, 70] -> 45 (several row and column tiles)", {37, 70}, 45, Activation::none(), true},
    {"[5, 3, 9] -> 19, per-tensor weights, RELU", {5, 3, 9}, 19, Activation::relu(), true, true},
};
}  // namespace

TEST_CASE("ops: FULLY_CONNECTED fp32", "[ops]") {
  Rng rng(121);
  for (const FcCase& c : kFcCases) {
    INFO(c.name);
    const int32_t kk = c.x.back();
    Shape ys = c.x;
    ys.back() = c.n;
    const auto xv = rng.f32(numel(c.x), -2, 2);
    const auto wv = rng.f32(int64_t{c.n} * kk, -0.5f, 0.5f);
    const auto bv = c.bias ? rng.f32(c.n, -1, 1) : std::vector<float>{};
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    const Id w = b.constant_f32("w", {c.n, kk}, wv);
    const Id bias = c.bias ? b.constant_f32("b", {c.n}, bv) : ModelBuilder::kNone;
    const Id y = b.fully_connected(x, w, bias, c.act, "fc");
    b.output(y);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    check_close(got, act_f(fc_ref(to_double(xv), to_double(wv), to_double(bv), c.n, kk), c.act));
  }
}

TEST_CASE("ops: FULLY_CONNECTED int8", "[ops]") {
  Rng rng(122);
  const int32_t zps[] = {5, -30, 64, -100, 127};
  int case_no = 0;
  for (const FcCase& c : kFcCases) {
    INFO(c.name);
    const int32_t zx = zps[case_no++ % 5];
    const int32_t kk = c.x.back();
    Shape ys = c.x;
    ys.back() = c.n;
    const QP xq{0.045f, zx};
    const auto xc = rng.i8_full(numel(c.x));
    const QWeights w =
        quantize_weights(rng.f32(int64_t{c.n} * kk, -0.5f, 0.5f), c.per_tensor ? 1 : c.n);
    const std::vector<float> sw = c.per_tensor ? std::vector<float>(c.n, w.scale[0]) : w.scale;
    const QBias bias = c.bias ? quantize_bias(rng.f32(c.n, -1, 1), xq.s, sw) : QBias{};
    const auto pre = fc_ref(deq(xc, xq), w.real, bias.real, c.n, kk);
    const QP yq = calibrate(pre);
    int32_t qmin, qmax;
    out_range(c.act, yq, &qmin, &qmax);

    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id wt = b.constant_i8(
        "w", {c.n, kk}, w.q,
        c.per_tensor ? Quant::per_tensor(w.scale[0]) : Quant::per_channel(w.scale, 0));
    const Id bt = c.bias ? b.constant_i32("b", {c.n}, bias.q, Quant::per_channel(bias.scale, 0))
                         : ModelBuilder::kNone;
    const Id y = b.fully_connected(x, wt, bt, c.act, "fc", yq.quant());
    b.output(y);
    CHECK(b.shape(y) == ys);

    std::vector<k::Multiplier> m;
    for (size_t i = 0; i < w.scale.size(); ++i) {
      m.push_back(mult(double(xq.s) * w.scale[i] / yq.s));
    }
    const k::QuantOut out{yq.z, qmin, qmax, m.data(), static_cast<int32_t>(m.size())};
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::fully_connected_qs8_qc8w_reference(static_cast<int32_t>(numel(c.x) / kk), c.n, kk, xc.data(),
                                          xq.z, w.q.data(), c.bias ? bias.q.data() : nullptr, out,
                                          want.data());
    const auto model = b.finish();
    for (int threads : kThreadCounts) {
      INFO(threads << " thread(s)");
      test::LoadedModel lm(model);
      INFO("load: " << lm.status.message());
      REQUIRE(lm.status.ok());
      const auto got = test::from_bytes<int8_t>(test::run_model(lm.model, {bytes(xc)}, threads)[0]);
      check_equal(got, want);
      check_steps(got, act_f(pre, c.act), yq, qmin, qmax, 1.0);
    }
  }
}

// ==================================================================== MATMUL

namespace {
struct MatMulCase {
  const char* name;
  Shape a, b;
};
const MatMulCase kMatMulCases[] = {
    {"[2,3,5] x [5,4] (rank-2 operand broadcast)", {2, 3, 5}, {5, 4}},
    {"[2,1,3,5] x [3,5,4] (both batch dims broadcast)", {2, 1, 3, 5}, {3, 5, 4}},
    {"[1,4,6] x [3,6,2]", {1, 4, 6}, {3, 6, 2}},
};
}  // namespace

TEST_CASE("ops: MATMUL fp32", "[ops]") {
  Rng rng(131);
  for (const MatMulCase& c : kMatMulCases) {
    INFO(c.name);
    const auto av = rng.f32(numel(c.a), -2, 2), bv = rng.f32(numel(c.b), -2, 2);
    ModelBuilder b;
    const Id a = b.input("a", DType::kFloat32, c.a);
    const Id bb = b.input("b", DType::kFloat32, c.b);
    const Id y = b.matmul(a, bb, "mm");
    b.output(y);
    CHECK(b.shape(y) == matmul_shape(c.a, c.b));
    const auto got = run_as<float>(b, {bytes(av), bytes(bv)})[0];
    check_close(got, matmul_ref(to_double(av), c.a, to_double(bv), c.b));
  }
}

TEST_CASE("ops: MATMUL int8", "[ops]") {
  Rng rng(132);
  for (const MatMulCase& c : kMatMulCases) {
    INFO(c.name);
    const QP aq{0.04f, -3}, bq{0.025f, 9};
    const auto ac = rng.i8_full(numel(c.a)), bc = rng.i8_full(numel(c.b));
    const auto real = matmul_ref(deq(ac, aq), c.a, deq(bc, bq), c.b);
    const QP yq = calibrate(real);
    ModelBuilder b;
    const Id a = b.input("a", DType::kInt8, c.a, aq.quant());
    const Id bb = b.input("b", DType::kInt8, c.b, bq.quant());
    const Id y = b.matmul(a, bb, "mm", yq.quant());
    b.output(y);
    const Shape ys = matmul_shape(c.a, c.b);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, {bytes(ac), bytes(bc)})[0];

    k::MatMulShape s{};
    s.a_rank = static_cast<int32_t>(c.a.size());
    s.b_rank = static_cast<int32_t>(c.b.size());
    std::copy(c.a.begin(), c.a.end(), s.a_dims);
    std::copy(c.b.begin(), c.b.end(), s.b_dims);
    const k::Multiplier m = mult(double(aq.s) * bq.s / yq.s);
    const k::QuantOut out{yq.z, -128, 127, &m, 1};
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::matmul_qs8_reference(s, ac.data(), aq.z, bc.data(), bq.z, out, want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

// ========================================================= ADD, SUB, MUL, DIV

namespace {
enum class BinOp { kAdd, kSub, kMul, kDiv };
struct BinCase {
  const char* name;
  BinOp op;
  Shape a, b;
  Activation act;
};
const BinCase kBinCases[] = {
    {"ADD [2,3,4,5] + [1,3,1,5], RELU",
     BinOp::kAdd,
     {2, 3, 4, 5},
     {1, 3, 1, 5},
     Activation::relu()},
    {"ADD [2,4,5] + [5]", BinOp::kAdd, {2, 4, 5}, {5}, Activation::none()},
    {"ADD [1] + [3,4] (scalar-like first operand), RELU6",
     BinOp::kAdd,
     {1},
     {3, 4},
     Activation::relu6()},
    {"SUB [3,1,6] - [1,4,6]", BinOp::kSub, {3, 1, 6}, {1, 4, 6}, Activation::none()},
    {"SUB [2,3,4] - [2,3,4], RELU", BinOp::kSub, {2, 3, 4}, {2, 3, 4}, Activation::relu()},
    {"MUL [2,3,4,5] * [5]", BinOp::kMul, {2, 3, 4, 5}, {5}, Activation::none()},
    {"MUL [4,1] * [1,6], CLAMP(-0.5, 0.75)",
     BinOp::kMul,
     {4, 1},
     {1, 6},
     Activation::clamp(-0.5f, 0.75f)},
};

double bin_f(BinOp op, double a, double b) {
  switch (op) {
    case BinOp::kAdd:
      return a + b;
    case BinOp::kSub:
      return a - b;
    case BinOp::kMul:
      return a * b;
    case BinOp::kDiv:
      return a / b;
  }
  return 0;
}

Id add_binary(ModelBuilder& b, BinOp op, Id x, Id y, Activation act, Quant out = {}) {
  switch (op) {
    case BinOp::kAdd:
      return b.add(x, y, act, "bin", out);
    case BinOp::kSub:
      return b.sub(x, y, act, "bin", out);
    case BinOp::kMul:
      return b.mul(x, y, act, "bin", out);
    case BinOp::kDiv:
      return b.div(x, y, act, "bin");
  }
  return ModelBuilder::kNone;
}
}  // namespace

TEST_CASE("ops: ADD / SUB / MUL / DIV fp32 with broadcasting", "[ops]") {
  Rng rng(141);
  std::vector<BinCase> cases(std::begin(kBinCases), std::end(kBinCases));
  cases.push_back({"DIV [2,3,4] / [3,1]", BinOp::kDiv, {2, 3, 4}, {3, 1}, Activation::none()});
  cases.push_back({"DIV [5] / [2,1,5], RELU", BinOp::kDiv, {5}, {2, 1, 5}, Activation::relu()});
  for (const BinCase& c : cases) {
    INFO(c.name);
    const auto av = rng.f32(numel(c.a), -3, 3);
    auto bv = rng.f32(numel(c.b), -3, 3);
    if (c.op == BinOp::kDiv) {
      for (auto& v : bv) v = (v < 0 ? -0.5f : 0.5f) + v / 2;  // |b| in [0.5, 2]
    }
    ModelBuilder b;
    const Id a = b.input("a", DType::kFloat32, c.a);
    const Id bb = b.input("b", DType::kFloat32, c.b);
    const Id y = add_binary(b, c.op, a, bb, c.act);
    b.output(y);
    CHECK(b.shape(y) == bcast_shape(c.a, c.b));
    const auto got = run_as<float>(b, {bytes(av), bytes(bv)})[0];
    const auto want = bcast_ref(to_double(av), c.a, to_double(bv), c.b,
                                [&](double p, double q) { return bin_f(c.op, p, q); });
    check_close(got, act_f(want, c.act));
  }
}

TEST_CASE("ops: ADD / SUB / MUL int8 with broadcasting", "[ops]") {
  Rng rng(142);
  const QP qps[][2] = {
      {{0.05f, 10}, {0.02f, -20}}, {{0.013f, -128}, {0.07f, 127}}, {{0.03f, 0}, {0.03f, 5}}};
  int i = 0;
  for (const BinCase& c : kBinCases) {
    INFO(c.name);
    const QP aq = qps[i % 3][0], bq = qps[i % 3][1];
    ++i;
    const auto ac = rng.i8_full(numel(c.a)), bc = rng.i8_full(numel(c.b));
    const auto pre = bcast_ref(deq(ac, aq), c.a, deq(bc, bq), c.b,
                               [&](double p, double q) { return bin_f(c.op, p, q); });
    const QP yq = calibrate(pre);
    int32_t qmin, qmax;
    out_range(c.act, yq, &qmin, &qmax);
    ModelBuilder b;
    const Id a = b.input("a", DType::kInt8, c.a, aq.quant());
    const Id bb = b.input("b", DType::kInt8, c.b, bq.quant());
    const Id y = add_binary(b, c.op, a, bb, c.act, yq.quant());
    b.output(y);
    const Shape ys = bcast_shape(c.a, c.b);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, {bytes(ac), bytes(bc)})[0];

    k::BroadcastShape bs{};
    REQUIRE(k::make_broadcast_shape(static_cast<int32_t>(c.a.size()), c.a.data(),
                                    static_cast<int32_t>(c.b.size()), c.b.data(), &bs));
    k::BinaryQs8Params p{};
    p.a_zero_point = aq.z;
    p.b_zero_point = bq.z;
    p.y_zero_point = yq.z;
    p.qmin = qmin;
    p.qmax = qmax;
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    if (c.op == BinOp::kMul) {
      p.y_multiplier = mult(double(aq.s) * bq.s / yq.s);
      k::mul_qs8_reference(bs, ac.data(), bc.data(), p, want.data());
    } else {
      const double twice_max = 2.0 * std::max<double>(aq.s, bq.s);
      p.a_multiplier = mult(aq.s / twice_max);
      p.b_multiplier = mult(bq.s / twice_max);
      p.y_multiplier = mult(twice_max / (std::ldexp(1.0, 20) * yq.s));
      (c.op == BinOp::kAdd ? k::add_qs8_reference : k::sub_qs8_reference)(bs, ac.data(), bc.data(),
                                                                          p, want.data());
    }
    check_equal(got, want);
    // ADD/SUB round three times (a' and b' onto the common grid of
    // 2·max(s_a, s_b)·2^-20, then the result) instead of once, through three
    // approximated multipliers. The intermediate errors (≤ 1/2 unit of that
    // grid each) are tiny against an output step for sane scales, but they are
    // bounded in units of the inputs' scale, not of s_y, and the final
    // rounding can turn them into a whole extra step: allow 2 steps. (These
    // cases stay below 0.5.) MUL rounds once, exactly: 1 step.
    check_steps(got, act_f(pre, c.act), yq, qmin, qmax, c.op == BinOp::kMul ? 1.0 : 2.0);
  }
}

TEST_CASE("ops: DIV int8 is rejected by the builder and at load", "[ops]") {
  // DIV has no int8 kernel: the builder refuses to write it...
  {
    ModelBuilder b;
    const Id a = b.input("a", DType::kInt8, {4}, Quant::per_tensor(0.1f));
    const Id c = b.input("c", DType::kInt8, {4}, Quant::per_tensor(0.1f));
    CHECK_THROWS_AS(b.div(a, c, Activation::none(), "div"), std::invalid_argument);
  }
  // ...and a file that has one anyway (an fp32 DIV retyped) fails to load.
  ModelBuilder b;
  const Id a = b.input("a", DType::kFloat32, {4});
  const Id c = b.input("c", DType::kFloat32, {4});
  b.output(b.div(a, c, Activation::none(), "div"));
  const auto bytes = test::mutate(b.finish(), [](octet::schema::ModelT& m) {
    for (auto& t : m.tensors) {
      t->dtype = octet::schema::DType::INT8;
      t->quantization = std::make_unique<octet::schema::QuantizationT>();
      t->quantization->scale = {0.1f};
      t->quantization->zero_point = {0};
    }
  });
  const Status s = test::try_load(bytes);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("operator #0 'div' (DIV)"));
}

// ============================================================ CLAMP and LUTs

namespace {
struct UnaryCase {
  const char* name;
  std::function<double(double)> f;
  std::function<Id(ModelBuilder&, Id, Quant)> make;
  quant::LutFunction lut;  // int8 table function (unused for CLAMP)
  float alpha, beta;
};

std::vector<UnaryCase> lut_cases() {
  return {
      {"SIGMOID", sigmoid_d, [](ModelBuilder& b, Id x, Quant q) { return b.sigmoid(x, "op", q); },
       quant::kSigmoid, 0, 0},
      {"TANH", [](double v) { return std::tanh(v); },
       [](ModelBuilder& b, Id x, Quant q) { return b.tanh(x, "op", q); }, quant::kTanh, 0, 0},
      {"HARD_SWISH", hard_swish_d,
       [](ModelBuilder& b, Id x, Quant q) { return b.hard_swish(x, "op", q); }, quant::kHardSwish,
       0, 0},
      {"HARD_SIGMOID (0.2, 0.5)",
       [](double v) { return hard_sigmoid_d(v, double(0.2f), double(0.5f)); },
       [](ModelBuilder& b, Id x, Quant q) { return b.hard_sigmoid(x, 0.2f, 0.5f, "op", q); },
       quant::kHardSigmoid, 0.2f, 0.5f},
      {"HARD_SIGMOID (1/6, 0.3)",
       [](double v) { return hard_sigmoid_d(v, double(1.0f / 6), double(0.3f)); },
       [](ModelBuilder& b, Id x, Quant q) { return b.hard_sigmoid(x, 1.0f / 6, 0.3f, "op", q); },
       quant::kHardSigmoid, 1.0f / 6, 0.3f},
      {"LEAKY_RELU (0.1)", [](double v) { return leaky_d(v, double(0.1f)); },
       [](ModelBuilder& b, Id x, Quant q) { return b.leaky_relu(x, 0.1f, "op", q); },
       quant::kLeakyRelu, 0.1f, 0},
  };
}

std::vector<Activation> clamp_acts() {
  return {Activation::relu(), Activation::relu6(), Activation::clamp(-1.0f, 2.5f)};
}
}  // namespace

TEST_CASE("ops: CLAMP / HARD_SWISH / HARD_SIGMOID / SIGMOID / TANH / LEAKY_RELU fp32", "[ops]") {
  Rng rng(151);
  const Shape xs{2, 4, 5, 6};
  auto xv = rng.f32(numel(xs), -8, 8);
  // The kinks: ±3 (hard swish), 0, 6 (ReLU6), -2.5 / 2.5 (hard sigmoid 0.2, 0.5).
  const float special[] = {0.0f, -3.0f, 3.0f, 6.0f, -2.5f, 2.5f, -1.0f, 1e-3f, -1e-3f, 20.0f};
  std::copy(std::begin(special), std::end(special), xv.begin());
  for (const UnaryCase& c : lut_cases()) {
    INFO(c.name);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, xs);
    b.output(c.make(b, x, {}));
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    std::vector<double> want;
    for (float v : xv) want.push_back(c.f(v));
    check_close(got, want);
  }
  for (const Activation& act : clamp_acts()) {
    INFO("CLAMP " << act_name(act));
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, xs);
    b.output(b.clamp(x, act, "clamp"));
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    check_close(got, act_f(to_double(xv), act));
  }
}

TEST_CASE("ops: HARD_SWISH / HARD_SIGMOID / SIGMOID / TANH / LEAKY_RELU int8 (lookup tables)",
          "[ops]") {
  // Every int8 code, once.
  const Shape xs{1, 4, 8, 8};
  std::vector<int8_t> xc(256);
  for (int i = 0; i < 256; ++i) xc[i] = static_cast<int8_t>((i * 37 + 11) % 256 - 128);
  const QP xq{0.06f, 5};
  for (const UnaryCase& c : lut_cases()) {
    INFO(c.name);
    std::vector<double> real;
    for (double v : deq(xc, xq)) real.push_back(c.f(v));
    const QP yq = calibrate(real);
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, xs, xq.quant());
    b.output(c.make(b, x, yq.quant()));
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];

    int8_t lut[256];
    REQUIRE(quant::build_lut_qs8(c.lut, c.alpha, c.beta, xq.s, xq.z, yq.s, yq.z, -128, 127, lut));
    std::vector<int8_t> want(xc.size());
    k::lut_qs8_reference(xc.size(), xc.data(), lut, want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

TEST_CASE("ops: CLAMP int8 (requantizing)", "[ops]") {
  Rng rng(153);
  const Shape xs{2, 3, 5, 7};
  const QP xq{0.05f, -9};
  const auto xc = rng.i8_full(numel(xs));
  const auto xr = deq(xc, xq);
  int n = 0;
  for (const Activation& act : clamp_acts()) {
    for (bool same_quant : {true, false}) {
      INFO("CLAMP " << act_name(act)
                    << (same_quant ? ", output quantization = input's"
                                   : ", own output quantization"));
      ++n;
      const QP yq = same_quant ? xq : QP{0.035f + 0.01f * n, -20 + 7 * n};
      int32_t qmin, qmax;
      out_range(act, yq, &qmin, &qmax);
      ModelBuilder b;
      const Id x = b.input("x", DType::kInt8, xs, xq.quant());
      b.output(b.clamp(x, act, "clamp", same_quant ? Quant{} : yq.quant()));
      const auto got = run_as<int8_t>(b, {bytes(xc)})[0];

      const k::Multiplier m = mult(double(xq.s) / yq.s);
      if (same_quant) {
        CHECK(m.multiplier == (1 << 30));  // exactly 1 (docs §3)
        CHECK(m.rshift == 30);
      }
      const k::ClampQs8Params p{xq.z, yq.z, m, qmin, qmax};
      std::vector<int8_t> want(xc.size());
      k::clamp_qs8_reference(xc.size(), xc.data(), p, want.data());
      check_equal(got, want);
      // Same scale: unclamped codes are exact, the clamp bounds are the nearest
      // codes to the real bounds (half a step).
      check_steps(got, act_f(xr, act), yq, qmin, qmax, same_quant ? 0.5 : 1.0);
    }
  }
}

// ===================================================================== PRELU

TEST_CASE("ops: PRELU fp32", "[ops]") {
  Rng rng(161);
  const Shape xs{2, 3, 4, 5};
  const auto xv = rng.f32(numel(xs), -3, 3);
  for (int32_t channels : {5, 1}) {
    INFO(channels << " slope(s)");
    const auto sv = rng.f32(channels, -0.5f, 0.5f);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, xs);
    const Id s = b.constant_f32("slope", {channels}, sv);
    b.output(b.prelu(x, s, "prelu"));
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    std::vector<double> want;
    for (size_t i = 0; i < xv.size(); ++i) {
      want.push_back(xv[i] >= 0 ? xv[i] : double(sv[i % channels]) * xv[i]);
    }
    check_close(got, want);
  }
}

TEST_CASE("ops: PRELU int8", "[ops]") {
  Rng rng(162);
  const Shape xs{2, 3, 4, 5};
  const QP xq{0.04f, 12};
  const auto xc = rng.i8_full(numel(xs));
  for (int32_t channels : {5, 1}) {
    INFO(channels << " slope(s)");
    const QP sq{0.004f, 10};
    std::vector<int8_t> sc = rng.i8_full(channels);
    if (channels == 1) sc[0] = -77;
    std::vector<double> real;
    for (size_t i = 0; i < xc.size(); ++i) {
      const double v = xq.real(xc[i]);
      real.push_back(v >= 0 ? v : sq.real(sc[i % channels]) * v);
    }
    const QP yq = calibrate(real);
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, xs, xq.quant());
    const Id s = b.constant_i8("slope", {channels}, sc, sq.quant());
    b.output(b.prelu(x, s, "prelu", yq.quant()));
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];

    const k::PreluQs8Params p{
        xq.z, sq.z, yq.z, -128, 127, mult(double(xq.s) / yq.s), mult(double(xq.s) * sq.s / yq.s)};
    std::vector<int8_t> want(xc.size());
    k::prelu_qs8_reference(xc.size(), channels, xc.data(), sc.data(), p, want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

// ================================================== MAX_POOL_2D, AVERAGE_POOL_2D

namespace {
struct PoolCase {
  const char* name;
  Shape x;
  Pool2DOptions o;
};

Pool2DOptions pool_opts(int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t pt, int32_t pl,
                        int32_t pb, int32_t pr, bool include_pad = false, bool ceil = false,
                        int32_t dh = 1, int32_t dw = 1) {
  Pool2DOptions o;
  o.kernel_h = kh;
  o.kernel_w = kw;
  o.stride_h = sh;
  o.stride_w = sw;
  o.pad_top = pt;
  o.pad_left = pl;
  o.pad_bottom = pb;
  o.pad_right = pr;
  o.count_include_pad = include_pad;
  o.ceil_mode = ceil;
  o.dilation_h = dh;
  o.dilation_w = dw;
  return o;
}

std::vector<PoolCase> max_pool_cases() {
  return {
      {"3x3 stride 2 pad 1", {2, 7, 7, 3}, pool_opts(3, 3, 2, 2, 1, 1, 1, 1)},
      {"2x2 stride 2 ceil_mode", {1, 7, 6, 2}, pool_opts(2, 2, 2, 2, 0, 0, 0, 0, false, true)},
      {"3x3 dilation 2, pad 2",
       {1, 8, 8, 2},
       pool_opts(3, 3, 1, 1, 2, 2, 2, 2, false, false, 2, 2)},
  };
}

std::vector<PoolCase> avg_pool_cases() {
  return {
      {"3x3 stride 2 pad 1, exclude pad", {2, 7, 7, 3}, pool_opts(3, 3, 2, 2, 1, 1, 1, 1)},
      {"3x3 stride 2 pad 1, count_include_pad",
       {2, 7, 7, 3},
       pool_opts(3, 3, 2, 2, 1, 1, 1, 1, true)},
      {"3x3 stride 2 pad 1 ceil_mode, exclude pad",
       {1, 6, 6, 2},
       pool_opts(3, 3, 2, 2, 1, 1, 1, 1, false, true)},
      // The last window hangs past the bottom/right padding: only positions
      // inside the padded input count (ONNX / PyTorch).
      {"3x3 stride 2 pad 1 ceil_mode, count_include_pad",
       {1, 6, 6, 2},
       pool_opts(3, 3, 2, 2, 1, 1, 1, 1, true, true)},
      {"2x3 asymmetric pad, count_include_pad",
       {1, 5, 6, 4},
       pool_opts(2, 3, 1, 2, 0, 1, 1, 2, true)},
      {"2x2 stride 2 ceil_mode no pad",
       {1, 7, 5, 3},
       pool_opts(2, 2, 2, 2, 0, 0, 0, 0, false, true)},
  };
}

k::Pool2DShape kernel_pool_shape(const Shape& xs, const Shape& ys, const Pool2DOptions& o) {
  k::Pool2DShape s{};
  s.batch = xs[0];
  s.in_h = xs[1];
  s.in_w = xs[2];
  s.channels = xs[3];
  s.out_h = ys[1];
  s.out_w = ys[2];
  s.kernel_h = o.kernel_h;
  s.kernel_w = o.kernel_w;
  s.stride_h = o.stride_h;
  s.stride_w = o.stride_w;
  s.dilation_h = o.dilation_h;
  s.dilation_w = o.dilation_w;
  s.pad_top = o.pad_top;
  s.pad_left = o.pad_left;
  s.count_include_pad = o.count_include_pad;
  s.pad_bottom = o.pad_bottom;
  s.pad_right = o.pad_right;
  return s;
}
}  // namespace

TEST_CASE("ops: MAX_POOL_2D and AVERAGE_POOL_2D fp32", "[ops]") {
  Rng rng(171);
  for (bool is_max : {true, false}) {
    for (const PoolCase& c : is_max ? max_pool_cases() : avg_pool_cases()) {
      INFO((is_max ? "MAX " : "AVERAGE ") << c.name);
      const auto xv = rng.f32(numel(c.x), -4, 4);
      ModelBuilder b;
      const Id x = b.input("x", DType::kFloat32, c.x);
      const Id y = is_max ? b.max_pool2d(x, c.o, "pool") : b.average_pool2d(x, c.o, "pool");
      b.output(y);
      CHECK(b.shape(y) == pool_shape(c.x, c.o));
      const auto got = run_as<float>(b, {bytes(xv)})[0];
      check_close(got, pool_ref(to_double(xv), c.x, c.o, is_max));
    }
  }
}

TEST_CASE("ops: MAX_POOL_2D int8", "[ops]") {
  Rng rng(172);
  for (const PoolCase& c : max_pool_cases()) {
    INFO(c.name);
    const QP xq{0.03f, -17};
    const auto xc = rng.i8_full(numel(c.x));
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id y = b.max_pool2d(x, c.o, "pool");
    b.output(y);
    const Shape ys = pool_shape(c.x, c.o);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::max_pool2d_qs8_reference(kernel_pool_shape(c.x, ys, c.o), xc.data(), -128, 127, want.data());
    check_equal(got, want);
    // Same scale in and out: the maximum code is the maximum value, exactly.
    check_steps(got, pool_ref(deq(xc, xq), c.x, c.o, true), xq, -128, 127, kExact);
  }
}

TEST_CASE("ops: AVERAGE_POOL_2D int8", "[ops]") {
  Rng rng(173);
  int n = 0;
  for (const PoolCase& c : avg_pool_cases()) {
    INFO(c.name);
    ++n;
    const QP xq{0.03f, 11 * n - 30};
    const auto xc = rng.i8_full(numel(c.x));
    const auto real = pool_ref(deq(xc, xq), c.x, c.o, false);
    const QP yq = calibrate(real);
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id y = b.average_pool2d(x, c.o, "pool", yq.quant());
    b.output(y);
    const Shape ys = pool_shape(c.x, c.o);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::average_pool2d_qs8_reference(kernel_pool_shape(c.x, ys, c.o), xc.data(), xq.z,
                                    mult(double(xq.s) / yq.s), yq.z, -128, 127, want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

// ====================================================================== MEAN

namespace {
struct MeanCase {
  const char* name;
  Shape x;
  std::vector<int32_t> axes;  // as given to the builder
  bool keep_dims;
  Shape y;
};
const MeanCase kMeanCases[] = {
    {"H,W keep_dims", {2, 5, 6, 8}, {1, 2}, true, {2, 1, 1, 8}},
    {"H,W (global average pool)", {1, 7, 7, 16}, {2, 1}, false, {1, 16}},
    {"channel (axis -1)", {2, 3, 4, 7}, {-1}, false, {2, 3, 4}},
    {"N,C keep_dims", {3, 2, 2, 5}, {0, 3}, true, {1, 2, 2, 1}},
};

std::vector<int32_t> norm_axes(std::vector<int32_t> axes, size_t rank) {
  for (auto& a : axes)
    if (a < 0) a += static_cast<int32_t>(rank);
  return axes;
}
}  // namespace

TEST_CASE("ops: MEAN fp32", "[ops]") {
  Rng rng(181);
  for (const MeanCase& c : kMeanCases) {
    INFO(c.name);
    const auto xv = rng.f32(numel(c.x), -5, 5);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    const Id y = b.mean(x, c.axes, c.keep_dims, "mean");
    b.output(y);
    CHECK(b.shape(y) == c.y);
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    check_close(got, mean_ref(to_double(xv), c.x, norm_axes(c.axes, c.x.size())));
  }
}

TEST_CASE("ops: MEAN int8", "[ops]") {
  Rng rng(182);
  int n = 0;
  for (const MeanCase& c : kMeanCases) {
    INFO(c.name);
    ++n;
    const QP xq{0.02f * n, 30 - 20 * n};
    const auto xc = rng.i8_full(numel(c.x));
    const auto axes = norm_axes(c.axes, c.x.size());
    const auto real = mean_ref(deq(xc, xq), c.x, axes);
    const QP yq = calibrate(real);
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id y = b.mean(x, c.axes, c.keep_dims, "mean", yq.quant());
    b.output(y);
    CHECK(b.shape(y) == c.y);
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
    const k::MeanShape ms{static_cast<int32_t>(c.x.size()), c.x.data(),
                          static_cast<int32_t>(axes.size()), axes.data()};
    std::vector<int8_t> want(static_cast<size_t>(numel(c.y)));
    k::mean_qs8_reference(ms, xc.data(), xq.z, mult(double(xq.s) / yq.s), yq.z, -128, 127,
                          want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

// ==================================================================== CONCAT

TEST_CASE("ops: CONCAT fp32", "[ops]") {
  Rng rng(191);
  struct Case {
    std::vector<Shape> xs;
    int32_t axis;
  };
  const Case cases[] = {{{{2, 3, 4, 2}, {2, 3, 4, 5}, {2, 3, 4, 1}}, -1},
                        {{{2, 1, 4, 3}, {2, 4, 4, 3}}, 1},
                        {{{1, 5}, {2, 5}, {3, 5}}, 0}};
  for (const Case& c : cases) {
    INFO("axis " << c.axis << ", first input " << shape_str(c.xs[0]));
    ModelBuilder b;
    std::vector<Id> ids;
    std::vector<std::vector<float>> vals;
    std::vector<std::vector<double>> dv;
    std::vector<std::vector<uint8_t>> in;
    for (size_t i = 0; i < c.xs.size(); ++i) {
      vals.push_back(rng.f32(numel(c.xs[i]), -3, 3));
      dv.push_back(to_double(vals.back()));
      in.push_back(bytes(vals.back()));
      ids.push_back(b.input("x" + std::to_string(i), DType::kFloat32, c.xs[i]));
    }
    const Id y = b.concat(ids, c.axis, "cat");
    b.output(y);
    Shape ys;
    const auto want =
        concat_ref(dv, c.xs, c.axis < 0 ? c.axis + int32_t(c.xs[0].size()) : c.axis, &ys);
    CHECK(b.shape(y) == ys);
    check_close(run_as<float>(b, in)[0], want);
  }
}

TEST_CASE("ops: CONCAT int8 with equal and with different input scales", "[ops]") {
  Rng rng(192);
  const std::vector<Shape> xs = {{2, 2, 3, 4}, {2, 3, 3, 4}, {2, 1, 3, 4}};
  const int32_t axis = 1;
  std::vector<std::vector<int8_t>> codes;
  for (const auto& s : xs) codes.push_back(rng.i8_full(numel(s)));
  Shape ys;
  const auto moved = concat_ref(codes, xs, axis, &ys);

  for (bool equal : {true, false}) {
    INFO((equal ? "equal scales (verbatim copy)" : "different scales (requantized)"));
    const QP out{0.04f, -6};
    // With different scales the middle input keeps the output's parameters:
    // it is copied verbatim next to requantized neighbours.
    const std::vector<QP> qs =
        equal ? std::vector<QP>{out, out, out} : std::vector<QP>{{0.02f, 3}, out, {0.011f, -40}};
    ModelBuilder b;
    std::vector<Id> ids;
    std::vector<std::vector<uint8_t>> in;
    std::vector<std::vector<double>> real;
    for (size_t i = 0; i < xs.size(); ++i) {
      ids.push_back(b.input("x" + std::to_string(i), DType::kInt8, xs[i], qs[i].quant()));
      in.push_back(bytes(codes[i]));
      real.push_back(deq(codes[i], qs[i]));
    }
    const Id y = b.concat(ids, axis, "cat", equal ? Quant{} : out.quant());
    b.output(y);
    CHECK(b.shape(y) == ys);
    const auto got = run_as<int8_t>(b, in)[0];

    std::vector<k::Multiplier> m;
    std::vector<int32_t> zps, sizes;
    std::vector<const int8_t*> ptrs;
    for (size_t i = 0; i < xs.size(); ++i) {
      const bool same = qs[i].s == out.s && qs[i].z == out.z;
      m.push_back(same ? k::Multiplier{0, 1} : mult(double(qs[i].s) / out.s));
      zps.push_back(qs[i].z);
      sizes.push_back(xs[i][axis]);
      ptrs.push_back(codes[i].data());
    }
    std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
    k::concat_qs8_reference(static_cast<int32_t>(ys.size()), ys.data(), axis,
                            static_cast<int32_t>(xs.size()), sizes.data(), ptrs.data(), zps.data(),
                            m.data(), out.z, -128, 127, want.data());
    check_equal(got, want);
    if (equal) check_equal(got, moved);
    Shape unused;
    check_steps(got, concat_ref(real, xs, axis, &unused), out, -128, 127, equal ? kExact : 1.0);
  }
}

// ===================================================== SPLIT, SLICE, RESHAPE,
// ===================================================== TRANSPOSE (both dtypes)

// Data movement: int8 must move codes exactly (same quantization in and out),
// so the int8 checks are exact equality with the reference kernel and with
// the naive index computation (zero output steps of error).
TEST_CASE("ops: SPLIT fp32 and int8", "[ops]") {
  Rng rng(201);
  struct Case {
    Shape x;
    int32_t axis;
    std::vector<int32_t> sizes;
  };
  const Case cases[] = {{{2, 6, 3, 4}, 1, {1, 3, 2}}, {{3, 4, 5}, -1, {2, 2, 1}}};
  for (const Case& c : cases) {
    for (bool int8 : {false, true}) {
      INFO((int8 ? "int8 " : "fp32 ") << shape_str(c.x) << " axis " << c.axis);
      const int32_t axis = c.axis < 0 ? c.axis + int32_t(c.x.size()) : c.axis;
      const auto xv = rng.f32(numel(c.x), -3, 3);
      const auto xc = rng.i8_full(numel(c.x));
      ModelBuilder b;
      const Id x = int8 ? b.input("x", DType::kInt8, c.x, Quant::per_tensor(0.1f, 4))
                        : b.input("x", DType::kFloat32, c.x);
      const auto ys = b.split(x, c.axis, c.sizes, "split");
      REQUIRE(ys.size() == c.sizes.size());
      for (Id y : ys) b.output(y);
      std::vector<std::vector<int32_t>> index;
      for (int32_t d : c.x) index.push_back(iota(0, d));
      int32_t at = 0;
      std::vector<std::vector<int8_t>> want_kernel;
      std::vector<void*> outs;
      for (int32_t s : c.sizes) want_kernel.emplace_back(numel(c.x) / c.x[axis] * s);
      for (auto& v : want_kernel) outs.push_back(v.data());
      k::split_reference(static_cast<int32_t>(c.x.size()), c.x.data(), axis,
                         static_cast<int32_t>(c.sizes.size()), c.sizes.data(), xc.data(), 1,
                         outs.data());
      const auto got_f = int8 ? std::vector<std::vector<float>>{} : run_as<float>(b, {bytes(xv)});
      const auto got_q = int8 ? run_as<int8_t>(b, {bytes(xc)}) : std::vector<std::vector<int8_t>>{};
      for (size_t i = 0; i < c.sizes.size(); ++i) {
        auto idx = index;
        idx[axis] = iota(at, c.sizes[i]);
        at += c.sizes[i];
        Shape s = c.x;
        s[axis] = c.sizes[i];
        CHECK(b.shape(ys[i]) == s);
        if (int8) {
          check_equal(got_q[i], gather_ref(xc, c.x, idx));
          check_equal(got_q[i], want_kernel[i]);
        } else {
          check_close(got_f[i], gather_ref(to_double(xv), c.x, idx));
        }
      }
    }
  }
}

TEST_CASE("ops: SLICE fp32 and int8 (negative steps)", "[ops]") {
  Rng rng(202);
  struct Case {
    Shape x;
    std::vector<int32_t> begin, end, step;
  };
  const Case cases[] = {
      {{2, 5, 6, 3}, {0, -1, 1, 0}, {2, -6, 6, 3}, {1, -2, 2, 1}},
      {{2, 5, 6, 3}, {1, 0, 5, 2}, {2, 5, -100, -100}, {1, 1, -1, -1}},
      {{4, 7}, {-1, 6}, {-5, 100}, {-3, 1}},
  };
  for (const Case& c : cases) {
    for (bool int8 : {false, true}) {
      INFO((int8 ? "int8 " : "fp32 ")
           << shape_str(c.x) << " begin " << shape_str(c.begin) << " end " << shape_str(c.end)
           << " step " << shape_str(c.step));
      std::vector<std::vector<int32_t>> index;
      Shape ys;
      for (size_t d = 0; d < c.x.size(); ++d) {
        index.push_back(py_slice(c.x[d], c.begin[d], c.end[d], c.step[d]));
        ys.push_back(static_cast<int32_t>(index.back().size()));
      }
      ModelBuilder b;
      const Id x = int8 ? b.input("x", DType::kInt8, c.x, Quant::per_tensor(0.2f, -3))
                        : b.input("x", DType::kFloat32, c.x);
      const Id y = b.slice(x, c.begin, c.end, c.step, "slice");
      b.output(y);
      CHECK(b.shape(y) == ys);
      if (int8) {
        const auto xc = rng.i8_full(numel(c.x));
        const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
        check_equal(got, gather_ref(xc, c.x, index));
        std::vector<int32_t> begin, step;
        for (size_t d = 0; d < c.x.size(); ++d) {
          begin.push_back(index[d][0]);
          step.push_back(c.step[d]);
        }
        std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
        k::slice_reference(static_cast<int32_t>(c.x.size()), c.x.data(), begin.data(), step.data(),
                           ys.data(), xc.data(), 1, want.data());
        check_equal(got, want);
      } else {
        const auto xv = rng.f32(numel(c.x), -3, 3);
        check_close(run_as<float>(b, {bytes(xv)})[0], gather_ref(to_double(xv), c.x, index));
      }
    }
  }
}

TEST_CASE("ops: RESHAPE fp32 and int8", "[ops]") {
  Rng rng(203);
  struct Case {
    Shape x, spec, y;
  };
  const Case cases[] = {{{2, 3, 4}, {4, -1}, {4, 6}},
                        {{2, 3, 4}, {0, 12}, {2, 12}},
                        {{1, 2, 2, 6}, {1, 24}, {1, 24}}};
  for (const Case& c : cases) {
    for (bool int8 : {false, true}) {
      INFO((int8 ? "int8 " : "fp32 ") << shape_str(c.x) << " -> " << shape_str(c.spec));
      ModelBuilder b;
      const Id x = int8 ? b.input("x", DType::kInt8, c.x, Quant::per_tensor(0.3f, 7))
                        : b.input("x", DType::kFloat32, c.x);
      const Id y = b.reshape(x, c.spec, "reshape");
      b.output(y);
      CHECK(b.shape(y) == c.y);
      if (int8) {
        const auto xc = rng.i8_full(numel(c.x));
        check_equal(run_as<int8_t>(b, {bytes(xc)})[0], xc);
      } else {
        const auto xv = rng.f32(numel(c.x), -3, 3);
        check_close(run_as<float>(b, {bytes(xv)})[0], to_double(xv));
      }
    }
  }
}

TEST_CASE("ops: TRANSPOSE fp32 and int8", "[ops]") {
  Rng rng(204);
  struct Case {
    Shape x;
    std::vector<int32_t> perm;
  };
  const Case cases[] = {{{2, 3, 4, 5}, {0, 3, 1, 2}},
                        {{2, 3, 4, 5}, {3, 1, 2, 0}},
                        {{3, 4, 5}, {2, 0, 1}},
                        {{6, 7}, {1, 0}}};
  for (const Case& c : cases) {
    for (bool int8 : {false, true}) {
      INFO((int8 ? "int8 " : "fp32 ") << shape_str(c.x) << " perm " << shape_str(c.perm));
      ModelBuilder b;
      const Id x = int8 ? b.input("x", DType::kInt8, c.x, Quant::per_tensor(0.05f, -100))
                        : b.input("x", DType::kFloat32, c.x);
      const Id y = b.transpose(x, c.perm, "transpose");
      b.output(y);
      Shape ys;
      if (int8) {
        const auto xc = rng.i8_full(numel(c.x));
        const auto naive = transpose_ref(xc, c.x, c.perm, &ys);
        CHECK(b.shape(y) == ys);
        const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
        check_equal(got, naive);
        std::vector<int8_t> want(xc.size());
        k::transpose_reference(static_cast<int32_t>(c.x.size()), c.x.data(), c.perm.data(),
                               xc.data(), 1, want.data());
        check_equal(got, want);
      } else {
        const auto xv = rng.f32(numel(c.x), -3, 3);
        const auto want = transpose_ref(to_double(xv), c.x, c.perm, &ys);
        CHECK(b.shape(y) == ys);
        check_close(run_as<float>(b, {bytes(xv)})[0], want);
      }
    }
  }
}

// ======================================================================= PAD

TEST_CASE("ops: PAD constant / reflect / edge in fp32 and int8", "[ops]") {
  Rng rng(211);
  const Shape xs{1, 4, 5, 3};
  // ONNX order: before n, h, w, c; after n, h, w, c.
  const std::vector<int32_t> pads{0, 1, 2, 0, 0, 2, 1, 1};
  const auto xv = rng.f32(numel(xs), -3, 3);
  const auto xc = rng.i8_full(numel(xs));
  const QP xq{0.05f, -7};
  struct Case {
    PadMode mode;
    float value;
    const char* name;
  };
  const Case cases[] = {{PadMode::kConstant, 0.0f, "constant 0"},
                        {PadMode::kConstant, 0.7f, "constant 0.7"},
                        {PadMode::kConstant, -20.0f, "constant -20 (saturates in int8)"},
                        {PadMode::kReflect, 0.0f, "reflect"},
                        {PadMode::kEdge, 0.0f, "edge"}};
  for (const Case& c : cases) {
    INFO(c.name);
    Shape ys;
    {
      ModelBuilder b;
      const Id x = b.input("x", DType::kFloat32, xs);
      const Id y = b.pad(x, pads, c.mode, c.value, "pad");
      b.output(y);
      const auto want = pad_ref(to_double(xv), xs, pads, c.mode, double(c.value), &ys);
      CHECK(b.shape(y) == ys);
      check_close(run_as<float>(b, {bytes(xv)})[0], want);
    }
    {
      ModelBuilder b;
      const Id x = b.input("x", DType::kInt8, xs, xq.quant());
      const Id y = b.pad(x, pads, c.mode, c.value, "pad");
      b.output(y);
      const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
      // The quantized pad value: round(value / s) + z, saturated.
      const int8_t pv = static_cast<int8_t>(
          std::clamp(std::nearbyint(double(c.value) / xq.s) + xq.z, -128.0, 127.0));
      check_equal(got, pad_ref(xc, xs, pads, c.mode, pv, &ys));
      std::vector<int8_t> want(static_cast<size_t>(numel(ys)));
      k::pad_reference(static_cast<int32_t>(xs.size()), xs.data(), pads.data(),
                       static_cast<k::PadMode>(c.mode), &pv, xc.data(), 1, want.data());
      check_equal(got, want);
      std::vector<double> real = pad_ref(deq(xc, xq), xs, pads, c.mode, double(c.value), &ys);
      int32_t lo = -128, hi = 127;
      check_steps(got, real, xq, lo, hi, c.value == 0.7f ? 0.5 : kExact);
    }
  }
}

// ==================================================================== RESIZE

namespace {
struct ResizeCase {
  const char* name;
  Shape x;
  int32_t oh, ow;
  ResizeOptions o;
};

ResizeOptions resize_opts(ResizeMode m, CoordinateTransform t,
                          NearestRounding r = NearestRounding::kRoundPreferFloor) {
  ResizeOptions o;
  o.mode = m;
  o.coordinate_transform = t;
  o.nearest_rounding = r;
  return o;
}

std::vector<ResizeCase> resize_cases() {
  using CT = CoordinateTransform;
  using NR = NearestRounding;
  return {
      {"nearest 2x, asymmetric, floor",
       {1, 3, 4, 2},
       6,
       8,
       resize_opts(ResizeMode::kNearest, CT::kAsymmetric, NR::kFloor)},
      {"nearest 5->3 x 3->7, half_pixel, round_prefer_ceil",
       {2, 5, 3, 2},
       3,
       7,
       resize_opts(ResizeMode::kNearest, CT::kHalfPixel, NR::kRoundPreferCeil)},
      {"nearest 4->6, align_corners, round_prefer_floor",
       {1, 4, 4, 3},
       6,
       6,
       resize_opts(ResizeMode::kNearest, CT::kAlignCorners, NR::kRoundPreferFloor)},
      {"bilinear 4x5 -> 7x9, half_pixel",
       {1, 4, 5, 3},
       7,
       9,
       resize_opts(ResizeMode::kBilinear, CT::kHalfPixel)},
      {"bilinear 4x5 -> 6x3, align_corners",
       {2, 4, 5, 3},
       6,
       3,
       resize_opts(ResizeMode::kBilinear, CT::kAlignCorners)},
      {"bilinear 4x4 -> 1x8, pytorch_half_pixel",
       {1, 4, 4, 2},
       1,
       8,
       resize_opts(ResizeMode::kBilinear, CT::kPytorchHalfPixel)},
      {"bilinear 3x3 -> 5x4, asymmetric",
       {1, 3, 3, 2},
       5,
       4,
       resize_opts(ResizeMode::kBilinear, CT::kAsymmetric)},
  };
}

struct AxisTables {
  std::vector<uint8_t> hs, ws;
  k::ResizeAxisTable h, w;
  AxisTables(const Shape& xs, int32_t oh, int32_t ow, const ResizeOptions& o)
      : hs(k::resize_axis_table_bytes(oh) + 8), ws(k::resize_axis_table_bytes(ow) + 8) {
    // std::vector<uint8_t> storage from operator new is suitably aligned.
    h = k::resize_axis_table_init(xs[1], oh, o.scale_h, static_cast<k::ResizeMode>(o.mode),
                                  static_cast<k::CoordinateTransform>(o.coordinate_transform),
                                  static_cast<k::NearestRounding>(o.nearest_rounding), hs.data());
    w = k::resize_axis_table_init(xs[2], ow, o.scale_w, static_cast<k::ResizeMode>(o.mode),
                                  static_cast<k::CoordinateTransform>(o.coordinate_transform),
                                  static_cast<k::NearestRounding>(o.nearest_rounding), ws.data());
  }
};
}  // namespace

TEST_CASE("ops: RESIZE fp32", "[ops]") {
  Rng rng(221);
  for (const ResizeCase& c : resize_cases()) {
    INFO(c.name);
    const auto xv = rng.f32(numel(c.x), -3, 3);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    const Id y = b.resize(x, c.oh, c.ow, c.o, "resize");
    b.output(y);
    CHECK(b.shape(y) == Shape{c.x[0], c.oh, c.ow, c.x[3]});
    const auto got = run_as<float>(b, {bytes(xv)})[0];
    const auto want = c.o.mode == ResizeMode::kNearest
                          ? resize_nearest_ref(to_double(xv), c.x, c.oh, c.ow, c.o)
                          : resize_bilinear_ref(to_double(xv), c.x, c.oh, c.ow, c.o);
    check_close(got, want);
  }
}

TEST_CASE("ops: RESIZE int8", "[ops]") {
  Rng rng(222);
  for (const ResizeCase& c : resize_cases()) {
    INFO(c.name);
    const QP xq{0.04f, 9};
    const auto xc = rng.i8_full(numel(c.x));
    const bool nearest = c.o.mode == ResizeMode::kNearest;
    // Bilinear: the 10-bit weights move the result by at most
    // 2 · 2^-11 · 255 · s_x ≈ 0.25 s_x from the exact interpolation; with
    // s_y ≥ s_x that and the final rounding stay below one output step.
    const QP yq = nearest ? xq : QP{xq.s * 1.1f, -4};
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, xq.quant());
    const Id y = b.resize(x, c.oh, c.ow, c.o, "resize", nearest ? Quant{} : yq.quant());
    b.output(y);
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
    const AxisTables t(c.x, c.oh, c.ow, c.o);
    const k::ResizeShape rs{c.x[0], c.x[1], c.x[2], c.x[3], c.oh, c.ow};
    std::vector<int8_t> want(static_cast<size_t>(c.x[0]) * c.oh * c.ow * c.x[3]);
    if (nearest) {
      k::resize_nearest_reference(rs, t.h, t.w, xc.data(), 1, want.data());
      check_equal(got, want);
      check_equal(got, resize_nearest_ref(xc, c.x, c.oh, c.ow, c.o));
    } else {
      k::resize_bilinear_qs8_reference(rs, t.h, t.w, xc.data(), xq.z, mult(double(xq.s) / yq.s),
                                       yq.z, -128, 127, want.data());
      check_equal(got, want);
      check_steps(got, resize_bilinear_ref(deq(xc, xq), c.x, c.oh, c.ow, c.o), yq, -128, 127, 1.0);
    }
  }
}

// =================================================================== SOFTMAX

TEST_CASE("ops: SOFTMAX fp32", "[ops]") {
  Rng rng(231);
  struct Case {
    Shape x;
    float beta;
  };
  const Case cases[] = {{{3, 10}, 1.0f}, {{2, 2, 7}, 0.5f}, {{4, 1}, 1.0f}};
  for (const Case& c : cases) {
    INFO(shape_str(c.x) << " beta " << c.beta);
    const auto xv = rng.f32(numel(c.x), -6, 6);
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, c.x);
    b.output(b.softmax(x, c.beta, "softmax"));
    check_close(run_as<float>(b, {bytes(xv)})[0], softmax_ref(to_double(xv), c.x.back(), c.beta));
  }
}

TEST_CASE("ops: SOFTMAX int8", "[ops]") {
  Rng rng(232);
  struct Case {
    Shape x;
    float beta;
    QP xq;
    bool calibrated_out;
  };
  const Case cases[] = {{{3, 10}, 1.0f, {0.05f, 0}, false},
                        {{2, 2, 7}, 0.7f, {0.1f, -20}, true},
                        {{5, 33}, 1.0f, {0.03f, 12}, false}};
  for (const Case& c : cases) {
    INFO(shape_str(c.x) << " beta " << c.beta);
    const auto xc = rng.i8_full(numel(c.x));
    const auto real = softmax_ref(deq(xc, c.xq), c.x.back(), c.beta);
    const QP yq = c.calibrated_out ? calibrate(real) : QP{1.0f / 256, -128};
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, c.x, c.xq.quant());
    b.output(b.softmax(x, c.beta, "softmax", yq.quant()));
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];

    int32_t table[256];
    quant::build_softmax_exp_table(c.beta, c.xq.s, table);
    k::Multiplier m{};
    REQUIRE(quant::softmax_output_multiplier(yq.s, &m));
    std::vector<int8_t> want(xc.size());
    const int32_t cols = c.x.back();
    k::softmax_qs8_reference(static_cast<int32_t>(xc.size()) / cols, cols, table, m, yq.z, -128,
                             127, xc.data(), want.data());
    check_equal(got, want);
    check_steps(got, real, yq, -128, 127, 1.0);
  }
}

// ======================================================= QUANTIZE, DEQUANTIZE

TEST_CASE("ops: QUANTIZE f32 -> int8 and f32 -> uint8", "[ops]") {
  Rng rng(241);
  const Shape xs{2, 3, 4, 5};
  for (const QP q : {QP{0.5f, -3}, QP{0.037f, 20}}) {
    auto xv = rng.f32(numel(xs), -6, 6);
    // Exact ties at scale 0.5 (round half to even), saturation both ways.
    const float special[] = {0.25f, 0.75f, -0.25f, -0.75f, 1.25f, 1000.0f, -1000.0f, 0.0f};
    std::copy(std::begin(special), std::end(special), xv.begin());
    {
      INFO("int8, scale " << q.s << ", zero point " << q.z);
      ModelBuilder b;
      const Id x = b.input("x", DType::kFloat32, xs);
      b.output(b.quantize(x, DType::kInt8, q.quant(), "q"));
      const auto got = run_as<int8_t>(b, {bytes(xv)})[0];
      std::vector<int8_t> want(xv.size()), formula;
      const k::QuantizeParams p{q.s, q.z, -128, 127};
      k::quantize_f32_qs8_reference(xv.size(), xv.data(), want.data(), p);
      check_equal(got, want);
      for (float v : xv) {
        const double r = std::nearbyint(static_cast<double>(v / q.s)) + q.z;
        formula.push_back(static_cast<int8_t>(std::clamp(r, -128.0, 127.0)));
      }
      check_equal(got, formula);
      if (q.s == 0.5f) {
        CHECK(got[0] == q.z + 0);  // 0.5 -> 0
        CHECK(got[1] == q.z + 2);  // 1.5 -> 2
        CHECK(got[2] == q.z + 0);  // -0.5 -> -0
        CHECK(got[3] == q.z - 2);  // -1.5 -> -2
        CHECK(got[4] == q.z + 2);  // 2.5 -> 2
        CHECK(got[5] == 127);
        CHECK(got[6] == -128);
      }
    }
    {
      const QP qu{q.s, q.z + 128};
      INFO("uint8, scale " << qu.s << ", zero point " << qu.z);
      ModelBuilder b;
      const Id x = b.input("x", DType::kFloat32, xs);
      b.output(b.quantize(x, DType::kUint8, qu.quant(), "q"));
      const auto got = run_as<uint8_t>(b, {bytes(xv)})[0];
      std::vector<uint8_t> want(xv.size()), formula;
      const k::QuantizeParams p{qu.s, qu.z, 0, 255};
      k::quantize_f32_qu8_reference(xv.size(), xv.data(), want.data(), p);
      check_equal(got, want);
      for (float v : xv) {
        const double r = std::nearbyint(static_cast<double>(v / qu.s)) + qu.z;
        formula.push_back(static_cast<uint8_t>(std::clamp(r, 0.0, 255.0)));
      }
      check_equal(got, formula);
    }
  }
}

TEST_CASE("ops: QUANTIZE int8 -> int8 (requantize)", "[ops]") {
  Rng rng(242);
  const Shape xs{3, 50};
  const auto xc = rng.i8_full(numel(xs));
  const QP xq{0.03f, 5};
  for (const QP yq : {QP{0.045f, -10}, QP{0.011f, 3}, QP{0.03f, 5}}) {
    INFO("to scale " << yq.s << ", zero point " << yq.z);
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, xs, xq.quant());
    b.output(b.quantize(x, DType::kInt8, yq.quant(), "rq"));
    const auto got = run_as<int8_t>(b, {bytes(xc)})[0];
    const k::RequantizeParams p{xq.z, yq.z, mult(double(xq.s) / yq.s), -128, 127};
    std::vector<int8_t> want(xc.size());
    k::requantize_qs8_qs8_reference(xc.size(), xc.data(), want.data(), p);
    check_equal(got, want);
    check_steps(got, deq(xc, xq), yq, -128, 127, 1.0);
    if (yq.s == xq.s && yq.z == xq.z) check_equal(got, xc);
  }
}

TEST_CASE("ops: DEQUANTIZE int8 and uint8 -> f32", "[ops]") {
  Rng rng(243);
  const Shape xs{4, 64};
  const auto xc = rng.i8_full(numel(xs));
  const QP q{0.0173f, -11};
  {
    ModelBuilder b;
    const Id x = b.input("x", DType::kInt8, xs, q.quant());
    b.output(b.dequantize(x, "dq"));
    const auto got = run_as<float>(b, {bytes(xc)})[0];
    std::vector<float> want(xc.size()), formula;
    k::dequantize_qs8_f32_reference(xc.size(), xc.data(), want.data(),
                                    k::DequantizeParams{q.s, q.z});
    check_equal(got, want);
    for (int8_t v : xc) formula.push_back(q.s * static_cast<float>(v - q.z));
    check_equal(got, formula);
  }
  {
    std::vector<uint8_t> xu;
    for (int8_t v : xc) xu.push_back(static_cast<uint8_t>(v + 128));
    const QP qu{q.s, 117};
    ModelBuilder b;
    const Id x = b.input("x", DType::kUint8, xs, qu.quant());
    b.output(b.dequantize(x, "dq"));
    const auto got = run_as<float>(b, {bytes(xu)})[0];
    std::vector<float> want(xu.size()), formula;
    k::dequantize_qu8_f32_reference(xu.size(), xu.data(), want.data(),
                                    k::DequantizeParams{qu.s, qu.z});
    check_equal(got, want);
    for (uint8_t v : xu) formula.push_back(qu.s * static_cast<float>(v - qu.z));
    check_equal(got, formula);
  }
}

// ================================================================== NETWORK

namespace {
// conv 3x3 + ReLU -> depthwise 3x3 stride 2 -> average pool 3x3 stride 2 pad 1
// -> mean over H, W -> fully connected -> softmax.
struct Net {
  static constexpr int32_t kH = 10, kW = 10, kC = 3, kC1 = 8, kClasses = 10;
  std::vector<float> w1, b1, w2, b2, w3, b3;
  explicit Net(Rng& rng) {
    w1 = rng.f32(kC1 * 3 * 3 * kC, -0.5f, 0.5f);
    b1 = rng.f32(kC1, -0.2f, 0.2f);
    w2 = rng.f32(kC1 * 3 * 3, -0.6f, 0.6f);
    b2 = rng.f32(kC1, -0.2f, 0.2f);
    w3 = rng.f32(kClasses * kC1, -2.0f, 2.0f);
    b3 = rng.f32(kClasses, -0.5f, 0.5f);
  }
  static Conv2DOptions conv1() { return conv_opts(1, 1, 1, 1, 1, 1, 1, 1, 1); }
  static Conv2DOptions dw() { return conv_opts(2, 2, 1, 1, 1, 1, 1, 1, kC1); }
  static Pool2DOptions pool() { return pool_opts(3, 3, 2, 2, 1, 1, 1, 1); }

  // fp32 model; outputs: every activation in order, probabilities last.
  std::vector<uint8_t> fp32() const {
    ModelBuilder b;
    const Id x = b.input("x", DType::kFloat32, {1, kH, kW, kC});
    const Id c1 = b.conv2d(x, b.constant_f32("w1", {kC1, 3, 3, kC}, w1),
                           b.constant_f32("b1", {kC1}, b1), conv1(), Activation::relu(), "conv1");
    const Id c2 = b.conv2d(c1, b.constant_f32("w2", {kC1, 3, 3, 1}, w2),
                           b.constant_f32("b2", {kC1}, b2), dw(), Activation::none(), "dw");
    const Id p = b.average_pool2d(c2, pool(), "pool");
    const Id m = b.mean(p, {1, 2}, false, "mean");
    const Id f = b.fully_connected(m, b.constant_f32("w3", {kClasses, kC1}, w3),
                                   b.constant_f32("b3", {kClasses}, b3), Activation::none(), "fc");
    const Id s = b.softmax(f, 1.0f, "softmax");
    for (Id t : {c1, c2, p, m, f, s}) b.output(t);
    return b.finish();
  }

  // int8 model with f32 input and output (QUANTIZE / DEQUANTIZE at the edges).
  // act[i]: quantization of x, conv1, dw, pool, mean, fc, softmax.
  std::vector<uint8_t> int8(const std::vector<QP>& act) const {
    ModelBuilder b;
    const Id xf = b.input("x", DType::kFloat32, {1, kH, kW, kC});
    const Id x = b.quantize(xf, DType::kInt8, act[0].quant(), "quantize");
    auto conv = [&](Id in, float sx, const std::vector<float>& w, const std::vector<float>& bias,
                    Shape ws, const Conv2DOptions& o, Activation a, const char* name, QP out) {
      const QWeights qw = quantize_weights(w, ws[0]);
      const QBias qb = quantize_bias(bias, sx, qw.scale);
      return b.conv2d(
          in, b.constant_i8(std::string(name) + ".w", ws, qw.q, Quant::per_channel(qw.scale, 0)),
          b.constant_i32(std::string(name) + ".b", {ws[0]}, qb.q, Quant::per_channel(qb.scale, 0)),
          o, a, name, out.quant());
    };
    const Id c1 =
        conv(x, act[0].s, w1, b1, {kC1, 3, 3, kC}, conv1(), Activation::relu(), "conv1", act[1]);
    const Id c2 =
        conv(c1, act[1].s, w2, b2, {kC1, 3, 3, 1}, dw(), Activation::none(), "dw", act[2]);
    const Id p = b.average_pool2d(c2, pool(), "pool", act[3].quant());
    const Id m = b.mean(p, {1, 2}, false, "mean", act[4].quant());
    const QWeights qw = quantize_weights(w3, kClasses);
    const QBias qb = quantize_bias(b3, act[4].s, qw.scale);
    const Id f = b.fully_connected(
        m, b.constant_i8("fc.w", {kClasses, kC1}, qw.q, Quant::per_channel(qw.scale, 0)),
        b.constant_i32("fc.b", {kClasses}, qb.q, Quant::per_channel(qb.scale, 0)),
        Activation::none(), "fc", act[5].quant());
    const Id s = b.softmax(f, 1.0f, "softmax", act[6].quant());
    b.output(b.dequantize(s, "probabilities"));
    return b.finish();
  }
};
}  // namespace

TEST_CASE("ops: a small CNN in fp32 and int8 agrees", "[ops]") {
  Rng rng(251);
  const Net net(rng);
  // Images with their own colour cast plus noise, so that they land in
  // different classes.
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < 8; ++i) {
    const auto cast = rng.f32(Net::kC, -1, 1);
    auto x = rng.f32(Net::kH * Net::kW * Net::kC, -0.5f, 0.5f);
    for (size_t j = 0; j < x.size(); ++j) x[j] += cast[j % Net::kC];
    inputs.push_back(x);
  }

  // fp32 run on every input: probabilities and the observed range of every
  // activation (calibration).
  test::LoadedModel f32(net.fp32());
  REQUIRE(f32.status.ok());
  std::vector<double> lo(7, 0.0), hi(7, 0.0);
  std::vector<std::vector<float>> probs;
  for (const auto& x : inputs) {
    for (float v : x) {
      lo[0] = std::min<double>(lo[0], v);
      hi[0] = std::max<double>(hi[0], v);
    }
    const auto out = test::run_model(f32.model, {bytes(x)});
    for (size_t t = 0; t < out.size(); ++t) {
      for (float v : test::from_bytes<float>(out[t])) {
        lo[t + 1] = std::min<double>(lo[t + 1], v);
        hi[t + 1] = std::max<double>(hi[t + 1], v);
      }
    }
    probs.push_back(test::from_bytes<float>(out.back()));
  }
  std::vector<QP> act;
  for (size_t t = 0; t < lo.size(); ++t) act.push_back(calibrate(lo[t], hi[t]));

  test::LoadedModel q8(net.int8(act));
  INFO("int8 load: " << q8.status.message());
  REQUIRE(q8.status.ok());
  std::set<std::ptrdiff_t> classes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    const auto p8 = test::from_bytes<float>(test::run_model(q8.model, {bytes(inputs[i])})[0]);
    const auto& p32 = probs[i];
    REQUIRE(p8.size() == p32.size());
    const auto top32 = std::max_element(p32.begin(), p32.end()) - p32.begin();
    const auto top8 = std::max_element(p8.begin(), p8.end()) - p8.begin();
    double worst = 0, sum = 0;
    for (size_t j = 0; j < p8.size(); ++j) {
      worst = std::max(worst, std::fabs(double(p8[j]) - p32[j]));
      sum += p8[j];
    }
    INFO("fp32 top-1 " << top32 << " (p = " << p32[top32] << "), int8 top-1 " << top8
                       << " (p = " << p8[top8] << "), worst |dp| " << worst);
    CHECK(top8 == top32);
    CHECK(worst <= 0.05);
    CHECK(std::fabs(sum - 1.0) < 0.05);
    classes.insert(top32);
  }
  // The inputs exercise more than one class (the test would be vacuous if a
  // constant answer passed it).
  CHECK(classes.size() >= 3);
}

// ========================================================== load-time errors

namespace {
int32_t tensor_named(const fb::ModelT& m, const std::string& name) {
  for (size_t i = 0; i < m.tensors.size(); ++i)
    if (m.tensors[i]->name == name) return static_cast<int32_t>(i);
  FAIL("no tensor named " << name);
  return -1;
}

struct ErrorCase {
  const char* what;
  std::function<std::vector<uint8_t>()> model;
  std::vector<const char*> expect;  // substrings of the message
};

void check_rejected(const ErrorCase& c) {
  INFO(c.what);
  const Status s = test::try_load(c.model());
  REQUIRE_FALSE(s.ok());
  INFO("message: " << s.message());
  for (const char* e : c.expect) CHECK_THAT(s.message(), Catch::Contains(e));
}

// x [1,6,6,3] int8 -> CONV_2D 'conv' (4 filters 3x3, pad 1) -> [1,6,6,4].
std::vector<uint8_t> int8_conv_model(Quant wq = Quant::per_channel({0.01f, 0.02f, 0.03f, 0.04f}, 0),
                                     DType wdt = DType::kInt8) {
  ModelBuilder b;
  const Id x = b.input("x", DType::kInt8, {1, 6, 6, 3}, Quant::per_tensor(0.05f, 2));
  Id w;
  if (wdt == DType::kInt8) {
    w = b.constant_i8("w", {4, 3, 3, 3}, std::vector<int8_t>(108, 3), wq);
  } else {
    w = b.constant_f32("w", {4, 3, 3, 3}, std::vector<float>(108, 0.1f));
  }
  b.output(b.conv2d(x, w, ModelBuilder::kNone, conv_opts(1, 1, 1, 1, 1, 1, 1, 1, 1),
                    Activation::relu(), "conv", Quant::per_tensor(0.1f, -5)));
  return b.finish();
}
}  // namespace

TEST_CASE("ops: an output shape that disagrees with the operator is rejected at load", "[ops]") {
  const ErrorCase cases[] = {
      {"CONV_2D output height",
       [] {
         return test::mutate(int8_conv_model(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "conv")]->shape = {1, 5, 6, 4};
         });
       },
       {"operator #0 'conv' (CONV_2D)", "output 'conv' has shape [1,5,6,4]",
        "the operator produces [1,6,6,4]"}},
      {"FULLY_CONNECTED output width",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {2, 8});
         b.output(b.fully_connected(x, b.constant_f32("w", {3, 8}, std::vector<float>(24, 1)),
                                    ModelBuilder::kNone, Activation::none(), "fc"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "fc")]->shape = {2, 4};
         });
       },
       {"operator #0 'fc' (FULLY_CONNECTED)", "the operator produces [2,3]"}},
      {"CONV_TRANSPOSE_2D output size",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {1, 3, 3, 2});
         b.output(b.conv_transpose2d(
             x, b.constant_f32("w", {2, 3, 3, 2}, std::vector<float>(36, 1)), ModelBuilder::kNone,
             conv_opts(2, 2, 1, 1, 0, 0, 0, 0, 1), Activation::none(), "deconv"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "deconv")]->shape = {1, 9, 7, 2};
         });
       },
       {"operator #0 'deconv' (CONV_TRANSPOSE_2D)", "spatial size 9x7"}},
      {"MATMUL output",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kFloat32, {2, 3, 4});
         const Id c = b.input("c", DType::kFloat32, {4, 5});
         b.output(b.matmul(a, c, "mm"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "mm")]->shape = {3, 3, 5};
         });
       },
       {"operator #0 'mm' (MATMUL)", "the operator produces [2,3,5]"}},
      {"AVERAGE_POOL_2D output",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {1, 8, 8, 2});
         b.output(b.average_pool2d(x, pool_opts(2, 2, 2, 2, 0, 0, 0, 0), "pool"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "pool")]->shape = {1, 5, 4, 2};
         });
       },
       {"operator #0 'pool' (AVERAGE_POOL_2D)", "does not match pooling"}},
      {"MEAN output (keep_dims)",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {1, 4, 4, 6});
         b.output(b.mean(x, {1, 2}, true, "mean"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "mean")]->shape = {1, 6};
         });
       },
       {"operator #0 'mean' (MEAN)", "the operator produces [1,1,1,6]"}},
      {"TRANSPOSE output",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {2, 3, 4});
         b.output(b.transpose(x, {2, 0, 1}, "t"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "t")]->shape = {4, 3, 2};
         });
       },
       {"operator #0 't' (TRANSPOSE)", "the operator produces [4,2,3]"}},
      {"ADD output of a broadcast",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kFloat32, {2, 1, 4});
         const Id c = b.input("c", DType::kFloat32, {3, 1});
         b.output(b.add(a, c, Activation::none(), "add"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "add")]->shape = {2, 3, 1};
         });
       },
       {"operator #0 'add' (ADD)", "the operator produces [2,3,4]"}},
  };
  for (const ErrorCase& c : cases) check_rejected(c);
}

TEST_CASE("ops: dtype and quantization mismatches are rejected at load", "[ops]") {
  const ErrorCase cases[] = {
      {"fp32 input with int8 weights",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kFloat32, {1, 4, 4, 2});
         const Id w =
             b.constant_i8("w", {3, 1, 1, 2}, std::vector<int8_t>(6, 1), Quant::per_tensor(0.1f));
         b.output(b.conv2d(x, w, ModelBuilder::kNone, conv_opts(1, 1, 1, 1, 0, 0, 0, 0, 1),
                           Activation::none(), "conv"));
         return b.finish();
       },
       {"operator #0 'conv' (CONV_2D)", "weights 'w' is int8, expected float32"}},
      {"int8 input with fp32 weights",
       [] { return int8_conv_model({}, DType::kFloat32); },
       {"operator #0 'conv' (CONV_2D)", "weights 'w' is float32, expected int8"}},
      {"int8 conv with asymmetric weights (zero_point != 0)",
       [] {
         return int8_conv_model(Quant{{0.01f, 0.02f, 0.03f, 0.04f}, {0, 3, 0, 0}, 0});
       },
       {"operator #0 'conv' (CONV_2D)", "weights 'w' must be symmetric (zero_point[1] = 3)"}},
      {"int8 conv with weights quantized along the wrong axis",
       [] {
         return int8_conv_model(Quant::per_channel({0.01f, 0.02f, 0.03f}, 3));
       },
       {"operator #0 'conv' (CONV_2D)", "per-tensor or per-axis-0"}},
      {"int8 FULLY_CONNECTED with fp32 bias",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kInt8, {2, 4}, Quant::per_tensor(0.1f));
         const Id w =
             b.constant_i8("w", {3, 4}, std::vector<int8_t>(12, 1), Quant::per_tensor(0.01f));
         const Id bias = b.constant_f32("bias", {3}, {0.f, 1.f, 2.f});
         b.output(b.fully_connected(x, w, bias, Activation::none(), "fc", Quant::per_tensor(0.1f)));
         return b.finish();
       },
       {"operator #0 'fc' (FULLY_CONNECTED)", "bias 'bias' is float32, expected int32"}},
      {"CONCAT with mismatched dims off the axis",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kFloat32, {1, 2, 3, 4});
         const Id c = b.input("c", DType::kFloat32, {1, 2, 3, 5});
         b.output(b.concat({a, c}, 3, "cat"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "c")]->shape = {1, 3, 3, 5};
         });
       },
       {"operator #0 'cat' (CONCAT)", "input 'c' does not match output 'cat' off axis 3"}},
      {"CONCAT whose inputs do not add up along the axis",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kFloat32, {1, 2, 3, 4});
         const Id c = b.input("c", DType::kFloat32, {1, 2, 3, 5});
         b.output(b.concat({a, c}, 3, "cat"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "c")]->shape = {1, 2, 3, 6};
         });
       },
       {"operator #0 'cat' (CONCAT)", "inputs add up to 10 along axis 3, output has 9"}},
      {"CONCAT of fp32 and int8",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kFloat32, {2, 3});
         const Id c = b.input("c", DType::kFloat32, {2, 3});
         b.output(b.concat({a, c}, 0, "cat"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           auto& t = *m.tensors[tensor_named(m, "c")];
           t.dtype = fb::DType::INT8;
           t.quantization = std::make_unique<fb::QuantizationT>();
           t.quantization->scale = {0.1f};
           t.quantization->zero_point = {0};
         });
       },
       {"operator #0 'cat' (CONCAT)", "input 'c' does not match output 'cat'"}},
      {"int8 CONCAT whose verbatim-copy marker (M = 0) is on an input of another scale",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kInt8, {2, 3}, Quant::per_tensor(0.1f, 1));
         const Id c = b.input("c", DType::kInt8, {2, 3}, Quant::per_tensor(0.1f, 1));
         b.output(b.concat({a, c}, 0, "cat"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "c")]->quantization->scale = {0.3f};
         });
       },
       {"operator #0 'cat' (CONCAT)", "'c' and 'cat' must have the same quantization"}},
      {"int8 TRANSPOSE that changes the scale",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kInt8, {2, 3}, Quant::per_tensor(0.1f, 1));
         b.output(b.transpose(x, {1, 0}, "t"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "t")]->quantization->scale = {0.2f};
         });
       },
       {"operator #0 't' (TRANSPOSE)", "must have the same quantization"}},
      {"int8 MAX_POOL_2D that changes the zero point",
       [] {
         ModelBuilder b;
         const Id x = b.input("x", DType::kInt8, {1, 4, 4, 2}, Quant::per_tensor(0.1f, 1));
         b.output(b.max_pool2d(x, pool_opts(2, 2, 2, 2, 0, 0, 0, 0), "pool"));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           m.tensors[tensor_named(m, "pool")]->quantization->zero_point = {2};
         });
       },
       {"operator #0 'pool' (MAX_POOL_2D)", "must have the same quantization"}},
      {"int8 ADD with an fp32 operand",
       [] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kInt8, {4}, Quant::per_tensor(0.1f));
         const Id c = b.input("c", DType::kInt8, {4}, Quant::per_tensor(0.1f));
         b.output(b.add(a, c, Activation::none(), "add", Quant::per_tensor(0.2f)));
         return test::mutate(b.finish(), [](fb::ModelT& m) {
           auto& t = *m.tensors[tensor_named(m, "c")];
           t.dtype = fb::DType::FLOAT32;
           t.quantization.reset();
         });
       },
       {"operator #0 'add' (ADD)", "operand 'c' is float32, expected int8"}},
  };
  for (const ErrorCase& c : cases) check_rejected(c);
}

TEST_CASE("ops: int8 operators without their integer parameters are rejected at load", "[ops]") {
  auto strip = [](std::vector<uint8_t> bytes) {
    return test::mutate(bytes, [](fb::ModelT& m) {
      for (auto& op : m.operators) op->int_params.reset();
    });
  };
  const QP q{0.05f, 3};
  const ErrorCase cases[] = {
      {"CONV_2D",
       [&] { return strip(int8_conv_model()); },
       {"operator #0 'conv' (CONV_2D)", "integer parameters hold 0 multipliers, expected 1 or 4"}},
      {"SIGMOID (lookup table)",
       [&] {
         ModelBuilder b;
         b.output(b.sigmoid(b.input("x", DType::kInt8, {8}, q.quant()), "sig",
                            Quant::per_tensor(1.0f / 256, -128)));
         return strip(b.finish());
       },
       {"operator #0 'sig' (SIGMOID)", "256-entry lookup table"}},
      {"SOFTMAX (exp table)",
       [&] {
         ModelBuilder b;
         b.output(b.softmax(b.input("x", DType::kInt8, {2, 8}, q.quant()), 1.0f, "sm",
                            Quant::per_tensor(1.0f / 256, -128)));
         return strip(b.finish());
       },
       {"operator #0 'sm' (SOFTMAX)", "exp table"}},
      {"MAX_POOL_2D (output clamp)",
       [&] {
         ModelBuilder b;
         b.output(b.max_pool2d(b.input("x", DType::kInt8, {1, 4, 4, 2}, q.quant()),
                               pool_opts(2, 2, 2, 2, 0, 0, 0, 0), "pool"));
         return strip(b.finish());
       },
       {"operator #0 'pool' (MAX_POOL_2D)", "quantized operator without integer parameters"}},
      {"ADD (three multipliers)",
       [&] {
         ModelBuilder b;
         const Id a = b.input("a", DType::kInt8, {4}, q.quant());
         b.output(b.add(a, a, Activation::none(), "add", Quant::per_tensor(0.1f)));
         return strip(b.finish());
       },
       {"operator #0 'add' (ADD)", "integer parameters hold 0 multipliers, expected 3"}},
      {"PAD (pad value)",
       [&] {
         ModelBuilder b;
         b.output(b.pad(b.input("x", DType::kInt8, {2, 3}, q.quant()), {1, 1, 1, 1},
                        PadMode::kConstant, 0.0f, "pad"));
         return strip(b.finish());
       },
       {"operator #0 'pad' (PAD)", "quantized pad without integer parameters"}},
      {"QUANTIZE int8 -> int8",
       [&] {
         ModelBuilder b;
         b.output(b.quantize(b.input("x", DType::kInt8, {4}, q.quant()), DType::kInt8,
                             Quant::per_tensor(0.1f), "rq"));
         return strip(b.finish());
       },
       {"operator #0 'rq' (QUANTIZE)", "integer parameters hold 0 multipliers, expected 1"}},
      {"AVERAGE_POOL_2D",
       [&] {
         ModelBuilder b;
         b.output(b.average_pool2d(b.input("x", DType::kInt8, {1, 4, 4, 2}, q.quant()),
                                   pool_opts(2, 2, 2, 2, 0, 0, 0, 0), "pool",
                                   Quant::per_tensor(0.04f, 0)));
         return strip(b.finish());
       },
       {"operator #0 'pool' (AVERAGE_POOL_2D)", "quantized operator without integer parameters"}},
  };
  for (const ErrorCase& c : cases) check_rejected(c);
}
