// SPDX-License-Identifier: Apache-2.0
#include "converter/ptq/quantizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "converter/onnx/onnx_import.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"

namespace octet::ptq {

namespace fb = octet::schema;

namespace {

[[noreturn]] void fail(const std::string& what) { throw QuantizeError(what); }

std::unique_ptr<fb::ModelT> unpack(const std::vector<uint8_t>& bytes) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()) || !fb::VerifyModelBuffer(v)) {
    fail("not a valid .octet model");
  }
  return fb::UnPackModel(bytes.data());
}

Model load(const std::vector<uint8_t>& bytes) {
  Model m;
  const Status s = m.load_buffer(bytes.data(), bytes.size());
  if (!s) fail("cannot load the model: " + s.to_string());
  return m;
}

}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kInt8: return "int8";
    case Precision::kInt16: return "int16";
    case Precision::kFp32: return "fp32";
  }
  return "?";
}

Precision parse_precision(const std::string& s) {
  if (s == "int8") return Precision::kInt8;
  if (s == "int16") return Precision::kInt16;
  if (s == "fp32" || s == "float32" || s == "float") return Precision::kFp32;
  fail("unknown precision '" + s + "' (use int8, int16 or fp32)");
}

// ------------------------------------------------------------------ loading

std::vector<uint8_t> load_model_any(const std::string& path) {
  const bool onnx = path.size() >= 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
  if (onnx) {
    namespace oi = octet::onnx_import;
    try {
      oi::ImportOptions opt;
      const size_t slash = path.find_last_of('/');
      opt.source_name = slash == std::string::npos ? path : path.substr(slash + 1);
      return oi::convert(oi::load_model_file(path), opt);
    } catch (const oi::ImportError& e) {
      fail(e.what());
    }
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("cannot open '" + path + "'");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return b;
}

std::vector<int32_t> model_input_shape(const std::vector<uint8_t>& bytes) {
  Model m = load(bytes);
  if (m.num_inputs() != 1) {
    fail("the model has " + std::to_string(m.num_inputs()) +
         " inputs; calibration and evaluation support single-input models");
  }
  const octet_tensor_info in = m.input_info(0);
  return std::vector<int32_t>(in.dims, in.dims + in.rank);
}

// -------------------------------------------------------------- calibration

namespace {

struct Observer {
  const octet_model* model;
  std::vector<Histogram*> by_tensor;  // float activations, else null
  std::vector<std::vector<double>*> sums;  // per-channel sums, same tensors
  std::vector<int32_t> channels;
};

void add_channel_sums(std::vector<double>* sums, int32_t c, const float* v, size_t n) {
  if (sums->empty()) sums->assign(c, 0.0);
  for (size_t i = 0; i < n; ++i) (*sums)[i % c] += v[i];
}

int observe(void* user, const octet_interpreter* it, int32_t op) {
  auto* o = static_cast<Observer*>(user);
  octet_operator_info info{};
  if (octet_model_operator_info(o->model, op, &info) != OCTET_OK) return 0;
  for (int32_t k = 0; k < info.num_outputs; ++k) {
    const int32_t t = info.outputs[k];
    if (t < 0 || o->by_tensor[t] == nullptr) continue;
    octet_tensor_info ti{};
    octet_model_tensor_info(o->model, t, &ti);
    const auto* data = static_cast<const float*>(octet_interpreter_tensor_data(it, t));
    if (data != nullptr) {
      o->by_tensor[t]->add(data, ti.bytes / sizeof(float));
      add_channel_sums(o->sums[t], o->channels[t], data, ti.bytes / sizeof(float));
    }
  }
  return 0;
}

}  // namespace

Calibration calibrate(const std::vector<uint8_t>& bytes, const Dataset& data,
                      const Progress& progress) {
  Model m = load(bytes);
  if (m.num_inputs() != 1) fail("calibration supports single-input models");
  const octet_tensor_info in = m.input_info(0);
  if (in.dtype != OCTET_FLOAT32) fail("the model input is not float32: is it already quantized?");
  if (in.bytes / 4 != data.sample_elements()) {
    fail("calibration samples have " + std::to_string(data.sample_elements()) +
         " values; the model input needs " + std::to_string(in.bytes / 4));
  }
  Interpreter it;
  Status s = it.create(m);
  if (!s) fail("cannot prepare the fp32 model: " + s.to_string());
  Calibration cal;
  cal.data = data.description();
  const int32_t n = octet_model_num_tensors(m.get());
  Observer obs{m.get(), std::vector<Histogram*>(n, nullptr),
               std::vector<std::vector<double>*>(n, nullptr), std::vector<int32_t>(n, 1)};
  std::vector<std::string> names(n);
  for (int32_t t = 0; t < n; ++t) {
    octet_tensor_info ti{};
    octet_model_tensor_info(m.get(), t, &ti);
    names[t] = ti.name;
    if (ti.dtype == OCTET_FLOAT32) {
      obs.by_tensor[t] = &cal.tensors[ti.name];
      obs.sums[t] = &cal.channel_means[ti.name];
      obs.channels[t] = ti.rank > 0 ? std::max(1, ti.dims[ti.rank - 1]) : 1;
    }
  }
  // The map's nodes are stable; drop histograms of constants later (they
  // never get observed and stay empty).
  const int32_t input_tensor = octet_model_input_tensor(m.get(), 0);
  it.set_observer(observe, &obs);
  std::vector<float> sample(data.sample_elements());
  for (size_t i = 0; i < data.size(); ++i) {
    data.get(i, sample.data());
    obs.by_tensor[input_tensor]->add(sample.data(), sample.size());
    add_channel_sums(obs.sums[input_tensor], obs.channels[input_tensor], sample.data(), sample.size());
    if (!(s = it.set_input(0, sample.data(), sample.size() * 4))) fail(s.to_string());
    if (!(s = it.invoke())) fail("calibration invoke failed: " + s.to_string());
    ++cal.samples;
    if (progress) progress(i + 1, data.size());
  }
  for (auto i = cal.tensors.begin(); i != cal.tensors.end();) {
    if (i->second.empty()) {
      cal.channel_means.erase(i->first);
      i = cal.tensors.erase(i);
      continue;
    }
    // Sums -> means: count / channels values per channel.
    auto& v = cal.channel_means[i->first];
    const double per = v.empty() ? 1.0 : i->second.count() / double(v.size());
    for (double& x : v) x /= per;
    ++i;
  }
  return cal;
}

std::map<std::string, TensorRange> choose_ranges(const Calibration& cal, const RangeMethod& method) {
  std::map<std::string, TensorRange> r;
  for (const auto& [name, h] : cal.tensors) {
    const auto [lo, hi] = h.range(method);
    r[name] = TensorRange{lo, hi, method.to_string()};
  }
  return r;
}

// ---------------------------------------------------------------- quantizer

namespace {

bool int8_capable(fb::OpCode c) {
  switch (c) {
    case fb::OpCode::DIV:
    case fb::OpCode::QUANTIZE:
    case fb::OpCode::DEQUANTIZE:
      return false;
    default:
      return true;
  }
}

// Operators with int16 × int8 kernels (runtime/ops/conv_int16.cc).
bool int16_capable(fb::OpCode c) {
  return c == fb::OpCode::CONV_2D || c == fb::OpCode::FULLY_CONNECTED;
}

bool has_weights(fb::OpCode c) {
  return c == fb::OpCode::CONV_2D || c == fb::OpCode::CONV_TRANSPOSE_2D ||
         c == fb::OpCode::FULLY_CONNECTED;
}

// Asymmetric int8 parameters of [lo, hi] (lo ≤ 0 ≤ hi): zero exact.
Quant activation_quant(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  const double span = std::max(double(hi) - lo, 1e-6);
  const double scale = span / 255.0;
  const int64_t zp = std::clamp<int64_t>(std::llround(-128.0 - lo / scale), -128, 127);
  return Quant::per_tensor(static_cast<float>(scale), zp);
}

class Emitter {
 public:
  Emitter(const fb::ModelT& m, const std::map<std::string, TensorRange>& ranges,
          const QuantizeOptions& o, QuantizeReport* rep)
      : m_(m), ranges_(ranges), o_(o), rep_(rep), fid_(m.tensors.size(), -1),
        qid_(m.tensors.size(), -1), q16id_(m.tensors.size(), -1) {}

  std::vector<uint8_t> run();
  IoPlan io;  ///< device I/O (io_types.h), set before run()

 private:
  using Id = ModelBuilder::Id;
  const fb::TensorT& t(int32_t i) const { return *m_.tensors.at(i); }
  bool is_const(int32_t i) const { return t(i).buffer != 0; }
  const std::vector<uint8_t>& data(int32_t i) const { return m_.buffers.at(t(i).buffer)->data; }
  std::vector<float> const_f32(int32_t i) const {
    if (t(i).dtype != fb::DType::FLOAT32) fail("constant '" + t(i).name + "' is not float32");
    std::vector<float> v(data(i).size() / 4);
    memcpy(v.data(), data(i).data(), v.size() * 4);
    return v;
  }

  Id get_f(int32_t i);
  Id get_q(int32_t i);
  Quant quant_for(int32_t i, const fb::OperatorT* producer);
  void emit(const fb::OperatorT& op, Precision p);
  Precision precision_of(const fb::OperatorT& op, std::set<std::string>* used) const;
  Id quantize_weights(int32_t w, const std::string& name, std::vector<float>* scales,
                      std::vector<int8_t>* qw = nullptr);
  Id quantize_bias(const std::vector<float>& v, const std::vector<int32_t>& shape, float s_in,
                   const std::vector<float>& s_w, const std::string& name);

  const fb::ModelT& m_;
  const std::map<std::string, TensorRange>& ranges_;
  const QuantizeOptions& o_;
  QuantizeReport* rep_;
  ModelBuilder b_;
  std::vector<Id> fid_, qid_;
  // int16 (16×8) layers: their tensors and emission (docs/quantization.md §6).
  std::vector<Id> q16id_;
  Id get_q16(int32_t i);
  Quant quant16_for(int32_t i, const fb::OperatorT* producer);
  void emit_int16(const fb::OperatorT& op);
  std::set<std::string> op_names_;
};

Quant Emitter::quant_for(int32_t i, const fb::OperatorT* producer) {
  const std::string& name = t(i).name;
  auto it = o_.ranges.find(name);
  TensorRange r;
  if (it != o_.ranges.end()) {
    r = it->second;
  } else {
    auto jt = ranges_.find(name);
    if (jt == ranges_.end()) {
      fail("no calibration range for tensor '" + name +
           "' (pass --calib data, or a --config that lists it)");
    }
    r = jt->second;
  }
  // A fused activation bounds what the operator can output.
  if (producer != nullptr) {
    if (std::isfinite(producer->act_min)) r.min = std::max(r.min, producer->act_min);
    if (std::isfinite(producer->act_max)) r.max = std::min(r.max, producer->act_max);
  }
  r.min = std::min(r.min, 0.0f);
  r.max = std::max(r.max, 0.0f);
  if (rep_) rep_->ranges[name] = r;
  return activation_quant(r.min, r.max);
}

ModelBuilder::Id Emitter::get_f(int32_t i) {
  if (fid_[i] >= 0) return fid_[i];
  if (is_const(i)) {
    std::vector<int32_t> shape = t(i).shape;
    fid_[i] = b_.constant(t(i).name, static_cast<DType>(t(i).dtype), shape, data(i).data(),
                          data(i).size());
    return fid_[i];
  }
  if (qid_[i] < 0 && q16id_[i] >= 0) {  // produced by an int16 layer
    fid_[i] = b_.dequantize(q16id_[i], t(i).name + "/dequantize");
    if (rep_) ++rep_->dequantize_ops;
    return fid_[i];
  }
  if (qid_[i] < 0) fail("internal: tensor '" + t(i).name + "' used before it is produced");
  fid_[i] = b_.dequantize(qid_[i], t(i).name + "/dequantize");
  if (rep_) ++rep_->dequantize_ops;
  return fid_[i];
}

ModelBuilder::Id Emitter::get_q(int32_t i) {
  if (qid_[i] >= 0) return qid_[i];
  if (q16id_[i] >= 0) {  // int16 → int8: an integer requantization
    qid_[i] = b_.quantize(q16id_[i], DType::kInt8, quant_for(i, nullptr), t(i).name + "/int8");
    const auto& r = rep_ ? rep_->ranges[t(i).name] : TensorRange{};
    if (rep_) b_.set_calibration(qid_[i], {r.min}, {r.max}, r.method);
    if (rep_) ++rep_->quantize_ops;
    return qid_[i];
  }
  if (is_const(i)) {
    // A constant operand of an int8 operator (ADD/MUL by a constant, a PRELU
    // slope, a MATMUL matrix): int8 asymmetric per tensor over its range.
    const std::vector<float> v = const_f32(i);
    float lo = 0, hi = 0;
    for (float x : v) lo = std::min(lo, x), hi = std::max(hi, x);
    const Quant q = activation_quant(lo, hi);
    std::vector<int8_t> qv(v.size());
    for (size_t k = 0; k < v.size(); ++k) {
      qv[k] = static_cast<int8_t>(std::clamp<long>(
          std::lrint(v[k] / q.scale[0]) + q.zero_point[0], -128, 127));
    }
    qid_[i] = b_.constant_i8(t(i).name, t(i).shape, qv, q);
    b_.set_calibration(qid_[i], {lo}, {hi}, "minmax");
    return qid_[i];
  }
  const Id f = get_f(i);
  const Quant q = quant_for(i, nullptr);
  qid_[i] = b_.quantize(f, DType::kInt8, q, t(i).name + "/quantize");
  const auto& r = rep_ ? rep_->ranges[t(i).name] : TensorRange{};
  if (rep_) b_.set_calibration(qid_[i], {r.min}, {r.max}, r.method);
  if (rep_) ++rep_->quantize_ops;
  return qid_[i];
}

ModelBuilder::Id Emitter::quantize_weights(int32_t w, const std::string& name,
                                           std::vector<float>* scales, std::vector<int8_t>* qw) {
  const std::vector<float> v = const_f32(w);
  const int32_t oc = t(w).shape.at(0);
  const size_t per = v.size() / static_cast<size_t>(oc);
  std::vector<float> amax(oc, 0.0f);
  for (int32_t c = 0; c < oc; ++c) {
    for (size_t k = 0; k < per; ++k) amax[c] = std::max(amax[c], std::fabs(v[c * per + k]));
  }
  if (!o_.per_channel) {
    const float all = *std::max_element(amax.begin(), amax.end());
    std::fill(amax.begin(), amax.end(), all);
  }
  scales->assign(oc, 0.0f);
  std::vector<int8_t> q(v.size());
  // A QDQ model's own weight scales (exact codes, -128 included).
  const std::vector<float>* given = nullptr;
  if (o_.weight_scales && o_.per_channel) {
    auto it = o_.weight_scales->find(name);
    if (it != o_.weight_scales->end() && it->second.size() == size_t(oc)) given = &it->second;
  }
  for (int32_t c = 0; c < oc; ++c) {
    const float s = given ? (*given)[c] : amax[c] > 0 ? amax[c] / 127.0f : 1.0f / 127.0f;
    (*scales)[c] = s;
    for (size_t k = 0; k < per; ++k) {
      q[c * per + k] = static_cast<int8_t>(
          std::clamp<long>(std::lrint(v[c * per + k] / s), given ? -128 : -127, 127));
    }
  }
  Quant wq = o_.per_channel ? Quant::per_channel(*scales, 0) : Quant::per_tensor((*scales)[0], 0);
  if (o_.per_channel) wq.zero_point.assign(oc, 0);
  const Id id = b_.constant_i8(name, t(w).shape, q, wq);
  if (qw) *qw = q;
  std::vector<float> lo(amax.size());
  for (size_t c = 0; c < amax.size(); ++c) lo[c] = -amax[c];
  if (!o_.per_channel) lo.resize(1), amax.resize(1);
  b_.set_calibration(id, lo, amax, o_.per_channel ? "absmax_per_channel" : "absmax_per_tensor");
  return id;
}

ModelBuilder::Id Emitter::quantize_bias(const std::vector<float>& v,
                                        const std::vector<int32_t>& shape, float s_in,
                                        const std::vector<float>& s_w, const std::string& name) {
  std::vector<int32_t> q(v.size());
  std::vector<float> scales(v.size());
  for (size_t c = 0; c < v.size(); ++c) {
    const double s = double(s_in) * s_w[c];
    scales[c] = static_cast<float>(s);
    const double r = std::nearbyint(v[c] / s);
    q[c] = static_cast<int32_t>(std::clamp(r, -2147483647.0, 2147483647.0));
  }
  Quant bq = Quant::per_channel(scales, 0);
  bq.zero_point.assign(v.size(), 0);
  return b_.constant_i32(name, shape, q, bq);
}

Precision Emitter::precision_of(const fb::OperatorT& op, std::set<std::string>* used) const {
  Precision p = int8_capable(op.opcode) ? Precision::kInt8 : Precision::kFp32;
  auto check = [&](const std::string& key) {
    auto it = o_.precision.find(key);
    if (it == o_.precision.end()) return;
    used->insert(key);
    p = it->second;
  };
  // A source node name selects the operators it became, unless an operator
  // carries that exact name (then only that one).
  for (const auto& s : op.source_nodes) {
    if (s == op.name || !op_names_.count(s)) check(s);
  }
  check(op.name);
  if (p == Precision::kInt16 && !int16_capable(op.opcode)) {
    fail("node '" + op.name + "': " + fb::EnumNameOpCode(op.opcode) +
         " has no int16 kernel (int16 layers: CONV_2D, FULLY_CONNECTED); use int8 or fp32");
  }
  if (p == Precision::kInt16 && !is_const(op.inputs.at(1))) {
    fail("node '" + op.name + "': int16 needs constant weights; use fp32");
  }
  if (p == Precision::kInt8 && !int8_capable(op.opcode)) {
    fail("node '" + op.name + "': " + fb::EnumNameOpCode(op.opcode) + " has no int8 kernel");
  }
  // Operators with non-constant weights stay in float.
  if (p == Precision::kInt8 && has_weights(op.opcode) && !is_const(op.inputs.at(1))) {
    p = Precision::kFp32;
  }
  return p;
}

void Emitter::emit(const fb::OperatorT& op, Precision p) {
  if (p == Precision::kInt16) return emit_int16(op);
  const bool q8 = p == Precision::kInt8;
  const std::string& name = op.name;
  auto in = [&](size_t k) -> Id {
    const int32_t i = op.inputs.at(k);
    if (i < 0) return ModelBuilder::kNone;
    return q8 ? get_q(i) : get_f(i);
  };
  const int32_t y = op.outputs.at(0);
  const std::vector<int32_t>& ys = t(y).shape;
  auto outq = [&]() { return q8 ? quant_for(y, &op) : Quant{}; };
  Activation act;
  act.kind = static_cast<Activation::Kind>(op.activation);
  act.min = std::isfinite(op.act_min) ? op.act_min : 0;
  act.max = std::isfinite(op.act_max) ? op.act_max : 0;
  std::vector<Id> outs;
  switch (op.opcode) {
    case fb::OpCode::CONV_2D:
    case fb::OpCode::CONV_TRANSPOSE_2D:
    case fb::OpCode::FULLY_CONNECTED: {
      const Id x = in(0);
      Id w, bias = ModelBuilder::kNone;
      if (q8) {
        std::vector<float> s_w;
        std::vector<int8_t> qw;
        const int32_t wt = op.inputs[1];
        w = quantize_weights(wt, t(wt).name, &s_w, &qw);
        const float s_in = b_.quant(x).scale.at(0);
        const bool has_bias = op.inputs.size() > 2 && op.inputs[2] >= 0;
        const int32_t oc = t(wt).shape.at(0);
        std::vector<float> bv = has_bias ? const_f32(op.inputs[2]) : std::vector<float>(oc, 0.0f);
        bool corrected = false;
        if (o_.bias_correction && op.opcode != fb::OpCode::CONV_TRANSPOSE_2D) {
          auto it = o_.bias_correction->find(t(op.inputs[0]).name);
          const std::vector<float> wf = const_f32(wt);
          const int32_t ci = t(wt).shape.back();  // input channels per group
          const int32_t groups = op.opcode == fb::OpCode::CONV_2D
                                     ? op.options.AsConv2DOptions()->groups : 1;
          if (it != o_.bias_correction->end() && !it->second.empty()) {
            const auto& mean = it->second;
            const size_t per = wf.size() / size_t(oc);
            const int32_t oc_per_group = oc / groups;
            for (int32_t c = 0; c < oc; ++c) {
              double err = 0;
              const int32_t g = c / oc_per_group;
              for (size_t k = 0; k < per; ++k) {
                const size_t cin = size_t(g) * ci + k % size_t(ci);
                const double m = cin < mean.size() ? mean[cin] : mean[0];
                err += (double(qw[c * per + k]) * s_w[c] - wf[c * per + k]) * m;
              }
              bv[c] -= static_cast<float>(err);
              corrected |= err != 0;
            }
          }
        }
        if (has_bias || corrected) {
          bias = quantize_bias(bv, {oc}, s_in, s_w,
                               has_bias ? t(op.inputs[2]).name : name + "/bias");
        }
      } else {
        w = in(1);
        if (op.inputs.size() > 2) bias = in(2);
      }
      if (op.opcode == fb::OpCode::FULLY_CONNECTED) {
        outs.push_back(b_.fully_connected(x, w, bias, act, name, outq()));
        break;
      }
      Conv2DOptions o;
      const bool tr = op.opcode == fb::OpCode::CONV_TRANSPOSE_2D;
      const auto* c = tr ? nullptr : op.options.AsConv2DOptions();
      const auto* ct = tr ? op.options.AsConv2DOptions() : nullptr;
      (void)ct;
      auto fill = [&](const std::vector<int32_t>& pad, int32_t sh, int32_t sw, int32_t dh,
                      int32_t dw, int32_t g) {
        if (pad.size() == 4) o.pad_top = pad[0], o.pad_left = pad[1], o.pad_bottom = pad[2], o.pad_right = pad[3];
        o.stride_h = sh, o.stride_w = sw, o.dilation_h = dh, o.dilation_w = dw, o.groups = g;
      };
      if (!tr) {
        fill(c->padding, c->stride_h, c->stride_w, c->dilation_h, c->dilation_w, c->groups);
        outs.push_back(b_.conv2d(x, w, bias, o, act, name, outq()));
      } else {
        const auto* d = op.options.AsConvTranspose2DOptions();
        fill(d->padding, d->stride_h, d->stride_w, d->dilation_h, d->dilation_w, d->groups);
        // output_padding is not stored: recover it from the output shape.
        const auto& xs = t(op.inputs[0]).shape;
        const auto& ws = t(op.inputs[1]).shape;
        o.output_padding_h = ys[1] - (o.stride_h * (xs[1] - 1) + (ws[1] - 1) * o.dilation_h + 1 -
                                      o.pad_top - o.pad_bottom);
        o.output_padding_w = ys[2] - (o.stride_w * (xs[2] - 1) + (ws[2] - 1) * o.dilation_w + 1 -
                                      o.pad_left - o.pad_right);
        outs.push_back(b_.conv_transpose2d(x, w, bias, o, act, name, outq()));
      }
      break;
    }
    case fb::OpCode::MATMUL: outs.push_back(b_.matmul(in(0), in(1), name, outq())); break;
    case fb::OpCode::ADD: outs.push_back(b_.add(in(0), in(1), act, name, outq())); break;
    case fb::OpCode::SUB: outs.push_back(b_.sub(in(0), in(1), act, name, outq())); break;
    case fb::OpCode::MUL: outs.push_back(b_.mul(in(0), in(1), act, name, outq())); break;
    case fb::OpCode::DIV: outs.push_back(b_.div(in(0), in(1), act, name)); break;
    case fb::OpCode::CLAMP: outs.push_back(b_.clamp(in(0), act, name, outq())); break;
    case fb::OpCode::HARD_SWISH: outs.push_back(b_.hard_swish(in(0), name, outq())); break;
    case fb::OpCode::HARD_SIGMOID: {
      const auto* h = op.options.AsHardSigmoidOptions();
      outs.push_back(b_.hard_sigmoid(in(0), h ? h->alpha : 0.2f, h ? h->beta : 0.5f, name, outq()));
      break;
    }
    case fb::OpCode::SIGMOID:
      // The output is in (0, 1): a fixed scale uses every code.
      outs.push_back(b_.sigmoid(in(0), name, q8 ? Quant::per_tensor(1.0f / 256, -128) : Quant{}));
      break;
    case fb::OpCode::TANH:
      outs.push_back(b_.tanh(in(0), name, q8 ? Quant::per_tensor(1.0f / 128, 0) : Quant{}));
      break;
    case fb::OpCode::LEAKY_RELU: {
      const auto* l = op.options.AsLeakyReluOptions();
      outs.push_back(b_.leaky_relu(in(0), l ? l->alpha : 0.01f, name, outq()));
      break;
    }
    case fb::OpCode::PRELU: outs.push_back(b_.prelu(in(0), in(1), name, outq())); break;
    case fb::OpCode::MAX_POOL_2D:
    case fb::OpCode::AVERAGE_POOL_2D: {
      const auto* po = op.options.AsPool2DOptions();
      Pool2DOptions o;
      o.kernel_h = po->kernel_h, o.kernel_w = po->kernel_w;
      o.stride_h = po->stride_h, o.stride_w = po->stride_w;
      o.dilation_h = po->dilation_h, o.dilation_w = po->dilation_w;
      if (po->padding.size() == 4) {
        o.pad_top = po->padding[0], o.pad_left = po->padding[1];
        o.pad_bottom = po->padding[2], o.pad_right = po->padding[3];
      }
      o.count_include_pad = po->count_include_pad;
      // ceil_mode is not stored: recover it from the output shape.
      const auto& xs = t(op.inputs[0]).shape;
      const int32_t span = xs[1] + o.pad_top + o.pad_bottom - (o.dilation_h * (o.kernel_h - 1) + 1);
      o.ceil_mode = span >= 0 && span / o.stride_h + 1 != ys[1];
      if (op.opcode == fb::OpCode::MAX_POOL_2D) {
        outs.push_back(b_.max_pool2d(in(0), o, name));
      } else {
        outs.push_back(b_.average_pool2d(in(0), o, name, outq()));
      }
      break;
    }
    case fb::OpCode::MEAN: {
      const auto* mo = op.options.AsMeanOptions();
      outs.push_back(b_.mean(in(0), mo->axes, mo->keep_dims, name, outq()));
      break;
    }
    case fb::OpCode::CONCAT: {
      std::vector<Id> xs;
      for (size_t k = 0; k < op.inputs.size(); ++k) xs.push_back(in(k));
      outs.push_back(b_.concat(xs, op.options.AsConcatOptions()->axis, name, outq()));
      break;
    }
    case fb::OpCode::SPLIT: {
      std::vector<int32_t> sizes;
      int32_t axis = op.options.AsSplitOptions()->axis;
      if (axis < 0) axis += static_cast<int32_t>(ys.size());
      for (int32_t o : op.outputs) sizes.push_back(t(o).shape.at(axis));
      outs = b_.split(in(0), axis, sizes, name);
      break;
    }
    case fb::OpCode::SLICE: {
      const auto* so = op.options.AsSliceOptions();
      const auto& xs = t(op.inputs[0]).shape;
      std::vector<int32_t> end(ys.size());
      for (size_t d = 0; d < ys.size(); ++d) {
        int32_t e = so->begin[d] + so->step[d] * ys[d];
        if (e < 0) e -= xs[d];  // "before index 0" for negative steps
        end[d] = e;
      }
      outs.push_back(b_.slice(in(0), so->begin, end, so->step, name));
      break;
    }
    case fb::OpCode::RESHAPE: outs.push_back(b_.reshape(in(0), ys, name)); break;
    case fb::OpCode::TRANSPOSE:
      outs.push_back(b_.transpose(in(0), op.options.AsTransposeOptions()->perm, name));
      break;
    case fb::OpCode::PAD: {
      const auto* po = op.options.AsPadOptions();
      outs.push_back(b_.pad(in(0), po->pads, static_cast<PadMode>(po->mode), po->value, name));
      break;
    }
    case fb::OpCode::RESIZE: {
      const auto* ro = op.options.AsResizeOptions();
      ResizeOptions o;
      o.mode = static_cast<ResizeMode>(ro->mode);
      o.coordinate_transform = static_cast<CoordinateTransform>(ro->coordinate_transform);
      o.nearest_rounding = static_cast<NearestRounding>(ro->nearest_rounding);
      o.scale_h = ro->scale_h, o.scale_w = ro->scale_w;
      outs.push_back(b_.resize(in(0), ys[1], ys[2], o, name, outq()));
      break;
    }
    case fb::OpCode::SOFTMAX: {
      const auto* so = op.options.AsSoftmaxOptions();
      outs.push_back(b_.softmax(in(0), so ? so->beta : 1.0f, name,
                                q8 ? Quant::per_tensor(1.0f / 256, -128) : Quant{}));
      break;
    }
    case fb::OpCode::QUANTIZE:
    case fb::OpCode::DEQUANTIZE:
      fail("the model is already quantized (" + name + " is a " + fb::EnumNameOpCode(op.opcode) +
           "); quantize the fp32 model");
  }
  if (!op.source_nodes.empty()) b_.set_source_nodes(name, op.source_nodes);
  if (outs.size() != op.outputs.size()) fail("internal: " + name + " output count mismatch");
  for (size_t k = 0; k < outs.size(); ++k) {
    const int32_t o = op.outputs[k];
    (q8 ? qid_ : fid_)[o] = outs[k];
    if (q8 && rep_) {
      auto it = rep_->ranges.find(t(o).name);
      if (it != rep_->ranges.end() && b_.dtype(outs[k]) == DType::kInt8) {
        const Quant& bq = b_.quant(outs[k]);
        // Record the range only where this tensor's own range set the scale.
        const Quant own = activation_quant(it->second.min, it->second.max);
        if (bq.scale == own.scale) {
          b_.set_calibration(outs[k], {it->second.min}, {it->second.max}, it->second.method);
        }
      }
    }
  }
  if (rep_) (q8 ? rep_->int8_ops : rep_->fp32_ops)++;
}

// ------------------------------------------------------- int16 (16×8) layers

// Symmetric int16 over [lo, hi] (zero point 0, codes ±32767).
Quant Emitter::quant16_for(int32_t i, const fb::OperatorT* producer) {
  quant_for(i, producer);  // the same range lookup, narrowing and report entry
  const TensorRange& r = rep_->ranges.at(t(i).name);
  const double amax = std::max({std::fabs(double(r.min)), std::fabs(double(r.max)), 1e-6});
  return Quant::per_tensor(static_cast<float>(amax / 32767.0), 0);
}

ModelBuilder::Id Emitter::get_q16(int32_t i) {
  if (q16id_[i] >= 0) return q16id_[i];
  if (is_const(i)) fail("internal: int16 operand '" + t(i).name + "' is a constant");
  const Quant q = quant16_for(i, nullptr);
  // From the int8 tensor when there is one (an integer requantization),
  // else from the float value.
  const Id src = qid_[i] >= 0 ? qid_[i] : get_f(i);
  q16id_[i] = b_.quantize(src, DType::kInt16, q, t(i).name + "/int16");
  const TensorRange& r = rep_->ranges.at(t(i).name);
  b_.set_calibration(q16id_[i], {r.min}, {r.max}, r.method);
  ++rep_->quantize_ops;
  return q16id_[i];
}

// CONV_2D / FULLY_CONNECTED: int16 input and output, int8 per-channel
// weights, int64 bias at s_in·s_w[c].
void Emitter::emit_int16(const fb::OperatorT& op) {
  const std::string& name = op.name;
  const Id x = get_q16(op.inputs.at(0));
  std::vector<float> s_w;
  const int32_t wt = op.inputs[1];
  const Id w = quantize_weights(wt, t(wt).name, &s_w);
  const float s_in = b_.quant(x).scale.at(0);
  Id bias = ModelBuilder::kNone;
  const int32_t oc = t(wt).shape.at(0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const std::vector<float> bv = const_f32(op.inputs[2]);
    std::vector<int64_t> q(bv.size());
    std::vector<float> scales(bv.size());
    for (size_t c = 0; c < bv.size(); ++c) {
      const double s = double(s_in) * s_w[c];
      scales[c] = static_cast<float>(s);
      q[c] = static_cast<int64_t>(std::clamp(std::nearbyint(bv[c] / s), -0x1p62, 0x1p62));
    }
    Quant bq = Quant::per_channel(scales, 0);
    bq.zero_point.assign(bv.size(), 0);
    bias = b_.constant(t(op.inputs[2]).name, DType::kInt64, {oc}, q.data(), q.size() * 8, bq);
  }
  Activation act;
  act.kind = static_cast<Activation::Kind>(op.activation);
  act.min = std::isfinite(op.act_min) ? op.act_min : 0;
  act.max = std::isfinite(op.act_max) ? op.act_max : 0;
  const int32_t y = op.outputs.at(0);
  const Quant yq = quant16_for(y, &op);
  Id out;
  if (op.opcode == fb::OpCode::FULLY_CONNECTED) {
    out = b_.fully_connected(x, w, bias, act, name, yq);
  } else {
    const auto* c = op.options.AsConv2DOptions();
    Conv2DOptions o;
    if (c->padding.size() == 4) {
      o.pad_top = c->padding[0], o.pad_left = c->padding[1];
      o.pad_bottom = c->padding[2], o.pad_right = c->padding[3];
    }
    o.stride_h = c->stride_h, o.stride_w = c->stride_w;
    o.dilation_h = c->dilation_h, o.dilation_w = c->dilation_w, o.groups = c->groups;
    out = b_.conv2d(x, w, bias, o, act, name, yq);
  }
  if (!op.source_nodes.empty()) b_.set_source_nodes(name, op.source_nodes);
  const TensorRange& r = rep_->ranges.at(t(y).name);
  b_.set_calibration(out, {r.min}, {r.max}, r.method);
  q16id_[y] = out;
  ++rep_->int16_ops;
}

std::vector<uint8_t> Emitter::run() {
  b_.set_description("octet quantize 0.1.0", m_.source,
                     (m_.description.empty() ? std::string("model") : m_.description) +
                         ", int8 post-training quantization");
  for (const auto& md : m_.metadata) {
    if (md->key.rfind("quant.", 0) != 0) b_.add_metadata(md->key, md->value);
  }
  for (int32_t i : m_.inputs) {
    if (t(i).dtype != fb::DType::FLOAT32) {
      fail("input '" + t(i).name + "' is " + fb::EnumNameDType(t(i).dtype) +
           ": the quantizer takes an fp32 model");
    }
    const auto io_in = io.inputs.find(t(i).name);  // integer device input (io_types.h)
    if (io_in != io.inputs.end() && io_in->second.type != IoType::kFloat32) {
      const Quant internal =
          io_in->second.internal.empty() ? quant_for(i, nullptr) : io_in->second.internal;
      qid_[i] = emit_input(&b_, t(i).name, io_in->second, t(i).shape, internal,
                           rep_ ? &rep_->quantize_ops : nullptr);
      continue;
    }
    fid_[i] = b_.input(t(i).name, DType::kFloat32, t(i).shape);
  }
  for (const auto& op : m_.operators) op_names_.insert(op->name);
  std::set<std::string> used;
  for (const auto& op : m_.operators) {
    const Precision p = precision_of(*op, &used);
    if (rep_) {
      NodeReport n;
      n.name = op->name;
      n.opcode = fb::EnumNameOpCode(op->opcode);
      n.source_nodes = op->source_nodes;
      n.precision = p;
      for (int32_t o : op->outputs) n.outputs.push_back(t(o).name);
      rep_->nodes.push_back(std::move(n));
    }
    emit(*op, p);
  }
  for (const auto& [key, p] : o_.precision) {
    if (!used.count(key)) {
      std::string known;
      for (const auto& op : m_.operators) known += (known.empty() ? "" : ", ") + op->name;
      fail("--precision " + key + "=" + precision_name(p) + ": no operator or source node named '" +
           key + "' (operators: " + known + ")");
    }
  }
  // Graph outputs stay float, under their original names, unless an integer
  // device type is asked for (io_types.h).
  std::set<std::string> out_names;
  for (int32_t o : m_.outputs) out_names.insert(t(o).name);
  std::vector<Id> out_id(m_.tensors.size(), ModelBuilder::kNone);
  for (int32_t o : m_.outputs) {
    const auto ot = io.outputs.find(t(o).name);
    if (ot == io.outputs.end() || ot->second == IoType::kFloat32) continue;
    out_id[o] = emit_output(&b_, t(o).name, ot->second, get_q(o), rep_ ? &rep_->quantize_ops : nullptr);
    if (fid_[o] >= 0) b_.rename(fid_[o], t(o).name + "/float");
  }
  for (int32_t o : m_.outputs) {
    if (out_id[o] >= 0) continue;
    if (qid_[o] >= 0 && fid_[o] < 0) {
      fid_[o] = b_.dequantize(qid_[o], t(o).name + "/dequantize");
      if (rep_) ++rep_->dequantize_ops;
    }
    if (fid_[o] < 0 && q16id_[o] >= 0) get_f(o);  // an int16 layer's output
  }
  // Rename tensors that would clash with an output name, then the outputs.
  for (size_t i = 0; i < m_.tensors.size(); ++i) {
    if (qid_[i] >= 0 && out_names.count(t(static_cast<int32_t>(i)).name)) {
      b_.rename(qid_[i], t(static_cast<int32_t>(i)).name + "/int8");
    }
    if (q16id_[i] >= 0 && out_names.count(t(static_cast<int32_t>(i)).name)) {
      b_.rename(q16id_[i], t(static_cast<int32_t>(i)).name + "/int16");
    }
  }
  for (int32_t o : m_.outputs) {
    const Id y = out_id[o] >= 0 ? out_id[o] : fid_[o];
    b_.rename(y, t(o).name);
    b_.output(y);
  }
  b_.add_metadata("quant.tool", "octet quantize 0.1.0");
  b_.add_metadata("quant.activations", "int8 asymmetric per tensor");
  b_.add_metadata("quant.weights", o_.per_channel ? "int8 symmetric per channel"
                                                   : "int8 symmetric per tensor");
  b_.add_metadata("quant.bias", "int32, scale s_in*s_w");
  b_.add_metadata("quant.method", o_.method.to_string());
  if (o_.bias_correction) b_.add_metadata("quant.bias_correction", "on");
  if (!o_.calibration_note.empty()) b_.add_metadata("quant.calibration", o_.calibration_note);
  std::string prec;
  for (const auto& [k, p] : o_.precision) prec += (prec.empty() ? "" : ",") + k + "=" + precision_name(p);
  if (!prec.empty()) b_.add_metadata("quant.precision", prec);
  try {
    return b_.finish();
  } catch (const std::exception& e) {
    fail(std::string("cannot write the quantized model: ") + e.what());
  }
}

}  // namespace

std::vector<uint8_t> quantize_model(const std::vector<uint8_t>& fp32_model,
                                    const std::map<std::string, TensorRange>& ranges,
                                    const QuantizeOptions& options, QuantizeReport* report) {
  const auto m = unpack(fp32_model);
  QuantizeReport local;
  // Device I/O first: it may rewrite the input layout and fold the
  // normalization into the first layer (io_types.h).
  std::map<std::string, TensorRange> io_ranges = ranges;
  IoPlan io = prepare_io(m.get(), options.io, &io_ranges);
  if (report) report->io_notes = io.notes;
  // Bias correction must not use the normalized input's means for a layer
  // whose weights now take the raw input.
  QuantizeOptions io_options = options;
  std::map<std::string, std::vector<double>> means;
  if (options.bias_correction && !io.folded_inputs.empty()) {
    means = *options.bias_correction;
    for (const auto& n : io.folded_inputs) means.erase(n);
    io_options.bias_correction = &means;
  }
  Emitter e(*m, io_ranges, io_options, report ? report : &local);
  e.io = std::move(io);
  try {
    return e.run();
  } catch (const std::invalid_argument& ex) {  // ModelBuilder
    fail(ex.what());
  }
}

// ------------------------------------------------------------------ config

std::string write_config(const QuantizeOptions& o, const QuantizeReport& rep) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["octet_quantization_config"] = 1;
  j["method"] = o.method.to_string();
  j["weights"] = o.per_channel ? "per_channel" : "per_tensor";
  if (!o.calibration_note.empty()) j["calibration"] = o.calibration_note;
  ordered_json nodes = ordered_json::array();
  for (const auto& n : rep.nodes) {
    ordered_json e;
    e["name"] = n.name;
    e["op"] = n.opcode;
    e["source_nodes"] = n.source_nodes;
    e["precision"] = precision_name(n.precision);
    e["outputs"] = n.outputs;
    nodes.push_back(e);
  }
  j["nodes"] = nodes;
  ordered_json ranges = ordered_json::object();
  for (const auto& [name, r] : rep.ranges) {
    ranges[name] = {{"min", r.min}, {"max", r.max}, {"method", r.method}};
  }
  j["ranges"] = ranges;
  return j.dump(2) + "\n";
}

void read_config(const std::string& text, const std::string& source, QuantizeOptions* o) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    fail(source + ": not valid JSON (" + e.what() + ")");
  }
  try {
    if (!j.is_object() || !j.contains("octet_quantization_config")) {
      fail(source + ": not an octet quantization config (no \"octet_quantization_config\" key)");
    }
    if (j.contains("method")) o->method = parse_range_method(j["method"].get<std::string>());
    if (j.contains("weights")) {
      const std::string w = j["weights"].get<std::string>();
      if (w != "per_channel" && w != "per_tensor") {
        fail(source + ": \"weights\" must be per_channel or per_tensor");
      }
      o->per_channel = w == "per_channel";
    }
    if (j.contains("calibration")) o->calibration_note = j["calibration"].get<std::string>();
    if (j.contains("nodes")) {
      for (const auto& n : j["nodes"]) {
        const std::string name = n.at("name").get<std::string>();
        const Precision p = parse_precision(n.value("precision", std::string("int8")));
        // Only non-default choices become overrides; int8 where the op has
        // no int8 kernel is the proposal, not a request.
        if (p != Precision::kInt8 && !o->precision.count(name)) o->precision[name] = p;
      }
    }
    if (j.contains("ranges")) {
      for (const auto& [name, r] : j["ranges"].items()) {
        TensorRange tr;
        tr.min = r.at("min").get<float>();
        tr.max = r.at("max").get<float>();
        if (!(tr.min <= tr.max)) fail(source + ": range of '" + name + "' has min > max");
        tr.method = r.value("method", std::string("config"));
        o->ranges[name] = tr;
      }
    }
  } catch (const QuantizeError&) {
    throw;
  } catch (const std::exception& e) {
    fail(source + ": " + e.what());
  }
}

// ------------------------------------------------- automatic mixed precision

namespace {

// Output 0 of `model` on every sample, as floats.
std::vector<std::vector<float>> run_outputs(const std::vector<uint8_t>& bytes, const Dataset& data) {
  Model m = load(bytes);
  Interpreter it;
  Status s = it.create(m);
  if (!s) fail("cannot prepare the model: " + s.to_string());
  const octet_tensor_info out = m.output_info(0);
  if (out.dtype != OCTET_FLOAT32) fail("automatic mixed precision needs a float32 output");
  std::vector<std::vector<float>> r;
  std::vector<float> sample(data.sample_elements());
  for (size_t i = 0; i < data.size(); ++i) {
    data.get(i, sample.data());
    if (!(s = it.set_input(0, sample.data(), sample.size() * 4)) || !(s = it.invoke())) {
      fail(s.to_string());
    }
    const float* o = it.output<float>(0);
    r.emplace_back(o, o + out.bytes / 4);
  }
  return r;
}

struct OutputError {
  double disagreement = 0;  // %
  double mse = 0;
};

OutputError compare_outputs(const std::vector<std::vector<float>>& ref,
                            const std::vector<std::vector<float>>& got) {
  OutputError e;
  size_t differ = 0, n = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const auto& a = ref[i];
    const auto& b = got[i];
    differ += std::max_element(a.begin(), a.end()) - a.begin() !=
              std::max_element(b.begin(), b.end()) - b.begin();
    for (size_t k = 0; k < a.size(); ++k) e.mse += double(a[k] - b[k]) * (a[k] - b[k]), ++n;
  }
  e.disagreement = ref.empty() ? 0 : 100.0 * double(differ) / double(ref.size());
  e.mse = n ? e.mse / double(n) : 0;
  return e;
}

}  // namespace

std::vector<uint8_t> auto_mixed_precision(const std::vector<uint8_t>& fp32,
                                          const std::map<std::string, TensorRange>& ranges,
                                          QuantizeOptions* o, const Dataset& data, double max_drop,
                                          std::vector<PrecisionStep>* steps, double* initial) {
  const auto ref = run_outputs(fp32, data);
  QuantizeReport rep;
  std::vector<uint8_t> best_model = quantize_model(fp32, ranges, *o, &rep);
  OutputError cur = compare_outputs(ref, run_outputs(best_model, data));
  if (initial) *initial = cur.disagreement;
  while (cur.disagreement > max_drop) {
    std::string best_node, best_op;
    OutputError best{1e300, 1e300};
    // Candidates: every int8 operator raised to int16 (where it has int16
    // kernels) or fp32, every int16 one raised to fp32. int16 stays
    // integer-only, so an int16 raise that meets the budget wins over any
    // fp32 raise; otherwise the lowest disagreement (then MSE) wins.
    Precision best_to = Precision::kFp32;
    auto rank = [&](const OutputError& e, Precision to) {
      return std::make_tuple(to == Precision::kInt16 && e.disagreement <= max_drop ? 0 : 1,
                             e.disagreement, e.mse, to == Precision::kInt16 ? 0 : 1);
    };
    for (const auto& n : rep.nodes) {
      if (n.precision == Precision::kFp32) continue;
      for (Precision to : {Precision::kInt16, Precision::kFp32}) {
        if (to == Precision::kInt16 && n.precision != Precision::kInt8) continue;
        QuantizeOptions trial = *o;
        trial.precision[n.name] = to;
        std::vector<uint8_t> m;
        try {
          m = quantize_model(fp32, ranges, trial);
        } catch (const QuantizeError&) {
          if (to == Precision::kInt16) continue;  // no int16 kernel for this operator
          throw;
        }
        const OutputError e = compare_outputs(ref, run_outputs(m, data));
        if (best_node.empty() || rank(e, to) < rank(best, best_to)) {
          best = e, best_node = n.name, best_op = n.opcode, best_model = m, best_to = to;
        }
      }
    }
    if (best_node.empty()) break;  // everything is fp32 already
    if (steps) {
      steps->push_back({best_node, best_op, cur.disagreement, best.disagreement, best.mse, best_to});
    }
    o->precision[best_node] = best_to;
    cur = best;
    rep = QuantizeReport{};
    quantize_model(fp32, ranges, *o, &rep);
  }
  QuantizeReport final_rep;
  return quantize_model(fp32, ranges, *o, &final_rep);
}

// -------------------------------------------------------------- evaluation

EvalResult evaluate(const std::vector<uint8_t>& bytes, const Dataset& data,
                    const std::vector<int64_t>& labels, const Progress& progress) {
  Model m = load(bytes);
  if (m.num_inputs() != 1) fail("evaluation supports single-input models");
  const octet_tensor_info in = m.input_info(0);
  const octet_tensor_info out = m.output_info(0);
  // float32, or an integer input fed raw / quantized (io_types.h).
  const InputFeed feed = input_feed(m.get(), 0);
  const size_t in_elements = in.bytes / octet_dtype_size(in.dtype);
  if (in_elements != data.sample_elements()) {
    fail("samples have " + std::to_string(data.sample_elements()) + " values; the model input needs " +
         std::to_string(in_elements));
  }
  if (labels.size() < data.size()) {
    fail(std::to_string(labels.size()) + " labels for " + std::to_string(data.size()) + " samples");
  }
  Interpreter it;
  Status s = it.create(m);
  if (!s) fail("cannot prepare the model: " + s.to_string());
  EvalResult r;
  const size_t classes = out.bytes / octet_dtype_size(out.dtype);
  std::vector<float> sample(data.sample_elements()), scores(classes);
  std::vector<size_t> order(classes);
  double total_us = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    data.get(i, sample.data());
    feed_input(feed, sample.data(), sample.size(), it.input<void>(0));
    const auto t0 = std::chrono::steady_clock::now();
    if (!(s = it.invoke())) fail("invoke failed: " + s.to_string());
    total_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    const void* o = it.output<void>(0);
    for (size_t c = 0; c < classes; ++c) {
      switch (out.dtype) {
        case OCTET_FLOAT32: scores[c] = static_cast<const float*>(o)[c]; break;
        case OCTET_INT8: scores[c] = out.scale * (static_cast<const int8_t*>(o)[c] - out.zero_point); break;
        case OCTET_UINT8: scores[c] = out.scale * (static_cast<const uint8_t*>(o)[c] - out.zero_point); break;
        default: fail("evaluation needs a float32 or int8 output");
      }
    }
    for (size_t c = 0; c < classes; ++c) order[c] = c;
    const size_t k = std::min<size_t>(5, classes);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](size_t a, size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
    const int64_t label = labels[i];
    r.top1 += static_cast<int64_t>(order[0]) == label;
    for (size_t j = 0; j < k; ++j) r.top5 += static_cast<int64_t>(order[j]) == label;
    r.predictions.push_back(static_cast<int32_t>(order[0]));
    ++r.samples;
    if (progress) progress(i + 1, data.size());
  }
  r.micros_per_sample = r.samples ? total_us / double(r.samples) : 0;
  return r;
}

}  // namespace octet::ptq
