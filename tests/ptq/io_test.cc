// SPDX-License-Identifier: Apache-2.0
//
// Device I/O of quantized models (converter/ptq/io_types.h, issue 10):
// uint8/int8/float32 inputs and outputs, the normalization folded into the
// input parameters or the first layer (per tensor and per channel), both
// input layouts, the reporting, and the errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>

#include "converter/ptq/io_types.h"
#include "converter/ptq/quantizer.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"
#include "tests/runtime/model_util.h"

using namespace octet;
using namespace octet::ptq;
namespace fb = octet::schema;

namespace {

constexpr int kH = 6, kW = 6, kC = 3, kSamples = 24;

std::vector<float> randv(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> d(0.0f, 0.5f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// image -> [transpose NCHW->NHWC] -> conv 3x3 (pad) relu -> mean -> fc(4),
// or just the conv (conv_only) to look at every position.
std::vector<uint8_t> io_model(bool nchw, int pad, bool conv_only = false, bool bias = true) {
  std::mt19937 rng(7);
  ModelBuilder b;
  auto x = nchw ? b.input("image", DType::kFloat32, {1, kC, kH, kW})
                : b.input("image", DType::kFloat32, {1, kH, kW, kC});
  if (nchw) x = b.transpose(x, {0, 2, 3, 1}, "image/nhwc");
  Conv2DOptions o;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = pad;
  auto c = b.conv2d(x, b.constant_f32("c.w", {8, 3, 3, kC}, randv(rng, 8 * 9 * kC)),
                    bias ? b.constant_f32("c.b", {8}, randv(rng, 8)) : ModelBuilder::kNone, o,
                    conv_only ? Activation::none() : Activation::relu(), "conv");
  if (conv_only) {
    b.output(c);
    return b.finish();
  }
  auto m = b.mean(c, {1, 2}, false, "gap");
  auto y = b.fully_connected(m, b.constant_f32("fc.w", {4, 8}, randv(rng, 32)),
                             b.constant_f32("fc.b", {4}, randv(rng, 4)), Activation::none(), "fc");
  b.rename(y, "logits");
  b.output(y);
  return b.finish();
}

// Raw 8-bit sample i in the given layout, covering 0 and 255.
std::vector<uint8_t> raw_sample(int i, bool nchw) {
  std::vector<uint8_t> v(kH * kW * kC);
  for (int h = 0; h < kH; ++h)
    for (int w = 0; w < kW; ++w)
      for (int c = 0; c < kC; ++c) {
        const int val = (i * 37 + h * 91 + w * 53 + c * 71 + (h * w * c) % 7) % 256;
        const size_t idx = nchw ? (size_t(c) * kH + h) * kW + w : (size_t(h) * kW + w) * kC + c;
        v[idx] = static_cast<uint8_t>(i == 0 ? 0 : i == 1 ? 255 : val);
      }
  return v;
}

struct Norm {
  float scale = 1.0f / 255.0f;
  std::vector<float> mean{0.0f}, std{1.0f};
  float operator()(uint8_t v, size_t c) const {
    const float m = mean[mean.size() == 1 ? 0 : c], s = std[std.size() == 1 ? 0 : c];
    return (static_cast<float>(v) * scale - m) * (1.0f / s);
  }
};

std::vector<float> normalized(const std::vector<uint8_t>& raw, bool nchw, const Norm& n) {
  std::vector<float> x(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const size_t c = nchw ? i / (kH * kW) : i % kC;
    x[i] = n(raw[i], c);
  }
  return x;
}

Dataset normalized_data(bool nchw, const Norm& n) {
  return Dataset(kSamples, size_t(kH) * kW * kC,
                 [nchw, n](size_t i, float* out) {
                   const auto x = normalized(raw_sample(static_cast<int>(i), nchw), nchw, n);
                   std::copy(x.begin(), x.end(), out);
                 },
                 "synthetic");
}

std::map<std::string, TensorRange> calibrated(const std::vector<uint8_t>& fp32, bool nchw,
                                              const Norm& n) {
  return choose_ranges(calibrate(fp32, normalized_data(nchw, n)), parse_range_method("minmax"));
}

// Runs `model` on one input given as bytes; returns output 0's bytes.
std::vector<uint8_t> run(const std::vector<uint8_t>& model, const void* in, size_t bytes,
                         uint32_t flags = 0) {
  test::AlignedBytes a(model);
  octet_model_options mo{};
  mo.struct_size = sizeof(mo);
  mo.flags = flags;
  Model m;
  const Status s = m.load_buffer(a.data(), a.size(), &mo);
  INFO(s.to_string());
  REQUIRE(s);
  Interpreter it;
  REQUIRE(it.create(m));
  REQUIRE(it.set_input(0, in, bytes));
  REQUIRE(it.invoke());
  const octet_tensor_info o = m.output_info(0);
  const auto* p = it.output<uint8_t>(0);
  return std::vector<uint8_t>(p, p + o.bytes);
}

std::vector<float> as_floats(const std::vector<uint8_t>& b) {
  std::vector<float> f(b.size() / 4);
  memcpy(f.data(), b.data(), b.size());
  return f;
}

octet_tensor_info io_info(const std::vector<uint8_t>& model, bool input, octet_layout* layout = nullptr,
                          std::string* preprocess = nullptr) {
  test::AlignedBytes a(model);
  Model m;
  REQUIRE(m.load_buffer(a.data(), a.size()));
  octet_tensor_info t = input ? m.input_info(0) : m.output_info(0);
  if (layout) *layout = input ? octet_model_input_layout(m.get(), 0) : octet_model_output_layout(m.get(), 0);
  if (preprocess) {
    const char* p = octet_model_metadata(m.get(), "io.preprocess.image");
    *preprocess = p ? p : "";
  }
  t.name = nullptr;  // points into the model, which is gone
  return t;
}

int count_ops(const std::vector<uint8_t>& model, fb::OpCode code) {
  const fb::Model* m = fb::GetModel(model.data());
  int n = 0;
  for (const auto* op : *m->operators()) n += op->opcode() == code;
  return n;
}

QuantizeOptions minmax_options() {
  QuantizeOptions o;
  o.method = parse_range_method("minmax");
  return o;
}

void set_fold(QuantizeOptions* o, const Norm& n) {
  o->io.fold = true;
  o->io.scale = n.scale;
  o->io.mean = n.mean;
  o->io.std = n.std;
}

}  // namespace

TEST_CASE("io: uint8 and int8 inputs fed raw bytes give the float-input model's outputs bit for bit",
          "[ptq][io]") {
  const auto fp32 = io_model(false, 1);
  const Norm n;  // pixel / 255: per-tensor parameters express it exactly
  const auto ranges = calibrated(fp32, false, n);
  const auto qf = quantize_model(fp32, ranges, minmax_options());

  QuantizeOptions ou = minmax_options();
  ou.io.input_types[""] = IoType::kUint8;
  set_fold(&ou, n);
  QuantizeReport rep;
  const auto qu = quantize_model(fp32, ranges, ou, &rep);
  QuantizeOptions oi = ou;
  oi.io.input_types[""] = IoType::kInt8;
  const auto qi = quantize_model(fp32, ranges, oi);

  std::string pre;
  const octet_tensor_info iu = io_info(qu, true, nullptr, &pre);
  CHECK(iu.dtype == OCTET_UINT8);
  CHECK(iu.scale == 1.0f / 255.0f);
  CHECK(iu.zero_point == 0);
  CHECK(pre.find("folded") != std::string::npos);
  const octet_tensor_info ii = io_info(qi, true);
  CHECK(ii.dtype == OCTET_INT8);
  CHECK(ii.scale == 1.0f / 255.0f);
  CHECK(ii.zero_point == -128);
  REQUIRE(!rep.io_notes.empty());
  CHECK(rep.io_notes.back().find("folded exactly into the input parameters") != std::string::npos);
  // uint8: one QUANTIZE (u8 -> s8, a shift); int8: none at all.
  CHECK(count_ops(qu, fb::OpCode::QUANTIZE) == 1);
  CHECK(count_ops(qi, fb::OpCode::QUANTIZE) == 0);

  for (int i = 0; i < kSamples; ++i) {
    const auto raw = raw_sample(i, false);
    const auto x = normalized(raw, false, n);
    std::vector<int8_t> shifted(raw.size());
    for (size_t k = 0; k < raw.size(); ++k) shifted[k] = static_cast<int8_t>(raw[k] - 128);
    const auto ref = run(qf, x.data(), x.size() * 4);
    REQUIRE(run(qu, raw.data(), raw.size()) == ref);
    REQUIRE(run(qi, shifted.data(), shifted.size()) == ref);
  }
}

TEST_CASE("io: int8 and uint8 outputs are the float output's quantized values", "[ptq][io]") {
  const auto fp32 = io_model(false, 1);
  const Norm n;
  const auto ranges = calibrated(fp32, false, n);
  QuantizeOptions o = minmax_options();
  o.io.input_types[""] = IoType::kUint8;
  set_fold(&o, n);
  const auto qf = quantize_model(fp32, ranges, o);
  o.io.output_types["logits"] = IoType::kInt8;
  const auto q8 = quantize_model(fp32, ranges, o);
  o.io.output_types["logits"] = IoType::kUint8;
  const auto qu = quantize_model(fp32, ranges, o);
  const octet_tensor_info t8 = io_info(q8, false), tu = io_info(qu, false);
  REQUIRE(t8.dtype == OCTET_INT8);
  REQUIRE(tu.dtype == OCTET_UINT8);
  CHECK(tu.scale == t8.scale);
  CHECK(tu.zero_point == t8.zero_point + 128);
  CHECK(count_ops(q8, fb::OpCode::DEQUANTIZE) == 0);
  for (int i = 0; i < kSamples; ++i) {
    const auto raw = raw_sample(i, false);
    const auto f = as_floats(run(qf, raw.data(), raw.size()));
    const auto y8 = run(q8, raw.data(), raw.size());
    const auto yu = run(qu, raw.data(), raw.size());
    for (size_t k = 0; k < f.size(); ++k) {
      const int q = static_cast<int8_t>(y8[k]);
      // DEQUANTIZE is s·(q − z) in float: the float output is exactly that.
      REQUIRE(f[k] == t8.scale * static_cast<float>(q - t8.zero_point));
      REQUIRE(int(yu[k]) == q + 128);
    }
  }
}

TEST_CASE("io: normalization folded into the first layer is exact in float (per tensor and per channel)",
          "[ptq][io]") {
  // Fold only, in float: the rewritten fp32 graph fed r = s·(v − z) must
  // give the original fed x = (v·scale − mean)/std.
  Norm frac;  // mean/scale = 127.5: no integer zero point
  frac.mean = {0.5f};
  frac.std = {0.5f};
  Norm rgb;  // per channel (ImageNet)
  rgb.mean = {0.485f, 0.456f, 0.406f};
  rgb.std = {0.229f, 0.224f, 0.225f};
  for (const Norm* n : {&frac, &rgb}) {
    for (int pad : {0, 1}) {
      for (bool bias : {true, false}) {
        DYNAMIC_SECTION((n == &frac ? "per-tensor 127.5" : "per-channel") << " pad " << pad
                                                                          << (bias ? "" : " no bias")) {
          const auto fp32 = io_model(false, pad, true, bias);
          IoOptions io;
          io.input_types[""] = IoType::kUint8;
          io.fold = true;
          io.scale = n->scale, io.mean = n->mean, io.std = n->std;
          std::map<std::string, TensorRange> ranges;
          IoPlan plan;
          const auto folded = test::mutate(fp32, [&](fb::ModelT& m) { plan = prepare_io(&m, io, &ranges); });
          const Quant& q = plan.inputs.at("image").internal;
          REQUIRE(q.scale.size() == 1);
          const float s = q.scale[0];
          const int64_t z = q.zero_point[0] + 128;
          REQUIRE(plan.notes.back().find("folded into the weights and bias of conv") != std::string::npos);
          const bool border_exact = pad == 0;
          CHECK((plan.notes.back().find("except at zero-padded borders") == std::string::npos) ==
                border_exact);
          const int oh = kH - 2 + 2 * pad, ow = kW - 2 + 2 * pad;
          double worst_inside = 0, worst_border = 0;
          for (int i = 0; i < 4; ++i) {
            const auto raw = raw_sample(i + 2, false);
            const auto x = normalized(raw, false, *n);
            std::vector<float> r(raw.size());
            for (size_t k = 0; k < raw.size(); ++k) r[k] = s * static_cast<float>(int64_t(raw[k]) - z);
            const auto ya = as_floats(run(fp32, x.data(), x.size() * 4));
            const auto yb = as_floats(run(folded, r.data(), r.size() * 4, OCTET_MODEL_SKIP_CHECKSUM));
            REQUIRE(ya.size() == size_t(oh) * ow * 8);
            for (int h = 0; h < oh; ++h)
              for (int w = 0; w < ow; ++w)
                for (int c = 0; c < 8; ++c) {
                  const size_t k = (size_t(h) * ow + w) * 8 + c;
                  const double e = std::fabs(double(ya[k]) - yb[k]) / (1.0 + std::fabs(ya[k]));
                  const bool border = pad && (h == 0 || w == 0 || h == oh - 1 || w == ow - 1);
                  (border ? worst_border : worst_inside) = std::max(border ? worst_border : worst_inside, e);
                }
          }
          CHECK(worst_inside < 1e-5);  // float rounding only
          if (pad) CHECK(worst_border > 1e-3);  // a padded tap is raw z, not x = 0
        }
      }
    }
  }
}

TEST_CASE("io: folded uint8 models stay close to the float-input int8 model", "[ptq][io]") {
  Norm rgb;
  rgb.mean = {0.485f, 0.456f, 0.406f};
  rgb.std = {0.229f, 0.224f, 0.225f};
  const auto fp32 = io_model(false, 0);  // no padding: the fold is exact
  const auto ranges = calibrated(fp32, false, rgb);
  const auto qf = quantize_model(fp32, ranges, minmax_options());
  QuantizeOptions o = minmax_options();
  o.io.input_types[""] = IoType::kUint8;
  set_fold(&o, rgb);
  const auto qu = quantize_model(fp32, ranges, o);
  // Worst output error against fp32: the uint8 model (weights with the
  // per-channel 1/std folded in, then quantized) against the float-input
  // int8 model.
  double err_u8 = 0, err_f = 0, span = 0;
  for (int i = 0; i < kSamples; ++i) {
    const auto raw = raw_sample(i, false);
    const auto x = normalized(raw, false, rgb);
    const auto yr = as_floats(run(fp32, x.data(), x.size() * 4));
    const auto yf = as_floats(run(qf, x.data(), x.size() * 4));
    const auto yu = as_floats(run(qu, raw.data(), raw.size()));
    for (size_t k = 0; k < yr.size(); ++k) {
      err_u8 = std::max(err_u8, double(std::fabs(yu[k] - yr[k])));
      err_f = std::max(err_f, double(std::fabs(yf[k] - yr[k])));
      span = std::max(span, double(std::fabs(yr[k])));
    }
  }
  INFO("max error uint8 " << err_u8 << ", float-input " << err_f << ", output span " << span);
  CHECK(err_u8 <= 2 * err_f + 0.01 * span);
  CHECK(err_u8 < 0.05 * span);
}

TEST_CASE("io: input layout NHWC drops the NCHW transpose; NCHW adds one; outputs unchanged",
          "[ptq][io]") {
  const Norm n;
  SECTION("NCHW source, NHWC device") {
    const auto fp32 = io_model(true, 1);
    const auto ranges = calibrated(fp32, true, n);
    const auto q_nchw = quantize_model(fp32, ranges, minmax_options());
    QuantizeOptions o = minmax_options();
    o.io.input_layouts[""] = IoLayout::kNHWC;
    const auto q_nhwc = quantize_model(fp32, ranges, o);
    CHECK(count_ops(q_nchw, fb::OpCode::TRANSPOSE) == 1);
    CHECK(count_ops(q_nhwc, fb::OpCode::TRANSPOSE) == 0);
    octet_layout l1, l2;
    const auto t1 = io_info(q_nchw, true, &l1);
    CHECK(std::vector<int32_t>(t1.dims, t1.dims + 4) == std::vector<int32_t>{1, kC, kH, kW});
    const auto t2 = io_info(q_nhwc, true, &l2);
    CHECK(l1 == OCTET_LAYOUT_NCHW);
    CHECK(l2 == OCTET_LAYOUT_NHWC);
    CHECK(std::vector<int32_t>(t2.dims, t2.dims + 4) == std::vector<int32_t>{1, kH, kW, kC});
    // With a uint8 input and the fold too.
    QuantizeOptions ou = o;
    ou.io.input_types["image"] = IoType::kUint8;
    set_fold(&ou, n);
    const auto q_u8 = quantize_model(fp32, ranges, ou);
    CHECK(count_ops(q_u8, fb::OpCode::TRANSPOSE) == 0);
    for (int i = 0; i < kSamples; ++i) {
      const auto xc = normalized(raw_sample(i, true), true, n);
      const auto raw = raw_sample(i, false);
      const auto xh = normalized(raw, false, n);
      const auto ref = run(q_nchw, xc.data(), xc.size() * 4);
      REQUIRE(run(q_nhwc, xh.data(), xh.size() * 4) == ref);
      REQUIRE(run(q_u8, raw.data(), raw.size()) == ref);
    }
  }
  SECTION("NHWC source, NCHW device") {
    const auto fp32 = io_model(false, 1);
    const auto ranges = calibrated(fp32, false, n);
    const auto q_nhwc = quantize_model(fp32, ranges, minmax_options());
    QuantizeOptions o = minmax_options();
    o.io.input_layouts["image"] = IoLayout::kNCHW;
    o.io.input_types["image"] = IoType::kUint8;
    set_fold(&o, n);
    QuantizeReport rep;
    const auto q_nchw = quantize_model(fp32, ranges, o, &rep);
    CHECK(count_ops(q_nchw, fb::OpCode::TRANSPOSE) == 1);
    octet_layout l;
    const auto t = io_info(q_nchw, true, &l);
    CHECK(l == OCTET_LAYOUT_NCHW);
    CHECK(std::vector<int32_t>(t.dims, t.dims + 4) == std::vector<int32_t>{1, kC, kH, kW});
    CHECK(rep.io_notes.front().find("TRANSPOSE step") != std::string::npos);
    for (int i = 0; i < kSamples; ++i) {
      const auto xh = normalized(raw_sample(i, false), false, n);
      const auto rc = raw_sample(i, true);
      REQUIRE(run(q_nchw, rc.data(), rc.size()) == run(q_nhwc, xh.data(), xh.size() * 4));
    }
  }
  SECTION("per-channel fold through the kept NCHW transpose") {
    Norm rgb;
    rgb.mean = {0.485f, 0.456f, 0.406f};
    rgb.std = {0.229f, 0.224f, 0.225f};
    const auto fp32 = io_model(true, 0);
    const auto ranges = calibrated(fp32, true, rgb);
    QuantizeOptions o = minmax_options();
    o.io.input_types[""] = IoType::kUint8;
    set_fold(&o, rgb);
    QuantizeReport rep;
    const auto q = quantize_model(fp32, ranges, o, &rep);
    CHECK(rep.io_notes.back().find("folded into the weights and bias of conv") != std::string::npos);
    const auto qf = quantize_model(fp32, ranges, minmax_options());
    for (int i = 0; i < 4; ++i) {
      const auto raw = raw_sample(i, true);
      const auto x = normalized(raw, true, rgb);
      const auto a = as_floats(run(q, raw.data(), raw.size()));
      const auto b = as_floats(run(qf, x.data(), x.size() * 4));
      for (size_t k = 0; k < a.size(); ++k) CHECK(a[k] == Approx(b[k]).margin(0.1));
    }
  }
}

TEST_CASE("io: bad names, types, layouts and folds are clear errors", "[ptq][io]") {
  const auto fp32 = io_model(false, 1);
  const Norm n;
  const auto ranges = calibrated(fp32, false, n);
  auto expect = [&](const QuantizeOptions& o, const std::string& what) {
    try {
      quantize_model(fp32, ranges, o);
      FAIL("expected an error containing: " << what);
    } catch (const QuantizeError& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(what) != std::string::npos);
    }
  };
  QuantizeOptions o = minmax_options();
  o.io.input_types["pixels"] = IoType::kUint8;
  expect(o, "--input-type pixels=...: the model has no input named 'pixels' (inputs: image)");
  o = minmax_options();
  o.io.output_types["scores"] = IoType::kInt8;
  expect(o, "no output named 'scores' (outputs: logits)");
  o = minmax_options();
  o.io.input_layouts["img"] = IoLayout::kNHWC;
  expect(o, "--input-layout img=...");

  std::map<std::string, IoType> types;
  CHECK_THROWS_WITH(add_io_type_spec("--input-type", "image=uint9", &types),
                    Catch::Contains("unknown I/O type 'uint9' (use float32, uint8 or int8)"));
  CHECK_THROWS_WITH(add_io_type_spec("--output-type", "=int8", &types), Catch::Contains("NAME=TYPE"));
  std::map<std::string, IoLayout> layouts;
  CHECK_THROWS_WITH(add_io_layout_spec("NWHC", &layouts), Catch::Contains("unknown layout 'NWHC'"));
  add_io_type_spec("--input-type", "image=INT8", &types);
  add_io_type_spec("--input-type", "uint8", &types);
  CHECK(types.at("image") == IoType::kInt8);
  CHECK(types.at("") == IoType::kUint8);

  // Per-channel mean with the wrong count.
  o = minmax_options();
  o.io.input_types[""] = IoType::kUint8;
  Norm two;
  two.mean = {0.1f, 0.2f};
  set_fold(&o, two);
  expect(o, "--mean has 2 values; input 'image' has 3 channels");

  // Layout on a non-image input; per-channel fold into an operator without weights.
  ModelBuilder b;
  auto x = b.input("v", DType::kFloat32, {1, 3});
  auto y = b.add(x, b.constant_f32("k", {1, 3}, {1, 2, 3}), Activation::none(), "add");
  b.output(y);
  const auto flat = b.finish();
  std::map<std::string, TensorRange> fr{{"v", {-1, 1, "t"}}, {"add", {-1, 4, "t"}}};
  QuantizeOptions lo = minmax_options();
  lo.io.input_layouts[""] = IoLayout::kNHWC;
  CHECK_THROWS_WITH(quantize_model(flat, fr, lo),
                    Catch::Contains("input 'v' has shape [1,3]; only rank-4 image inputs have a layout"));
  QuantizeOptions po = minmax_options();
  po.io.input_types[""] = IoType::kUint8;
  Norm rgb;
  rgb.mean = {0.485f, 0.456f, 0.406f};
  rgb.std = {0.229f, 0.224f, 0.225f};
  set_fold(&po, rgb);
  CHECK_THROWS_WITH(quantize_model(flat, fr, po),
                    Catch::Contains("per-channel --mean/--std cannot be expressed") &&
                        Catch::Contains("'add' (ADD), which has no weights to fold into"));
}

TEST_CASE("io: evaluate feeds raw bytes to a uint8-input model", "[ptq][io]") {
  const auto fp32 = io_model(false, 1);
  const Norm n;
  const auto ranges = calibrated(fp32, false, n);
  const auto qf = quantize_model(fp32, ranges, minmax_options());
  QuantizeOptions o = minmax_options();
  o.io.input_types[""] = IoType::kUint8;
  set_fold(&o, n);
  const auto qu = quantize_model(fp32, ranges, o);
  const Dataset raw(kSamples, size_t(kH) * kW * kC,
                    [](size_t i, float* out) {
                      const auto r = raw_sample(static_cast<int>(i), false);
                      for (size_t k = 0; k < r.size(); ++k) out[k] = r[k];
                    },
                    "raw");
  std::vector<int64_t> labels(kSamples);
  for (int i = 0; i < kSamples; ++i) labels[i] = i % 4;
  const EvalResult a = evaluate(qf, normalized_data(false, n), labels);
  const EvalResult b = evaluate(qu, raw, labels);
  CHECK(a.predictions == b.predictions);
  CHECK(a.top1 == b.top1);
  // Normalized floats are not raw bytes: a clear error.
  CHECK_THROWS_WITH(evaluate(qu, normalized_data(false, n), labels),
                    Catch::Contains("input 'image' takes raw 8-bit values (uint8)"));
}
