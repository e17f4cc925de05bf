// SPDX-License-Identifier: Apache-2.0
//
// Single-layer models through the whole runtime (load, prepare, invoke), in
// fp32 and int8, on the shapes the design brief measures peers on:
//   GEMM 3136x256x256 (FULLY_CONNECTED), conv3x3 56x56x64->64,
//   conv1x1 56x56x256->256, depthwise 3x3 56x56x144.
// Reports GOPS = 2·MACs/s. Whatever kernel the dispatcher picks is what runs,
// so these numbers track the runtime as kernels improve.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "octet/builder.hpp"
#include "octet/octet.hpp"

namespace {

using namespace octet;

struct Layer {
  const char* name;
  int32_t h, w, cin, cout, k, groups;  // h == 0: FULLY_CONNECTED with M = w
};

constexpr Layer kLayers[] = {
    {"gemm_3136x256x256", 0, 3136, 256, 256, 1, 1},
    {"conv3x3_56x56x64x64", 56, 56, 64, 64, 3, 1},
    {"conv1x1_56x56x256x256", 56, 56, 256, 256, 1, 1},
    {"dwconv3x3_56x56x144", 56, 56, 144, 144, 3, 144},
};

std::vector<uint8_t> build_layer(const Layer& l, bool int8) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> wi(-127, 127);
  std::normal_distribution<float> wf(0.0f, 0.05f);
  ModelBuilder b;
  const bool fc = l.h == 0;
  const std::vector<int32_t> xs = fc ? std::vector<int32_t>{l.w, l.cin}
                                     : std::vector<int32_t>{1, l.h, l.w, l.cin};
  const std::vector<int32_t> ws = fc ? std::vector<int32_t>{l.cout, l.cin}
                                     : std::vector<int32_t>{l.cout, l.k, l.k, l.cin / l.groups};
  size_t wn = 1;
  for (int32_t d : ws) wn *= static_cast<size_t>(d);
  Conv2DOptions o;
  o.groups = l.groups;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = l.k / 2;
  ModelBuilder::Id y;
  if (!int8) {
    const auto x = b.input("x", DType::kFloat32, xs);
    std::vector<float> w(wn), bias(static_cast<size_t>(l.cout), 0.01f);
    for (auto& v : w) v = wf(rng);
    const auto wt = b.constant_f32("w", ws, w);
    const auto bt = b.constant_f32("b", {l.cout}, bias);
    y = fc ? b.fully_connected(x, wt, bt, Activation::relu(), "layer")
           : b.conv2d(x, wt, bt, o, Activation::relu(), "layer");
  } else {
    const auto x = b.input("x", DType::kInt8, xs, Quant::per_tensor(0.02f, -3));
    std::vector<int8_t> w(wn);
    for (auto& v : w) v = static_cast<int8_t>(wi(rng));
    std::vector<float> wsc(static_cast<size_t>(l.cout), 0.002f);
    std::vector<float> bsc(static_cast<size_t>(l.cout), 0.02f * 0.002f);
    const auto wt = b.constant_i8("w", ws, w, Quant::per_channel(wsc, 0));
    const auto bt = b.constant_i32("b", {l.cout}, std::vector<int32_t>(l.cout, 100),
                                   Quant::per_channel(bsc, 0));
    const Quant out = Quant::per_tensor(0.5f, -128);
    y = fc ? b.fully_connected(x, wt, bt, Activation::relu(), "layer", out)
           : b.conv2d(x, wt, bt, o, Activation::relu(), "layer", out);
  }
  b.output(y);
  return b.finish();
}

double layer_macs(const Layer& l) {
  if (l.h == 0) return double(l.w) * l.cin * l.cout;
  return double(l.h) * l.w * l.cout * l.k * l.k * (l.cin / l.groups);
}

void BM_layer(benchmark::State& state, Layer l, bool int8) {
  const std::vector<uint8_t> bytes = build_layer(l, int8);
  void* aligned = aligned_alloc(64, (bytes.size() + 63) / 64 * 64);
  memcpy(aligned, bytes.data(), bytes.size());
  Model m;
  Status s = m.load_buffer(aligned, bytes.size());
  Interpreter it;
  if (s) s = it.create(m);
  if (!s) {
    state.SkipWithError(s.to_string().c_str());
    free(aligned);
    return;
  }
  const octet_tensor_info in = m.input_info(0);
  std::vector<uint8_t> x(in.bytes);
  std::mt19937 rng(1);
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  if (!int8) {
    float* f = reinterpret_cast<float*>(x.data());
    for (size_t i = 0; i < in.bytes / 4; ++i) f[i] = static_cast<float>(rng() % 200) / 100.0f - 1;
  }
  it.set_input(0, x.data(), x.size());
  for (auto _ : state) {
    it.invoke();
    benchmark::ClobberMemory();
  }
  state.counters["GOPS"] = benchmark::Counter(2.0 * layer_macs(l) * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
  free(aligned);
}

const bool kRegistered = [] {
  for (const Layer& l : kLayers) {
    benchmark::RegisterBenchmark((std::string("BM_layer_fp32/") + l.name).c_str(), BM_layer, l,
                                 false)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_layer_int8/") + l.name).c_str(), BM_layer, l,
                                 true)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
