// SPDX-License-Identifier: Apache-2.0
#include "converter/analysis/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

namespace octet::analysis {

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  snprintf(b, sizeof b, f, v);
  return b;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string clip(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  return "…" + s.substr(s.size() - (n - 1));  // the tail of ONNX paths is the telling part
}

// Terminal width of a UTF-8 string (the ellipsis is one column).
size_t columns(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pad(const std::string& s, size_t w) {
  const size_t c = columns(s);
  return c >= w ? s : s + std::string(w - c, ' ');
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string pct(double f) { return fmt("%.2f", 100.0 * f); }

std::string base_name(const std::string& p) {
  const size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

std::string suggestion_args(const Analysis& a) {
  std::string s;
  for (const auto& n : a.advice.suggestion) {
    s += (s.empty() ? "" : " ") + std::string("--precision ") + n.node + "=" + n.precision;
  }
  return s;
}

// ------------------------------------------------------------------- table

std::string format_table(const Analysis& a, size_t max_rows) {
  const Summary& S = a.summary;
  std::ostringstream o;
  o << "float " << S.float_model << "  vs  int8 " << S.int8_model << "\n";
  o << "data: " << S.data << " (" << S.samples << " samples)\n";
  o << "output 0: SQNR " << format_db(S.output.sqnr_db()) << " dB, cosine "
    << fmt("%.5f", S.output.cosine()) << ", max abs error " << fmt("%.4g", S.output.max_abs_error());
  if (S.classifier) {
    o << ", top-1 agreement " << fmt("%.2f", 100.0 * double(S.top1_agree) / double(S.samples)) << " % ("
      << S.top1_agree << "/" << S.samples << ")";
  }
  o << "\n" << a.layers.size() << " layers (" << S.int8_layers << " int8, " << S.float_layers
    << " float); worst first by the error each adds (individual mode):\n\n";
  o << pad("rank", 5) << pad("layer", 26) << pad("opcode", 16) << pad("ONNX nodes", 42)
    << pad("indiv dB", 9) << pad("cos", 9) << pad("entire dB", 10) << pad("cos", 9)
    << pad("relL2", 8) << pad("max err", 9) << pad("clip%", 7) << pad("scale", 10) << "range\n";
  size_t shown = 0;
  for (int32_t li : a.ranking) {
    if (max_rows && shown++ >= max_rows) break;
    const Layer& L = a.layers[li];
    std::string range = L.has_calibration
                            ? fmt("%.3g", L.calib_min) + ".." + fmt("%.3g", L.calib_max) + " " + L.method
                            : "-";
    o << pad(std::to_string(L.rank + 1), 5) << pad(clip(L.name, 25), 26) << pad(L.opcode, 16)
      << pad(clip(join(L.source_nodes, "+"), 41), 42) << pad(format_db(L.individual.sqnr_db()), 9)
      << pad(fmt("%.5f", L.individual.cosine()), 9) << pad(format_db(L.entire.sqnr_db()), 10)
      << pad(fmt("%.5f", L.entire.cosine()), 9) << pad(fmt("%.4f", L.entire.relative_l2()), 8)
      << pad(fmt("%.3g", L.entire.max_abs_error()), 9) << pad(pct(L.individual.clipped_fraction()), 7)
      << pad(fmt("%.3g", L.scale), 10) << range << "\n";
  }
  if (max_rows && a.ranking.size() > max_rows) {
    o << "  ... " << a.ranking.size() - max_rows << " more (--rows 0 for all; the report and JSON have every layer)\n";
  }
  size_t exact = a.layers.size() - a.ranking.size();
  if (exact) o << "  " << exact << " layers add no error (exact or kept in float)\n";
  const Advice& A = a.advice;
  o << "\n";
  if (A.measured) {
    o << "re-quantized in memory (" << A.ranges_note << "): baseline output SQNR "
      << format_db(A.baseline.output_sqnr_db) << " dB";
    if (S.classifier) o << ", top-1 agreement " << fmt("%.2f", A.baseline.top1_agreement) << " %";
    o << (A.baseline_identical ? " (identical to the int8 model given)" : " (not byte-identical to the int8 model given)")
      << "\n";
    for (const auto& c : A.single) {
      o << "  " << pad(c.nodes[0] + "=" + c.precision, 40) << " output SQNR " << format_db(c.output_sqnr_db)
        << " dB (" << fmt("%+.2f", c.output_sqnr_db - A.baseline.output_sqnr_db) << ")";
      if (S.classifier) {
        o << ", top-1 agreement " << fmt("%.2f", c.top1_agreement) << " % ("
          << fmt("%+.2f", c.top1_agreement - A.baseline.top1_agreement) << " pp)";
      }
      o << "\n";
    }
  }
  for (const auto& c : A.recalibrate) {
    o << "  range of " << c.tensor << " " << fmt("%.4g", c.old_min) << ".." << fmt("%.4g", c.old_max)
      << " -> " << fmt("%.4g", c.new_min) << ".." << fmt("%.4g", c.new_max) << " (" << S.quant_method
      << " on this data): output SQNR " << format_db(c.output_sqnr_db) << " dB ("
      << fmt("%+.2f", c.output_sqnr_db - A.baseline.output_sqnr_db) << ")";
    if (S.classifier) {
      o << ", top-1 agreement " << fmt("%.2f", c.top1_agreement) << " % ("
        << fmt("%+.2f", c.top1_agreement - A.baseline.top1_agreement) << " pp)";
    }
    o << "\n";
  }
  for (const auto& c : A.recalibrate_suggested) {
    o << "suggestion: the range of " << c.tensor << " (" << c.nodes[0]
      << ") clips: re-calibrate it (octet quantize --write-config, set its range to "
      << fmt("%.4g", c.new_min) << ".." << fmt("%.4g", c.new_max) << ", --config; or another --method)\n";
  }
  if (!A.suggestion.empty()) {
    o << "suggestion: " << suggestion_args(a) << "\n  predicted: output SQNR "
      << format_db(A.baseline.output_sqnr_db) << " -> " << format_db(A.combined.output_sqnr_db) << " dB";
    if (S.classifier) {
      o << ", top-1 agreement " << fmt("%.2f", A.baseline.top1_agreement) << " -> "
        << fmt("%.2f", A.combined.top1_agreement) << " %";
    }
    o << " (measured on these samples)\n";
  } else if (!a.ranking.empty() && A.recalibrate_suggested.empty()) {
    o << "suggestion: none measured to help";
    if (!A.note.empty()) o << " (" << A.note << ")";
    o << "; the worst layer is " << a.layers[a.ranking[0]].name << "\n";
  }
  if (!A.suggestion.empty() && !A.note.empty()) o << "note: " << A.note << "\n";
  return o.str();
}

// -------------------------------------------------------------------- JSON

namespace {

nlohmann::json db_json(double db) {
  if (std::isinf(db) || std::isnan(db)) return nullptr;
  return db;
}

nlohmann::json stats_json(const ErrorStats& e) {
  nlohmann::json j;
  j["cosine"] = e.cosine();
  j["cosine_min"] = e.cosine_min();
  j["l2"] = e.l2();
  const double rl = e.relative_l2();
  j["relative_l2"] = std::isinf(rl) ? nlohmann::json(nullptr) : nlohmann::json(rl);
  j["sqnr_db"] = db_json(e.sqnr_db());
  j["exact"] = std::isinf(e.sqnr_db()) && e.sqnr_db() > 0;
  j["max_abs_error"] = e.max_abs_error();
  j["clipped_fraction"] = e.clipped_fraction();
  j["samples"] = e.samples();
  return j;
}

nlohmann::json bins_json(const Bins& b) {
  return {{"lo", b.lo}, {"hi", b.hi}, {"counts", b.counts}};
}

nlohmann::json candidate_json(const Candidate& c) {
  return {{"nodes", c.nodes},
          {"precision", c.precision},
          {"output_sqnr_db", db_json(c.output_sqnr_db)},
          {"output_cosine", c.output_cosine},
          {"top1_agreement_percent", c.top1_agreement}};
}

}  // namespace

std::string to_json(const Analysis& a) {
  const Summary& S = a.summary;
  nlohmann::json j;
  j["float_model"] = S.float_model;
  j["int8_model"] = S.int8_model;
  j["data"] = S.data;
  j["samples"] = S.samples;
  j["quant_method"] = S.quant_method;
  j["quant_weights"] = S.quant_weights;
  j["output"] = stats_json(S.output);
  if (S.classifier) {
    j["output"]["top1_agreement_percent"] = 100.0 * double(S.top1_agree) / double(S.samples);
  }
  j["layers"] = nlohmann::json::array();
  for (const Layer& L : a.layers) {
    nlohmann::json l;
    l["depth"] = L.depth;
    l["rank"] = L.rank >= 0 ? nlohmann::json(L.rank + 1) : nlohmann::json(nullptr);
    l["name"] = L.name;
    l["opcode"] = L.opcode;
    l["source_nodes"] = L.source_nodes;
    l["tensor"] = L.tensor;
    l["float_tensor"] = L.float_tensor;
    l["dtype"] = L.dtype;
    nlohmann::json q;
    q["scale"] = L.scale;
    q["zero_point"] = L.zero_point;
    if (L.scale > 0) {
      q["representable"] = {L.scale * float(-128 - L.zero_point), L.scale * float(127 - L.zero_point)};
    }
    if (L.has_calibration) {
      q["calibrated_min"] = L.calib_min;
      q["calibrated_max"] = L.calib_max;
      q["method"] = L.method;
    }
    l["quantization"] = q;
    l["seen_min"] = L.entire.ref_min();
    l["seen_max"] = L.entire.ref_max();
    l["entire"] = stats_json(L.entire);
    l["individual"] = stats_json(L.individual);
    l["activation_histogram"] = bins_json(L.activations);
    if (L.has_weights) {
      const WeightInfo& W = L.weights;
      l["weights"] = {{"tensor", W.tensor},
                      {"shape", W.shape},
                      {"axis", W.axis},
                      {"scale", W.scale},
                      {"channel_min", W.channel_min},
                      {"channel_max", W.channel_max},
                      {"histogram", bins_json(W.histogram)},
                      {"error", stats_json(W.error)}};
    }
    j["layers"].push_back(std::move(l));
  }
  j["ranking"] = nlohmann::json::array();
  for (int32_t li : a.ranking) j["ranking"].push_back(a.layers[li].name);
  const Advice& A = a.advice;
  nlohmann::json adv;
  adv["measured"] = A.measured;
  adv["int16_supported"] = A.int16_supported;
  adv["ranges"] = A.ranges_note;
  adv["note"] = A.note;
  if (A.measured) {
    adv["baseline"] = candidate_json(A.baseline);
    adv["baseline_identical_to_int8_model"] = A.baseline_identical;
    adv["candidates"] = nlohmann::json::array();
    for (const auto& c : A.single) adv["candidates"].push_back(candidate_json(c));
    adv["recalibrate"] = nlohmann::json::array();
    for (const auto& c : A.recalibrate) {
      auto cj = candidate_json(c);
      cj["tensor"] = c.tensor;
      cj["old_range"] = {c.old_min, c.old_max};
      cj["new_range"] = {c.new_min, c.new_max};
      bool helps = false;
      for (const auto& h : A.recalibrate_suggested) helps |= h.tensor == c.tensor;
      cj["suggested"] = helps;
      adv["recalibrate"].push_back(cj);
    }
  }
  adv["suggestion"] = nlohmann::json::array();
  for (const auto& sg : A.suggestion) adv["suggestion"].push_back({{"node", sg.node}, {"precision", sg.precision}});
  adv["suggestion_args"] = suggestion_args(a);
  if (!A.suggestion.empty()) adv["predicted"] = candidate_json(A.combined);
  j["advice"] = adv;
  return j.dump(2) + "\n";
}

// -------------------------------------------------------------------- HTML

namespace {

constexpr const char* kEntire = "#1f6fb4";      // blue
constexpr const char* kIndividual = "#e8710a";  // orange
constexpr const char* kBad = "#c62828";         // red: worst layers, clipping range
constexpr const char* kCalib = "#2e7d32";       // green: calibrated range

struct Axis {
  double lo, hi;
  double px0, px1;
  double map(double v) const { return px0 + (v - lo) / (hi - lo) * (px1 - px0); }
};

std::string num(double v) { return fmt("%.1f", v); }

// Nice tick step for [lo, hi] with about `n` ticks.
double tick_step(double lo, double hi, int n) {
  const double raw = (hi - lo) / n;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (raw <= m * p) return m * p;
  }
  return 10 * p;
}

std::string tick_label(double v, double step) {
  if (std::fabs(v) < step * 1e-6) return "0";
  const int dec = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) + 1e-9));
  char b[32];
  snprintf(b, sizeof b, "%.*f", std::min(dec, 6), v);
  return b;
}

// Horizontal grid lines and y labels.
void y_grid(std::ostringstream& o, const Axis& y, double x0, double x1, int n = 5) {
  const double st = tick_step(y.lo, y.hi, n);
  for (double v = std::ceil(y.lo / st) * st; v <= y.hi + st * 1e-9; v += st) {
    const double py = y.map(v);
    o << "<line x1='" << num(x0) << "' x2='" << num(x1) << "' y1='" << num(py) << "' y2='" << num(py)
      << "' stroke='#e3e3e3'/>";
    o << "<text x='" << num(x0 - 6) << "' y='" << num(py + 4) << "' text-anchor='end' class='ax'>"
      << tick_label(v, st) << "</text>";
  }
}

void x_ticks(std::ostringstream& o, const Axis& x, double y0, bool integer) {
  const double st = integer ? std::max(1.0, tick_step(x.lo, x.hi, 10)) : tick_step(x.lo, x.hi, 8);
  for (double v = std::ceil(x.lo / st) * st; v <= x.hi + 1e-9; v += st) {
    o << "<text x='" << num(x.map(v)) << "' y='" << num(y0 + 16) << "' text-anchor='middle' class='ax'>"
      << tick_label(v, st) << "</text>";
  }
}

// A metric along the network depth, entire and individual modes.
std::string depth_chart(const Analysis& a, bool sqnr, const std::vector<int32_t>& worst) {
  const double W = 1180, H = 300, L0 = 60, R0 = 20, T0 = 28, B0 = 40;
  const size_t n = a.layers.size();
  auto val = [&](const Layer& L, bool indiv) {
    const ErrorStats& e = indiv ? L.individual : L.entire;
    return sqnr ? e.sqnr_db() : e.cosine();
  };
  double lo = INFINITY, hi = -INFINITY;
  for (const Layer& L : a.layers) {
    for (bool m : {false, true}) {
      const double v = val(L, m);
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) lo = sqnr ? 0 : 0.9, hi = sqnr ? 60 : 1;
  if (sqnr) {
    lo = std::min(0.0, std::floor(lo / 10) * 10);
    hi = std::ceil((hi + 5) / 10) * 10;
  } else {
    hi = 1.0;
    lo = std::max(-1.0, std::min(lo - 0.1 * (1 - lo), 0.999));
  }
  const double top = hi;  // exact layers are drawn at the top
  Axis x{0, std::max<double>(1, double(n - 1)), L0, W - R0};
  Axis y{lo, hi, H - B0, T0};
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' viewBox='0 0 " << W
    << " " << H << "' role='img'>";
  o << "<title>" << (sqnr ? "SQNR (dB)" : "cosine similarity") << " per layer along the depth</title>";
  y_grid(o, y, L0, W - R0);
  x_ticks(o, x, H - B0, true);
  o << "<line x1='" << L0 << "' x2='" << W - R0 << "' y1='" << H - B0 << "' y2='" << H - B0
    << "' stroke='#888'/>";
  o << "<text x='" << num((L0 + W - R0) / 2) << "' y='" << H - 6
    << "' text-anchor='middle' class='ax'>layer (execution order)</text>";
  o << "<text x='14' y='" << num((T0 + H - B0) / 2) << "' transform='rotate(-90 14 "
    << num((T0 + H - B0) / 2) << ")' text-anchor='middle' class='ax'>"
    << (sqnr ? "SQNR dB (higher is better)" : "cosine (higher is better)") << "</text>";
  // Worst layers: a red band behind them.
  for (int32_t li : worst) {
    const double px = x.map(li);
    o << "<rect x='" << num(px - 5) << "' y='" << T0 << "' width='10' height='" << num(H - B0 - T0)
      << "' fill='" << kBad << "' opacity='0.12'/>";
    o << "<text x='" << num(px) << "' y='" << T0 - 6 << "' text-anchor='middle' class='bad'>#"
      << a.layers[li].rank + 1 << "</text>";
  }
  for (bool indiv : {false, true}) {
    const char* color = indiv ? kIndividual : kEntire;
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      double v = val(a.layers[i], indiv);
      if (!std::isfinite(v)) v = v > 0 ? top : lo;
      pts += num(x.map(double(i))) + "," + num(y.map(std::clamp(v, lo, hi))) + " ";
    }
    o << "<polyline fill='none' stroke='" << color << "' stroke-width='1.8' points='" << pts << "'/>";
    for (size_t i = 0; i < n; ++i) {
      const Layer& L = a.layers[i];
      const double v0 = val(L, indiv);
      const double v = std::isfinite(v0) ? v0 : (v0 > 0 ? top : lo);
      o << "<circle cx='" << num(x.map(double(i))) << "' cy='" << num(y.map(std::clamp(v, lo, hi)))
        << "' r='3' fill='" << (std::isfinite(v0) ? color : "white") << "' stroke='" << color << "'><title>"
        << esc(L.name) << " (" << L.opcode << ") " << (indiv ? "individual" : "entire") << ": "
        << (sqnr ? format_db(v0) + " dB" : fmt("%.5f", v0)) << "</title></circle>";
    }
  }
  o << "</svg>";
  return o.str();
}

// Bars of a display histogram (log scale) with vertical markers.
struct Marker {
  double v;
  const char* color;
  const char* dash;
  std::string label;
};

std::string histogram_svg(const Bins& b, const std::vector<Marker>& marks, const std::string& title) {
  const double W = 560, H = 200, L0 = 44, R0 = 12, T0 = 30, B0 = 34;
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' viewBox='0 0 " << W
    << " " << H << "' role='img'><title>" << esc(title) << "</title>";
  o << "<text x='" << L0 << "' y='14' class='st'>" << esc(title) << "</text>";
  if (b.counts.empty() || !(b.hi > b.lo)) {
    o << "<text x='" << L0 << "' y='" << H / 2 << "' class='ax'>no data</text></svg>";
    return o.str();
  }
  double cmax = 0;
  for (double c : b.counts) cmax = std::max(cmax, c);
  const double lmax = std::log10(1 + cmax);
  Axis x{b.lo, b.hi, L0, W - R0};
  const double base = H - B0;
  const double bw = (W - R0 - L0) / double(b.counts.size());
  for (size_t i = 0; i < b.counts.size(); ++i) {
    if (b.counts[i] <= 0) continue;
    const double h = (std::log10(1 + b.counts[i]) / lmax) * (base - T0);
    o << "<rect x='" << num(L0 + bw * double(i)) << "' y='" << num(base - h) << "' width='"
      << num(std::max(1.0, bw - 0.6)) << "' height='" << num(h) << "' fill='#7a9cc6'><title>"
      << fmt("%.0f", b.counts[i]) << " values</title></rect>";
  }
  o << "<line x1='" << L0 << "' x2='" << W - R0 << "' y1='" << base << "' y2='" << base << "' stroke='#888'/>";
  x_ticks(o, x, base, false);
  o << "<text x='" << L0 - 6 << "' y='" << T0 + 4 << "' text-anchor='end' class='ax'>"
    << (cmax >= 1e4 ? fmt("%.0fk", cmax / 1e3) : fmt("%.0f", cmax))
    << "</text><text x='" << L0 - 6 << "' y='" << base << "' text-anchor='end' class='ax'>0</text>";
  o << "<text x='" << W - R0 << "' y='" << H - 2 << "' text-anchor='end' class='ax'>count (log scale)</text>";
  int k = 0;
  for (const Marker& m : marks) {
    if (!std::isfinite(m.v) || m.v < b.lo || m.v > b.hi) continue;
    const double px = x.map(m.v);
    o << "<line x1='" << num(px) << "' x2='" << num(px) << "' y1='" << T0 - 6 << "' y2='" << base
      << "' stroke='" << m.color << "' stroke-width='1.6' stroke-dasharray='" << m.dash << "'><title>"
      << esc(m.label) << "</title></line>";
    if (!m.label.empty()) {
      o << "<text x='" << num(px + 3) << "' y='" << T0 + 6 + 11 * (k % 4) << "' class='mk' fill='" << m.color
        << "'>" << esc(m.label) << "</text>";
    }
    ++k;
  }
  o << "</svg>";
  return o.str();
}

// Per-output-channel weight ranges (bars) and the int8 range ±127·s[c].
std::string channel_svg(const WeightInfo& w) {
  const double W = 1140, H = 200, L0 = 56, R0 = 12, T0 = 24, B0 = 34;
  const size_t n = w.channel_min.size();
  double amax = 1e-12;
  for (size_t c = 0; c < n; ++c) amax = std::max({amax, std::fabs(double(w.channel_min[c])), std::fabs(double(w.channel_max[c]))});
  for (float s : w.scale) amax = std::max(amax, 127.0 * s);
  amax *= 1.05;
  Axis y{-amax, amax, H - B0, T0};
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' viewBox='0 0 " << W
    << " " << H << "' role='img'><title>per-channel weight ranges</title>";
  o << "<text x='" << L0 << "' y='14' class='st'>weights per output channel: float min..max (bars), int8 range ±127·scale (red ticks), "
    << n << " channels</text>";
  y_grid(o, y, L0, W - R0, 4);
  const double bw = (W - R0 - L0) / double(std::max<size_t>(n, 1));
  for (size_t c = 0; c < n; ++c) {
    const double x0 = L0 + bw * double(c);
    const double y0 = y.map(w.channel_max[c]), y1 = y.map(w.channel_min[c]);
    o << "<rect x='" << num(x0 + bw * 0.1) << "' y='" << num(y0) << "' width='" << num(std::max(0.8, bw * 0.8))
      << "' height='" << num(std::max(0.8, y1 - y0)) << "' fill='#7a9cc6'><title>channel " << c << ": "
      << fmt("%.4g", w.channel_min[c]) << " .. " << fmt("%.4g", w.channel_max[c]) << "</title></rect>";
    if (!w.scale.empty()) {
      const double s = 127.0 * (w.scale.size() == n ? w.scale[c] : w.scale[0]);
      for (double v : {s, -s}) {
        o << "<line x1='" << num(x0) << "' x2='" << num(x0 + std::max(1.0, bw)) << "' y1='" << num(y.map(v))
          << "' y2='" << num(y.map(v)) << "' stroke='" << kBad << "' stroke-width='1.4'/>";
      }
    }
  }
  o << "<line x1='" << L0 << "' x2='" << W - R0 << "' y1='" << num(y.map(0)) << "' y2='" << num(y.map(0))
    << "' stroke='#888'/>";
  o << "<text x='" << num((L0 + W - R0) / 2) << "' y='" << H - 6 << "' text-anchor='middle' class='ax'>output channel</text>";
  o << "</svg>";
  return o.str();
}

// rel L2 is left to the JSON: it is 10^(−SQNR/20) over the same sums.
std::string metric_cells(const ErrorStats& e) {
  return "<td>" + format_db(e.sqnr_db()) + "</td><td>" + fmt("%.5f", e.cosine()) + "</td><td>" +
         fmt("%.3g", e.max_abs_error()) + "</td>";
}

}  // namespace

std::string to_html(const Analysis& a) {
  const Summary& S = a.summary;
  const Advice& A = a.advice;
  constexpr size_t kWorst = 5;
  std::vector<int32_t> worst(a.ranking.begin(), a.ranking.begin() + std::min(kWorst, a.ranking.size()));
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n<title>Octet accuracy analysis: "
    << esc(base_name(S.int8_model)) << "</title>\n<style>\n"
    << "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:24px 32px;"
       "color:#222;background:#fff;max-width:1320px}\n"
    << "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;"
       "padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}\n"
    << ".sub{color:#555;margin:0 0 14px}.cards{display:flex;gap:12px;flex-wrap:wrap}\n"
    << ".card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:170px;background:#fafafa}\n"
    << ".card .v{font-size:24px;font-weight:600}.card .k{font-size:12px;color:#666;text-transform:uppercase}\n"
    << ".card.bad{border-color:#c62828;background:#fdecea}\n"
    << "table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #eee;"
       "padding:3px 6px;text-align:right;white-space:nowrap}th{background:#f3f3f3;position:sticky;top:0}\n"
    << "td.l,th.l{text-align:left;white-space:normal}tr.worst td{background:#fdecea}\n"
    << "code,.mono{font-family:'DejaVu Sans Mono',monospace;font-size:12.5px}\n"
    << ".sugg{background:#f4f8ff;border:1px solid #b7cdf0;border-radius:6px;padding:8px 12px;margin:8px 0}\n"
    << ".legend span{display:inline-block;margin-right:18px}.sw{display:inline-block;width:22px;height:4px;"
       "vertical-align:middle;margin-right:6px}\n"
    << "svg .ax{font-size:11px;fill:#555}svg .st{font-size:12px;fill:#333;font-weight:600}"
       "svg .bad{font-size:11px;fill:#c62828;font-weight:700}svg .mk{font-size:10.5px}\n"
    << ".layer{border:1px solid #e4b4b4;border-radius:8px;padding:8px 14px;margin:14px 0}\n"
    << ".pair{display:flex;gap:12px;flex-wrap:wrap}\n"
    << "</style></head><body>\n";
  o << "<h1>Octet accuracy analysis</h1>\n<p class='sub'>float <b>" << esc(base_name(S.float_model))
    << "</b> vs int8 <b>" << esc(base_name(S.int8_model)) << "</b> &middot; " << S.samples
    << " samples from " << esc(S.data) << " &middot; activations " << esc(S.quant_method.empty() ? "?" : S.quant_method)
    << ", weights " << esc(S.quant_weights) << "</p>\n";

  // Summary.
  o << "<h2>Summary: int8 output vs fp32 output</h2><div class='cards'>";
  o << "<div class='card'><div class='k'>output SQNR</div><div class='v'>" << format_db(S.output.sqnr_db())
    << " dB</div></div>";
  o << "<div class='card'><div class='k'>output cosine</div><div class='v'>" << fmt("%.5f", S.output.cosine())
    << "</div></div>";
  if (S.classifier) {
    o << "<div class='card'><div class='k'>top-1 agreement</div><div class='v'>"
      << fmt("%.2f", 100.0 * double(S.top1_agree) / double(S.samples)) << " %</div><div class='k'>"
      << S.top1_agree << " / " << S.samples << " samples</div></div>";
  }
  o << "<div class='card'><div class='k'>layers</div><div class='v'>" << a.layers.size() << "</div><div class='k'>"
    << S.int8_layers << " int8 &middot; " << S.float_layers << " float</div></div>";
  if (!a.ranking.empty()) {
    const Layer& L = a.layers[a.ranking[0]];
    o << "<div class='card bad'><div class='k'>worst layer (individual)</div><div class='v'>"
      << esc(clip(L.name, 28)) << "</div><div class='k'>" << L.opcode << " &middot; "
      << format_db(L.individual.sqnr_db()) << " dB</div></div>";
  }
  o << "</div>\n";

  // Advice.
  o << "<h2>Advice</h2>";
  if (!A.suggestion.empty()) {
    o << "<div class='sugg'>Raise the precision of " << A.suggestion.size() << " layer"
      << (A.suggestion.size() > 1 ? "s" : "") << ": <code>octet quantize ... " << esc(suggestion_args(a))
      << "</code><br>predicted output SQNR " << format_db(A.baseline.output_sqnr_db) << " &rarr; <b>"
      << format_db(A.combined.output_sqnr_db) << " dB</b>";
    if (S.classifier) {
      o << ", top-1 agreement " << fmt("%.2f", A.baseline.top1_agreement) << " &rarr; <b>"
        << fmt("%.2f", A.combined.top1_agreement) << " %</b>";
    }
    o << " (measured on these samples)</div>";
  }
  for (const auto& c : A.recalibrate_suggested) {
    o << "<div class='sugg'>The range of <code>" << esc(c.tensor) << "</code> (" << esc(c.nodes[0])
      << ") clips: calibrated " << fmt("%.4g", c.old_min) << " .. " << fmt("%.4g", c.old_max)
      << "; with " << fmt("%.4g", c.new_min) << " .. " << fmt("%.4g", c.new_max)
      << " (the same method on these samples) the output SQNR goes " << format_db(A.baseline.output_sqnr_db)
      << " &rarr; <b>" << format_db(c.output_sqnr_db) << " dB</b>";
    if (S.classifier) {
      o << ", top-1 agreement " << fmt("%.2f", A.baseline.top1_agreement) << " &rarr; <b>"
        << fmt("%.2f", c.top1_agreement) << " %</b>";
    }
    o << ". Re-calibrate it (<code>--write-config</code>, edit, <code>--config</code>).</div>";
  }
  if (A.suggestion.empty() && A.recalibrate_suggested.empty()) {
    o << "<div class='sugg'>No suggestion" << (A.note.empty() ? "" : ": " + esc(A.note)) << "</div>";
  }
  if (A.measured && !A.single.empty()) {
    o << "<table><tr><th class='l'>re-quantized with</th><th>output SQNR dB</th><th>&Delta; dB</th>";
    if (S.classifier) o << "<th>top-1 agreement %</th><th>&Delta; pp</th>";
    o << "</tr><tr><td class='l'>nothing (baseline" << (A.baseline_identical ? ", identical to the int8 model" : "")
      << ")</td><td>" << format_db(A.baseline.output_sqnr_db) << "</td><td></td>";
    if (S.classifier) o << "<td>" << fmt("%.2f", A.baseline.top1_agreement) << "</td><td></td>";
    o << "</tr>";
    for (const auto& c : A.single) {
      o << "<tr><td class='l mono'>" << esc(c.nodes[0]) << "=" << c.precision << "</td><td>"
        << format_db(c.output_sqnr_db) << "</td><td>" << fmt("%+.2f", c.output_sqnr_db - A.baseline.output_sqnr_db)
        << "</td>";
      if (S.classifier) {
        o << "<td>" << fmt("%.2f", c.top1_agreement) << "</td><td>"
          << fmt("%+.2f", c.top1_agreement - A.baseline.top1_agreement) << "</td>";
      }
      o << "</tr>";
    }
    o << "</table><p class='sub'>Ranges: " << esc(A.ranges_note) << ".</p>";
  }

  // Depth charts.
  o << "<h2>Error along the network</h2>\n<div class='legend'><span><i class='sw' style='background:" << kEntire
    << "'></i><b>entire</b>: the whole int8 network runs; error accumulated up to this layer</span><span><i class='sw' "
       "style='background:"
    << kIndividual << "'></i><b>individual</b>: this layer fed the float network's (quantized) inputs; error it adds"
    << "</span><span><i class='sw' style='background:" << kBad << ";opacity:.35;height:12px'></i>the "
    << worst.size() << " worst layers (#rank)</span><span>hollow point: exact (no error)</span></div>\n";
  o << "<h3>SQNR per layer (dB)</h3>" << depth_chart(a, true, worst) << "\n";
  o << "<h3>Cosine similarity per layer</h3>" << depth_chart(a, false, worst) << "\n";

  // Worst layers in detail.
  o << "<h2>Worst layers</h2>\n";
  for (int32_t li : worst) {
    const Layer& L = a.layers[li];
    o << "<div class='layer' id='worst-" << L.rank + 1 << "'><h3>#" << L.rank + 1 << " " << esc(L.name) << " <span class='sub'>("
      << L.opcode << ", depth " << L.depth << ")</span></h3>";
    o << "<p class='sub'>ONNX nodes: <span class='mono'>" << esc(join(L.source_nodes, ", ")) << "</span><br>"
      << "individual SQNR " << format_db(L.individual.sqnr_db()) << " dB, cosine " << fmt("%.5f", L.individual.cosine())
      << " &middot; entire SQNR " << format_db(L.entire.sqnr_db()) << " dB &middot; scale " << fmt("%.4g", L.scale)
      << ", zero point " << L.zero_point << " &middot; calibrated ";
    if (L.has_calibration) {
      o << fmt("%.4g", L.calib_min) << " .. " << fmt("%.4g", L.calib_max) << " (" << esc(L.method) << ")";
    } else {
      o << "range not recorded";
    }
    o << " &middot; seen " << fmt("%.4g", L.entire.ref_min()) << " .. " << fmt("%.4g", L.entire.ref_max())
      << " &middot; clipped " << pct(L.individual.clipped_fraction()) << " %";
    if (L.has_weights) {
      o << " &middot; weight SQNR " << format_db(L.weights.error.sqnr_db()) << " dB";
    }
    o << "</p><div class='pair'>";
    std::vector<Marker> m;
    if (L.scale > 0) {
      m.push_back({L.scale * double(-128 - L.zero_point), kBad, "0", "int8 min"});
      m.push_back({L.scale * double(127 - L.zero_point), kBad, "0", "int8 max"});
    }
    if (L.has_calibration) {
      m.push_back({L.calib_min, kCalib, "5,3", "calibrated"});
      m.push_back({L.calib_max, kCalib, "5,3", "calibrated"});
    }
    o << histogram_svg(L.activations, m, "float activations (" + clip(L.float_tensor, 48) + ")");
    if (L.has_weights) {
      const WeightInfo& W = L.weights;
      double smax = 0;
      for (float s : W.scale) smax = std::max(smax, double(s));
      std::vector<Marker> wm;
      if (smax > 0) {
        wm.push_back({-127 * smax, kBad, "0", W.scale.size() > 1 ? "widest channel ±127·s" : "±127·s"});
        wm.push_back({127 * smax, kBad, "0", ""});
      }
      o << histogram_svg(W.histogram, wm, "float weights (" + clip(W.tensor, 52) + ")");
    }
    o << "</div>";
    if (L.has_weights && L.weights.channel_min.size() > 1) o << channel_svg(L.weights);
    o << "</div>\n";
  }
  if (worst.empty()) o << "<p>No layer adds error.</p>";

  // Every layer.
  o << "<h2>All layers (execution order)</h2>\n<table><tr><th>#</th><th>rank</th><th class='l'>layer</th><th>opcode"
       "</th><th class='l'>ONNX nodes</th><th>indiv dB</th><th>cos</th><th>max err</th>"
       "<th>entire dB</th><th>cos</th><th>max err</th><th>clip %</th><th>scale</th><th>zp</th>"
       "<th>calibrated</th><th>seen</th></tr>\n";
  for (const Layer& L : a.layers) {
    const bool bad = L.rank >= 0 && size_t(L.rank) < worst.size();
    o << "<tr" << (bad ? " class='worst'" : "") << "><td>" << L.depth << "</td><td>"
      << (L.rank >= 0 ? std::to_string(L.rank + 1) : "-") << "</td><td class='l mono'>" << esc(L.name)
      << "</td><td>" << L.opcode << (L.dtype == "INT8" ? "" : " (float)") << "</td><td class='l mono'>"
      << esc(join(L.source_nodes, ", ")) << "</td>" << metric_cells(L.individual) << metric_cells(L.entire)
      << "<td>" << pct(L.individual.clipped_fraction()) << "</td><td>" << fmt("%.4g", L.scale) << "</td><td>"
      << L.zero_point << "</td><td title='" << esc(L.method) << "'>"
      << (L.has_calibration ? fmt("%.3g", L.calib_min) + " .. " + fmt("%.3g", L.calib_max) : std::string("-"))
      << "</td><td>" << fmt("%.3g", L.entire.ref_min()) << " .. " << fmt("%.3g", L.entire.ref_max())
      << "</td></tr>\n";
  }
  o << "</table>\n";

  // Legend of the metrics.
  o << "<h2>Legend</h2><p class='sub'>x = float network, y = int8 network (dequantized), per tensor. "
       "<b>SQNR</b> = 10&middot;log10(&Sigma;x&sup2; / &Sigma;(x&minus;y)&sup2;) over all samples, dB (higher is better; "
       "each bit of precision is about 6 dB). <b>cos</b> = mean over samples of x&middot;y / (|x||y|). "
       "<b>rel L2</b> = &radic;(&Sigma;(x&minus;y)&sup2; / &Sigma;x&sup2;). <b>max err</b> = largest |x&minus;y|. "
       "<b>clip %</b> = share of float values outside the int8 range [scale&middot;(&minus;128&minus;zp), "
       "scale&middot;(127&minus;zp)] by more than half a step. <b>calibrated</b> = the range the quantizer chose "
       "(method); <b>seen</b> = the float range on these samples. (rel L2 and L2 are in the JSON and the terminal table.) Red lines in the histograms: the int8 "
       "representable range; green dashed: the calibrated range. Rank = order by individual-mode SQNR, worst first. "
       "Produced by <code>octet analyze</code> (docs/analysis.md).</p>\n";
  o << "</body></html>\n";
  return o.str();
}

}  // namespace octet::analysis
