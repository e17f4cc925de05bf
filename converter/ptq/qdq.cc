// SPDX-License-Identifier: Apache-2.0
#include "converter/ptq/qdq.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <set>

#include "octet/builder.hpp"
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

// A QUANTIZE f32 -> int8/uint8 per tensor whose every consumer is a
// DEQUANTIZE and whose output is not a graph output.
bool is_pair_head(const fb::ModelT& m, const fb::OperatorT& op, const std::vector<int32_t>& uses,
                  const std::vector<int32_t>& dq_uses, const std::set<int32_t>& outputs) {
  if (op.opcode != fb::OpCode::QUANTIZE || op.inputs.empty() || op.outputs.size() != 1) return false;
  const auto& x = *m.tensors.at(op.inputs[0]);
  const auto& q = *m.tensors.at(op.outputs[0]);
  if (x.dtype != fb::DType::FLOAT32 || x.buffer != 0) return false;
  if (q.dtype != fb::DType::INT8 && q.dtype != fb::DType::UINT8) return false;
  if (!q.quantization || q.quantization->scale.size() != 1) return false;
  const int32_t y = op.outputs[0];
  return uses[y] > 0 && uses[y] == dq_uses[y] && !outputs.count(y);
}

// The model's own per-channel weight scales, recovered from the dequantized
// float weights w = s_c·q: s_c is amax_c/127 or amax_c/128 (a symmetric int8
// grid whose extreme code is 127 or -128), whichever makes every w/s_c an
// integer. Tensors where neither fits are left out (requantized).
std::map<std::string, std::vector<float>> recover_weight_scales(const fb::ModelT& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& op : m.operators) {
    if (op->opcode != fb::OpCode::CONV_2D && op->opcode != fb::OpCode::FULLY_CONNECTED) continue;
    if (op->inputs.size() < 2 || op->inputs[1] < 0) continue;
    const auto& t = *m.tensors[op->inputs[1]];
    if (t.dtype != fb::DType::FLOAT32 || t.buffer == 0 || t.shape.empty()) continue;
    const auto& data = m.buffers.at(t.buffer)->data;
    std::vector<float> v(data.size() / sizeof(float));
    std::memcpy(v.data(), data.data(), v.size() * sizeof(float));
    const int32_t oc = t.shape[0];
    if (oc <= 0 || v.size() % size_t(oc)) continue;
    const size_t per = v.size() / size_t(oc);
    std::vector<float> scales(oc);
    bool ok = true;
    for (int32_t c = 0; c < oc && ok; ++c) {
      float amax = 0;
      for (size_t k = 0; k < per; ++k) amax = std::max(amax, std::fabs(v[c * per + k]));
      if (amax == 0) {
        scales[c] = 1.0f;
        continue;
      }
      ok = false;
      for (float top : {127.0f, 128.0f}) {
        const float sc = amax / top;
        bool fits = true;
        for (size_t k = 0; k < per && fits; ++k) {
          const float qv = v[c * per + k] / sc;
          fits = std::fabs(qv - std::nearbyint(qv)) < 1e-3f && qv <= 127.5f && qv >= -128.5f;
        }
        if (fits) {
          scales[c] = sc;
          ok = true;
          break;
        }
      }
    }
    if (ok) out[t.name] = scales;
  }
  return out;
}

}  // namespace

bool has_qdq_pairs(const std::vector<uint8_t>& bytes) {
  const auto m = unpack(bytes);
  std::vector<int32_t> uses(m->tensors.size(), 0), dq_uses(m->tensors.size(), 0);
  for (const auto& op : m->operators) {
    for (int32_t i : op->inputs) {
      if (i < 0) continue;
      ++uses.at(i);
      if (op->opcode == fb::OpCode::DEQUANTIZE) ++dq_uses[i];
    }
  }
  const std::set<int32_t> outs(m->outputs.begin(), m->outputs.end());
  for (const auto& op : m->operators) {
    if (is_pair_head(*m, *op, uses, dq_uses, outs)) return true;
  }
  return false;
}

std::vector<uint8_t> strip_qdq(const std::vector<uint8_t>& bytes,
                               std::map<std::string, TensorRange>* ranges, int32_t* pairs) {
  auto m = unpack(bytes);
  const size_t nt = m->tensors.size();
  std::vector<int32_t> uses(nt, 0), dq_uses(nt, 0);
  for (const auto& op : m->operators) {
    for (int32_t i : op->inputs) {
      if (i < 0) continue;
      ++uses.at(i);
      if (op->opcode == fb::OpCode::DEQUANTIZE) ++dq_uses[i];
    }
  }
  std::set<int32_t> outs(m->outputs.begin(), m->outputs.end());
  std::vector<int32_t> replace(nt);  // DEQUANTIZE output -> the float tensor it stands for
  for (size_t i = 0; i < nt; ++i) replace[i] = int32_t(i);
  std::vector<bool> drop(m->operators.size(), false);
  std::set<int32_t> heads;  // quantized tensors of the pairs
  int32_t n = 0;
  for (size_t k = 0; k < m->operators.size(); ++k) {
    const auto& op = *m->operators[k];
    if (!is_pair_head(*m, op, uses, dq_uses, outs)) continue;
    const auto& q = *m->tensors[op.outputs[0]];
    const float s = q.quantization->scale[0];
    const int64_t z = q.quantization->zero_point.empty() ? 0 : q.quantization->zero_point[0];
    const bool u8 = q.dtype == fb::DType::UINT8;
    const double qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
    TensorRange r;
    r.min = static_cast<float>(s * (qmin - double(z)));
    r.max = static_cast<float>(s * (qmax - double(z)));
    r.method = "qdq";
    auto& x = *m->tensors[op.inputs[0]];
    // Several pairs on one tensor must agree: the model has one grid per tensor.
    auto it = ranges->find(x.name);
    if (it != ranges->end() && (it->second.min != r.min || it->second.max != r.max)) {
      fail("tensor '" + x.name + "' is quantized twice with different parameters (" +
           fb::EnumNameOpCode(op.opcode) + " '" + op.name + "')");
    }
    (*ranges)[x.name] = r;
    heads.insert(op.outputs[0]);
    drop[k] = true;
    ++n;
  }
  for (size_t k = 0; k < m->operators.size(); ++k) {
    auto& op = *m->operators[k];
    if (op.opcode != fb::OpCode::DEQUANTIZE || op.inputs.empty() || !heads.count(op.inputs[0])) continue;
    // Find the float tensor the QUANTIZE read.
    int32_t src = -1;
    for (size_t j = 0; j < k; ++j) {
      const auto& p = *m->operators[j];
      if (drop[j] && p.outputs[0] == op.inputs[0]) src = p.inputs[0];
    }
    if (src < 0) continue;
    replace[op.outputs[0]] = src;
    drop[k] = true;
    // A graph output keeps its name: the float tensor takes it.
    if (outs.count(op.outputs[0])) {
      const std::string name = m->tensors[op.outputs[0]]->name;
      auto r = ranges->find(m->tensors[src]->name);
      if (r != ranges->end()) {
        const TensorRange keep = r->second;
        ranges->erase(r);
        (*ranges)[name] = keep;
      }
      m->tensors[op.outputs[0]]->name += "/qdq_removed";
      m->tensors[src]->name = name;
    }
  }
  std::vector<std::unique_ptr<fb::OperatorT>> ops;
  for (size_t k = 0; k < m->operators.size(); ++k) {
    if (drop[k]) continue;
    for (int32_t& i : m->operators[k]->inputs) {
      if (i >= 0) i = replace[i];
    }
    ops.push_back(std::move(m->operators[k]));
  }
  m->operators = std::move(ops);
  for (int32_t& o : m->outputs) o = replace[o];
  for (int32_t& i : m->inputs) i = replace[i];
  // Drop the tensors the pairs left unreferenced (the quantized copies) and
  // renumber: every activation of the result is produced by an operator.
  std::vector<int32_t> keep(nt, -1);
  auto mark = [&](int32_t i) {
    if (i >= 0) keep[i] = 0;
  };
  for (const auto& op : m->operators) {
    for (int32_t i : op->inputs) mark(i);
    for (int32_t i : op->outputs) mark(i);
  }
  for (int32_t i : m->inputs) mark(i);
  for (int32_t i : m->outputs) mark(i);
  std::vector<std::unique_ptr<fb::TensorT>> tensors;
  for (size_t i = 0; i < nt; ++i) {
    if (keep[i] < 0) continue;
    keep[i] = int32_t(tensors.size());
    tensors.push_back(std::move(m->tensors[i]));
  }
  m->tensors = std::move(tensors);
  auto renumber = [&](std::vector<int32_t>& v) {
    for (int32_t& i : v) {
      if (i >= 0) i = keep[i];
    }
  };
  for (auto& op : m->operators) renumber(op->inputs), renumber(op->outputs);
  renumber(m->inputs);
  renumber(m->outputs);
  m->checksum = 0xFFFFFFFFu;  // placeholder so the field is stored; sealed below
  flatbuffers::FlatBufferBuilder fbb(1 << 16, nullptr, false, 64);
  fbb.Finish(fb::Model::Pack(fbb, m.get()), fb::ModelIdentifier());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  seal_model(out);
  if (pairs) *pairs = n;
  return out;
}

std::vector<uint8_t> qdq_to_int8(const std::vector<uint8_t>& model, QdqReport* report) {
  QdqReport local;
  if (!report) report = &local;
  std::map<std::string, TensorRange> ranges;
  const std::vector<uint8_t> fp32 = strip_qdq(model, &ranges, &report->pairs);
  const auto weight_scales = recover_weight_scales(*unpack(fp32));
  report->weights_with_own_scales = int32_t(weight_scales.size());
  QuantizeOptions o;
  o.per_channel = true;
  o.weight_scales = &weight_scales;
  o.calibration_note = "none: ranges from the model's own QuantizeLinear/DequantizeLinear pairs";
  std::vector<uint8_t> out = quantize_model(fp32, ranges, o);
  // Count what was emitted from the result itself.
  const auto q = unpack(out);
  QuantizeReport& r = report->quantize;
  for (const auto& op : q->operators) {
    if (op->opcode == fb::OpCode::QUANTIZE) {
      ++r.quantize_ops;
    } else if (op->opcode == fb::OpCode::DEQUANTIZE) {
      ++r.dequantize_ops;
    } else if (!op->outputs.empty() && q->tensors[op->outputs[0]]->dtype == fb::DType::INT8) {
      ++r.int8_ops;
    } else {
      ++r.fp32_ops;
    }
  }
  return out;
}

}  // namespace octet::ptq
