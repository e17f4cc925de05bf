// SPDX-License-Identifier: Apache-2.0
#include "converter/ptq/equalize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "converter/ptq/quantizer.h"
#include "octet/builder.hpp"
#include "schema/octet_generated.h"

namespace octet::ptq {

namespace fb = octet::schema;

namespace {

[[noreturn]] void fail(const std::string& what) { throw QuantizeError(what); }

// A constant float tensor viewed as a vector; written back by store().
struct ConstF32 {
  fb::BufferT* buffer = nullptr;
  std::vector<float> v;
  void store() const { std::memcpy(buffer->data.data(), v.data(), v.size() * sizeof(float)); }
};

class Equalizer {
 public:
  explicit Equalizer(fb::ModelT& m) : m_(m) {
    tensor_uses_.assign(m_.tensors.size(), 0);
    buffer_uses_.assign(m_.buffers.size(), 0);
    consumer_.assign(m_.tensors.size(), -1);
    for (const auto& t : m_.tensors) {
      if (t->buffer < buffer_uses_.size()) ++buffer_uses_[t->buffer];
    }
    for (size_t i = 0; i < m_.operators.size(); ++i) {
      const auto& op = *m_.operators[i];
      for (int32_t x : op.inputs) {
        if (x < 0 || size_t(x) >= m_.tensors.size()) continue;
        ++tensor_uses_[x];
        consumer_[x] = int32_t(i);
      }
    }
    for (int32_t y : m_.outputs) {
      if (y >= 0 && size_t(y) < m_.tensors.size()) tensor_uses_[y] += 2;  // never equalized
    }
  }

  /// Finds every eligible (A, B) pair.
  void find_pairs() {
    for (size_t a = 0; a < m_.operators.size(); ++a) {
      const auto& A = *m_.operators[a];
      if (!is_linear(A) || A.outputs.size() != 1) continue;
      // ReLU(x/s) = ReLU(x)/s for s > 0; ReLU6 and clamps are not homogeneous.
      if (A.activation != fb::Activation::NONE && A.activation != fb::Activation::RELU) continue;
      if (A.activation == fb::Activation::RELU && A.act_max < INFINITY) continue;
      const int32_t y = A.outputs[0];
      if (tensor_uses_[y] != 1 || consumer_[y] < 0) continue;
      const auto& B = *m_.operators[consumer_[y]];
      if (!is_linear(B) || B.inputs.empty() || B.inputs[0] != y) continue;
      if (!single_use_const(A.inputs, 1) || !single_use_const(B.inputs, 1)) continue;
      const bool a_bias = A.inputs.size() > 2 && A.inputs[2] >= 0;
      if (a_bias && !single_use_const(A.inputs, 2)) continue;
      const auto& wa = *m_.tensors[A.inputs[1]];
      const auto& wb = *m_.tensors[B.inputs[1]];
      const auto& ty = *m_.tensors[y];
      if (wa.shape.empty() || wb.shape.size() < 2 || ty.shape.empty()) continue;
      const int32_t c = wa.shape[0];
      if (ty.shape.back() != c) continue;
      if (wb.shape.back() * groups(B) != c || wb.shape[0] % groups(B) != 0) continue;
      pairs_.push_back({int32_t(a), consumer_[y]});
    }
  }

  void run(int iterations, EqualizeReport* report) {
    std::vector<double> spread0(pairs_.size(), 0);
    for (int it = 0; it < iterations && !pairs_.empty(); ++it) {
      double worst = 0;  // largest |log s| of this sweep
      for (size_t p = 0; p < pairs_.size(); ++p) {
        const double s = equalize(pairs_[p].first, pairs_[p].second, it == 0 ? &spread0[p] : nullptr);
        worst = std::max(worst, s);
      }
      report->iterations = it + 1;
      if (worst < 1e-4) break;  // every scale within 0.01 % of 1: converged
    }
    for (size_t p = 0; p < pairs_.size(); ++p) {
      const auto& A = *m_.operators[pairs_[p].first];
      const auto& B = *m_.operators[pairs_[p].second];
      EqualizedPair e;
      e.first = A.name;
      e.second = B.name;
      e.channels = m_.tensors[A.inputs[1]]->shape[0];
      e.spread_before = spread0[p];
      e.spread_after = spread(row_ranges(get(A.inputs[1]).v, e.channels));
      report->pairs.push_back(e);
    }
  }

 private:
  static bool is_linear(const fb::OperatorT& op) {
    return op.opcode == fb::OpCode::CONV_2D || op.opcode == fb::OpCode::FULLY_CONNECTED;
  }
  static int32_t groups(const fb::OperatorT& op) {
    if (op.opcode != fb::OpCode::CONV_2D) return 1;
    const auto* o = op.options.AsConv2DOptions();
    return o ? std::max(1, o->groups) : 1;
  }
  bool single_use_const(const std::vector<int32_t>& inputs, size_t k) const {
    if (inputs.size() <= k || inputs[k] < 0) return false;
    const auto& t = *m_.tensors[inputs[k]];
    if (t.dtype != fb::DType::FLOAT32 || t.buffer == 0 || t.buffer >= m_.buffers.size()) return false;
    size_t n = 1;
    for (int32_t d : t.shape) n *= size_t(std::max(0, d));
    return tensor_uses_[inputs[k]] == 1 && buffer_uses_[t.buffer] == 1 &&
           m_.buffers[t.buffer]->data.size() == n * sizeof(float);
  }
  ConstF32 get(int32_t t) {
    ConstF32 c;
    c.buffer = m_.buffers[m_.tensors[t]->buffer].get();
    c.v.resize(c.buffer->data.size() / sizeof(float));
    std::memcpy(c.v.data(), c.buffer->data.data(), c.v.size() * sizeof(float));
    return c;
  }
  // Range (max |w|) of every output channel (row) of a weight tensor.
  static std::vector<double> row_ranges(const std::vector<float>& v, int32_t rows) {
    std::vector<double> r(rows, 0.0);
    const size_t per = v.size() / size_t(rows);
    for (int32_t o = 0; o < rows; ++o) {
      for (size_t k = 0; k < per; ++k) r[o] = std::max(r[o], double(std::fabs(v[o * per + k])));
    }
    return r;
  }
  static double spread(const std::vector<double>& r) {
    double lo = INFINITY, hi = 0;
    for (double x : r) {
      if (x > 0) lo = std::min(lo, x), hi = std::max(hi, x);
    }
    return hi > 0 ? hi / lo : 1.0;
  }

  // One equalization step of the pair; returns max_c |log s_c|.
  double equalize(int32_t ai, int32_t bi, double* spread_before) {
    const auto& A = *m_.operators[ai];
    const auto& B = *m_.operators[bi];
    ConstF32 wa = get(A.inputs[1]);
    ConstF32 wb = get(B.inputs[1]);
    const bool a_bias = A.inputs.size() > 2 && A.inputs[2] >= 0;
    ConstF32 ba;
    if (a_bias) ba = get(A.inputs[2]);
    const int32_t c = m_.tensors[A.inputs[1]]->shape[0];
    const size_t per_a = wa.v.size() / size_t(c);
    const auto& sb = m_.tensors[B.inputs[1]]->shape;
    const int32_t g = groups(B);
    const int32_t ob = sb[0], cin_g = sb.back(), ob_g = ob / g;
    const size_t per_b = wb.v.size() / size_t(ob);  // KH·KW·cin_g
    // r1: range of A's output channel; r2: range of B's weights reading it.
    const std::vector<double> r1 = row_ranges(wa.v, c);
    std::vector<double> r2(c, 0.0);
    if (spread_before) *spread_before = spread(r1);
    for (int32_t o = 0; o < ob; ++o) {
      const int32_t base = (o / ob_g) * cin_g;
      for (size_t k = 0; k < per_b; ++k) {
        const int32_t ch = base + int32_t(k % size_t(cin_g));
        r2[ch] = std::max(r2[ch], double(std::fabs(wb.v[o * per_b + k])));
      }
    }
    std::vector<double> s(c, 1.0);
    double worst = 0;
    for (int32_t o = 0; o < c; ++o) {
      if (r1[o] > 0 && r2[o] > 0 && std::isfinite(r1[o]) && std::isfinite(r2[o])) {
        s[o] = std::sqrt(r1[o] * r2[o]) / r2[o];
        worst = std::max(worst, std::fabs(std::log(s[o])));
      }
    }
    if (worst == 0) return 0;
    for (int32_t o = 0; o < c; ++o) {
      const float inv = static_cast<float>(1.0 / s[o]);
      for (size_t k = 0; k < per_a; ++k) wa.v[o * per_a + k] *= inv;
      if (a_bias) ba.v[o] *= inv;
    }
    for (int32_t o = 0; o < ob; ++o) {
      const int32_t base = (o / ob_g) * cin_g;
      for (size_t k = 0; k < per_b; ++k) {
        const int32_t ch = base + int32_t(k % size_t(cin_g));
        wb.v[o * per_b + k] *= static_cast<float>(s[ch]);
      }
    }
    wa.store();
    wb.store();
    if (a_bias) ba.store();
    return worst;
  }

  fb::ModelT& m_;
  std::vector<int32_t> tensor_uses_, buffer_uses_, consumer_;
  std::vector<std::pair<int32_t, int32_t>> pairs_;
};

}  // namespace

std::vector<uint8_t> equalize_model(const std::vector<uint8_t>& bytes, EqualizeReport* report,
                                    int iterations) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()) || !fb::VerifyModelBuffer(v)) {
    fail("equalize: not a valid .octet model");
  }
  std::unique_ptr<fb::ModelT> m = fb::UnPackModel(bytes.data());
  EqualizeReport local;
  if (!report) report = &local;
  Equalizer e(*m);
  e.find_pairs();
  e.run(iterations, report);
  m->checksum = 0xFFFFFFFFu;  // placeholder so the field is stored; sealed below
  flatbuffers::FlatBufferBuilder fbb(1 << 16, nullptr, false, 64);
  fbb.Finish(fb::Model::Pack(fbb, m.get()), fb::ModelIdentifier());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  try {
    seal_model(out);
  } catch (const std::exception& ex) {
    fail(std::string("equalize: ") + ex.what());
  }
  return out;
}

}  // namespace octet::ptq
