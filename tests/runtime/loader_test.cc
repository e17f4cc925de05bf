// SPDX-License-Identifier: Apache-2.0
//
// The loader rejects damaged and inconsistent files with a message that
// names the culprit, and never crashes.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "tests/runtime/model_util.h"

using namespace octet;
using octet::test::mutate;
using octet::test::try_load;
namespace fb = octet::schema;

namespace {

// f32 input -> QUANTIZE(int8) -> RESHAPE -> DEQUANTIZE -> f32 output, plus
// an int8 constant so the file has a buffer.
std::vector<uint8_t> small_model() {
  ModelBuilder b;
  const auto x = b.input("x", DType::kFloat32, {1, 4, 4, 2});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(0.05f, 3), "q");
  const auto r = b.reshape(q, {1, 32}, "r");
  const auto w = b.constant_i8("w", {32}, std::vector<int8_t>(32, 1), Quant::per_tensor(0.1f));
  (void)w;
  const auto y = b.dequantize(r, "y");
  b.output(y);
  return b.finish();
}

int32_t tensor_index(const fb::ModelT& m, const std::string& name) {
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    if (m.tensors[i]->name == name) return static_cast<int32_t>(i);
  }
  return -1;
}

}  // namespace

TEST_CASE("loader: a valid model loads and runs", "[loader]") {
  test::LoadedModel lm(small_model());
  REQUIRE(lm.status.ok());
  CHECK(lm.model.num_inputs() == 1);
  CHECK(lm.model.num_outputs() == 1);
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = 0.037f * (i - 16);
  const auto out = test::run_model(lm.model, {test::to_bytes(x)});
  const auto y = test::from_bytes<float>(out[0]);
  REQUIRE(y.size() == 32);
  for (int i = 0; i < 32; ++i) {
    const float q = std::nearbyint(x[i] / 0.05f) + 3;
    CHECK(y[i] == 0.05f * (std::fmin(std::fmax(q, -128.f), 127.f) - 3));
  }
}

TEST_CASE("loader: every truncation is rejected cleanly", "[loader]") {
  const auto bytes = small_model();
  for (size_t n = 0; n < bytes.size(); n += (n < 64 ? 1 : 7)) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    const Status s = try_load(cut);
    INFO("length " << n);
    REQUIRE_FALSE(s.ok());
    CHECK_FALSE(s.message().empty());
  }
}

TEST_CASE("loader: random bit flips are caught by the checksum", "[loader]") {
  const auto bytes = small_model();
  std::mt19937 rng(99);
  for (int trial = 0; trial < 500; ++trial) {
    auto bad = bytes;
    bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const Status s = try_load(bad);
    REQUIRE_FALSE(s.ok());
    CHECK_FALSE(s.message().empty());
  }
}

TEST_CASE("loader: a flipped weight is reported as damage", "[loader]") {
  auto bytes = small_model();
  // Find the constant 'w' (32 bytes of 1) and damage one byte of it.
  const fb::Model* m = fb::GetModel(bytes.data());
  const uint8_t* w = nullptr;
  for (const auto* b : *m->buffers()) {
    if (b->data() != nullptr && b->data()->size() == 32) w = b->data()->data();
  }
  REQUIRE(w != nullptr);
  bytes[static_cast<size_t>(w - bytes.data()) + 5] ^= 0x10;
  const Status s = try_load(bytes);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("checksum mismatch: the file is damaged"));
  // Skipping the checksum loads it: structurally it is a valid model.
  CHECK(try_load(bytes, OCTET_MODEL_SKIP_CHECKSUM).ok());
}

TEST_CASE("loader: random bit flips never crash the structural checks", "[loader]") {
  const auto bytes = small_model();
  std::mt19937 rng(1234);
  int rejected = 0, accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto bad = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    // Without the checksum the verifier and semantic checks face the damage.
    test::LoadedModel lm(bad, OCTET_MODEL_SKIP_CHECKSUM);
    if (!lm.status.ok()) {
      ++rejected;
      CHECK_FALSE(lm.status.message().empty());
      continue;
    }
    ++accepted;  // a flip in float data or padding can leave a valid model
    Interpreter it;
    if (it.create(lm.model).ok()) {
      CHECK(it.invoke().ok());
    }
  }
  CHECK(rejected > 0);
  INFO("accepted " << accepted);
}

TEST_CASE("loader: the error names the culprit", "[loader]") {
  const auto good = small_model();
  struct Case {
    const char* what;
    std::function<void(fb::ModelT&)> edit;
    const char* expect;
  };
  const Case cases[] = {
      {"operator input index out of range",
       [](fb::ModelT& m) { m.operators[1]->inputs[0] = 999; }, "input #0 has tensor index 999 out of range"},
      {"graph output out of range", [](fb::ModelT& m) { m.outputs[0] = -5; },
       "graph output #0: tensor index -5 out of range"},
      {"constant of the wrong size",
       [](fb::ModelT& m) { m.buffers[m.tensors[tensor_index(m, "w")]->buffer]->data.resize(31); },
       "tensor #3 'w': constant data is 31 bytes, shape and dtype need 32"},
      {"NaN scale",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->scale[0] = NAN; },
       "'q': scale[0] = nan"},
      {"zero scale",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->scale[0] = 0; },
       "'q': scale[0] = 0 (must be finite and > 0)"},
      {"negative scale",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->scale[0] = -1; },
       "'q': scale[0] = -1"},
      {"zero point out of range",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->zero_point[0] = 300; },
       "'q': zero_point[0] = 300 outside the int8 range"},
      {"per-axis scale count",
       [](fb::ModelT& m) {
         auto& q = m.tensors[tensor_index(m, "w")]->quantization;
         q->axis = 0;
         q->scale = {1.f, 2.f};
         q->zero_point = {0, 0};
       },
       "'w': 2 scales for axis 0 of size 32"},
      {"operators out of order (use before definition)",
       [](fb::ModelT& m) { std::swap(m.operators[0], m.operators[1]); },
       "is used before it is produced"},
      {"tensor produced twice",
       [](fb::ModelT& m) { m.operators[1]->outputs[0] = m.operators[0]->outputs[0]; },
       "already produced"},
      {"negative dimension", [](fb::ModelT& m) { m.tensors[0]->shape[1] = -4; },
       "tensor #0 'x': dimension 1 is -4"},
      {"rank too large", [](fb::ModelT& m) { m.tensors[0]->shape = {1, 1, 1, 1, 1, 1, 1}; },
       "rank 7 exceeds the maximum 6"},
      {"element count overflow",
       [](fb::ModelT& m) { m.tensors[0]->shape = {65536, 65536, 65536, 65536}; },
       "element count overflows"},
      {"wrong arity", [](fb::ModelT& m) { m.operators[1]->inputs.push_back(0); },
       "'r' (RESHAPE): 2 inputs, expected 1..1"},
      {"unknown opcode",
       [](fb::ModelT& m) { m.operators[0]->opcode = static_cast<fb::OpCode>(999); },
       "unknown opcode 999"},
      {"malformed multiplier",
       [](fb::ModelT& m) {
         auto p = std::make_unique<fb::IntegerParamsT>();
         p->multiplier = {5};
         p->rshift = {31};
         m.operators[1]->int_params = std::move(p);
       },
       "multiplier[0] = (5, 31) is not a normalized fixed-point multiplier"},
      {"future format version", [](fb::ModelT& m) { m.version = 2; },
       "model format version 2; this runtime reads version 1"},
      {"shape inconsistent with the operator",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "y")]->shape = {1, 33}; },
       "operator #2 'y' (DEQUANTIZE): tensor 'r' has shape [1,32] but 'y' has shape [1,33]"},
      {"constant graph input", [](fb::ModelT& m) { m.inputs[0] = tensor_index(m, "w"); },
       "graph input #0: tensor 'w' is a constant"},
      {"dtype out of range",
       [](fb::ModelT& m) { m.tensors[0]->dtype = static_cast<fb::DType>(42); },
       "tensor #0 'x': unknown dtype 42"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const Status s = try_load(mutate(good, c.edit));
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("loader: not an octet file", "[loader]") {
  std::vector<uint8_t> junk(256, 0x41);
  const Status s = try_load(junk);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == OCTET_ERROR_INVALID_MODEL);
  CHECK_THAT(s.message(), Catch::Contains("file identifier is 'AAAA', expected 'OCT1'"));
}

TEST_CASE("loader: missing file and misaligned buffer", "[loader]") {
  Model m;
  Status s = m.load_file("/nonexistent/model.octet");
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == OCTET_ERROR_IO);
  CHECK_THAT(s.message(), Catch::Contains("cannot open model '/nonexistent/model.octet'"));

  const auto bytes = small_model();
  std::vector<uint8_t> storage(bytes.size() + 64);
  uint8_t* p = storage.data();
  while (reinterpret_cast<uintptr_t>(p) % 16 != 1) ++p;
  memcpy(p, bytes.data(), bytes.size());
  s = m.load_buffer(p, bytes.size());
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("not 16-byte aligned"));
}

TEST_CASE("loader: constants are used in place, never copied", "[loader]") {
  test::LoadedModel lm(small_model());
  REQUIRE(lm.status.ok());
  // Weights stay inside the caller's buffer: the file's constants are
  // 64-byte aligned relative to its start.
  const fb::Model* m = fb::GetModel(lm.bytes.data());
  for (const auto* buf : *m->buffers()) {
    if (buf->data() == nullptr || buf->data()->size() == 0) continue;
    const uint8_t* p = buf->data()->data();
    CHECK(p >= lm.bytes.data());
    CHECK(p < lm.bytes.data() + lm.bytes.size());
    CHECK((p - lm.bytes.data()) % 64 == 0);
  }
}
