// SPDX-License-Identifier: Apache-2.0
//
// The op resolver (octet_model_options.resolver, include/octet/octet.h): a
// model loads with exactly the operators registered, gives the same output
// as with the built-in set, and a missing operator fails the load naming it.
#include <catch2/catch.hpp>

#include <string>

#include "tests/runtime/model_util.h"

using namespace octet;
using octet::test::AlignedBytes;

namespace {

// f32 -> QUANTIZE -> CONV_2D (int8) -> MAX_POOL_2D -> RESHAPE ->
// FULLY_CONNECTED -> SOFTMAX -> DEQUANTIZE: six operators.
std::vector<uint8_t> cnn_model() {
  ModelBuilder b;
  const auto x = b.input("x", DType::kFloat32, {1, 6, 6, 2});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(1.0f / 128, 0), "q");
  std::vector<int8_t> w(4 * 3 * 3 * 2);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(static_cast<int>(i * 7) % 11 - 5);
  const auto wt = b.constant_i8("w", {4, 3, 3, 2}, w, Quant::per_tensor(0.02f));
  Conv2DOptions co;
  const auto c = b.conv2d(q, wt, ModelBuilder::kNone, co, Activation::relu(), "conv",
                          Quant::per_tensor(0.01f, -128));
  Pool2DOptions po;
  po.kernel_h = po.kernel_w = po.stride_h = po.stride_w = 2;
  const auto p = b.max_pool2d(c, po, "pool");
  const auto r = b.reshape(p, {1, 16}, "flat");
  std::vector<int8_t> fw(3 * 16);
  for (size_t i = 0; i < fw.size(); ++i) fw[i] = static_cast<int8_t>(static_cast<int>(i * 5) % 13 - 6);
  const auto f = b.fully_connected(r, b.constant_i8("fw", {3, 16}, fw, Quant::per_tensor(0.03f)),
                                   ModelBuilder::kNone, Activation::none(), "fc",
                                   Quant::per_tensor(0.05f, 0));
  const auto s = b.softmax(f, 1.0f, "softmax", Quant::per_tensor(1.0f / 256, -128));
  b.output(b.dequantize(s, "probs"));
  return b.finish();
}

const octet_op* const kCnnOps[] = {&octet_op_quantize,    &octet_op_conv_2d,
                                   &octet_op_max_pool_2d, &octet_op_reshape,
                                   &octet_op_fully_connected, &octet_op_softmax,
                                   &octet_op_dequantize};

Status load(Model& m, const AlignedBytes& a, const octet_op_resolver* r) {
  octet_model_options o{};
  o.struct_size = sizeof(o);
  o.resolver = r;
  return m.load_buffer(a.data(), a.size(), &o);
}

std::vector<uint8_t> run(const Model& m) {
  std::vector<float> x(72);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 9) - 4) / 5;
  return octet::test::run_model(m, {octet::test::to_bytes(x)})[0];
}

}  // namespace

TEST_CASE("resolver: the registered operators run, same output as the built-in set",
          "[resolver]") {
  const AlignedBytes a(cnn_model());
  Model all, some;
  REQUIRE(load(all, a, nullptr).ok());
  const octet_op_resolver r{sizeof(octet_op_resolver), kCnnOps, 7};
  const Status s = load(some, a, &r);
  INFO(s.to_string());
  REQUIRE(s.ok());
  REQUIRE(run(some) == run(all));
  // Listing an operator twice is harmless.
  const octet_op* twice[8];
  for (int i = 0; i < 7; ++i) twice[i] = kCnnOps[i];
  twice[7] = &octet_op_conv_2d;
  const octet_op_resolver r2{sizeof(octet_op_resolver), twice, 8};
  Model m2;
  REQUIRE(load(m2, a, &r2).ok());
}

TEST_CASE("resolver: a model using an unregistered operator fails to load, naming it",
          "[resolver]") {
  const AlignedBytes a(cnn_model());
  // Leave out each operator in turn.
  for (int skip = 0; skip < 7; ++skip) {
    const octet_op* ops[6];
    int n = 0;
    for (int i = 0; i < 7; ++i) {
      if (i != skip) ops[n++] = kCnnOps[i];
    }
    const octet_op_resolver r{sizeof(octet_op_resolver), ops, n};
    Model m;
    const Status s = load(m, a, &r);
    const std::string name = octet_op_name(kCnnOps[skip]);
    INFO(name << ": " << s.to_string());
    REQUIRE(s.code() == OCTET_ERROR_UNSUPPORTED);
    CHECK(s.message().find("(" + name + ")") != std::string::npos);
    CHECK(s.message().find("not registered in the op resolver") != std::string::npos);
    std::string sym = name;
    for (char& c : sym) c = static_cast<char>(tolower(c));
    CHECK(s.message().find("&octet_op_" + sym) != std::string::npos);
  }
  // An empty resolver registers nothing.
  const octet_op_resolver none{sizeof(octet_op_resolver), nullptr, 0};
  Model m;
  REQUIRE(load(m, a, &none).code() == OCTET_ERROR_UNSUPPORTED);
}

TEST_CASE("resolver: a malformed resolver is an invalid argument", "[resolver]") {
  const AlignedBytes a(cnn_model());
  Model m;
  const octet_op_resolver small{sizeof(size_t), kCnnOps, 7};
  Status s = load(m, a, &small);
  REQUIRE(s.code() == OCTET_ERROR_INVALID_ARGUMENT);
  CHECK(s.message().find("struct_size") != std::string::npos);
  const octet_op* with_null[] = {&octet_op_conv_2d, nullptr};
  const octet_op_resolver r{sizeof(octet_op_resolver), with_null, 2};
  s = load(m, a, &r);
  REQUIRE(s.code() == OCTET_ERROR_INVALID_ARGUMENT);
  CHECK(s.message().find("entry #1 is null") != std::string::npos);
  const octet_op_resolver negative{sizeof(octet_op_resolver), kCnnOps, -1};
  REQUIRE(load(m, a, &negative).code() == OCTET_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("resolver: options without the resolver field keep the built-in set", "[resolver]") {
  // An application compiled against the older, shorter options struct.
  const AlignedBytes a(cnn_model());
  octet_model_options o{};
  o.struct_size = offsetof(octet_model_options, resolver);
  o.resolver = reinterpret_cast<const octet_op_resolver*>(uintptr_t{1});  // must not be read
  Model m;
  REQUIRE(m.load_buffer(a.data(), a.size(), &o).ok());
}

TEST_CASE("resolver: every operator object names its opcode", "[resolver]") {
  CHECK(std::string(octet_op_name(&octet_op_conv_2d)) == "CONV_2D");
  CHECK(std::string(octet_op_name(&octet_op_dequantize)) == "DEQUANTIZE");
  CHECK(std::string(octet_op_name(&octet_op_average_pool_2d)) == "AVERAGE_POOL_2D");
  CHECK(std::string(octet_op_name(nullptr)).empty());
}
