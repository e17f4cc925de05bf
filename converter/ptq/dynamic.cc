// SPDX-License-Identifier: Apache-2.0
//
// Dynamic quantization (`octet quantize --dynamic`): the fp32 model with the
// weights of every FULLY_CONNECTED replaced by int8 symmetric (per output
// channel, or per tensor) constants. The runtime sees a FULLY_CONNECTED
// with a float input and int8 weights and quantizes the input per inference
// (runtime/ops/conv_int16.cc, docs/quantization.md §7). No calibration.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "converter/ptq/quantizer.h"
#include "octet/builder.hpp"
#include "schema/octet_generated.h"

namespace octet::ptq {

namespace fb = octet::schema;

std::vector<uint8_t> quantize_dynamic(const std::vector<uint8_t>& bytes,
                                      const QuantizeOptions& options, int32_t* dynamic_ops) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()) ||
      !fb::VerifyModelBuffer(v)) {
    throw QuantizeError("not a valid .octet model");
  }
  std::unique_ptr<fb::ModelT> m = fb::UnPackModel(bytes.data());
  std::vector<int32_t> uses(m->tensors.size(), 0);
  for (const auto& op : m->operators) {
    for (int32_t i : op->inputs) {
      if (i >= 0 && static_cast<size_t>(i) < uses.size()) ++uses[i];
    }
  }
  for (const auto& op : m->operators) {
    if (op->opcode == fb::OpCode::QUANTIZE || op->opcode == fb::OpCode::DEQUANTIZE) {
      throw QuantizeError("the model is already quantized (" + op->name + " is a " +
                          fb::EnumNameOpCode(op->opcode) + "); --dynamic takes the fp32 model");
    }
  }
  int32_t converted = 0;
  for (auto& op : m->operators) {
    // FULLY_CONNECTED [N, K] weights, or MATMUL by a constant 2-D B [K, N]
    // (the same product with B transposed; it becomes a FULLY_CONNECTED).
    const bool matmul = op->opcode == fb::OpCode::MATMUL;
    if ((op->opcode != fb::OpCode::FULLY_CONNECTED && !matmul) || op->inputs.size() < 2) continue;
    const int32_t wi = op->inputs[1];
    const fb::TensorT& wt = *m->tensors.at(wi);
    if (wt.buffer == 0 || wt.shape.size() != 2) continue;  // weights computed at run time
    if (wt.dtype != fb::DType::FLOAT32) continue;
    if (matmul && (op->inputs[0] < 0 || m->tensors.at(op->inputs[0])->shape.size() < 2)) continue;
    const auto& data = m->buffers.at(wt.buffer)->data;
    const int32_t n = matmul ? wt.shape[1] : wt.shape[0], k = matmul ? wt.shape[0] : wt.shape[1];
    if (data.size() != size_t(n) * size_t(k) * 4) {
      throw QuantizeError("weights '" + wt.name + "' hold " + std::to_string(data.size()) +
                          " bytes for shape [" + std::to_string(wt.shape[0]) + ", " +
                          std::to_string(wt.shape[1]) + "]");
    }
    if (int64_t{k} * 255 * 128 > INT32_MAX) continue;  // int32 sums could wrap: keep fp32
    std::vector<float> w(size_t(n) * k);
    if (matmul) {
      std::vector<float> b(size_t(n) * k);
      memcpy(b.data(), data.data(), data.size());
      for (int32_t r = 0; r < k; ++r) {
        for (int32_t c = 0; c < n; ++c) w[size_t(c) * k + r] = b[size_t(r) * n + c];
      }
    } else {
      memcpy(w.data(), data.data(), data.size());
    }
    std::vector<float> amax(n, 0.0f);
    for (int32_t c = 0; c < n; ++c) {
      for (int32_t p = 0; p < k; ++p) amax[c] = std::max(amax[c], std::fabs(w[size_t(c) * k + p]));
    }
    if (!options.per_channel) {
      const float all = *std::max_element(amax.begin(), amax.end());
      std::fill(amax.begin(), amax.end(), all);
    }
    std::vector<float> scales(n);
    std::vector<uint8_t> q(size_t(n) * k);
    for (int32_t c = 0; c < n; ++c) {
      scales[c] = amax[c] > 0 ? amax[c] / 127.0f : 1.0f / 127.0f;
      for (int32_t p = 0; p < k; ++p) {
        const long r = std::lrint(w[size_t(c) * k + p] / scales[c]);
        q[size_t(c) * k + p] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp<long>(r, -127, 127)));
      }
    }
    auto qt = std::make_unique<fb::TensorT>();
    qt->name = wt.name;
    qt->dtype = fb::DType::INT8;
    qt->shape = {n, k};
    auto quant = std::make_unique<fb::QuantizationT>();
    if (options.per_channel) {
      quant->scale = scales;
      quant->zero_point.assign(n, 0);
      quant->axis = 0;
    } else {
      quant->scale = {scales[0]};
      quant->zero_point = {0};
    }
    quant->method = options.per_channel ? "absmax_per_channel" : "absmax_per_tensor";
    qt->quantization = std::move(quant);
    if (uses[wi] == 1) {  // only this operator reads it: replace in place
      m->buffers.at(wt.buffer)->data = std::move(q);
      qt->buffer = wt.buffer;
      m->tensors[wi] = std::move(qt);
    } else {
      auto buf = std::make_unique<fb::BufferT>();
      buf->data = std::move(q);
      m->buffers.push_back(std::move(buf));
      qt->buffer = static_cast<uint32_t>(m->buffers.size() - 1);
      qt->name += "/int8";
      m->tensors.push_back(std::move(qt));
      op->inputs[1] = static_cast<int32_t>(m->tensors.size() - 1);
    }
    if (matmul) {
      op->opcode = fb::OpCode::FULLY_CONNECTED;
      op->options.Reset();
    }
    ++converted;
  }
  if (dynamic_ops) *dynamic_ops = converted;
  auto md = [&](const std::string& key, const std::string& value) {
    auto e = std::make_unique<fb::MetadataT>();
    e->key = key;
    e->value = value;
    m->metadata.push_back(std::move(e));
  };
  md("quant.tool", "octet quantize 0.1.0 --dynamic");
  md("quant.activations", "dynamic: int8 asymmetric per tensor from the run-time min/max");
  md("quant.weights", options.per_channel ? "int8 symmetric per channel (FULLY_CONNECTED)"
                                          : "int8 symmetric per tensor (FULLY_CONNECTED)");
  m->producer = "octet quantize 0.1.0";
  m->checksum = 0xFFFFFFFFu;  // placeholder so the field is stored; seal_model fills it
  // Constant buffers are 64-byte aligned (force_align): builder minimum 64.
  flatbuffers::FlatBufferBuilder fbb(1 << 16, nullptr, false, 64);
  fbb.Finish(fb::Model::Pack(fbb, m.get()), fb::ModelIdentifier());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  try {
    seal_model(out);
  } catch (const std::exception& e) {
    throw QuantizeError(std::string("cannot write the model: ") + e.what());
  }
  return out;
}

}  // namespace octet::ptq
