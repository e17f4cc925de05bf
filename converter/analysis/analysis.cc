// SPDX-License-Identifier: Apache-2.0
//
// Each sample runs four times: the float model (its observer copies every
// activation a layer is compared with), the int8 model as it is (entire
// mode), the float model again with every activation fake-quantized with
// the int8 tensor's parameters right after it is produced (so each float
// operator sees the quantized inputs its int8 twin will see: the reference
// of the individual mode), and the int8 model with every mapped output
// overwritten by the quantized float value (individual mode). Comparing the
// int8 operator with the float operator fed the *same* quantized inputs
// charges a range that clips to the layer that produces the clipped tensor,
// not to every layer that consumes it. The substitution goes through the observer the C API
// already offers (it may overwrite the outputs of the operator it is called
// for), so the runtime needs nothing new and the int8 kernels that run are
// exactly the ones a deployment runs.
#include "converter/analysis/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>

#include "converter/ptq/quantizer.h"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"

namespace octet::analysis {

namespace fb = octet::schema;

namespace {

[[noreturn]] void fail(const std::string& what) { throw AnalysisError(what); }

const fb::Model* parse(const std::vector<uint8_t>& bytes, const char* which) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()) || !fb::VerifyModelBuffer(v)) {
    fail(std::string("the ") + which + " model is not a valid .octet model");
  }
  return fb::GetModel(bytes.data());
}

Model load(const std::vector<uint8_t>& bytes, const char* which) {
  Model m;
  const Status s = m.load_buffer(bytes.data(), bytes.size());
  if (!s) fail(std::string("cannot load the ") + which + " model: " + s.to_string());
  return m;
}

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

size_t numel(const fb::Tensor* t) {
  size_t n = 1;
  if (t->shape()) {
    for (int32_t d : *t->shape()) n *= static_cast<size_t>(std::max(d, 0));
  }
  return n;
}

bool has_weights(fb::OpCode c) {
  return c == fb::OpCode::CONV_2D || c == fb::OpCode::CONV_TRANSPOSE_2D ||
         c == fb::OpCode::FULLY_CONNECTED;
}

std::string metadata(const fb::Model* m, const std::string& key) {
  if (!m->metadata()) return {};
  for (const auto* md : *m->metadata()) {
    if (str(md->key()) == key) return str(md->value());
  }
  return {};
}

size_t argmax(const float* v, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

// Quantizes as the QUANTIZE kernel does (round half to even, clamp).
void quantize_like_runtime(const float* x, int8_t* q, size_t n, float scale, int32_t zp) {
  const float lo = static_cast<float>(-128 - zp), hi = static_cast<float>(127 - zp);
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    float r = std::isnan(v) ? 0.0f : std::nearbyint(v);
    r = r < lo ? lo : (r > hi ? hi : r);
    q[i] = static_cast<int8_t>(static_cast<int32_t>(r) + zp);
  }
}

Bins rebin(const ptq::Histogram& h, double lo, double hi, int32_t bins) {
  Bins b;
  b.lo = lo, b.hi = hi;
  b.counts.assign(static_cast<size_t>(bins), 0.0);
  if (h.empty() || !(hi > lo)) return b;
  const double w = h.bin_width(), dw = (hi - lo) / bins;
  auto put = [&](double center, double count) {
    if (count == 0) return;
    const double k = std::floor((center - lo) / dw);
    b.counts[static_cast<size_t>(std::clamp(k, 0.0, double(bins - 1)))] += count;
  };
  for (size_t i = 0; i < h.positive().size(); ++i) put((double(i) + 0.5) * w, h.positive()[i]);
  for (size_t i = 0; i < h.negative().size(); ++i) put(-(double(i) + 0.5) * w, h.negative()[i]);
  // Exact zeros sit in positive bin 0; put them at 0 itself.
  return b;
}

struct Runner {
  const octet_model* model = nullptr;
  // int8 side: per operator, the layers (indices into Analysis::layers) of
  // its outputs; per tensor, the float tensor it mirrors.
  std::vector<std::vector<int32_t>> op_layers;
  std::vector<int32_t> float_of;          // int8 tensor -> float tensor or -1
  std::vector<std::vector<float>>* refs;  // float tensor -> this sample's values
  // float tensor -> the float operator's output on fake-quantized inputs
  std::vector<std::vector<float>>* local;
  std::vector<Layer>* layers;
  std::vector<float> scratch;
  bool individual = false;

  // Float side.
  std::vector<ptq::Histogram*> hist;      // float tensor -> histogram or null
  bool fake_quant = false;
  // float tensor -> int8 parameters of its int8 twin (scale 0: float twin,
  // scale < 0: no twin)
  std::vector<float> q_scale;
  std::vector<int32_t> q_zero;
};

void fake_quantize(const float* x, float* y, size_t n, float scale, int32_t zp) {
  const float lo = static_cast<float>(-128 - zp), hi = static_cast<float>(127 - zp);
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i] / scale;
    float r = std::isnan(v) ? 0.0f : std::nearbyint(v);
    r = r < lo ? lo : (r > hi ? hi : r);
    y[i] = scale * r;
  }
}

int observe_float(void* user, const octet_interpreter* it, int32_t op) {
  auto* r = static_cast<Runner*>(user);
  octet_operator_info info{};
  if (octet_model_operator_info(r->model, op, &info) != OCTET_OK) return 0;
  for (int32_t k = 0; k < info.num_outputs; ++k) {
    const int32_t t = info.outputs[k];
    if (t < 0) continue;
    octet_tensor_info ti{};
    octet_model_tensor_info(r->model, t, &ti);
    if (ti.dtype != OCTET_FLOAT32) continue;
    auto* data = static_cast<float*>(octet_interpreter_tensor_data(it, t));
    if (data == nullptr) continue;
    const size_t n = ti.bytes / sizeof(float);
    auto& ref = (*r->refs)[t];
    if (!r->fake_quant) {
      if (r->hist[t]) r->hist[t]->add(data, n);
      if (!ref.empty()) std::memcpy(ref.data(), data, n * sizeof(float));
      continue;
    }
    auto& local = (*r->local)[t];
    if (ref.empty() || local.size() != n) continue;
    std::memcpy(local.data(), data, n * sizeof(float));
    // Continue as the int8 individual run will: the true float value,
    // quantized with the int8 twin's parameters.
    if (r->q_scale[t] > 0) {
      fake_quantize(ref.data(), data, n, r->q_scale[t], r->q_zero[t]);
    } else if (r->q_scale[t] == 0) {
      std::memcpy(data, ref.data(), n * sizeof(float));
    }
  }
  return 0;
}

int observe_int8(void* user, const octet_interpreter* it, int32_t op) {
  auto* r = static_cast<Runner*>(user);
  octet_operator_info info{};
  if (octet_model_operator_info(r->model, op, &info) != OCTET_OK) return 0;
  for (int32_t li : r->op_layers[op]) {
    Layer& L = (*r->layers)[li];
    const int32_t t = info.outputs[L.output];
    octet_tensor_info ti{};
    octet_model_tensor_info(r->model, t, &ti);
    const auto& ref = (r->individual ? *r->local : *r->refs)[r->float_of[t]];
    const void* data = octet_interpreter_tensor_data(it, t);
    if (data == nullptr) continue;
    const size_t n = ref.size();
    float* y = r->scratch.data();
    float lo = -INFINITY, hi = INFINITY, step = 0;
    if (ti.dtype == OCTET_INT8) {
      const auto* q = static_cast<const int8_t*>(data);
      for (size_t i = 0; i < n; ++i) y[i] = L.scale * float(int32_t(q[i]) - L.zero_point);
      lo = L.scale * float(-128 - L.zero_point);
      hi = L.scale * float(127 - L.zero_point);
      step = L.scale;
    } else {
      std::memcpy(y, data, n * sizeof(float));
    }
    (r->individual ? L.individual : L.entire).add(ref.data(), y, n, lo, hi, step);
  }
  if (!r->individual) return 0;
  // Individual mode: every output with a float counterpart continues as the
  // float value, quantized with this tensor's own parameters.
  for (int32_t k = 0; k < info.num_outputs; ++k) {
    const int32_t t = info.outputs[k];
    if (t < 0 || r->float_of[t] < 0) continue;
    const auto& ref = (*r->refs)[r->float_of[t]];
    octet_tensor_info ti{};
    octet_model_tensor_info(r->model, t, &ti);
    void* data = octet_interpreter_tensor_data(it, t);
    if (data == nullptr) continue;
    if (ti.dtype == OCTET_INT8 && ti.bytes == ref.size()) {
      quantize_like_runtime(ref.data(), static_cast<int8_t*>(data), ref.size(), ti.scale,
                            ti.zero_point);
    } else if (ti.dtype == OCTET_FLOAT32 && ti.bytes == ref.size() * sizeof(float)) {
      std::memcpy(data, ref.data(), ti.bytes);
    }
  }
  return 0;
}

// Output 0 of `bytes` over the samples against the stored float outputs.
Candidate measure(const std::vector<uint8_t>& bytes, const ptq::Dataset& data,
                  const std::vector<std::vector<float>>& float_out, bool classifier) {
  Model m = load(bytes, "re-quantized");
  Interpreter it;
  Status s = it.create(m);
  if (!s) fail("cannot prepare the re-quantized model: " + s.to_string());
  std::vector<float> x(data.sample_elements());
  ErrorStats e;
  size_t agree = 0;
  for (size_t i = 0; i < float_out.size(); ++i) {
    data.get(i, x.data());
    if (!(s = it.set_input(0, x.data(), x.size() * sizeof(float))) || !(s = it.invoke())) {
      fail("re-quantized model: " + s.to_string());
    }
    const float* y = it.output<float>(0);
    const auto& f = float_out[i];
    e.add(f.data(), y, f.size(), -INFINITY, INFINITY, 0);
    if (classifier) agree += argmax(f.data(), f.size()) == argmax(y, f.size());
  }
  Candidate c;
  c.output_sqnr_db = e.sqnr_db();
  c.output_cosine = e.cosine();
  c.top1_agreement = float_out.empty() ? 0 : 100.0 * double(agree) / double(float_out.size());
  return c;
}

}  // namespace

std::string format_db(double db) {
  if (std::isinf(db)) return db > 0 ? "exact" : "-inf";
  char b[32];
  snprintf(b, sizeof b, "%.1f", db);
  return b;
}

Analysis analyze(const std::vector<uint8_t>& fp32_bytes, const std::vector<uint8_t>& int8_bytes,
                 const ptq::Dataset& data, const Options& options, const Progress& progress) {
  const fb::Model* fm = parse(fp32_bytes, "float");
  const fb::Model* qm = parse(int8_bytes, "int8");
  Model fmodel = load(fp32_bytes, "float");
  Model qmodel = load(int8_bytes, "int8");
  if (fmodel.num_inputs() != 1 || qmodel.num_inputs() != 1) {
    fail("analysis supports single-input models (the float model has " +
         std::to_string(fmodel.num_inputs()) + ", the int8 model " +
         std::to_string(qmodel.num_inputs()) + ")");
  }
  const octet_tensor_info fin = fmodel.input_info(0), qin = qmodel.input_info(0);
  if (fin.dtype != OCTET_FLOAT32) fail("the float model's input is not float32: pass the fp32 model first");
  if (qin.dtype != OCTET_FLOAT32 || fin.bytes != qin.bytes) {
    fail("the int8 model's input does not match the float model's (different model?)");
  }
  if (fin.bytes / sizeof(float) != data.sample_elements()) {
    fail("samples have " + std::to_string(data.sample_elements()) + " values; the model input '" +
         std::string(fin.name) + "' needs " + std::to_string(fin.bytes / sizeof(float)));
  }
  if (fmodel.num_outputs() < 1 || qmodel.num_outputs() < 1) fail("a model has no outputs");
  const octet_tensor_info fout = fmodel.output_info(0), qout = qmodel.output_info(0);
  if (fout.dtype != OCTET_FLOAT32 || qout.dtype != OCTET_FLOAT32 || fout.bytes != qout.bytes) {
    fail("output 0 of the two models differ in type or size (different model?)");
  }

  const auto& ft = *fm->tensors();
  const auto& qt = *qm->tensors();
  std::map<std::string, int32_t> float_tensor_by_name;
  for (int32_t i = 0; i < static_cast<int32_t>(ft.size()); ++i) float_tensor_by_name[str(ft[i]->name())] = i;
  std::map<std::string, const fb::Operator*> float_op_by_name;
  if (fm->operators()) {
    for (const auto* op : *fm->operators()) {
      if (op->opcode() == fb::OpCode::QUANTIZE || op->opcode() == fb::OpCode::DEQUANTIZE) {
        fail("the float model contains " + std::string(fb::EnumNameOpCode(op->opcode())) + " '" +
             str(op->name()) + "': pass the fp32 model first, the int8 model second");
      }
      float_op_by_name[str(op->name())] = op;
    }
  }

  Analysis a;
  Summary& S = a.summary;
  S.data = data.description();
  S.quant_method = metadata(qm, "quant.method");
  S.quant_weights = metadata(qm, "quant.weights");

  // Map every int8-model tensor to the float tensor at the same place.
  Runner r;
  r.model = qmodel.get();
  r.float_of.assign(qt.size(), -1);
  r.op_layers.assign(qm->operators() ? qm->operators()->size() : 0, {});
  auto map_tensor = [&](int32_t q, int32_t f) {
    if (q < 0 || f < 0 || qt[q]->buffer() != 0) return false;
    if (numel(qt[q]) != numel(ft[f])) return false;
    r.float_of[q] = f;
    return true;
  };
  for (int32_t i = 0; i < static_cast<int32_t>(qt.size()); ++i) {
    // Graph inputs and re-named graph outputs keep their names.
    auto it = float_tensor_by_name.find(str(qt[i]->name()));
    if (it != float_tensor_by_name.end()) map_tensor(i, it->second);
  }
  std::vector<Layer>& layers = a.layers;
  for (int32_t oi = 0; qm->operators() && oi < static_cast<int32_t>(qm->operators()->size()); ++oi) {
    const fb::Operator* op = qm->operators()->Get(oi);
    const std::string name = str(op->name());
    const auto* outs = op->outputs();
    if (!outs) continue;
    // (int8 tensor, float tensor) pairs of this operator's outputs.
    std::vector<std::pair<int32_t, int32_t>> pairs;
    const fb::Operator* fop = nullptr;
    if (op->opcode() == fb::OpCode::QUANTIZE) {
      // "T/quantize" carries float tensor T into int8: the quantization of
      // a graph input (or of a float layer's output) is a row of its own.
      const size_t slash = name.rfind("/quantize");
      if (slash != std::string::npos && slash + 9 == name.size() && outs->size() == 1) {
        auto it = float_tensor_by_name.find(name.substr(0, slash));
        if (it != float_tensor_by_name.end()) pairs.emplace_back(outs->Get(0), it->second);
      }
    } else if (op->opcode() != fb::OpCode::DEQUANTIZE) {
      auto fit = float_op_by_name.find(name);
      if (fit != float_op_by_name.end() && fit->second->outputs() &&
          fit->second->outputs()->size() == outs->size()) {
        fop = fit->second;
        for (uint32_t k = 0; k < outs->size(); ++k) pairs.emplace_back(outs->Get(k), fop->outputs()->Get(k));
      }
    }
    for (int32_t k = 0; k < static_cast<int32_t>(pairs.size()); ++k) {
      const int32_t q = pairs[k].first, f = pairs[k].second;
      if (!map_tensor(q, f)) continue;
      Layer L;
      L.depth = static_cast<int32_t>(layers.size());
      L.op = oi;
      L.name = name;
      L.opcode = fb::EnumNameOpCode(op->opcode());
      if (op->source_nodes()) {
        for (const auto* s : *op->source_nodes()) L.source_nodes.push_back(s->str());
      }
      if (L.source_nodes.empty()) L.source_nodes.push_back(fop ? name : str(ft[f]->name()));
      L.tensor = str(qt[q]->name());
      L.float_tensor = str(ft[f]->name());
      L.dtype = fb::EnumNameDType(qt[q]->dtype());
      L.output = k;
      if (qt[q]->dtype() == fb::DType::INT8) {
        const auto* qz = qt[q]->quantization();
        if (!qz || !qz->scale() || qz->scale()->size() != 1) {
          fail("int8 tensor '" + L.tensor + "' has no per-tensor scale");
        }
        L.scale = qz->scale()->Get(0);
        L.zero_point = qz->zero_point() && qz->zero_point()->size() ? int32_t(qz->zero_point()->Get(0)) : 0;
        if (qz->min() && qz->max() && qz->min()->size() == 1 && qz->max()->size() == 1) {
          L.has_calibration = true;
          L.calib_min = qz->min()->Get(0);
          L.calib_max = qz->max()->Get(0);
          L.method = str(qz->method());
        }
        ++S.int8_layers;
      } else if (qt[q]->dtype() == fb::DType::FLOAT32) {
        ++S.float_layers;
      } else {
        continue;  // int32/int16 outputs: nothing to compare
      }
      // Weights: the float model's constant and the int8 model's.
      const auto* qin_ = op->inputs();
      const auto* fin_ = fop ? fop->inputs() : nullptr;
      if (has_weights(op->opcode()) && qin_ && fin_ && qin_->size() > 1 && fin_->size() > 1 &&
          qin_->Get(1) >= 0 && fin_->Get(1) >= 0) {
        const fb::Tensor* qw = qt[qin_->Get(1)];
        const fb::Tensor* fw = ft[fin_->Get(1)];
        const auto* fbuf = fm->buffers() ? fm->buffers()->Get(fw->buffer()) : nullptr;
        const auto* qbuf = qm->buffers() ? qm->buffers()->Get(qw->buffer()) : nullptr;
        const size_t n = numel(fw);
        if (fw->dtype() == fb::DType::FLOAT32 && fbuf && fbuf->data() &&
            fbuf->data()->size() == n * 4 && fw->shape() && fw->shape()->size() >= 1) {
          WeightInfo& W = L.weights;
          L.has_weights = true;
          W.tensor = str(fw->name());
          W.shape.assign(fw->shape()->begin(), fw->shape()->end());
          std::vector<float> w(n);
          std::memcpy(w.data(), fbuf->data()->data(), n * 4);
          const auto* qz = qw->quantization();
          W.axis = qz ? qz->axis() : -1;
          if (qz && qz->scale()) W.scale.assign(qz->scale()->begin(), qz->scale()->end());
          // Output channels along the quantization axis (0 when per tensor:
          // OHWI and [out, in] both put the output channel first).
          const int32_t axis = W.axis >= 0 && W.axis < int32_t(W.shape.size()) ? W.axis : 0;
          size_t inner = 1;
          for (size_t d = size_t(axis) + 1; d < W.shape.size(); ++d) inner *= size_t(W.shape[d]);
          const size_t channels = size_t(W.shape[size_t(axis)]);
          W.channel_min.assign(channels, INFINITY);
          W.channel_max.assign(channels, -INFINITY);
          float amax = 0;
          for (size_t i = 0; i < n; ++i) {
            const size_t c = (i / inner) % channels;
            W.channel_min[c] = std::min(W.channel_min[c], w[i]);
            W.channel_max[c] = std::max(W.channel_max[c], w[i]);
            amax = std::max(amax, std::fabs(w[i]));
          }
          ptq::Histogram h;
          h.add(w.data(), n);
          const double lim = amax > 0 ? 1.05 * amax : 1.0;
          W.histogram = rebin(h, -lim, lim, options.bins);
          if (qw->dtype() == fb::DType::INT8 && qbuf && qbuf->data() && qbuf->data()->size() == n &&
              !W.scale.empty()) {
            std::vector<float> dq(n);
            const auto* q8 = reinterpret_cast<const int8_t*>(qbuf->data()->data());
            for (size_t i = 0; i < n; ++i) {
              const size_t c = W.scale.size() == 1 ? 0 : (i / inner) % W.scale.size();
              dq[i] = W.scale[c] * float(q8[i]);
            }
            W.error.add(w.data(), dq.data(), n, -INFINITY, INFINITY, 0);
          }
        }
      }
      r.op_layers[oi].push_back(L.depth);
      layers.push_back(std::move(L));
    }
  }
  if (layers.empty()) {
    fail("no operator of the int8 model has a counterpart (same name) in the float model: was it "
         "quantized from this float model?");
  }

  // Buffers for this sample's float values, for every mapped tensor.
  std::vector<std::vector<float>> refs(ft.size()), local(ft.size());
  std::vector<float> q_scale(ft.size(), -1.0f);
  std::vector<int32_t> q_zero(ft.size(), 0);
  size_t largest = 0;
  for (int32_t q = 0; q < static_cast<int32_t>(qt.size()); ++q) {
    const int32_t f = r.float_of[q];
    if (f < 0) continue;
    refs[f].resize(numel(ft[f]));
    local[f].resize(numel(ft[f]));
    largest = std::max(largest, refs[f].size());
    // The int8 twin wins over a float one (a float layer whose output is
    // then quantized: its consumers see the quantized value).
    const auto* qz = qt[q]->quantization();
    if (qt[q]->dtype() == fb::DType::INT8 && qz && qz->scale() && qz->scale()->size() == 1) {
      q_scale[f] = qz->scale()->Get(0);
      q_zero[f] = qz->zero_point() && qz->zero_point()->size() ? int32_t(qz->zero_point()->Get(0)) : 0;
    } else if (qt[q]->dtype() == fb::DType::FLOAT32 && q_scale[f] < 0) {
      q_scale[f] = 0;
    }
  }
  r.refs = &refs;
  r.local = &local;
  r.layers = &layers;
  r.scratch.resize(largest);
  // Histograms of every float activation (display, and ranges for tensors
  // the int8 model does not record when re-quantizing for the advice).
  ptq::Calibration cal;
  cal.data = data.description();
  r.hist.assign(ft.size(), nullptr);
  for (int32_t i = 0; i < static_cast<int32_t>(ft.size()); ++i) {
    if (ft[i]->buffer() == 0 && ft[i]->dtype() == fb::DType::FLOAT32) r.hist[i] = &cal.tensors[str(ft[i]->name())];
  }
  const int32_t f_input = octet_model_input_tensor(fmodel.get(), 0);

  Interpreter fit, qit;
  Status s = fit.create(fmodel);
  if (!s) fail("cannot prepare the float model: " + s.to_string());
  if (!(s = qit.create(qmodel))) fail("cannot prepare the int8 model: " + s.to_string());
  Runner fr;  // the float side only needs the model, refs and histograms
  fr.model = fmodel.get();
  fr.refs = &refs;
  fr.local = &local;
  fr.hist = r.hist;
  fr.q_scale = q_scale;
  fr.q_zero = q_zero;
  std::vector<float> xq(data.sample_elements());
  fit.set_observer(observe_float, &fr);
  qit.set_observer(observe_int8, &r);

  const size_t out_n = fout.bytes / sizeof(float);
  S.classifier = out_n > 1;
  std::vector<std::vector<float>> float_out;
  float_out.reserve(data.size());
  std::vector<float> x(data.sample_elements());
  for (size_t i = 0; i < data.size(); ++i) {
    data.get(i, x.data());
    if (r.hist[f_input]) r.hist[f_input]->add(x.data(), x.size());
    if (!refs[f_input].empty()) std::copy(x.begin(), x.end(), refs[f_input].begin());
    if (!(s = fit.set_input(0, x.data(), fin.bytes)) || !(s = fit.invoke())) {
      fail("float model, sample " + std::to_string(i) + ": " + s.to_string());
    }
    const float* fy = fit.output<float>(0);
    float_out.emplace_back(fy, fy + out_n);
    // The float model again, each operator fed fake-quantized inputs.
    if (q_scale[f_input] > 0) {
      fake_quantize(x.data(), xq.data(), x.size(), q_scale[f_input], q_zero[f_input]);
    } else {
      xq = x;
    }
    if (!local[f_input].empty()) local[f_input] = x;
    fr.fake_quant = true;
    if (!(s = fit.set_input(0, xq.data(), fin.bytes)) || !(s = fit.invoke())) {
      fail("float model (fake-quantized), sample " + std::to_string(i) + ": " + s.to_string());
    }
    fr.fake_quant = false;
    fy = float_out.back().data();
    r.individual = false;
    if (!(s = qit.set_input(0, x.data(), qin.bytes)) || !(s = qit.invoke())) {
      fail("int8 model, sample " + std::to_string(i) + ": " + s.to_string());
    }
    const float* qy = qit.output<float>(0);
    S.output.add(fy, qy, out_n, -INFINITY, INFINITY, 0);
    if (S.classifier) S.top1_agree += argmax(fy, out_n) == argmax(qy, out_n);
    r.individual = true;
    if (!(s = qit.set_input(0, x.data(), qin.bytes)) || !(s = qit.invoke())) {
      fail("int8 model (individual mode), sample " + std::to_string(i) + ": " + s.to_string());
    }
    ++S.samples;
    if (progress) progress("analyzing", i + 1, data.size());
  }
  if (S.samples == 0) fail("no samples to analyze (is the data set empty?)");

  // Display histograms of the float activations with the int8 range.
  for (Layer& L : layers) {
    auto it = cal.tensors.find(L.float_tensor);
    if (it == cal.tensors.end()) continue;
    const ptq::Histogram& h = it->second;
    double lo = h.min(), hi = h.max();
    if (L.scale > 0) {
      lo = std::min(lo, double(L.scale) * (-128 - L.zero_point));
      hi = std::max(hi, double(L.scale) * (127 - L.zero_point));
    }
    const double pad = 0.03 * std::max(hi - lo, 1e-6);
    L.activations = rebin(h, lo - pad, hi + pad, options.bins);
  }

  // Ranking by the error each layer adds (individual mode), worst first.
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& L = layers[i];
    if (L.dtype != "INT8") continue;
    if (std::isinf(L.individual.sqnr_db()) && L.individual.sqnr_db() > 0) continue;
    a.ranking.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(a.ranking.begin(), a.ranking.end(), [&](int32_t x, int32_t y) {
    const double sx = layers[x].individual.sqnr_db(), sy = layers[y].individual.sqnr_db();
    if (sx != sy) return sx < sy;
    return layers[x].entire.sqnr_db() < layers[y].entire.sqnr_db();
  });
  for (size_t k = 0; k < a.ranking.size(); ++k) layers[a.ranking[k]].rank = static_cast<int32_t>(k);

  // Advice: re-quantize the float model in memory with the ranges the int8
  // model records, once as it is (baseline) and once per candidate kept in
  // higher precision, and measure output 0 against the float model.
  Advice& A = a.advice;
  if (options.candidates <= 0) {
    A.note = "not requested";
    return a;
  }
  ptq::QuantizeOptions qo;
  try {
    if (!S.quant_method.empty()) qo.method = ptq::parse_range_method(S.quant_method);
  } catch (const std::exception&) {
  }
  qo.per_channel = S.quant_weights.find("per tensor") == std::string::npos;
  qo.calibration_note = metadata(qm, "quant.calibration");  // so the baseline can be byte-identical
  const std::string prec = metadata(qm, "quant.precision");
  for (size_t b = 0; b < prec.size();) {
    size_t e = prec.find(',', b);
    if (e == std::string::npos) e = prec.size();
    const std::string kv = prec.substr(b, e - b);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) {
      try {
        qo.precision[kv.substr(0, eq)] = ptq::parse_precision(kv.substr(eq + 1));
      } catch (const std::exception&) {
      }
    }
    b = e + 1;
  }
  // Ranges: what the int8 model records, else chosen from this data.
  std::map<std::string, ptq::TensorRange> ranges;
  for (auto i = cal.tensors.begin(); i != cal.tensors.end();) {
    i = i->second.empty() ? cal.tensors.erase(i) : std::next(i);
  }
  ranges = ptq::choose_ranges(cal, qo.method);
  const std::map<std::string, ptq::TensorRange> data_ranges = ranges;
  size_t recorded = 0;
  for (int32_t q = 0; q < static_cast<int32_t>(qt.size()); ++q) {
    const auto* qz = qt[q]->quantization();
    if (r.float_of[q] < 0 || !qz || !qz->min() || !qz->max() || qz->min()->size() != 1) continue;
    ranges[str(ft[r.float_of[q]]->name())] =
        ptq::TensorRange{qz->min()->Get(0), qz->max()->Get(0), str(qz->method())};
    ++recorded;
  }
  A.ranges_note = std::to_string(recorded) + " activation ranges as recorded in the int8 model, " +
                  "others chosen by " + qo.method.to_string() + " on the analysis data";
  if (metadata(qm, "quant.bias_correction") == "on") {
    A.ranges_note += "; the int8 model used bias correction, the re-quantized ones do not";
  }
  const bool classifier = S.classifier;
  std::vector<uint8_t> base;
  try {
    base = ptq::quantize_model(fp32_bytes, ranges, qo);
  } catch (const std::exception& e) {
    A.note = std::string("cannot re-quantize the float model: ") + e.what();
    return a;
  }
  A.baseline_identical = base == int8_bytes;
  std::vector<std::string> nodes;
  for (int32_t li : a.ranking) {
    if (static_cast<int32_t>(nodes.size()) >= options.candidates) break;
    const Layer& L = layers[li];
    if (L.opcode == "QUANTIZE") continue;  // not an operator of the float model
    if (std::find(nodes.begin(), nodes.end(), L.name) == nodes.end()) nodes.push_back(L.name);
  }
  // int16 where the quantizer supports it for that operator, and fp32.
  const std::vector<const char*> precisions{"int16", "fp32"};
  const size_t total = nodes.size() * precisions.size() + 1;
  size_t done = 0;
  A.baseline = measure(base, data, float_out, classifier);
  if (progress) progress("measuring advice", ++done, total);
  for (const std::string& node : nodes) {
    const Candidate* best = nullptr;
    const Candidate* c16 = nullptr;
    for (const char* p : precisions) {
      ptq::QuantizeOptions o = qo;
      o.precision[node] = ptq::parse_precision(p);
      Candidate c;
      try {
        c = measure(ptq::quantize_model(fp32_bytes, ranges, o), data, float_out, classifier);
      } catch (const std::exception& e) {
        if (std::string(p) != "int16") A.note += (A.note.empty() ? "" : "; ") + node + "=" + p + ": " + e.what();
        if (progress) progress("measuring advice", ++done, total);
        continue;
      }
      if (std::string(p) == "int16") A.int16_supported = true;
      if (progress) progress("measuring advice", ++done, total);
      c.nodes = {node};
      c.precision = p;
      A.single.push_back(std::move(c));
    }
    // Indices are stable now; pick int16 or fp32 for this node.
    for (const Candidate& c : A.single) {
      if (c.nodes[0] != node) continue;
      if (c.precision == "int16") c16 = &c;
      if (c.precision == "fp32") best = &c;
    }
    auto gain = [&](const Candidate* c) { return c ? c->output_sqnr_db - A.baseline.output_sqnr_db : -INFINITY; };
    // Helps = the output gets measurably closer (> 0.1 dB) without losing
    // top-1 agreement; agreement alone moves by a sample or two by chance.
    auto helps = [&](const Candidate* c) {
      return c && gain(c) > 0.1 && (!classifier || c->top1_agreement >= A.baseline.top1_agreement);
    };
    const Candidate* pick = nullptr;
    if (helps(c16) && (!helps(best) || gain(c16) >= 0.9 * gain(best))) {
      pick = c16;
    } else if (helps(best)) {
      pick = best;
    }
    if (pick) A.suggestion.push_back({node, pick->precision});
  }
  // Ranges that clip: re-quantize with the range chosen on this data.
  for (const std::string& node : nodes) {
    for (const Layer& L : layers) {
      if (L.name != node || !L.has_calibration || L.individual.clipped_fraction() <= 0.001) continue;
      auto dr = data_ranges.find(L.float_tensor);
      if (dr == data_ranges.end()) continue;
      auto rr = ranges;
      rr[L.float_tensor] = ptq::TensorRange{dr->second.min, dr->second.max, dr->second.method};
      Candidate c;
      try {
        c = measure(ptq::quantize_model(fp32_bytes, rr, qo), data, float_out, classifier);
      } catch (const std::exception& e) {
        A.note += (A.note.empty() ? "" : "; ") + L.float_tensor + " range: " + e.what();
        continue;
      }
      c.nodes = {node};
      c.precision = "range";
      c.tensor = L.float_tensor;
      c.old_min = L.calib_min, c.old_max = L.calib_max;
      c.new_min = dr->second.min, c.new_max = dr->second.max;
      const bool helps = c.output_sqnr_db > A.baseline.output_sqnr_db + 0.1 &&
                         (!classifier || c.top1_agreement >= A.baseline.top1_agreement);
      if (helps) A.recalibrate_suggested.push_back(c);
      A.recalibrate.push_back(std::move(c));
    }
  }
  A.measured = true;
  if (!A.suggestion.empty()) {
    ptq::QuantizeOptions o = qo;
    for (const auto& sg : A.suggestion) o.precision[sg.node] = ptq::parse_precision(sg.precision);
    A.combined = measure(ptq::quantize_model(fp32_bytes, ranges, o), data, float_out, classifier);
    for (const auto& sg : A.suggestion) A.combined.nodes.push_back(sg.node);
    A.combined.precision = "mixed";
  } else if (A.note.empty() && A.recalibrate_suggested.empty()) {
    A.note = "no single layer among the worst brings the output measurably closer to the float model "
             "(> 0.1 dB output SQNR without losing top-1 agreement): the error is spread over the network";
  }
  if (progress && done < total) progress("measuring advice", total, total);
  return a;
}

}  // namespace octet::analysis
