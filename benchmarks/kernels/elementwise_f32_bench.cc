// SPDX-License-Identifier: Apache-2.0
//
// fp32 elementwise kernels (issue #6) against their references, one
// benchmark per kernel set the host can run: HARD_SWISH and SIGMOID over a
// MobileNetV3 activation (112·112·16 floats), the squeeze-excitation MUL
// [1,56,56,16] × [1,1,1,16], QUANTIZE/DEQUANTIZE of a 3×224×224 input, and
// the NCHW→NHWC TRANSPOSE of that input (fp32 and int8). Reports elements/s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/activation/activation_f32.h"
#include "kernels/binary/binary_f32.h"
#include "kernels/data_movement/data_movement.h"
#include "kernels/data_movement/transpose_blocked.h"
#include "kernels/quantize/quantize_x86.h"

using namespace octet::kernels;

namespace {

std::vector<float> random_floats(size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> ud(-6.0f, 6.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = ud(rng);
  return v;
}

void set_items(benchmark::State& state, size_t n) {
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(n));
}

void register_all() {
  constexpr size_t kAct = 112 * 112 * 16;
  int32_t count = 0;
  const ActivationF32Kernels* acts = activation_f32_kernels(&count);
  for (int32_t i = 0; i < count; ++i) {
    const ActivationF32Kernels* k = &acts[i];
    if (!activation_f32_kernels_available(*k)) continue;
    benchmark::RegisterBenchmark(k->hard_swish_name, [k](benchmark::State& state) {
      const std::vector<float> x = random_floats(kAct);
      std::vector<float> y(kAct);
      for (auto _ : state) {
        k->hard_swish(kAct, x.data(), y.data());
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kAct);
    });
    benchmark::RegisterBenchmark(k->sigmoid_name, [k](benchmark::State& state) {
      const std::vector<float> x = random_floats(kAct);
      std::vector<float> y(kAct);
      for (auto _ : state) {
        k->sigmoid(kAct, x.data(), y.data());
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kAct);
    });
  }
  // SE MUL: the reference walks the broadcast per element.
  {
    static const int32_t xd[] = {1, 56, 56, 16}, sd[] = {1, 1, 1, 16};
    static BroadcastShape shape;
    make_broadcast_shape(4, xd, 4, sd, &shape);
    constexpr size_t kN = 56 * 56 * 16;
    benchmark::RegisterBenchmark("mul_f32_se_reference", [](benchmark::State& state) {
      const std::vector<float> a = random_floats(kN), b = random_floats(16);
      std::vector<float> y(kN);
      const FloatClamp none{-INFINITY, INFINITY};
      for (auto _ : state) {
        mul_f32_reference(shape, a.data(), b.data(), none, y.data());
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kN);
    });
    const BinaryF32Kernels* sets = binary_f32_kernels(&count);
    for (int32_t i = 0; i < count; ++i) {
      const BinaryF32Kernels* k = &sets[i];
      if (!binary_f32_kernels_available(*k)) continue;
      benchmark::RegisterBenchmark((std::string("mul_f32_se_") + k->name).c_str(),
                                   [k](benchmark::State& state) {
                                     const std::vector<float> a = random_floats(kN),
                                                              b = random_floats(16);
                                     std::vector<float> y(kN);
                                     BinaryF32Plan plan;
                                     plan_binary_f32(shape, &plan);
                                     const FloatClamp none{-INFINITY, INFINITY};
                                     for (auto _ : state) {
                                       binary_f32_run(plan, k->mul, a.data(), b.data(), none,
                                                      y.data());
                                       benchmark::DoNotOptimize(y.data());
                                     }
                                     set_items(state, kN);
                                   });
    }
  }
  constexpr size_t kImg = 3 * 224 * 224;
  const QuantizeQs8Kernels* qs = quantize_qs8_kernels(&count);
  for (int32_t i = 0; i < count; ++i) {
    const QuantizeQs8Kernels* k = &qs[i];
    if (!quantize_qs8_kernels_available(*k)) continue;
    benchmark::RegisterBenchmark(k->quantize_name, [k](benchmark::State& state) {
      const std::vector<float> x = random_floats(kImg);
      std::vector<int8_t> y(kImg);
      const QuantizeParams p{0.0235f, -7, -128, 127};
      for (auto _ : state) {
        k->quantize(kImg, x.data(), y.data(), p);
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kImg);
    });
    benchmark::RegisterBenchmark(k->dequantize_name, [k](benchmark::State& state) {
      std::vector<int8_t> x(kImg, 17);
      std::vector<float> y(kImg);
      const DequantizeParams p{0.0235f, -7};
      for (auto _ : state) {
        k->dequantize(kImg, x.data(), y.data(), p);
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kImg);
    });
  }
  for (size_t e : {size_t{4}, size_t{1}}) {
    const std::string suffix = e == 4 ? "_f32" : "_i8";
    auto run = [e](benchmark::State& state, bool blocked) {
      static const int32_t dims[] = {1, 3, 224, 224}, perm[] = {0, 2, 3, 1};
      std::vector<uint8_t> x(kImg * e, 3), y(kImg * e);
      Transpose2DShape s;
      transpose_as_2d(4, dims, perm, &s);
      for (auto _ : state) {
        if (blocked) {
          transpose_2d_blocked(s, x.data(), e, y.data());
        } else {
          transpose_reference(4, dims, perm, x.data(), e, y.data());
        }
        benchmark::DoNotOptimize(y.data());
      }
      set_items(state, kImg);
    };
    benchmark::RegisterBenchmark(("transpose_nchw_nhwc" + suffix + "_reference").c_str(),
                                 [run](benchmark::State& st) { run(st, false); });
    benchmark::RegisterBenchmark(("transpose_nchw_nhwc" + suffix + "_blocked").c_str(),
                                 [run](benchmark::State& st) { run(st, true); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
