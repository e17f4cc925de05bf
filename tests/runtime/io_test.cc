// SPDX-License-Identifier: Apache-2.0
//
// uint8 at the graph boundary (docs/quantization.md §1: uint8 is int8
// shifted by 128) and the C API's device I/O reporting: type, shape, scale,
// zero point, layout and metadata per input/output.
#include <catch2/catch.hpp>
#include <cstring>

#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "tests/runtime/model_util.h"

using namespace octet;

namespace {

// uint8 image [1,4,4,16] (all 256 values) -> QUANTIZE to int8 (same scale)
// -> [relu as a CLAMP] -> QUANTIZE to uint8 / or the int8 tensor as output.
std::vector<uint8_t> boundary_model(bool u8_out, float scale = 0.02f, int64_t zu = 100) {
  ModelBuilder b;
  auto x = b.input("pixels", DType::kUint8, {1, 4, 4, 16}, Quant::per_tensor(scale, zu));
  auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(scale, zu - 128), "pixels/int8");
  auto y = b.clamp(q, Activation::none(), "copy", Quant::per_tensor(scale, zu - 128));
  if (u8_out) y = b.quantize(y, DType::kUint8, Quant::per_tensor(scale, zu), "scores/uint8");
  b.rename(y, "scores");
  b.output(y);
  b.add_metadata("io.layout.pixels", "NHWC");
  b.add_metadata("io.preprocess.pixels", "raw bytes");
  return b.finish();
}

}  // namespace

TEST_CASE("io: uint8 inputs and outputs at the graph boundary are int8 shifted by 128", "[runtime][io]") {
  for (bool u8_out : {false, true}) {
    test::AlignedBytes a(boundary_model(u8_out));
    Model m;
    REQUIRE(m.load_buffer(a.data(), a.size()));
    Interpreter it;
    REQUIRE(it.create(m));
    std::vector<uint8_t> in(256);
    for (int i = 0; i < 256; ++i) in[i] = static_cast<uint8_t>(i);
    REQUIRE(it.set_input(0, in.data(), in.size()));
    REQUIRE(it.invoke());
    const octet_tensor_info o = m.output_info(0);
    REQUIRE(o.dtype == (u8_out ? OCTET_UINT8 : OCTET_INT8));
    for (int i = 0; i < 256; ++i) {
      if (u8_out) {
        REQUIRE(int(it.output<uint8_t>(0)[i]) == i);
      } else {
        REQUIRE(int(it.output<int8_t>(0)[i]) == i - 128);
      }
    }
    // A float buffer is not a uint8 input.
    std::vector<float> f(256);
    CHECK(it.set_input(0, f.data(), f.size() * 4).code() == OCTET_ERROR_SHAPE_MISMATCH);
  }
}

TEST_CASE("io: the C API reports type, shape, scale, zero point, layout and metadata", "[runtime][io]") {
  test::AlignedBytes a(boundary_model(true));
  octet_model* m = nullptr;
  REQUIRE(octet_model_load_buffer(a.data(), a.size(), nullptr, &m) == OCTET_OK);
  octet_tensor_info in{}, out{};
  REQUIRE(octet_model_input_info(m, 0, &in) == OCTET_OK);
  REQUIRE(octet_model_output_info(m, 0, &out) == OCTET_OK);
  CHECK(std::string(in.name) == "pixels");
  CHECK(in.dtype == OCTET_UINT8);
  CHECK(in.rank == 4);
  CHECK(std::vector<int32_t>(in.dims, in.dims + 4) == std::vector<int32_t>{1, 4, 4, 16});
  CHECK(in.bytes == 256);
  CHECK(in.scale == 0.02f);
  CHECK(in.zero_point == 100);
  CHECK(std::string(out.name) == "scores");
  CHECK(out.dtype == OCTET_UINT8);
  CHECK(out.zero_point == 100);
  CHECK(octet_model_input_layout(m, 0) == OCTET_LAYOUT_NHWC);
  CHECK(octet_model_output_layout(m, 0) == OCTET_LAYOUT_UNKNOWN);  // not recorded
  CHECK(octet_model_input_layout(m, 1) == OCTET_LAYOUT_UNKNOWN);   // out of range
  CHECK(octet_model_input_layout(nullptr, 0) == OCTET_LAYOUT_UNKNOWN);
  CHECK(std::string(octet_layout_name(OCTET_LAYOUT_NCHW)) == "NCHW");
  CHECK(std::string(octet_layout_name(OCTET_LAYOUT_UNKNOWN)) == "unknown");
  CHECK(std::string(octet_model_metadata(m, "io.preprocess.pixels")) == "raw bytes");
  CHECK(octet_model_metadata(m, "io.preprocess.nothere") == nullptr);
  CHECK(octet_model_metadata(m, nullptr) == nullptr);
  CHECK(octet_model_metadata(nullptr, "x") == nullptr);
  octet_model_destroy(m);
}

TEST_CASE("io: a uint8 input with a wrong zero point range is rejected at load", "[runtime][io]") {
  // The uint8 zero point must lie in [0, 255] (it is the int8 one + 128).
  const auto bytes = test::mutate(boundary_model(false), [](octet::schema::ModelT& m) {
    m.tensors[m.inputs[0]]->quantization->zero_point = {300};
  });
  const Status s = test::try_load(bytes);
  CHECK(!s);
  INFO(s.to_string());
  CHECK(s.to_string().find("pixels") != std::string::npos);
}
