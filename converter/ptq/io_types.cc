// SPDX-License-Identifier: Apache-2.0
//
// Device I/O of a quantized model: input/output types, input layout, folded
// normalization (io_types.h; docs/ptq.md "Device I/O" says what is exact).
#include "converter/ptq/io_types.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "converter/ptq/quantizer.h"
#include "octet/octet.h"
#include "schema/octet_generated.h"

namespace octet::ptq {

namespace fb = octet::schema;

namespace {

[[noreturn]] void fail(const std::string& what) { throw QuantizeError(what); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string shape_str(const std::vector<int32_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

std::string fmt(double v) {
  char b[32];
  snprintf(b, sizeof(b), "%.6g", v);
  return b;
}

template <typename T>
T lookup(const std::map<std::string, T>& m, const std::string& name, T dflt) {
  auto it = m.find(name);
  if (it != m.end()) return it->second;
  it = m.find("");
  return it != m.end() ? it->second : dflt;
}

template <typename T>
void check_names(const std::map<std::string, T>& m, const std::set<std::string>& names,
                 const char* option, const char* what) {
  for (const auto& [k, v] : m) {
    (void)v;
    if (k.empty() || names.count(k)) continue;
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    fail(std::string(option) + " " + k + "=...: the model has no " + what + " named '" + k +
         "' (" + what + "s: " + known + ")");
  }
}

// An operator that turns an NCHW tensor into its NHWC form: the ONNX
// importer emits TRANSPOSE {0,2,3,1}, or RESHAPE when C == 1 (same bytes).
bool is_to_nhwc(const fb::ModelT& m, const fb::OperatorT& op) {
  if (op.inputs.empty() || op.outputs.size() != 1) return false;
  const auto& s = m.tensors.at(op.inputs[0])->shape;
  const auto& y = m.tensors.at(op.outputs[0])->shape;
  if (s.size() != 4) return false;
  if (op.opcode == fb::OpCode::TRANSPOSE) {
    const auto* t = op.options.AsTransposeOptions();
    return t != nullptr && t->perm == std::vector<int32_t>{0, 2, 3, 1};
  }
  if (op.opcode == fb::OpCode::RESHAPE) {
    return s[1] == 1 && y == std::vector<int32_t>{s[0], s[2], s[3], s[1]};
  }
  return false;
}

std::vector<size_t> consumers(const fb::ModelT& m, int32_t t) {
  std::vector<size_t> r;
  for (size_t k = 0; k < m.operators.size(); ++k) {
    const auto& in = m.operators[k]->inputs;
    if (std::find(in.begin(), in.end(), t) != in.end()) r.push_back(k);
  }
  return r;
}

size_t use_count(const fb::ModelT& m, int32_t t) {
  size_t n = 0;
  for (const auto& op : m.operators) n += std::count(op->inputs.begin(), op->inputs.end(), t);
  return n + std::count(m.outputs.begin(), m.outputs.end(), t);
}

void replace_uses(fb::ModelT* m, int32_t from, int32_t to) {
  for (auto& op : m->operators) std::replace(op->inputs.begin(), op->inputs.end(), from, to);
  std::replace(m->outputs.begin(), m->outputs.end(), from, to);
}

void set_metadata(fb::ModelT* m, const std::string& key, const std::string& value) {
  for (auto& md : m->metadata) {
    if (md->key == key) {
      md->value = value;
      return;
    }
  }
  auto md = std::make_unique<fb::MetadataT>();
  md->key = key;
  md->value = value;
  m->metadata.push_back(std::move(md));
}

std::vector<float> f32(const fb::ModelT& m, int32_t t) {
  const auto& d = m.buffers.at(m.tensors.at(t)->buffer)->data;
  std::vector<float> v(d.size() / 4);
  memcpy(v.data(), d.data(), v.size() * 4);
  return v;
}

// Writes `v` as tensor t's data; a tensor used elsewhere too is copied
// first (the copy gets `suffix` on its name) so only `op` sees the change.
void write_f32(fb::ModelT* m, fb::OperatorT* op, size_t slot, const std::vector<float>& v,
               const std::string& suffix) {
  int32_t t = op->inputs[slot];
  if (use_count(*m, t) > 1) {
    auto copy = std::make_unique<fb::TensorT>();
    copy->name = m->tensors[t]->name + suffix;
    copy->dtype = fb::DType::FLOAT32;
    copy->shape = m->tensors[t]->shape;
    m->buffers.push_back(std::make_unique<fb::BufferT>());
    copy->buffer = static_cast<uint32_t>(m->buffers.size() - 1);
    m->tensors.push_back(std::move(copy));
    t = static_cast<int32_t>(m->tensors.size() - 1);
    op->inputs[slot] = t;
  }
  auto& d = m->buffers.at(m->tensors[t]->buffer)->data;
  d.resize(v.size() * 4);
  memcpy(d.data(), v.data(), d.size());
}

// An operator the normalization can be folded into, and the axis of its
// input that holds the channels.
struct FoldTarget {
  size_t op;
  int32_t channel_axis;
};

// The CONV_2D / FULLY_CONNECTED operators that read tensor `t` (directly or
// through layout operators), or "" and the culprit in *why.
bool find_fold_targets(const fb::ModelT& m, int32_t t, int32_t axis, bool per_channel,
                       std::vector<FoldTarget>* out, std::string* why, int depth = 0) {
  if (std::count(m.outputs.begin(), m.outputs.end(), t)) {
    *why = "it is also a graph output";
    return false;
  }
  const auto cs = consumers(m, t);
  if (cs.empty()) {
    *why = "nothing reads it";
    return false;
  }
  for (size_t k : cs) {
    const auto& op = *m.operators[k];
    const std::string id = "'" + op.name + "' (" + fb::EnumNameOpCode(op.opcode) + ")";
    const bool weighted =
        op.opcode == fb::OpCode::CONV_2D || op.opcode == fb::OpCode::FULLY_CONNECTED;
    if (weighted) {
      if (op.inputs[0] != t || std::count(op.inputs.begin(), op.inputs.end(), t) != 1 ||
          m.tensors.at(op.inputs[1])->buffer == 0 ||
          m.tensors.at(op.inputs[1])->dtype != fb::DType::FLOAT32) {
        *why = "it feeds " + id + " other than as its data input with constant fp32 weights";
        return false;
      }
      const int32_t rank = static_cast<int32_t>(m.tensors.at(t)->shape.size());
      if (per_channel && axis != rank - 1) {
        *why = "its channels are not the last axis where it reaches " + id;
        return false;
      }
      out->push_back({k, axis});
      continue;
    }
    if (op.opcode == fb::OpCode::TRANSPOSE && depth == 0) {
      const auto& perm = op.options.AsTransposeOptions()->perm;
      const int32_t na = static_cast<int32_t>(std::find(perm.begin(), perm.end(), axis) - perm.begin());
      if (!find_fold_targets(m, op.outputs[0], na, per_channel, out, why, depth + 1)) return false;
      continue;
    }
    if (op.opcode == fb::OpCode::RESHAPE && depth == 0 && is_to_nhwc(m, op)) {
      if (!find_fold_targets(m, op.outputs[0], 3, per_channel, out, why, depth + 1)) return false;
      continue;
    }
    *why = "it feeds " + id + ", which has no weights to fold into";
    return false;
  }
  return true;
}

// x_c = alpha[c]·r + beta[c] folded into op `t.op`'s weights and bias.
// Returns the largest |Σ W·beta| one padded tap pattern can contribute
// (0 when the operator has no padding or every beta is 0).
double fold_into(fb::ModelT* m, const FoldTarget& t, const std::vector<double>& alpha,
                 const std::vector<double>& beta) {
  fb::OperatorT* op = m->operators[t.op].get();
  const auto& ws = m->tensors.at(op->inputs[1])->shape;
  const int32_t oc = ws.at(0);
  const size_t per = f32(*m, op->inputs[1]).size() / static_cast<size_t>(oc);
  const size_t channels = alpha.size();
  int32_t cin_g = static_cast<int32_t>(per), groups = 1;
  bool padded = false;
  if (op->opcode == fb::OpCode::CONV_2D) {
    const auto* c = op->options.AsConv2DOptions();
    groups = c ? c->groups : 1;
    cin_g = ws.back();
    if (c) for (int32_t p : c->padding) padded |= p != 0;
  }
  std::vector<float> w = f32(*m, op->inputs[1]);
  std::vector<double> bias(oc, 0.0);
  const bool has_bias = op->inputs.size() > 2 && op->inputs[2] >= 0;
  if (has_bias) {
    const std::vector<float> b = f32(*m, op->inputs[2]);
    for (int32_t o = 0; o < oc; ++o) bias[o] = b[o];
  }
  double worst = 0;
  const int32_t oc_g = oc / groups;
  for (int32_t o = 0; o < oc; ++o) {
    const int32_t g = o / oc_g;
    double shift = 0;
    for (size_t k = 0; k < per; ++k) {
      // OHWI (conv) or [O, K] (FC): the input channel is the innermost index.
      size_t c = static_cast<size_t>(g) * cin_g + k % static_cast<size_t>(cin_g);
      c = channels == 1 ? 0 : c;
      if (c >= channels) fail("internal: folding into '" + op->name + "': channel out of range");
      const double wv = w[o * per + k];
      shift += wv * beta[c];
      w[o * per + k] = static_cast<float>(wv * alpha[c]);
    }
    bias[o] += shift;
    if (padded) worst = std::max(worst, std::fabs(shift));
  }
  write_f32(m, op, 1, w, "/folded");
  std::vector<float> bf(bias.begin(), bias.end());
  if (!has_bias) {
    auto bt = std::make_unique<fb::TensorT>();
    bt->name = op->name + "/folded_bias";
    bt->dtype = fb::DType::FLOAT32;
    bt->shape = {oc};
    m->buffers.push_back(std::make_unique<fb::BufferT>());
    bt->buffer = static_cast<uint32_t>(m->buffers.size() - 1);
    m->tensors.push_back(std::move(bt));
    op->inputs.resize(3);
    op->inputs[2] = static_cast<int32_t>(m->tensors.size() - 1);
  }
  write_f32(m, op, 2, bf, "/folded");
  return worst;
}

}  // namespace

const char* io_type_name(IoType t) {
  switch (t) {
    case IoType::kFloat32: return "float32";
    case IoType::kUint8: return "uint8";
    case IoType::kInt8: return "int8";
  }
  return "?";
}

IoType parse_io_type(const std::string& s) {
  const std::string l = lower(s);
  if (l == "float32" || l == "float" || l == "fp32") return IoType::kFloat32;
  if (l == "uint8") return IoType::kUint8;
  if (l == "int8") return IoType::kInt8;
  fail("unknown I/O type '" + s + "' (use float32, uint8 or int8)");
}

const char* io_layout_name(IoLayout l) {
  switch (l) {
    case IoLayout::kNHWC: return "NHWC";
    case IoLayout::kNCHW: return "NCHW";
    case IoLayout::kAsIs: return "as-is";
  }
  return "?";
}

IoLayout parse_io_layout(const std::string& s) {
  const std::string l = lower(s);
  if (l == "nhwc") return IoLayout::kNHWC;
  if (l == "nchw") return IoLayout::kNCHW;
  fail("unknown layout '" + s + "' (use NHWC or NCHW)");
}

namespace {
std::pair<std::string, std::string> split_spec(const std::string& option, const std::string& spec) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string::npos) return {"", spec};
  if (eq == 0 || eq + 1 == spec.size()) fail(option + " takes TYPE or NAME=TYPE, not '" + spec + "'");
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}
}  // namespace

void add_io_type_spec(const std::string& option, const std::string& spec,
                      std::map<std::string, IoType>* map) {
  const auto [name, type] = split_spec(option, spec);
  try {
    (*map)[name] = parse_io_type(type);
  } catch (const QuantizeError& e) {
    fail(option + " " + spec + ": " + e.what());
  }
}

void add_io_layout_spec(const std::string& spec, std::map<std::string, IoLayout>* map) {
  const auto [name, layout] = split_spec("--input-layout", spec);
  try {
    (*map)[name] = parse_io_layout(layout);
  } catch (const QuantizeError& e) {
    fail("--input-layout " + spec + ": " + e.what());
  }
}

IoPlan prepare_io(fb::ModelT* m, const IoOptions& o, std::map<std::string, TensorRange>* ranges) {
  IoPlan plan;
  std::set<std::string> in_names, out_names;
  for (int32_t i : m->inputs) in_names.insert(m->tensors.at(i)->name);
  for (int32_t i : m->outputs) out_names.insert(m->tensors.at(i)->name);
  check_names(o.input_types, in_names, "--input-type", "input");
  check_names(o.input_layouts, in_names, "--input-layout", "input");
  check_names(o.output_types, out_names, "--output-type", "output");
  for (int32_t out : m->outputs) {
    plan.outputs[m->tensors[out]->name] = lookup(o.output_types, m->tensors[out]->name, IoType::kFloat32);
  }

  const std::vector<int32_t> graph_inputs = m->inputs;
  for (int32_t i : graph_inputs) {
    const std::string name = m->tensors[i]->name;
    IoInput r;
    r.type = lookup(o.input_types, name, IoType::kFloat32);
    const IoLayout want = lookup(o.input_layouts, name, IoLayout::kAsIs);
    std::vector<int32_t> shape = m->tensors[i]->shape;

    // ---- layout
    IoLayout now = IoLayout::kAsIs;
    if (shape.size() == 4) {
      const auto cs = consumers(*m, i);
      bool nchw = !cs.empty();
      for (size_t k : cs) nchw = nchw && is_to_nhwc(*m, *m->operators[k]);
      now = nchw ? IoLayout::kNCHW : IoLayout::kNHWC;
    } else if (want != IoLayout::kAsIs) {
      fail("--input-layout " + std::string(io_layout_name(want)) + ": input '" + name + "' has shape " +
           shape_str(shape) + "; only rank-4 image inputs have a layout");
    }
    if (want == IoLayout::kNHWC && now == IoLayout::kNCHW) {
      // Drop the importer's NCHW→NHWC step: the device writes NHWC.
      auto cs = consumers(*m, i);
      std::string dropped;
      for (size_t k : cs) {
        const auto& op = *m->operators[k];
        dropped += (dropped.empty() ? "" : ", ") + op.name + " (" + fb::EnumNameOpCode(op.opcode) + ")";
        replace_uses(m, op.outputs[0], i);
      }
      std::sort(cs.rbegin(), cs.rend());
      for (size_t k : cs) m->operators.erase(m->operators.begin() + static_cast<long>(k));
      m->tensors[i]->shape = {shape[0], shape[2], shape[3], shape[1]};
      plan.notes.push_back("input '" + name + "': device layout NHWC " +
                           shape_str(m->tensors[i]->shape) + "; removed " + dropped);
      now = IoLayout::kNHWC;
    } else if (want == IoLayout::kNCHW && now == IoLayout::kNHWC) {
      // The graph computes in NHWC: one layout step at the input.
      auto t = std::make_unique<fb::TensorT>();
      t->name = name + "/nhwc";
      t->dtype = m->tensors[i]->dtype;
      t->shape = shape;
      m->tensors.push_back(std::move(t));
      const int32_t nt = static_cast<int32_t>(m->tensors.size() - 1);
      replace_uses(m, i, nt);
      auto op = std::make_unique<fb::OperatorT>();
      op->name = name + "/nhwc";
      op->inputs = {i};
      op->outputs = {nt};
      const bool one = shape[3] == 1;
      if (one) {
        op->opcode = fb::OpCode::RESHAPE;
        op->options.Set(fb::ReshapeOptionsT{});
      } else {
        op->opcode = fb::OpCode::TRANSPOSE;
        fb::TransposeOptionsT tr;
        tr.perm = {0, 2, 3, 1};
        op->options.Set(std::move(tr));
      }
      m->operators.insert(m->operators.begin(), std::move(op));
      m->tensors[i]->shape = {shape[0], shape[3], shape[1], shape[2]};
      if (ranges->count(name)) (*ranges)[name + "/nhwc"] = (*ranges)[name];
      plan.notes.push_back("input '" + name + "': device layout NCHW " +
                           shape_str(m->tensors[i]->shape) + "; the runtime converts it with a " +
                           (one ? "RESHAPE (one channel: no data movement)" : "TRANSPOSE step"));
      now = IoLayout::kNCHW;
    }
    r.layout = now;
    if (now != IoLayout::kAsIs) set_metadata(m, "io.layout." + name, io_layout_name(now));
    shape = m->tensors[i]->shape;

    // ---- folded normalization
    if (r.type != IoType::kFloat32 && o.fold) {
      const int32_t rank = static_cast<int32_t>(shape.size());
      const int32_t axis = now == IoLayout::kNCHW ? 1 : rank - 1;
      const int32_t channels = rank > 0 ? shape[axis] : 1;
      auto per_channel = [&](const std::vector<float>& v, const char* what) {
        if (v.size() != 1 && v.size() != static_cast<size_t>(channels)) {
          fail(std::string("--") + what + " has " + std::to_string(v.size()) + " values; input '" +
               name + "' has " + std::to_string(channels) + " channels");
        }
        std::vector<double> r2(channels);
        for (int32_t c = 0; c < channels; ++c) r2[c] = v[v.size() == 1 ? 0 : c];
        return r2;
      };
      const std::vector<double> mean = per_channel(o.mean.empty() ? std::vector<float>{0} : o.mean, "mean");
      const std::vector<double> sd = per_channel(o.std.empty() ? std::vector<float>{1} : o.std, "std");
      if (!(o.scale > 0)) fail("--scale must be > 0 to fold the normalization into input '" + name + "'");
      std::vector<double> a(channels), b(channels), zr(channels);
      bool uniform = true;
      for (int32_t c = 0; c < channels; ++c) {
        if (!(sd[c] > 0)) fail("--std values must be > 0");
        a[c] = double(o.scale) / sd[c];
        b[c] = -mean[c] / sd[c];
        zr[c] = mean[c] / double(o.scale);  // the raw value that means x = 0
        uniform = uniform && a[c] == a[0] && b[c] == b[0];
      }
      std::string pre = "x = (v*" + fmt(o.scale) + " - mean) / std, mean ";
      for (int32_t c = 0; c < (uniform ? 1 : channels); ++c) pre += (c ? "," : "") + fmt(mean[c]);
      pre += " std ";
      for (int32_t c = 0; c < (uniform ? 1 : channels); ++c) pre += (c ? "," : "") + fmt(sd[c]);
      const double z0 = std::nearbyint(zr[0]);
      double s_d = 0, z_d = 0;
      if (uniform && std::fabs(zr[0] - z0) <= 1e-4 && z0 >= 0 && z0 <= 255) {
        // Per-tensor parameters say it exactly: no weight changes.
        s_d = a[0], z_d = z0;
        plan.notes.push_back("input '" + name + "': " + pre + " folded exactly into the input "
                             "parameters (scale " + fmt(static_cast<float>(s_d)) + ", raw zero point " +
                             fmt(z_d) + ")");
      } else {
        std::vector<FoldTarget> targets;
        std::string why;
        if (!find_fold_targets(*m, i, axis, !uniform, &targets, &why)) {
          if (!uniform) {
            fail("input '" + name + "': per-channel --mean/--std cannot be expressed by per-tensor "
                 "input parameters and cannot be folded into the first layer: " + why +
                 " (use equal values, or --input-type float32)");
          }
          // Per tensor with a fractional zero point and nothing to fold into.
          s_d = a[0], z_d = std::clamp(z0, 0.0, 255.0);
          plan.notes.push_back("input '" + name + "': " + pre + " folded APPROXIMATELY (" + why +
                               "): zero point " + fmt(zr[0]) + " rounded to " + fmt(z_d) +
                               ", every input value is off by " + fmt(a[0] * std::fabs(zr[0] - z_d)));
        } else {
          // r = s_d·(v − z_d) goes in; x_c = alpha_c·r + beta_c is folded.
          double zsum = 0;
          for (int32_t c = 0; c < channels; ++c) s_d += a[c] / channels, zsum += zr[c] / channels;
          s_d = static_cast<float>(s_d);
          z_d = std::clamp(std::nearbyint(zsum), 0.0, 255.0);
          std::vector<double> alpha(channels), beta(channels);
          bool exact = true;
          for (int32_t c = 0; c < channels; ++c) {
            alpha[c] = a[c] / s_d;
            beta[c] = a[c] * z_d + b[c];
            exact = exact && std::fabs(beta[c]) < 1e-12;
          }
          double worst = 0;
          std::string names;
          for (const auto& t : targets) {
            worst = std::max(worst, fold_into(m, t, alpha, beta));
            plan.folded_inputs.insert(m->tensors[m->operators[t.op]->inputs[0]]->name);
            names += (names.empty() ? "" : ", ") + m->operators[t.op]->name;
          }
          std::string note = "input '" + name + "': " + pre + " folded into the weights and bias of " +
                             names + " (input scale " + fmt(s_d) + ", raw zero point " + fmt(z_d) + "); ";
          note += exact || worst == 0
                      ? "exact in real arithmetic"
                      : "exact in real arithmetic except at zero-padded borders, where a padded tap "
                        "now stands for raw value " + fmt(z_d) + " instead of x = 0 (output shift up to " +
                            fmt(worst) + ")";
          plan.notes.push_back(note);
        }
      }
      const float scale = static_cast<float>(s_d);
      const int64_t zu = static_cast<int64_t>(z_d);
      r.internal = Quant::per_tensor(scale, zu - 128);
      (*ranges)[name] = TensorRange{static_cast<float>(scale * (0 - z_d)),
                                    static_cast<float>(scale * (255 - z_d)), "device"};
      set_metadata(m, "io.raw." + name, r.type == IoType::kUint8 ? "uint8" : "uint8-128");
      set_metadata(m, "io.preprocess." + name, pre + " (folded; v = raw 8-bit value)");
    }
    plan.inputs[name] = r;
  }
  return plan;
}

ModelBuilder::Id emit_input(ModelBuilder* b, const std::string& name, const IoInput& in,
                            const std::vector<int32_t>& shape, const Quant& internal,
                            int32_t* quantize_ops) {
  const float s = internal.scale.at(0);
  const int64_t z = internal.zero_point.at(0);
  if (in.type == IoType::kInt8) return b->input(name, DType::kInt8, shape, Quant::per_tensor(s, z));
  // uint8 = int8 shifted by 128 (docs/quantization.md §1): same scale, so the
  // requantization below is q_s8 = q_u8 − 128 exactly.
  const auto u = b->input(name, DType::kUint8, shape, Quant::per_tensor(s, z + 128));
  if (quantize_ops) ++*quantize_ops;
  return b->quantize(u, DType::kInt8, Quant::per_tensor(s, z), name + "/int8");
}

ModelBuilder::Id emit_output(ModelBuilder* b, const std::string& name, IoType type,
                             ModelBuilder::Id q, int32_t* quantize_ops) {
  if (type == IoType::kInt8) return q;
  const Quant& iq = b->quant(q);
  if (quantize_ops) ++*quantize_ops;
  return b->quantize(q, DType::kUint8, Quant::per_tensor(iq.scale.at(0), iq.zero_point.at(0) + 128),
                     name + "/uint8");
}

InputFeed input_feed(const octet_model* m, int32_t index) {
  octet_tensor_info in{};
  if (octet_model_input_info(m, index, &in) != OCTET_OK) fail("no input " + std::to_string(index));
  InputFeed f;
  f.dtype = in.dtype;
  f.name = in.name;
  f.scale = in.scale;
  f.zero_point = in.zero_point;
  if (in.dtype == OCTET_FLOAT32) return f;
  if (in.dtype != OCTET_UINT8 && in.dtype != OCTET_INT8) {
    fail(std::string("input '") + in.name + "' is " + octet_dtype_name(in.dtype) +
         ": tools feed float32, uint8 or int8 inputs");
  }
  const char* raw = octet_model_metadata(m, ("io.raw." + f.name).c_str());
  f.raw = raw != nullptr;
  f.shift = raw != nullptr && std::string(raw) == "uint8-128";
  return f;
}

void feed_input(const InputFeed& f, const float* x, size_t n, void* dst) {
  if (f.dtype == OCTET_FLOAT32) {
    memcpy(dst, x, n * sizeof(float));
    return;
  }
  const bool u8 = f.dtype == OCTET_UINT8;
  const int lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  for (size_t k = 0; k < n; ++k) {
    float r;
    if (f.raw) {
      r = x[k] - (f.shift ? 128.0f : 0.0f);
      if (r != std::nearbyint(r) || r < lo || r > hi) {
        fail("input '" + f.name + "' takes raw 8-bit values (" + (u8 ? "uint8" : "int8 = raw - 128") +
             "), but element " + std::to_string(k) + " of the sample is " + fmt(x[k]) +
             ": feed raw 8-bit data (IDX, images, uint8 .npy) without --scale/--mean/--std");
      }
    } else {
      r = std::clamp(std::nearbyint(x[k] / f.scale) + float(f.zero_point), float(lo), float(hi));
    }
    if (u8) {
      static_cast<uint8_t*>(dst)[k] = static_cast<uint8_t>(r);
    } else {
      static_cast<int8_t*>(dst)[k] = static_cast<int8_t>(r);
    }
  }
}

}  // namespace octet::ptq
