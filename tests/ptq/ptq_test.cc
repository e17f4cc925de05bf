// SPDX-License-Identifier: Apache-2.0
//
// Post-training quantization: range methods on data with known answers,
// the data loaders, the quantizer (per-channel / per-tensor, fp32
// overrides, config round-trip) on small models built here.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "converter/ptq/data.h"
#include "converter/ptq/histogram.h"
#include "converter/ptq/quantizer.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"
#include "tools/common/npy.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace fs = std::filesystem;
using namespace octet;
using namespace octet::ptq;

namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("octet_ptq_test_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

Histogram hist_of(const std::vector<float>& v, size_t chunk = 1000) {
  Histogram h;
  for (size_t i = 0; i < v.size(); i += chunk) h.add(v.data() + i, std::min(chunk, v.size() - i));
  return h;
}

// conv(3x3, relu) -> depthwise conv(relu6) -> mean -> fc: input [1,8,8,2].
std::vector<uint8_t> small_model(uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.4f);
  auto randv = [&](size_t k) {
    std::vector<float> v(k);
    for (auto& x : v) x = n(rng);
    return v;
  };
  ModelBuilder b;
  auto x = b.input("image", DType::kFloat32, {1, 8, 8, 2});
  Conv2DOptions same;
  same.pad_top = same.pad_left = same.pad_bottom = same.pad_right = 1;
  auto c1 = b.conv2d(x, b.constant_f32("c1.w", {8, 3, 3, 2}, randv(8 * 9 * 2)),
                     b.constant_f32("c1.b", {8}, randv(8)), same, Activation::relu(), "conv1");
  b.set_source_nodes("conv1", {"Conv_0", "Relu_1"});
  Conv2DOptions dw = same;
  dw.groups = 8;
  auto c2 = b.conv2d(c1, b.constant_f32("c2.w", {8, 3, 3, 1}, randv(8 * 9)),
                     b.constant_f32("c2.b", {8}, randv(8)), dw, Activation::relu6(), "dwconv");
  auto m = b.mean(c2, {1, 2}, false, "gap");
  auto y = b.fully_connected(m, b.constant_f32("fc.w", {4, 8}, randv(32)),
                             b.constant_f32("fc.b", {4}, randv(4)), Activation::none(), "fc");
  b.rename(y, "logits");
  b.output(y);
  return b.finish();
}

tools::NpyArray random_batch(size_t n, std::vector<int64_t> sample_shape, uint32_t seed) {
  tools::NpyArray a;
  a.dtype = OCTET_FLOAT32;
  a.shape = {static_cast<int64_t>(n)};
  a.shape.insert(a.shape.end(), sample_shape.begin(), sample_shape.end());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  a.data.resize(a.elements() * 4);
  for (size_t i = 0; i < a.elements(); ++i) {
    const float v = u(rng);
    memcpy(&a.data[i * 4], &v, 4);
  }
  return a;
}

struct Run {
  std::vector<float> out;
};

std::vector<float> run_model(const std::vector<uint8_t>& bytes, const std::vector<float>& in) {
  Model m;
  REQUIRE(m.load_buffer(bytes.data(), bytes.size()).ok());
  Interpreter it;
  REQUIRE(it.create(m).ok());
  REQUIRE(it.set_input(0, in.data(), in.size() * 4).ok());
  REQUIRE(it.invoke().ok());
  const octet_tensor_info o = m.output_info(0);
  REQUIRE(o.dtype == OCTET_FLOAT32);
  const float* p = it.output<float>(0);
  return std::vector<float>(p, p + o.bytes / 4);
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) ab += a[i] * b[i], aa += a[i] * a[i], bb += b[i] * b[i];
  return ab / std::sqrt(aa * bb + 1e-30);
}

const schema::Model* fbm(const std::vector<uint8_t>& b) { return schema::GetModel(b.data()); }

int count_ops(const std::vector<uint8_t>& b, schema::OpCode c) {
  int n = 0;
  for (const auto* op : *fbm(b)->operators()) n += op->opcode() == c;
  return n;
}

const schema::Tensor* tensor_named(const std::vector<uint8_t>& b, const std::string& name) {
  for (const auto* t : *fbm(b)->tensors()) {
    if (t->name()->str() == name) return t;
  }
  return nullptr;
}

}  // namespace

// ------------------------------------------------------------------ histogram

TEST_CASE("minmax and ema on known sequences", "[ptq][calibration]") {
  Histogram h;
  for (int i = 0; i < 200; ++i) {
    const float v[2] = {-1.0f, 2.0f + (i == 7 ? 8.0f : 0.0f)};  // one outlier observation
    h.add(v, 2);
  }
  const auto mm = h.range(parse_range_method("minmax"));
  CHECK(mm.first == -1.0f);
  CHECK(mm.second == 10.0f);
  // EMA: the outlier observation decays: 2 + 8·0.99^(199−7)·0.01.
  const auto ema = h.range(parse_range_method("ema"));
  CHECK(ema.first == Approx(-1.0f));
  CHECK(ema.second == Approx(2.0 + 8 * 0.01 * std::pow(0.99, 192)).epsilon(1e-4));
}

TEST_CASE("percentile of known distributions", "[ptq][calibration]") {
  std::mt19937 rng(3);
  std::vector<float> u(200000);
  std::uniform_real_distribution<float> ud(0.0f, 1.0f);
  for (auto& v : u) v = ud(rng);
  const Histogram hu = hist_of(u);
  CHECK(hu.range(parse_range_method("percentile:99")).second == Approx(0.99).margin(0.005));
  CHECK(hu.range(parse_range_method("percentile:99")).first == 0.0f);  // one-sided: 0
  CHECK(hu.quantile(0.5) == Approx(0.5).margin(0.005));

  std::vector<float> g(200000);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (auto& v : g) v = nd(rng);
  const Histogram hg = hist_of(g);
  const auto r = hg.range(parse_range_method("percentile:97.5"));
  CHECK(r.second == Approx(1.96).margin(0.03));
  CHECK(r.first == Approx(-1.96).margin(0.03));
}

TEST_CASE("histogram re-binning keeps every count and zero as a bin edge", "[ptq][calibration]") {
  Histogram h;
  std::vector<float> small{0.0f, 0.001f, -0.001f, 0.5f}, big{1000.0f, -3.0f, 0.0f};
  h.add(small.data(), small.size());
  const double w0 = h.bin_width();
  h.add(big.data(), big.size());
  CHECK(h.bin_width() > w0);
  CHECK(h.bin_width() * Histogram::kBins > 1000.0);
  double total = 0;
  for (double c : h.positive()) total += c;
  for (double c : h.negative()) total += c;
  CHECK(total == 7);
  CHECK(h.count() == 7);
  CHECK(h.negative()[0] >= 1);  // -0.001 stays on the negative side of zero
}

TEST_CASE("kl and mse clip heavy-tailed data below its maximum", "[ptq][calibration]") {
  std::mt19937 rng(5);
  std::exponential_distribution<float> e(1.0f);  // ReLU-like, one-sided, long tail
  std::vector<float> v(300000);
  for (auto& x : v) x = e(rng);
  v[12345] = 60.0f;  // a rare outlier far out
  const Histogram h = hist_of(v);
  const float mx = h.max();
  REQUIRE(mx == 60.0f);
  for (const char* m : {"kl", "mse"}) {
    INFO(m);
    const auto r = h.range(parse_range_method(m));
    CHECK(r.first == 0.0f);
    CHECK(r.second < 0.8f * mx);
    CHECK(r.second > 3.0f);  // but keeps the bulk (P(x > 3) ≈ 5 %)
  }
  // Two-sided Laplace-like data: symmetric clip.
  std::vector<float> s(300000);
  for (size_t i = 0; i < s.size(); ++i) s[i] = (i % 2 ? 1.0f : -1.0f) * e(rng);
  s[7] = -80.0f;
  const Histogram hs = hist_of(s);
  for (const char* m : {"kl", "mse"}) {
    INFO(m);
    const auto r = hs.range(parse_range_method(m));
    CHECK(r.first > -0.8f * 80.0f);
    CHECK(r.first < -3.0f);
    CHECK(r.second > 3.0f);
  }
  // Uniform data: nothing to gain by clipping.
  std::vector<float> u(100000);
  std::uniform_real_distribution<float> ud(0.0f, 1.0f);
  for (auto& x : u) x = ud(rng);
  CHECK(hist_of(u).range(parse_range_method("mse")).second > 0.97f);
}

TEST_CASE("kl_threshold_bins on a truncated distribution keeps its support", "[ptq][calibration]") {
  std::vector<double> h(2048, 0.0);
  for (int i = 0; i < 1000; ++i) h[i] = 100.0;
  const size_t t = kl_threshold_bins(h, 255);
  CHECK(t >= 990);
  CHECK(t <= 1000);
}

TEST_CASE("range method names", "[ptq][calibration]") {
  CHECK(parse_range_method("percentile:99.9").percentile == 99.9);
  CHECK(parse_range_method("percentile").to_string() == "percentile:99.99");
  CHECK(parse_range_method("entropy").kind == RangeMethod::kKl);
  CHECK_THROWS_WITH(parse_range_method("median"), Catch::Contains("minmax, ema, percentile"));
  CHECK_THROWS_WITH(parse_range_method("percentile:abc"), Catch::Contains("(50, 100]"));
}

// ------------------------------------------------------------------ data

TEST_CASE("data: npy batch, npy directory, preprocessing", "[ptq][data]") {
  const fs::path d = temp_dir("npy");
  tools::NpyArray a = random_batch(5, {8, 8, 2}, 1);
  std::string err;
  REQUIRE(tools::write_npy((d / "batch.npy").string(), a, &err));
  Preprocess pre;
  pre.mean = {0.5f};
  pre.std = {2.0f};
  const Dataset ds = open_dataset((d / "batch.npy").string(), {1, 8, 8, 2}, pre);
  REQUIRE(ds.size() == 5);
  std::vector<float> s(ds.sample_elements());
  ds.get(3, s.data());
  float raw;
  memcpy(&raw, &a.data[(3 * 128 + 17) * 4], 4);
  CHECK(s[17] == Approx((raw - 0.5f) / 2.0f));
  CHECK(open_dataset((d / "batch.npy").string(), {1, 8, 8, 2}, Preprocess{}, 2).size() == 2);

  const fs::path dir = d / "dir";
  fs::create_directories(dir);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(tools::write_npy((dir / ("s" + std::to_string(i) + ".npy")).string(),
                             random_batch(i + 1, {8, 8, 2}, 10 + i), &err));
  }
  const Dataset dd = open_dataset(dir.string(), {1, 8, 8, 2}, Preprocess{});
  CHECK(dd.size() == 6);
  CHECK_THROWS_WITH(open_dataset((d / "batch.npy").string(), {1, 4, 4, 2}, Preprocess{}),
                    Catch::Contains("neither one sample nor a batch"));
  CHECK_THROWS_WITH(open_dataset((d / "missing.npy").string(), {1, 4}, Preprocess{}),
                    Catch::Contains("no such file"));
  fs::remove_all(d);
}

TEST_CASE("data: IDX raw and gzip, labels", "[ptq][data]") {
  const fs::path d = temp_dir("idx");
  std::vector<uint8_t> idx{0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 3};
  for (int i = 0; i < 4 * 9; ++i) idx.push_back(static_cast<uint8_t>(i * 7));
  {
    std::ofstream f(d / "t-images-idx3-ubyte", std::ios::binary);
    f.write(reinterpret_cast<const char*>(idx.data()), static_cast<std::streamsize>(idx.size()));
  }
  {
    gzFile gz = gzopen((d / "t-images-idx3-ubyte.gz").c_str(), "wb");
    gzwrite(gz, idx.data(), static_cast<unsigned>(idx.size()));
    gzclose(gz);
  }
  for (const char* name : {"t-images-idx3-ubyte", "t-images-idx3-ubyte.gz"}) {
    INFO(name);
    const Dataset ds = open_dataset((d / name).string(), {1, 1, 3, 3}, Preprocess{});
    REQUIRE(ds.size() == 4);
    std::vector<float> s(9);
    ds.get(2, s.data());
    CHECK(s[4] == Approx(((2 * 9 + 4) * 7 % 256) / 255.0f));
  }
  CHECK_THROWS_WITH(open_dataset((d / "t-images-idx3-ubyte").string(), {1, 2, 2, 1}, Preprocess{}),
                    Catch::Contains("model input needs 4"));
  std::vector<uint8_t> lab{0, 0, 8, 1, 0, 0, 0, 3, 7, 1, 9};
  {
    gzFile gz = gzopen((d / "t-labels-idx1-ubyte.gz").c_str(), "wb");
    gzwrite(gz, lab.data(), static_cast<unsigned>(lab.size()));
    gzclose(gz);
  }
  CHECK(read_labels((d / "t-labels-idx1-ubyte.gz").string()) == std::vector<int64_t>{7, 1, 9});
  {
    std::ofstream f(d / "labels.txt");
    f << "3\n# comment\n4\n";
  }
  CHECK(read_labels((d / "labels.txt").string()) == std::vector<int64_t>{3, 4});
  fs::remove_all(d);
}

TEST_CASE("data: PNG directory with resize, mean/std, layout and channel order", "[ptq][data]") {
  const fs::path d = temp_dir("png");
  // 4x2 RGB image: pixel (y, x) = (10x + y, 100, 200).
  std::vector<uint8_t> px;
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 4; ++x) px.insert(px.end(), {uint8_t(10 * x + y), 100, 200});
  }
  REQUIRE(stbi_write_png((d / "a.png").c_str(), 4, 2, 3, px.data(), 4 * 3));
  REQUIRE(stbi_write_png((d / "b.png").c_str(), 4, 2, 3, px.data(), 4 * 3));
  Preprocess pre;
  pre.scale = 1.0f;
  pre.mean = {1.0f, 2.0f, 3.0f};
  pre.std = {1.0f, 1.0f, 2.0f};
  const Dataset nhwc = open_dataset(d.string(), {1, 2, 4, 3}, pre);
  REQUIRE(nhwc.size() == 2);
  std::vector<float> s(24);
  nhwc.get(0, s.data());
  CHECK(s[(1 * 4 + 2) * 3 + 0] == Approx(21 - 1.0f));  // y=1, x=2, R
  CHECK(s[(1 * 4 + 2) * 3 + 2] == Approx((200 - 3.0f) / 2));
  const Dataset nchw = open_dataset(d.string(), {1, 3, 2, 4}, pre);
  nchw.get(1, s.data());
  CHECK(s[0 * 8 + 1 * 4 + 2] == Approx(21 - 1.0f));
  pre.channel_order = "bgr";
  const Dataset bgr = open_dataset(d.string(), {1, 3, 2, 4}, pre);
  bgr.get(0, s.data());
  CHECK(s[0] == Approx(200 - 1.0f));
  // Resize: a 2x4 image into a 1x2 input (bilinear).
  Preprocess def;
  const Dataset small = open_dataset(d.string(), {1, 1, 2, 3}, def);
  std::vector<float> t(6);
  small.get(0, t.data());
  // stb's luminance of x = 1 and x = 2 (84 and 87), interpolated halfway.
  CHECK(t[1] == Approx(85.5f / 255.0f));
  fs::remove_all(d);
}

// ------------------------------------------------------------------ quantizer

namespace {

Dataset make_calib(const fs::path& dir) {
  std::string err;
  if (!tools::write_npy((dir / "calib.npy").string(), random_batch(64, {8, 8, 2}, 7), &err)) {
    throw std::runtime_error(err);
  }
  return open_dataset((dir / "calib.npy").string(), {1, 8, 8, 2}, Preprocess{});
}

struct Flow {
  std::vector<uint8_t> fp32 = small_model();
  fs::path dir = temp_dir("flow");
  Dataset data = make_calib(dir);
  Calibration cal = calibrate(fp32, data);
  ~Flow() { fs::remove_all(dir); }
};

double mean_cosine(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, const Dataset& d) {
  double c = 0;
  std::vector<float> s(d.sample_elements());
  for (size_t i = 0; i < 16; ++i) {
    d.get(i, s.data());
    c += cosine(run_model(a, s), run_model(b, s));
  }
  return c / 16;
}

}  // namespace

TEST_CASE("calibration observes every float activation in one pass", "[ptq][quantizer]") {
  Flow f;
  CHECK(f.cal.samples == 64);
  for (const char* t : {"image", "conv1", "dwconv", "gap", "logits"}) {
    INFO(t);
    REQUIRE(f.cal.tensors.count(t));
    CHECK(f.cal.tensors.at(t).count() > 0);
  }
  CHECK(f.cal.tensors.at("conv1").min() >= 0.0f);  // fused ReLU
  CHECK(f.cal.tensors.count("c1.w") == 0);          // constants are not activations
}

TEST_CASE("quantize: per-channel and per-tensor weights, every method", "[ptq][quantizer]") {
  Flow f;
  for (const char* method : {"minmax", "ema", "percentile:99.99", "kl", "mse"}) {
    for (bool per_channel : {true, false}) {
      INFO(method << (per_channel ? " per-channel" : " per-tensor"));
      QuantizeOptions o;
      o.method = parse_range_method(method);
      o.per_channel = per_channel;
      QuantizeReport rep;
      const auto q = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o, &rep);
      CHECK(rep.int8_ops == 4);
      CHECK(rep.fp32_ops == 0);
      CHECK(count_ops(q, schema::OpCode::QUANTIZE) == 1);
      CHECK(count_ops(q, schema::OpCode::DEQUANTIZE) == 1);
      const auto* w = tensor_named(q, "c1.w");
      REQUIRE(w != nullptr);
      CHECK(w->dtype() == schema::DType::INT8);
      CHECK(w->quantization()->scale()->size() == (per_channel ? 8u : 1u));
      const auto* bias = tensor_named(q, "c1.b");
      CHECK(bias->dtype() == schema::DType::INT32);
      const auto* act = tensor_named(q, "conv1");
      REQUIRE(act->quantization()->method() != nullptr);
      CHECK(act->quantization()->method()->str() == o.method.to_string());
      CHECK(act->quantization()->min()->Get(0) == 0.0f);  // ReLU range starts at 0
      const auto* dw = tensor_named(q, "dwconv");
      CHECK(dw->quantization()->max()->Get(0) <= 6.0f);  // ReLU6 narrowed
      std::string ranges;
      for (const auto& [n, r] : rep.ranges) ranges += n + "=[" + std::to_string(r.min) + "," + std::to_string(r.max) + "] ";
      INFO(ranges);
      CHECK(mean_cosine(f.fp32, q, f.data) > 0.99);
      bool has_method = false;
      for (const auto* md : *fbm(q)->metadata()) has_method |= md->key()->str() == "quant.method";
      CHECK(has_method);
    }
  }
}

TEST_CASE("quantize: fp32 override by ONNX node name inserts boundaries", "[ptq][quantizer]") {
  Flow f;
  QuantizeOptions o;
  o.precision["Relu_1"] = Precision::kFp32;  // a source node fused into conv1
  QuantizeReport rep;
  const auto q = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o, &rep);
  CHECK(rep.fp32_ops == 1);
  CHECK(rep.int8_ops == 3);
  // fp32 conv1 reads the float input directly; its output is quantized for
  // the int8 depthwise conv; the int8 logits are dequantized.
  CHECK(count_ops(q, schema::OpCode::QUANTIZE) == 1);
  CHECK(count_ops(q, schema::OpCode::DEQUANTIZE) == 1);
  CHECK(tensor_named(q, "c1.w")->dtype() == schema::DType::FLOAT32);
  CHECK(tensor_named(q, "conv1/quantize") != nullptr);
  CHECK(mean_cosine(f.fp32, q, f.data) > 0.99);

  QuantizeOptions two;
  two.precision["dwconv"] = Precision::kFp32;
  const auto q2 = quantize_model(f.fp32, choose_ranges(f.cal, two.method), two, &rep);
  CHECK(count_ops(q2, schema::OpCode::QUANTIZE) == 2);    // image, dwconv output
  CHECK(count_ops(q2, schema::OpCode::DEQUANTIZE) == 2);  // conv1 output, logits

  QuantizeOptions bad;
  bad.precision["nope"] = Precision::kFp32;
  CHECK_THROWS_WITH(quantize_model(f.fp32, choose_ranges(f.cal, bad.method), bad),
                    Catch::Contains("no operator or source node named 'nope'"));
  QuantizeOptions i16;
  i16.precision["gap"] = Precision::kInt16;  // MEAN has no int16 kernel
  CHECK_THROWS_WITH(quantize_model(f.fp32, choose_ranges(f.cal, i16.method), i16),
                    Catch::Contains("'gap'") && Catch::Contains("no int16 kernel"));
}

namespace {

// Output SQNR (dB) of `q` against the fp32 model over the first 16 samples.
double output_sqnr(const std::vector<uint8_t>& fp32, const std::vector<uint8_t>& q,
                   const Dataset& d) {
  double sig = 0, err = 0;
  std::vector<float> s(d.sample_elements());
  for (size_t i = 0; i < 16; ++i) {
    d.get(i, s.data());
    const auto a = run_model(fp32, s), b = run_model(q, s);
    for (size_t k = 0; k < a.size(); ++k) sig += double(a[k]) * a[k], err += double(a[k] - b[k]) * (a[k] - b[k]);
  }
  return 10 * std::log10(sig / std::max(err, 1e-30));
}

// The float model truncated after `layer` (its output becomes the graph
// output), so the error of that one layer's output can be measured.
std::vector<uint8_t> single_layer_model() {
  std::mt19937 rng(4);
  std::normal_distribution<float> n(0.0f, 0.4f);
  std::vector<float> w(8 * 3 * 3 * 2), b(8);
  for (auto& x : w) x = n(rng);
  for (auto& x : b) x = n(rng);
  ModelBuilder mb;
  auto x = mb.input("image", DType::kFloat32, {1, 8, 8, 2});
  Conv2DOptions same;
  same.pad_top = same.pad_left = same.pad_bottom = same.pad_right = 1;
  auto y = mb.conv2d(x, mb.constant_f32("c1.w", {8, 3, 3, 2}, w), mb.constant_f32("c1.b", {8}, b),
                     same, Activation::none(), "conv1");
  mb.rename(y, "out");
  mb.output(y);
  return mb.finish();
}

}  // namespace

TEST_CASE("quantize: int16 layers (16x8) have lower error than int8 and run", "[ptq][quantizer][int16]") {
  SECTION("one layer: output SQNR vs fp32") {
    const auto fp32 = single_layer_model();
    const fs::path dir = temp_dir("i16");
    const Dataset data = make_calib(dir);
    const Calibration cal = calibrate(fp32, data);
    QuantizeOptions o8, o16;
    o16.precision["conv1"] = Precision::kInt16;
    QuantizeReport rep;
    const auto q8 = quantize_model(fp32, choose_ranges(cal, o8.method), o8);
    const auto q16 = quantize_model(fp32, choose_ranges(cal, o16.method), o16, &rep);
    CHECK(rep.int16_ops == 1);
    CHECK(rep.int8_ops == 0);
    CHECK(tensor_named(q16, "conv1/int16") == nullptr);
    CHECK(tensor_named(q16, "image/int16")->dtype() == schema::DType::INT16);
    CHECK(tensor_named(q16, "c1.w")->dtype() == schema::DType::INT8);
    CHECK(tensor_named(q16, "c1.b")->dtype() == schema::DType::INT64);
    const double s8 = output_sqnr(fp32, q8, data), s16 = output_sqnr(fp32, q16, data);
    INFO("SQNR int8 " << s8 << " dB, int16 " << s16 << " dB");
    // int16 activations remove the activation rounding; the int8 weights remain.
    CHECK(s16 > s8 + 3.0);
    fs::remove_all(dir);
  }
  SECTION("each layer of a small CNN forced int16, boundaries inserted") {
    Flow f;
    QuantizeOptions o8;
    const auto q8 = quantize_model(f.fp32, choose_ranges(f.cal, o8.method), o8);
    const double s8 = output_sqnr(f.fp32, q8, f.data);
    for (const char* node : {"Conv_0", "dwconv", "fc"}) {
      INFO(node);
      QuantizeOptions o;
      o.precision[node] = Precision::kInt16;
      QuantizeReport rep;
      const auto q = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o, &rep);
      CHECK(rep.int16_ops == 1);
      CHECK(rep.int8_ops == 3);
      // int8 → int16 and int16 → int8 are QUANTIZE (integer requantize)
      // steps; the fc output is dequantized straight from int16.
      CHECK(count_ops(q, schema::OpCode::QUANTIZE) == (std::string(node) == "dwconv" ? 3 : 2));
      const double s = output_sqnr(f.fp32, q, f.data);
      INFO("SQNR all-int8 " << s8 << " dB, with " << node << " int16 " << s << " dB");
      CHECK(s > s8 - 0.5);
      CHECK(mean_cosine(f.fp32, q, f.data) > 0.99);
    }
    // Two adjacent int16 layers share their int16 tensor (no round trip).
    QuantizeOptions two;
    two.precision["conv1"] = Precision::kInt16;
    two.precision["dwconv"] = Precision::kInt16;
    const auto q2 = quantize_model(f.fp32, choose_ranges(f.cal, two.method), two);
    CHECK(count_ops(q2, schema::OpCode::QUANTIZE) == 2);  // image → int16, dwconv → int8
    CHECK(mean_cosine(f.fp32, q2, f.data) > 0.99);
  }
  SECTION("config round trip keeps int16") {
    Flow f;
    QuantizeOptions o;
    o.precision["dwconv"] = Precision::kInt16;
    QuantizeReport rep;
    const auto q1 = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o, &rep);
    const std::string cfg = write_config(o, rep);
    CHECK(cfg.find("\"int16\"") != std::string::npos);
    QuantizeOptions back;
    read_config(cfg, "cfg.json", &back);
    CHECK(back.precision.at("dwconv") == Precision::kInt16);
    CHECK(quantize_model(f.fp32, {}, back) == q1);
  }
}

TEST_CASE("quantize --dynamic: int8 FC weights, no calibration, close to fp32", "[ptq][dynamic]") {
  Flow f;
  int32_t n = 0;
  QuantizeOptions o;
  const auto q = quantize_dynamic(f.fp32, o, &n);
  CHECK(n == 1);
  CHECK(tensor_named(q, "fc.w")->dtype() == schema::DType::INT8);
  CHECK(tensor_named(q, "fc.w")->quantization()->scale()->size() == 4u);
  CHECK(tensor_named(q, "c1.w")->dtype() == schema::DType::FLOAT32);
  CHECK(count_ops(q, schema::OpCode::QUANTIZE) == 0);
  const double s = output_sqnr(f.fp32, q, f.data);
  INFO("SQNR " << s << " dB");
  CHECK(s > 30.0);
  o.per_channel = false;
  const auto qt = quantize_dynamic(f.fp32, o, &n);
  CHECK(tensor_named(qt, "fc.w")->quantization()->scale()->size() == 1u);
  // MATMUL by a constant matrix becomes a dynamic FULLY_CONNECTED.
  {
    ModelBuilder mb;
    std::mt19937 rng(8);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> bm(8 * 5);
    for (auto& e : bm) e = nd(rng);
    auto a = mb.input("a", DType::kFloat32, {2, 3, 8});
    auto y = mb.matmul(a, mb.constant_f32("B", {8, 5}, bm), "mm");
    mb.output(y);
    const auto fm = mb.finish();
    const auto qm = quantize_dynamic(fm, QuantizeOptions{}, &n);
    CHECK(n == 1);
    CHECK(count_ops(qm, schema::OpCode::MATMUL) == 0);
    CHECK(count_ops(qm, schema::OpCode::FULLY_CONNECTED) == 1);
    const auto* bt = tensor_named(qm, "B");
    REQUIRE(bt != nullptr);
    CHECK(bt->dtype() == schema::DType::INT8);
    CHECK(bt->shape()->Get(0) == 5);  // [N, K]
    std::vector<float> in(2 * 3 * 8);
    for (auto& e : in) e = nd(rng);
    const auto r = run_model(fm, in), g = run_model(qm, in);
    REQUIRE(r.size() == g.size());
    CHECK(cosine(r, g) > 0.999);
  }
  // An int8 model is refused (it has QUANTIZE/DEQUANTIZE).
  CHECK_THROWS_WITH(quantize_dynamic(quantize_model(f.fp32, choose_ranges(f.cal, o.method), o), o),
                    Catch::Contains("already quantized"));
}

TEST_CASE("quantize: config round-trip reproduces the model", "[ptq][quantizer]") {
  Flow f;
  QuantizeOptions o;
  o.method = parse_range_method("mse");
  o.per_channel = false;
  o.precision["dwconv"] = Precision::kFp32;
  QuantizeReport rep;
  const auto q1 = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o, &rep);
  const std::string cfg = write_config(o, rep);
  CHECK(cfg.find("\"dwconv\"") != std::string::npos);
  CHECK(cfg.find("\"Relu_1\"") != std::string::npos);  // source nodes listed

  QuantizeOptions back;
  read_config(cfg, "cfg.json", &back);
  CHECK(back.method.to_string() == "mse");
  CHECK_FALSE(back.per_channel);
  CHECK(back.precision.at("dwconv") == Precision::kFp32);
  // No calibration this time: the config's ranges are enough.
  const auto q2 = quantize_model(f.fp32, {}, back);
  CHECK(q1 == q2);

  // The user edits a range: it is used.
  std::string edited = cfg;
  QuantizeOptions e;
  read_config(edited, "cfg.json", &e);
  e.ranges["conv1"].max *= 2;
  const auto q3 = quantize_model(f.fp32, {}, e);
  CHECK(tensor_named(q3, "conv1")->quantization()->scale()->Get(0) ==
        Approx(2 * tensor_named(q2, "conv1")->quantization()->scale()->Get(0)).epsilon(1e-3));

  QuantizeOptions bad;
  CHECK_THROWS_WITH(read_config("{", "x.json", &bad), Catch::Contains("x.json: not valid JSON"));
  CHECK_THROWS_WITH(read_config("{\"a\":1}", "x.json", &bad), Catch::Contains("not an octet"));
}

TEST_CASE("evaluate: top-1/top-5 and agreement", "[ptq][quantizer]") {
  Flow f;
  std::vector<int64_t> labels(f.data.size());
  std::vector<float> s(f.data.sample_elements());
  for (size_t i = 0; i < f.data.size(); ++i) {
    f.data.get(i, s.data());
    const auto y = run_model(f.fp32, s);
    labels[i] = std::max_element(y.begin(), y.end()) - y.begin();
  }
  const EvalResult r = evaluate(f.fp32, f.data, labels);
  CHECK(r.samples == 64);
  CHECK(r.top1 == 64);
  CHECK(r.top5 == 64);
  QuantizeOptions o;
  const auto q = quantize_model(f.fp32, choose_ranges(f.cal, o.method), o);
  const EvalResult rq = evaluate(q, f.data, labels);
  CHECK(rq.top1 >= 56);  // int8 agrees with fp32 on nearly every sample
}

TEST_CASE("automatic mixed precision (max-drop) raises the most harmful operators until within budget", "[ptq][quantizer]") {
  // fc1 (identity-like, ReLU) -> fc2 (identity-like): top-1 follows the
  // input's argmax, so it varies from sample to sample.
  ModelBuilder b;
  auto x = b.input("x", DType::kFloat32, {1, 8});
  std::vector<float> eye(64, 0.0f), eye4(32, 0.0f);
  for (int i = 0; i < 8; ++i) eye[i * 8 + i] = 1.0f;
  for (int i = 0; i < 4; ++i) eye4[i * 8 + i] = 1.0f, eye4[i * 8 + 4 + i] = -0.5f;
  auto h = b.fully_connected(x, b.constant_f32("w1", {8, 8}, eye), ModelBuilder::kNone,
                             Activation::relu(), "fc1");
  auto y = b.fully_connected(h, b.constant_f32("w2", {4, 8}, eye4), ModelBuilder::kNone,
                             Activation::none(), "fc2");
  b.output(y);
  const auto fp32 = b.finish();
  const fs::path dir = temp_dir("maxdrop");
  std::string err;
  REQUIRE(tools::write_npy((dir / "c.npy").string(), random_batch(200, {1, 8}, 3), &err));
  const Dataset data = open_dataset((dir / "c.npy").string(), {1, 8}, Preprocess{});
  const Calibration cal = calibrate(fp32, data);
  QuantizeOptions o;
  // Sabotage one range: fc1's output clipped far below its values.
  o.ranges["fc1"] = TensorRange{0.0f, 0.01f, "test"};
  std::vector<PrecisionStep> steps;
  double initial = 0;
  const auto q = auto_mixed_precision(fp32, choose_ranges(cal, o.method), &o, data, 1.0,
                                      &steps, &initial);
  CHECK(initial > 10.0);
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back().after <= 1.0);
  for (const auto& s : steps) CHECK(s.after <= s.before);
  std::set<std::string> raised;  // a node may go int8 → int16 → fp32
  for (const auto& s : steps) raised.insert(s.node);
  CHECK(o.precision.size() == raised.size());
  bool recorded = false;
  for (const auto* md : *fbm(q)->metadata()) recorded |= md->key()->str() == "quant.precision";
  CHECK(recorded);
  // A generous budget changes nothing.
  QuantizeOptions easy;
  std::vector<PrecisionStep> none;
  auto_mixed_precision(fp32, choose_ranges(cal, easy.method), &easy, data, 100.0, &none);
  CHECK(none.empty());
  // An input range far too wide for int8 (step ≈ 0.8 on values in [−1, 1])
  // but fine for int16 (step ≈ 0.003): raising fc1, which reads it, to int16
  // meets the budget and wins over fp32.
  QuantizeOptions coarse;
  coarse.ranges["x"] = TensorRange{-100.0f, 100.0f, "test"};
  std::vector<PrecisionStep> s16;
  double initial16 = 0;
  auto_mixed_precision(fp32, choose_ranges(cal, coarse.method), &coarse, data, 1.0, &s16,
                       &initial16);
  CHECK(initial16 > 10.0);
  REQUIRE(s16.size() == 1);
  CHECK(s16[0].to == Precision::kInt16);
  CHECK(s16[0].after <= 1.0);
  CHECK(coarse.precision.at(s16[0].node) == Precision::kInt16);
  fs::remove_all(dir);
}

TEST_CASE("bias correction removes the systematic output error of coarse weights", "[ptq][quantizer]") {
  Flow f;
  REQUIRE(f.cal.channel_means.count("image"));
  CHECK(f.cal.channel_means.at("image").size() == 2);
  CHECK(f.cal.channel_means.at("conv1").size() == 8);
  QuantizeOptions o;
  o.per_channel = false;  // coarse weights: a visible systematic error
  const auto ranges = choose_ranges(f.cal, o.method);
  const auto plain = quantize_model(f.fp32, ranges, o);
  o.bias_correction = &f.cal.channel_means;
  const auto corrected = quantize_model(f.fp32, ranges, o);
  bool recorded = false;
  for (const auto* md : *fbm(corrected)->metadata()) recorded |= md->key()->str() == "quant.bias_correction";
  CHECK(recorded);
  CHECK(plain != corrected);
  // Mean (over samples) of the output error, per output: smaller with it.
  auto bias_error = [&](const std::vector<uint8_t>& q) {
    std::vector<double> e(4, 0.0);
    std::vector<float> s(f.data.sample_elements());
    for (size_t i = 0; i < f.data.size(); ++i) {
      f.data.get(i, s.data());
      const auto a = run_model(f.fp32, s), b = run_model(q, s);
      for (size_t k = 0; k < 4; ++k) e[k] += (b[k] - a[k]) / double(f.data.size());
    }
    double t = 0;
    for (double v : e) t += std::fabs(v);
    return t;
  };
  const double before = bias_error(plain), after = bias_error(corrected);
  INFO("systematic error " << before << " -> " << after);
  CHECK(after < before);
}
