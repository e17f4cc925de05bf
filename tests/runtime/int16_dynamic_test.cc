// SPDX-License-Identifier: Apache-2.0
//
// int16 × int8 CONV_2D / FULLY_CONNECTED and the dynamically quantized
// FULLY_CONNECTED through the whole runtime (builder → loader → prepare →
// invoke): bit-exact to the reference kernels called here with the
// multipliers docs/quantization.md prescribes, clear errors for wrong
// dtypes, and no heap allocation at invoke.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

#include "converter/quant/quant_math.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/fully_connected/fully_connected.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "tests/runtime/alloc_counter.h"
#include "tests/runtime/model_util.h"

using namespace octet;

namespace {

std::vector<float> randn(size_t n, float sd, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct Int16Layer {
  bool fc;
  float sx = 3.0f / 32767, sy = 20.0f / 32767;
  std::vector<float> sw;
  std::vector<int8_t> w;
  std::vector<int64_t> bias;
  std::vector<int32_t> wshape;
};

// f32 input → QUANTIZE int16 → conv (3×3, pad 1, stride 2, ReLU) or FC →
// int16 output (a model output, so the test sees the codes).
std::vector<uint8_t> int16_model(Int16Layer* L, DType bias_dtype = DType::kInt64) {
  const int32_t oc = 5, ic = 4;
  L->wshape = L->fc ? std::vector<int32_t>{oc, ic} : std::vector<int32_t>{oc, 3, 3, ic};
  const size_t per = L->fc ? ic : 9 * ic;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> wv(-127, 127);
  L->w.resize(oc * per);
  for (auto& v : L->w) v = static_cast<int8_t>(wv(rng));
  L->sw.clear();
  for (int32_t c = 0; c < oc; ++c) L->sw.push_back(0.01f * (c + 1));
  L->bias = {100000, -2000000, 0, 5000000000LL, -3};
  ModelBuilder b;
  auto x = b.input("x", DType::kFloat32, L->fc ? std::vector<int32_t>{2, ic} : std::vector<int32_t>{1, 6, 6, ic});
  auto xq = b.quantize(x, DType::kInt16, Quant::per_tensor(L->sx, 0), "x/int16");
  Quant wq = Quant::per_channel(L->sw, 0);
  wq.zero_point.assign(oc, 0);
  auto w = b.constant_i8("w", L->wshape, L->w, wq);
  std::vector<float> bs;
  for (float s : L->sw) bs.push_back(L->sx * s);
  Quant bq = Quant::per_channel(bs, 0);
  bq.zero_point.assign(oc, 0);
  ModelBuilder::Id bias;
  if (bias_dtype == DType::kInt64) {
    bias = b.constant("b", DType::kInt64, {oc}, L->bias.data(), L->bias.size() * 8, bq);
  } else {
    std::vector<int32_t> b32(L->bias.begin(), L->bias.end());
    bias = b.constant_i32("b", {oc}, b32, bq);
  }
  ModelBuilder::Id y;
  if (L->fc) {
    y = b.fully_connected(xq, w, bias, Activation::none(), "fc", Quant::per_tensor(L->sy, 0));
  } else {
    Conv2DOptions o;
    o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
    o.stride_h = o.stride_w = 2;
    y = b.conv2d(xq, w, bias, o, Activation::relu(), "conv", Quant::per_tensor(L->sy, 0));
  }
  b.output(y);
  return b.finish();
}

}  // namespace

TEST_CASE("int16: CONV_2D and FULLY_CONNECTED run bit-exact to the reference", "[runtime][int16]") {
  for (bool fc : {false, true}) {
    INFO((fc ? "fully_connected" : "conv2d"));
    Int16Layer L;
    L.fc = fc;
    test::LoadedModel lm(int16_model(&L));
    REQUIRE(lm.status.ok());
    const size_t n_in = fc ? 2 * 4 : 6 * 6 * 4;
    const auto x = randn(n_in, 1.0f, 2);
    const auto out = test::from_bytes<int16_t>(test::run_model(lm.model, {test::to_bytes(x)})[0]);
    // The same computation from the documented rules.
    std::vector<int16_t> xq(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      xq[i] = static_cast<int16_t>(std::clamp<float>(std::nearbyint(x[i] / L.sx), -32767, 32767));
    }
    std::vector<kernels::Multiplier> m(5);
    for (int c = 0; c < 5; ++c) {
      REQUIRE(quant::quantize_multiplier(double(L.sx) * L.sw[c] / L.sy, &m[c]));
    }
    kernels::QuantOut q;
    q.zero_point = 0;
    q.qmin = fc ? -32767 : 0;  // ReLU
    q.qmax = 32767;
    q.multipliers = m.data();
    q.multiplier_count = 5;
    std::vector<int16_t> ref;
    if (fc) {
      ref.resize(2 * 5);
      kernels::fully_connected_qs16_qc8w_reference(2, 5, 4, xq.data(), L.w.data(), L.bias.data(), q,
                                                   ref.data());
    } else {
      ref.resize(3 * 3 * 5);
      kernels::Conv2DShape s{1, 6, 6, 4, 3, 3, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1};
      kernels::conv2d_qs16_qc8w_reference(s, xq.data(), L.w.data(), L.bias.data(), q, ref.data());
    }
    REQUIRE(out == ref);
    // The scalar path (reference kernels) gives the same codes as the
    // default (AVX2 gemm_qs16_qc8w_avx2 on x86 hosts).
    {
      octet_interpreter_options o{};
      o.struct_size = sizeof(o);
      o.num_threads = 1;
      o.isa = "scalar";
      Interpreter sc;
      REQUIRE(sc.create(lm.model, o).ok());
      REQUIRE(sc.set_input(0, x.data(), x.size() * 4).ok());
      REQUIRE(sc.invoke().ok());
      const int16_t* so = sc.output<int16_t>(0);
      CHECK(std::vector<int16_t>(so, so + ref.size()) == ref);
    }
    // Not trivially clamped: some codes are strictly inside the range.
    CHECK(std::count_if(out.begin(), out.end(), [](int16_t v) { return v > 0 && v < 32767; }) > 0);

    Interpreter it;
    REQUIRE(it.create(lm.model).ok());
    REQUIRE(it.set_input(0, x.data(), x.size() * 4).ok());
    REQUIRE(it.invoke().ok());
    octet_interpreter* raw = it.get();
    test::reset_allocation_count();
    int failures = 0;
    for (int r = 0; r < 5; ++r) failures += octet_interpreter_invoke(raw) != OCTET_OK;
    const size_t allocs = test::allocation_count();
    CHECK(failures == 0);
    CHECK(allocs == 0);
  }
}

TEST_CASE("int16: an int32 bias is rejected with a message naming it", "[runtime][int16]") {
  Int16Layer L;
  L.fc = false;
  L.bias = {1, 2, 3, 4, 5};
  // The loader prepares a trial interpreter, so the model is refused there.
  test::LoadedModel lm(int16_model(&L, DType::kInt32));
  REQUIRE_FALSE(lm.status.ok());
  CHECK_THAT(lm.status.to_string(), Catch::Contains("'conv'") && Catch::Contains("bias 'b'") &&
                                        Catch::Contains("int64"));
}

namespace {

std::vector<uint8_t> dynamic_fc_model(int32_t m, int32_t n, int32_t k, const std::vector<float>& w,
                                      const std::vector<float>& bias, std::vector<float>* w_deq) {
  std::vector<int8_t> q(w.size());
  std::vector<float> scales(n);
  w_deq->resize(w.size());
  for (int32_t j = 0; j < n; ++j) {
    float amax = 0;
    for (int32_t p = 0; p < k; ++p) amax = std::max(amax, std::fabs(w[size_t(j) * k + p]));
    scales[j] = amax / 127;
    for (int32_t p = 0; p < k; ++p) {
      q[size_t(j) * k + p] = static_cast<int8_t>(std::lrint(w[size_t(j) * k + p] / scales[j]));
      (*w_deq)[size_t(j) * k + p] = q[size_t(j) * k + p] * scales[j];
    }
  }
  ModelBuilder b;
  auto x = b.input("x", DType::kFloat32, {m, k});
  Quant wq = Quant::per_channel(scales, 0);
  wq.zero_point.assign(n, 0);
  auto y = b.fully_connected(x, b.constant_i8("w", {n, k}, q, wq), b.constant_f32("b", {n}, bias),
                             Activation::relu(), "fc");
  b.output(y);
  return b.finish();
}

}  // namespace

TEST_CASE("dynamic FULLY_CONNECTED: close to fp32, integer part exact, no allocation",
          "[runtime][dynamic]") {
  const int32_t m = 5, n = 24, k = 200;
  const auto w = randn(size_t(n) * k, 0.05f, 3);
  const auto bias = randn(n, 0.5f, 4);
  std::vector<float> w_deq;
  test::LoadedModel lm(dynamic_fc_model(m, n, k, w, bias, &w_deq));
  REQUIRE(lm.status.ok());
  auto x = randn(size_t(m) * k, 1.0f, 5);
  x[7] = 9.0f;  // an outlier sets the dynamic range
  const auto got = test::from_bytes<float>(test::run_model(lm.model, {test::to_bytes(x)})[0]);
  // Exactly the documented steps, with the kernels' reference integer part.
  const kernels::DynamicQuant dq = kernels::dynamic_quant_params_f32(x.size(), x.data());
  std::vector<int8_t> xq(x.size());
  kernels::dynamic_quantize_f32_qs8(x.size(), x.data(), dq, xq.data());
  // The int8 weights and scales the model holds (dynamic_fc_model's rule).
  std::vector<int8_t> wq(w.size());
  std::vector<float> scales(n);
  for (int32_t j = 0; j < n; ++j) {
    float amax = 0;
    for (int32_t p = 0; p < k; ++p) amax = std::max(amax, std::fabs(w[size_t(j) * k + p]));
    scales[j] = amax / 127;
    for (int32_t p = 0; p < k; ++p) {
      wq[size_t(j) * k + p] = static_cast<int8_t>(std::lrint(w[size_t(j) * k + p] / scales[j]));
    }
  }
  std::vector<int32_t> acc(size_t(m) * n);
  kernels::fully_connected_qd8_qc8w_acc_reference(m, n, k, xq.data(), dq.zero_point, wq.data(),
                                                  acc.data());
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> expect(size_t(m) * n);
  kernels::fully_connected_qd8_dequantize(m, n, acc.data(), dq.scale, scales.data(), n, bias.data(),
                                          kernels::FloatClamp{0.0f, inf}, expect.data());
  REQUIRE(got == expect);
  // Against fp32 (the float model's own weights): the documented tolerance.
  std::vector<float> ref(size_t(m) * n);
  kernels::fully_connected_f32_reference(m, n, k, x.data(), w.data(), bias.data(),
                                         kernels::FloatClamp{0.0f, inf}, ref.data());
  double err = 0, sig = 0, maxabs = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err += double(ref[i] - got[i]) * (ref[i] - got[i]);
    sig += double(ref[i]) * ref[i];
    maxabs = std::max(maxabs, std::fabs(double(ref[i]) - got[i]));
  }
  INFO("SQNR " << 10 * std::log10(sig / err) << " dB, max |error| " << maxabs);
  CHECK(10 * std::log10(sig / err) > 25.0);

  Interpreter it;
  REQUIRE(it.create(lm.model, 2).ok());
  REQUIRE(it.set_input(0, x.data(), x.size() * 4).ok());
  REQUIRE(it.invoke().ok());
  octet_interpreter* raw = it.get();
  test::reset_allocation_count();
  int failures = 0;
  for (int r = 0; r < 5; ++r) failures += octet_interpreter_invoke(raw) != OCTET_OK;
  const size_t allocs = test::allocation_count();
  CHECK(failures == 0);
  CHECK(allocs == 0);
}
