// SPDX-License-Identifier: Apache-2.0
//
// converter/analysis: the metrics against hand-computed values, the layer
// mapping on the Fashion-MNIST CNN (fused Conv+BN+ReLU), a deliberately
// mis-scaled layer ranked first, and the three output formats.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "converter/analysis/analysis.h"
#include "converter/analysis/report.h"
#include "converter/ptq/quantizer.h"
#include "octet/builder.hpp"

namespace an = octet::analysis;
namespace ptq = octet::ptq;

namespace {

const std::string kFashion = std::string(OCTET_SOURCE_DIR) + "/models/fashion_mnist/cnn.onnx";
const std::string kImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

// Fashion-MNIST test images when installed, else seeded noise in [0, 1].
ptq::Dataset fashion_data(size_t n) {
  std::ifstream f(kImages);
  if (f) return ptq::open_dataset(kImages, {1, 1, 28, 28}, ptq::Preprocess{}, n);
  return ptq::Dataset(n, 784, [](size_t i, float* out) {
    std::mt19937 rng(static_cast<uint32_t>(i));
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (size_t k = 0; k < 784; ++k) out[k] = u(rng);
  }, "noise");
}

const an::Layer* find_layer(const an::Analysis& a, const std::string& name) {
  for (const auto& L : a.layers) {
    if (L.name == name) return &L;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("metrics: hand-computed values", "[analysis][metrics]") {
  an::ErrorStats e;
  const float x[4] = {1, 2, 3, 4}, y[4] = {1, 2, 3, 5};
  // Range [0, 3] with step 1: values beyond 3.5 are clipped (4 is).
  e.add(x, y, 4, 0.0f, 3.0f, 1.0f);
  // Σx² = 30, Σ(x−y)² = 1, x·y = 34, Σy² = 39.
  CHECK(e.sqnr_db() == Approx(10 * std::log10(30.0)));
  CHECK(e.cosine() == Approx(34 / std::sqrt(30.0 * 39.0)));
  CHECK(e.l2() == Approx(1.0));
  CHECK(e.relative_l2() == Approx(std::sqrt(1.0 / 30)));
  CHECK(e.max_abs_error() == Approx(1.0));
  CHECK(e.clipped_fraction() == Approx(0.25));
  CHECK(e.ref_min() == 1.0f);
  CHECK(e.ref_max() == 4.0f);
  // A second sample: exact, all zero (cosine 1 by definition), and one
  // with a sign flip (cosine −1): the mean cosine is over samples, SQNR
  // over all values.
  const float z[2] = {0, 0};
  e.add(z, z, 2, -INFINITY, INFINITY, 0);
  const float a[2] = {3, 4}, b[2] = {-3, -4};
  e.add(a, b, 2, -INFINITY, INFINITY, 0);
  CHECK(e.samples() == 3);
  CHECK(e.cosine() == Approx((34 / std::sqrt(30.0 * 39.0) + 1 - 1) / 3));
  CHECK(e.cosine_min() == Approx(-1));
  // Σx² = 30 + 25, Σe² = 1 + 100.
  CHECK(e.sqnr_db() == Approx(10 * std::log10(55.0 / 101.0)));
  CHECK(e.relative_l2() == Approx(std::sqrt(101.0 / 55.0)));
  CHECK(e.l2() == Approx((1.0 + 0 + 10.0) / 3));
  CHECK(e.max_abs_error() == Approx(8.0));
  CHECK(e.clipped_fraction() == Approx(1.0 / 8));

  an::ErrorStats exact;
  exact.add(x, x, 4, -INFINITY, INFINITY, 0);
  CHECK(std::isinf(exact.sqnr_db()));
  CHECK(exact.sqnr_db() > 0);
  CHECK(exact.relative_l2() == 0);
  CHECK(exact.cosine() == Approx(1));
  CHECK(an::format_db(exact.sqnr_db()) == "exact");
}

TEST_CASE("mapping: every ONNX node of the Fashion-MNIST CNN names a layer", "[analysis][mapping]") {
  const std::vector<uint8_t> fp32 = ptq::load_model_any(kFashion);
  const ptq::Dataset data = fashion_data(24);
  const ptq::Calibration cal = ptq::calibrate(fp32, data);
  ptq::QuantizeOptions qo;
  ptq::QuantizeReport rep;
  const std::vector<uint8_t> int8 = ptq::quantize_model(fp32, ptq::choose_ranges(cal, qo.method), qo, &rep);
  an::Options opt;
  opt.candidates = 1;
  const an::Analysis a = an::analyze(fp32, int8, data, opt);

  // Every quantized node of the report (the fp32 IR after BN folding and
  // activation fusion) is a layer, with the same ONNX source nodes.
  std::set<std::string> onnx_nodes;
  for (const auto& n : rep.nodes) {
    const an::Layer* L = find_layer(a, n.name);
    INFO("operator " << n.name);
    REQUIRE(L != nullptr);
    CHECK(L->opcode == n.opcode);
    CHECK(L->source_nodes == n.source_nodes);
    onnx_nodes.insert(n.source_nodes.begin(), n.source_nodes.end());
  }
  // The fused ones: the stem Conv carries its Relu (and BatchNormalization
  // when the export kept it), i.e. one row names several ONNX nodes.
  const an::Layer* stem = nullptr;
  for (const auto& L : a.layers) {
    if (std::find(L.source_nodes.begin(), L.source_nodes.end(), "/stem/stem.0/Conv") != L.source_nodes.end()) {
      stem = &L;
    }
  }
  REQUIRE(stem != nullptr);
  CHECK(stem->source_nodes.size() >= 2);
  bool has_relu = false;
  for (const auto& s : stem->source_nodes) has_relu |= s.find("Relu") != std::string::npos;
  CHECK(has_relu);
  CHECK(stem->has_weights);
  CHECK(stem->weights.channel_min.size() == static_cast<size_t>(stem->weights.shape[0]));
  CHECK(stem->weights.scale.size() == stem->weights.channel_min.size());  // per channel
  // Sane numbers: a well-quantized layer is close to float in both modes;
  // the first layer's individual error leaves out the input quantization
  // (the QUANTIZE of the graph input is a row of its own), so it is at
  // most its entire error.
  CHECK(stem->entire.cosine() > 0.99);
  CHECK(stem->individual.sqnr_db() >= stem->entire.sqnr_db() - 0.5);
  const an::Layer* input_q = find_layer(a, "image/quantize");
  REQUIRE(input_q != nullptr);
  CHECK(input_q->opcode == "QUANTIZE");
  CHECK(input_q->individual.sqnr_db() > 30);
  CHECK(a.summary.samples == 24);
  CHECK(a.summary.classifier);
  CHECK(a.advice.measured);
  // The rebuilt baseline is the model we analyzed.
  CHECK(a.advice.baseline_identical);

  SECTION("HTML, JSON and table name every layer") {
    const std::string html = an::to_html(a), json = an::to_json(a), table = an::format_table(a);
    const auto j = nlohmann::json::parse(json);
    CHECK(j["layers"].size() == a.layers.size());
    for (const auto& L : a.layers) CHECK(html.find(L.name) != std::string::npos);
    for (int32_t li : a.ranking) {  // the table lists the layers that add error
      const std::string& n = a.layers[li].name;
      CHECK(table.find(n.substr(n.size() > 24 ? n.size() - 24 : 0)) != std::string::npos);
    }
    for (const auto& n : onnx_nodes) CHECK(html.find(n) != std::string::npos);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
    CHECK(html.find("<script") == std::string::npos);
  }
}

TEST_CASE("ranking: a deliberately mis-scaled layer is ranked first", "[analysis][ranking]") {
  const std::vector<uint8_t> fp32 = ptq::load_model_any(kFashion);
  const ptq::Dataset data = fashion_data(24);
  const ptq::Calibration cal = ptq::calibrate(fp32, data);
  ptq::QuantizeOptions qo;
  ptq::QuantizeReport rep;
  auto ranges = ptq::choose_ranges(cal, qo.method);
  ptq::quantize_model(fp32, ranges, qo, &rep);
  // Each convolution in turn gets an output range 40x too narrow (a scale
  // 40x too small): most of its values clip.
  for (const auto& n : rep.nodes) {
    if (n.opcode != "CONV_2D") continue;
    DYNAMIC_SECTION("bad scale on " << n.name) {
      auto bad = ranges;
      REQUIRE(bad.count(n.outputs[0]));
      bad[n.outputs[0]].min /= 40;
      bad[n.outputs[0]].max /= 40;
      const std::vector<uint8_t> int8 = ptq::quantize_model(fp32, bad, qo);
      an::Options opt;
      opt.candidates = 1;
      const an::Analysis a = an::analyze(fp32, int8, data, opt);
      REQUIRE(!a.ranking.empty());
      const an::Layer& worst = a.layers[a.ranking[0]];
      CHECK(worst.name == n.name);
      CHECK(worst.rank == 0);
      CHECK(worst.individual.clipped_fraction() > 0.05);
      // Its consumers are not blamed: fed the same (clipped) inputs, they
      // add little error of their own.
      if (a.ranking.size() > 1) {
        CHECK(a.layers[a.ranking[1]].individual.sqnr_db() > worst.individual.sqnr_db() + 10);
      }
      // Raising the layer's precision does not fix a range that clips (its
      // consumers still quantize with it); re-calibrating the range does, and
      // the advice says so with the measured gain.
      REQUIRE(!a.advice.single.empty());
      CHECK(a.advice.single[0].nodes[0] == n.name);
      REQUIRE(a.advice.recalibrate_suggested.size() == 1);
      const an::Candidate& fix = a.advice.recalibrate_suggested[0];
      CHECK(fix.nodes[0] == n.name);
      CHECK(fix.tensor == n.outputs[0]);
      CHECK(fix.new_max > 10 * fix.old_max);
      CHECK(fix.output_sqnr_db > a.advice.baseline.output_sqnr_db + 3);
      CHECK(an::format_table(a).find("range of " + n.outputs[0]) != std::string::npos);
    }
  }
}

TEST_CASE("errors name the culprit", "[analysis][errors]") {
  const std::vector<uint8_t> fp32 = ptq::load_model_any(kFashion);
  const ptq::Dataset data = fashion_data(4);
  const ptq::Calibration cal = ptq::calibrate(fp32, data);
  ptq::QuantizeOptions qo;
  const std::vector<uint8_t> int8 = ptq::quantize_model(fp32, ptq::choose_ranges(cal, qo.method), qo);
  // Swapped arguments.
  CHECK_THROWS_WITH(an::analyze(int8, fp32, data), Catch::Contains("fp32 model first"));
  // A model that is not the one quantized: a builder model with other names.
  octet::ModelBuilder b;
  auto x = b.input("image", octet::DType::kFloat32, {1, 28, 28, 1});
  b.output(b.reshape(x, {1, 784}, "other"));
  const std::vector<uint8_t> other = b.finish();
  CHECK_THROWS_WITH(an::analyze(other, int8, data), Catch::Contains("output 0"));
  // Wrong sample size.
  const ptq::Dataset wrong(2, 10, [](size_t, float* o) { std::fill(o, o + 10, 0.0f); }, "tiny");
  CHECK_THROWS_WITH(an::analyze(fp32, int8, wrong), Catch::Contains("needs 784"));
}
