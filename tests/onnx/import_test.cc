// SPDX-License-Identifier: Apache-2.0
//
// converter/onnx unit tests on small hand-built ONNX graphs: the error that
// lists every unsupported node, unknown dimensions, HardSwish recognition,
// Clip/BN fusion with source_nodes, and the layout pass.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "converter/onnx/onnx_import.h"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"

namespace {

namespace oi = octet::onnx_import;
namespace fb = octet::schema;

struct G {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit G(int64_t opset = 13) {
    m.set_ir_version(7);
    auto* os = m.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  void input(const std::string& name, std::vector<int64_t> dims, bool symbolic_batch = false) {
    auto* vi = g->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* d = tt->mutable_shape()->add_dim();
      if (symbolic_batch && i == 0)
        d->set_dim_param("N");
      else
        d->set_dim_value(dims[i]);
    }
  }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  void init(const std::string& name, std::vector<int64_t> dims, std::vector<float> v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float f : v) t->add_float_data(f);
  }
  onnx::NodeProto* node(const std::string& op, const std::string& name, std::vector<std::string> in,
                        std::vector<std::string> out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : in) n->add_input(i);
    for (auto& o : out) n->add_output(o);
    return n;
  }
};

void attr_f(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

std::unique_ptr<fb::ModelT> unpack(const std::vector<uint8_t>& bytes) {
  return std::unique_ptr<fb::ModelT>(fb::GetModel(bytes.data())->UnPack());
}

// Runs a converted single-input, single-output model.
std::vector<float> run(const std::vector<uint8_t>& bytes, const std::vector<float>& x) {
  std::vector<uint8_t> copy(bytes);
  void* mem = aligned_alloc(64, (copy.size() + 63) / 64 * 64);
  memcpy(mem, copy.data(), copy.size());
  octet_model* m = nullptr;
  REQUIRE(octet_model_load_buffer(mem, copy.size(), nullptr, &m) == OCTET_OK);
  octet_interpreter* it = nullptr;
  REQUIRE(octet_interpreter_create(m, nullptr, &it) == OCTET_OK);
  REQUIRE(octet_interpreter_set_input(it, 0, x.data(), x.size() * 4) == OCTET_OK);
  REQUIRE(octet_interpreter_invoke(it) == OCTET_OK);
  octet_tensor_info info;
  octet_model_output_info(m, 0, &info);
  size_t n = 1;
  for (int32_t d = 0; d < info.rank; ++d) n *= static_cast<size_t>(info.dims[d]);
  std::vector<float> y(n);
  REQUIRE(octet_interpreter_get_output(it, 0, y.data(), n * 4) == OCTET_OK);
  octet_interpreter_destroy(it);
  octet_model_destroy(m);
  free(mem);
  return y;
}

}  // namespace

TEST_CASE("every unsupported node is listed in one error", "[onnx]") {
  G g;
  g.input("x", {1, 4});
  g.node("Erf", "erf_node", {"x"}, {"a"});
  g.node("Relu", "relu_node", {"a"}, {"b"});
  g.node("Sin", "sin_node", {"x"}, {"c"});
  g.node("Add", "add_node", {"b", "c"}, {"y"});
  g.output("y");
  try {
    oi::convert(g.m, {});
    FAIL("no error");
  } catch (const oi::UnsupportedModelError& e) {
    REQUIRE(e.nodes.size() == 2);
    CHECK(e.nodes[0].name == "erf_node");
    CHECK(e.nodes[0].op_type == "Erf");
    CHECK(e.nodes[0].opset == 13);
    CHECK(e.nodes[1].name == "sin_node");
    const std::string what = e.what();
    CHECK(what.find("erf_node (Erf, opset 13)") != std::string::npos);
    CHECK(what.find("sin_node (Sin, opset 13)") != std::string::npos);
  }
}

TEST_CASE("an unknown dimension names the input and --input-shape fixes it", "[onnx]") {
  G g;
  g.input("images", {1, 3, 4, 4}, /*symbolic_batch=*/true);
  g.node("Relu", "r", {"images"}, {"y"});
  g.output("y");
  try {
    oi::convert(g.m, {});
    FAIL("no error");
  } catch (const oi::ImportError& e) {
    CHECK(std::string(e.what()).find("input 'images'") != std::string::npos);
    CHECK(std::string(e.what()).find("--input-shape") != std::string::npos);
  }
  oi::ImportOptions o;
  o.input_shapes["images"] = {2, 3, 4, 4};
  const auto bytes = oi::convert(g.m, o);
  CHECK(unpack(bytes)->tensors[unpack(bytes)->inputs[0]]->shape ==
        std::vector<int32_t>{2, 3, 4, 4});
  CHECK(oi::parse_input_shape("a=1,3,224,224").second == std::vector<int64_t>{1, 3, 224, 224});
  CHECK_THROWS_AS(oi::parse_input_shape("a=1,x"), oi::ImportError);
}

TEST_CASE("x*Clip(x+3,0,6)/6 becomes one HARD_SWISH with every source node", "[onnx]") {
  G g;
  g.input("x", {1, 8});
  g.init("three", {}, {3.0f});
  g.init("zero", {}, {0.0f});
  g.init("six", {}, {6.0f});
  g.node("Add", "add", {"x", "three"}, {"a"});
  g.node("Clip", "clip", {"a", "zero", "six"}, {"c"});
  g.node("Mul", "mul", {"x", "c"}, {"m"});
  g.node("Div", "div", {"m", "six"}, {"y"});
  g.output("y");
  const auto bytes = oi::convert(g.m, {});
  const auto m = unpack(bytes);
  REQUIRE(m->operators.size() == 1);
  CHECK(m->operators[0]->opcode == fb::OpCode::HARD_SWISH);
  CHECK(m->operators[0]->source_nodes == std::vector<std::string>{"add", "clip", "mul", "div"});
  const std::vector<float> x = {-4, -3, -1.5f, 0, 0.5f, 2, 3, 5};
  const auto y = run(bytes, x);
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(y[i] == Approx(x[i] * std::min(std::max(x[i] + 3, 0.0f), 6.0f) / 6).margin(1e-6));
  }
}

TEST_CASE("x*HardSigmoid(x) becomes HARD_SWISH", "[onnx]") {
  G g;
  g.input("x", {1, 4});
  auto* hs = g.node("HardSigmoid", "hsig", {"x"}, {"h"});
  attr_f(hs, "alpha", 1.0f / 6);
  g.node("Mul", "mul", {"h", "x"}, {"y"});
  g.output("y");
  const auto m = unpack(oi::convert(g.m, {}));
  REQUIRE(m->operators.size() == 1);
  CHECK(m->operators[0]->opcode == fb::OpCode::HARD_SWISH);
  CHECK(m->operators[0]->source_nodes == std::vector<std::string>{"hsig", "mul"});
}

TEST_CASE("Conv + BatchNormalization + Clip(0,6) fold into one CONV_2D", "[onnx]") {
  G g;
  g.input("x", {1, 2, 5, 5});
  std::vector<float> w(3 * 2 * 3 * 3);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i)) * 0.5f;
  g.init("w", {3, 2, 3, 3}, w);
  g.init("b", {3}, {0.1f, -0.2f, 0.3f});
  g.init("gamma", {3}, {1.5f, 0.5f, 1.0f});
  g.init("beta", {3}, {0.0f, 1.0f, -1.0f});
  g.init("mean", {3}, {0.2f, -0.1f, 0.0f});
  g.init("var", {3}, {1.0f, 4.0f, 0.25f});
  g.init("lo", {}, {0.0f});
  g.init("hi", {}, {6.0f});
  auto* conv = g.node("Conv", "conv", {"x", "w", "b"}, {"c"});
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int k = 0; k < 4; ++k) pads->add_ints(1);
  g.node("BatchNormalization", "bn", {"c", "gamma", "beta", "mean", "var"}, {"n"});
  g.node("Clip", "relu6", {"n", "lo", "hi"}, {"y"});
  g.output("y");
  oi::ImportReport rep;
  const auto bytes = oi::convert(g.m, {}, &rep);
  const auto m = unpack(bytes);
  int convs = 0;
  for (const auto& op : m->operators) {
    if (op->opcode != fb::OpCode::CONV_2D) continue;
    ++convs;
    CHECK(op->activation == fb::Activation::RELU6);
    CHECK(op->source_nodes == std::vector<std::string>{"conv", "bn", "relu6"});
  }
  CHECK(convs == 1);
  CHECK(rep.fused_nodes == 2);
  // Numerics against a direct evaluation.
  std::vector<float> x(2 * 5 * 5);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(float(i) * 0.7f) * 3;
  const auto y = run(bytes, x);
  const float gamma[3] = {1.5f, 0.5f, 1.0f}, beta[3] = {0, 1, -1}, mean[3] = {0.2f, -0.1f, 0},
              var[3] = {1, 4, 0.25f}, b[3] = {0.1f, -0.2f, 0.3f};
  for (int o = 0; o < 3; ++o) {
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) {
        double acc = b[o];
        for (int c = 0; c < 2; ++c) {
          for (int ki = 0; ki < 3; ++ki) {
            for (int kj = 0; kj < 3; ++kj) {
              const int ii = i + ki - 1, jj = j + kj - 1;
              if (ii < 0 || jj < 0 || ii >= 5 || jj >= 5) continue;
              acc += x[(c * 5 + ii) * 5 + jj] * w[((o * 2 + c) * 3 + ki) * 3 + kj];
            }
          }
        }
        double v = (acc - mean[o]) / std::sqrt(var[o] + 1e-5) * gamma[o] + beta[o];
        v = std::min(std::max(v, 0.0), 6.0);
        CHECK(y[(o * 5 + i) * 5 + j] == Approx(v).margin(1e-5));
      }
    }
  }
}

TEST_CASE("global pooling then Flatten needs no layout transpose back", "[onnx]") {
  G g;
  g.input("x", {1, 3, 4, 4});
  g.init("w", {2, 3, 1, 1}, {1, 0, 0, 0, 1, 0});
  g.node("Conv", "conv", {"x", "w"}, {"c"});
  g.node("GlobalAveragePool", "gap", {"c"}, {"p"});
  g.node("Flatten", "flat", {"p"}, {"y"});
  g.output("y");
  oi::ImportReport rep;
  const auto m = unpack(oi::convert(g.m, {}, &rep));
  CHECK(rep.transposes == 1);  // the NCHW input only
  int transposes = 0;
  for (const auto& op : m->operators) transposes += op->opcode == fb::OpCode::TRANSPOSE;
  CHECK(transposes == 1);
}

TEST_CASE("graph inputs that must be constants are named", "[onnx]") {
  G g;
  g.input("x", {1, 6});
  g.input("shape", {2});
  g.g->mutable_input(1)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::INT64);
  g.node("Reshape", "reshape", {"x", "shape"}, {"y"});
  g.output("y");
  try {
    oi::convert(g.m, {});
    FAIL("no error");
  } catch (const oi::NeedsConstantError& e) {
    CHECK(e.inputs == std::vector<std::string>{"shape"});
  }
}

TEST_CASE("malformed graphs are errors, not crashes", "[onnx]") {
  G g;
  g.input("x", {1, 2, 4, 4});
  g.node("Conv", "conv_without_weights", {"x"}, {"a"});
  g.node("Add", "add_of_undefined", {"x", "nowhere"}, {"y"});
  g.output("y");
  try {
    oi::convert(g.m, {});
    FAIL("no error");
  } catch (const oi::UnsupportedModelError& e) {
    REQUIRE(e.nodes.size() == 2);
    CHECK(e.nodes[0].reason == "missing inputs or outputs");
    CHECK(e.nodes[1].reason.find("'nowhere' is not defined") != std::string::npos);
  }
}

TEST_CASE("Clip with min/max attributes (opset 9) fuses into Gemm as RELU6", "[onnx]") {
  G g(9);
  g.input("x", {2, 3});
  g.init("w", {3, 2}, {1, -1, 2, 0.5f, -3, 4});
  g.node("Gemm", "fc", {"x", "w"}, {"f"});
  auto* clip = g.node("Clip", "relu6", {"f"}, {"y"});
  attr_f(clip, "min", 0);
  attr_f(clip, "max", 6);
  g.output("y");
  const auto bytes = oi::convert(g.m, {});
  const auto m = unpack(bytes);
  REQUIRE(m->operators.size() == 1);
  CHECK(m->operators[0]->opcode == fb::OpCode::FULLY_CONNECTED);
  CHECK(m->operators[0]->activation == fb::Activation::RELU6);
  CHECK(m->operators[0]->source_nodes == std::vector<std::string>{"fc", "relu6"});
  const auto y = run(bytes, {1, 2, 3, -1, 0.5f, 2});
  const float x[2][3] = {{1, 2, 3}, {-1, 0.5f, 2}}, w[3][2] = {{1, -1}, {2, 0.5f}, {-3, 4}};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      float acc = 0;
      for (int k = 0; k < 3; ++k) acc += x[i][k] * w[k][j];
      CHECK(y[i * 2 + j] == Approx(std::min(std::max(acc, 0.0f), 6.0f)));
    }
  }
}

TEST_CASE("QLinearConv with uint8 weights far from their zero point falls back exactly", "[onnx]") {
  // w − z_w reaches 255: no symmetric int8 representation, so the converter
  // runs dequantize -> fp32 conv -> quantize. Compared with ONNX's formula.
  G g(13);
  auto* vi = g.g->add_input();
  vi->set_name("x");
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::UINT8);
  for (int64_t d : {1, 1, 3, 3}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto u8 = [&](const std::string& name, std::vector<int64_t> dims, std::vector<int> v) {
    auto* t = g.g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::UINT8);
    for (int64_t d : dims) t->add_dims(d);
    for (int x : v) t->add_int32_data(x);
  };
  g.init("xs", {}, {0.5f});
  u8("xz", {}, {100});
  const std::vector<int> w = {250, 3, 128, 200, 10, 20, 30, 255};
  u8("w", {2, 1, 2, 2}, w);
  g.init("ws", {}, {0.01f});
  u8("wz", {}, {0});
  g.init("ys", {}, {0.3f});
  u8("yz", {}, {50});
  g.node("QLinearConv", "qconv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"y"});
  g.output("y");
  const auto bytes = oi::convert(g.m, {});
  const std::vector<uint8_t> x = {90, 110, 255, 0, 100, 130, 77, 101, 180};
  std::vector<uint8_t> copy(bytes);
  void* mem = aligned_alloc(64, (copy.size() + 63) / 64 * 64);
  memcpy(mem, copy.data(), copy.size());
  octet_model* m = nullptr;
  REQUIRE(octet_model_load_buffer(mem, copy.size(), nullptr, &m) == OCTET_OK);
  octet_interpreter* it = nullptr;
  REQUIRE(octet_interpreter_create(m, nullptr, &it) == OCTET_OK);
  REQUIRE(octet_interpreter_set_input(it, 0, x.data(), x.size()) == OCTET_OK);
  REQUIRE(octet_interpreter_invoke(it) == OCTET_OK);
  std::vector<uint8_t> y(8);
  REQUIRE(octet_interpreter_get_output(it, 0, y.data(), y.size()) == OCTET_OK);
  int off = 0;
  for (int o = 0; o < 2; ++o) {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        int64_t acc = 0;
        for (int ki = 0; ki < 2; ++ki) {
          for (int kj = 0; kj < 2; ++kj) {
            acc += (x[(i + ki) * 3 + j + kj] - 100) * w[(o * 2 + ki) * 2 + kj];
          }
        }
        const double q = std::nearbyint(acc * (0.5 * 0.01 / 0.3)) + 50;
        const int want = static_cast<int>(std::min(std::max(q, 0.0), 255.0));
        const int got = y[(o * 2 + i) * 2 + j];
        CHECK(std::abs(got - want) <= 1);
        off += got != want;
      }
    }
  }
  CHECK(off <= 1);
  octet_interpreter_destroy(it);
  octet_model_destroy(m);
  free(mem);
}
