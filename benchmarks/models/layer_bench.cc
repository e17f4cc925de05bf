// SPDX-License-Identifier: Apache-2.0
//
// Single-layer models through the whole runtime (load, prepare, invoke), in
// fp32 and int8, on the shapes the design brief measures peers on:
//   GEMM 3136x256x256 (FULLY_CONNECTED), conv3x3 56x56x64->64,
//   conv1x1 56x56x256->256, depthwise 3x3 56x56x144.
// Reports GOPS = 2·MACs/s. Whatever kernel the dispatcher picks is what runs,
// so these numbers track the runtime as kernels improve. The int8 layers
// also run once per kernel path the host has (BM_layer_int8/<layer>/<isa>,
// interpreter option `isa`) and with 2 threads (/threads:2). GOPS_best is
// the fastest single invoke (the stable figure on a shared machine) and
// peak_best its fraction of the vpdpbusd zmm peak measured in this run.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/common/isa.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"

namespace octet::bench {
#ifdef OCTET_HAVE_AVX512VNNI
int64_t peak_vpdpbusd_zmm(int64_t iterations);
#endif
}  // namespace octet::bench

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

// Best of many short runs of the vpdpbusd zmm loop (2 ops per MAC), once.
double int8_peak_ops() {
#ifdef OCTET_HAVE_AVX512VNNI
  static const double peak = [] {
    if (!octet::kernels::isa_available(octet::kernels::Isa::kAvx512Vnni)) return 0.0;
    double best = 0;
    for (int rep = 0; rep < 300; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(octet::bench::peak_vpdpbusd_zmm(2000));
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::max(best, 2000.0 * 64 * 128 / sec);
    }
    return best;
  }();
  return peak;
#else
  return 0.0;
#endif
}

void BM_layer(benchmark::State& state, Layer l, bool int8, const char* isa, int32_t threads) {
  const std::vector<uint8_t> bytes = build_layer(l, int8);
  void* aligned = aligned_alloc(64, (bytes.size() + 63) / 64 * 64);
  memcpy(aligned, bytes.data(), bytes.size());
  Model m;
  Status s = m.load_buffer(aligned, bytes.size());
  Interpreter it;
  octet_interpreter_options o{};
  o.struct_size = sizeof(o);
  o.num_threads = threads;
  o.isa = isa;
  if (s) s = it.create(m, o);
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
  double best = 1e30;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    it.invoke();
    benchmark::ClobberMemory();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double ops = 2.0 * layer_macs(l);
  state.counters["GOPS"] =
      benchmark::Counter(ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GOPS_best"] = ops * 1e-9 / best;
  if (int8 && int8_peak_ops() > 0) state.counters["peak_best"] = ops / best / int8_peak_ops();
  free(aligned);
}

const bool kRegistered = [] {
  for (const Layer& l : kLayers) {
    benchmark::RegisterBenchmark((std::string("BM_layer_fp32/") + l.name).c_str(), BM_layer, l,
                                 false, nullptr, 1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_layer_int8/") + l.name).c_str(), BM_layer, l,
                                 true, nullptr, 1)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((std::string("BM_layer_int8/") + l.name + "/threads:2").c_str(),
                                 BM_layer, l, true, nullptr, 2)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    for (int32_t i = 0; i < octet::kernels::kIsaCount; ++i) {
      const auto isa = static_cast<octet::kernels::Isa>(i);
      if (!octet::kernels::isa_available(isa)) continue;
      const char* name = octet::kernels::isa_name(isa);
      benchmark::RegisterBenchmark((std::string("BM_layer_int8/") + l.name + "/" + name).c_str(),
                                   BM_layer, l, true, name, 1)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
