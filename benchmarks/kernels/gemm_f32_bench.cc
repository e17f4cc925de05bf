// SPDX-License-Identifier: Apache-2.0
//
// fp32 kernels (every entry of kernels/gemm_f32/kernels.inc and
// kernels/dwconv2d_f32/kernels.inc the host can run), single thread, on the
// design brief's shapes, next to:
//   - the vfmadd231ps zmm peak measured in this run (BM_peak_vfmadd231ps_zmm);
//     each benchmark reports GFLOPS (2 per MAC) and `peak_best` = its
//     fastest iteration as a fraction of that peak;
//   - the fp32 reference on the GEMM shape;
//   - XNNPACK's fp32 operators (Debian's libxnnpack) on the same shapes:
//     fully_connected_nc_f32 for the GEMM, convolution2d_nhwc_f32 for the
//     1×1, 3×3 and depthwise 3×3 convolutions.
// Shapes: BM_gemm_f32_<tile>_<isa>/3136/256/256 (= conv1×1 56×56×256→256 as
// a GEMM over NHWC pixels, which is exactly how the runtime runs that conv);
// BM_conv3x3_f32_<tile>_<isa>/56/56/64/64: im2col in row tiles + the GEMM
// 3136×64×576, the runtime's K×K path; BM_dwconv2d_f32_<isa>/56/56/144:
// depthwise 3×3 stride 1 pad 1.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/dwconv2d_f32/dwconv2d_f32.h"
#include "kernels/fully_connected/fully_connected.h"
#include "kernels/gemm_f32/gemm_f32.h"

#ifdef OCTET_BENCH_XNNPACK
#include <xnnpack.h>
#endif

namespace octet::bench {
#ifdef OCTET_HAVE_AVX512VNNI
int64_t peak_vfmadd231ps_zmm(int64_t iterations);
#endif
}  // namespace octet::bench

namespace {

using namespace octet::kernels;

struct Shape {
  int32_t m, n, k;
};
constexpr Shape kGemm{3136, 256, 256};
constexpr float kInf = 1e30f;

// vfmadd231ps zmm: 16 lanes × 2 flops per instruction; the best of many
// short runs (the machine is shared; the fastest run is the undisturbed one).
double fma_peak_flops() {
#ifdef OCTET_HAVE_AVX512VNNI
  static const double peak = [] {
    if (!isa_available(Isa::kAvx512Vnni)) return 0.0;
    const int64_t iters = 2000;
    double best = 0;
    for (int rep = 0; rep < 300; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(octet::bench::peak_vfmadd231ps_zmm(iters));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double f = static_cast<double>(iters) * 64 * 32 / s;
      if (f > best) best = f;
    }
    return best;
  }();
  return peak;
#else
  return 0.0;
#endif
}

struct BestTimer {
  double best = 1e30;
  std::chrono::steady_clock::time_point t0;
  void start() { t0 = std::chrono::steady_clock::now(); }
  void stop() {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
};

void report(benchmark::State& state, double macs, double best_seconds) {
  state.counters["GFLOPS"] =
      benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOPS_best"] = 2.0 * macs * 1e-9 / best_seconds;
  const double peak = fma_peak_flops();
  if (peak > 0) state.counters["peak_best"] = 2.0 * macs / best_seconds / peak;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct Packed {
  void* p;
  explicit Packed(size_t bytes) : p(aligned_alloc(64, (bytes + 63) / 64 * 64)) {}
  ~Packed() { free(p); }
};

void gemm_rows(const GemmF32Kernel& kernel, size_t m0, size_t rows, size_t n, size_t k,
               const float* a, const void* packed, float* c, const GemmF32Params& params) {
  const size_t mr = static_cast<size_t>(kernel.mr);
  for (size_t i = m0; i < m0 + rows; i += mr) {
    const size_t r = m0 + rows - i < mr ? m0 + rows - i : mr;
    kernel.fn(r, n, k, a + (i - m0) * k, k * sizeof(float), packed, c + i * n, n * sizeof(float),
              &params);
  }
}

void BM_gemm_f32(benchmark::State& state, const GemmF32Kernel* kernel, Shape s) {
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m) * s.k, 1);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.n) * s.k, 2);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.n), 3);
  std::vector<float> c(static_cast<size_t>(s.m) * s.n);
  Packed packed(gemm_f32_packed_bytes(*kernel, s.n, s.k));
  gemm_f32_pack(*kernel, s.n, s.k, w.data(), static_cast<size_t>(s.k), 1, bias.data(), packed.p);
  const GemmF32Params params{-kInf, kInf};
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    gemm_rows(*kernel, 0, static_cast<size_t>(s.m), static_cast<size_t>(s.n),
              static_cast<size_t>(s.k), a.data(), packed.p, c.data(), params);
    benchmark::ClobberMemory();
    timer.stop();
  }
  report(state, double(s.m) * s.n * s.k, timer.best);
}

void BM_gemm_f32_reference(benchmark::State& state, Shape s) {
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m) * s.k, 1);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.n) * s.k, 2);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.n), 3);
  std::vector<float> c(static_cast<size_t>(s.m) * s.n);
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    fully_connected_f32_reference(s.m, s.n, s.k, a.data(), w.data(), bias.data(),
                                  FloatClamp{-kInf, kInf}, c.data());
    benchmark::ClobberMemory();
    timer.stop();
  }
  report(state, double(s.m) * s.n * s.k, timer.best);
}

// conv3×3 56×56×64→64, stride 1, pad 1: im2col of a row tile (as the
// runtime does, sized to stay in L1/L2) then the GEMM on it.
void BM_conv3x3_f32(benchmark::State& state, const GemmF32Kernel* kernel) {
  constexpr int32_t H = 56, W = 56, C = 64, OC = 64, K = 9 * C;
  const std::vector<float> x = random_floats(static_cast<size_t>(H) * W * C, 1);
  const std::vector<float> w = random_floats(static_cast<size_t>(OC) * K, 2);
  const std::vector<float> bias = random_floats(OC, 3);
  std::vector<float> y(static_cast<size_t>(H) * W * OC);
  Packed packed(gemm_f32_packed_bytes(*kernel, OC, K));
  gemm_f32_pack(*kernel, OC, K, w.data(), K, 1, bias.data(), packed.p);
  const GemmF32Params params{-kInf, kInf};
  const size_t mr = static_cast<size_t>(kernel->mr);
  const size_t tile = (65536 / (K * sizeof(float)) + mr - 1) / mr * mr;
  std::vector<float> col(tile * K);
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    for (size_t m0 = 0; m0 < static_cast<size_t>(H) * W; m0 += tile) {
      const size_t rows = H * W - m0 < tile ? H * W - m0 : tile;
      for (size_t r = 0; r < rows; ++r) {
        const int32_t oy = static_cast<int32_t>((m0 + r) / W),
                      ox = static_cast<int32_t>((m0 + r) % W);
        float* dst = col.data() + r * K;
        for (int32_t ky = 0; ky < 3; ++ky) {
          for (int32_t kx = 0; kx < 3; ++kx, dst += C) {
            const int32_t iy = oy - 1 + ky, ix = ox - 1 + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
              memset(dst, 0, C * sizeof(float));
            } else {
              memcpy(dst, x.data() + (static_cast<size_t>(iy) * W + ix) * C, C * sizeof(float));
            }
          }
        }
      }
      gemm_rows(*kernel, m0, rows, OC, K, col.data(), packed.p, y.data(), params);
    }
    benchmark::ClobberMemory();
    timer.stop();
  }
  report(state, double(H) * W * OC * K, timer.best);
}

// Depthwise 3×3 56×56×144, stride 1, pad 1, through tap pointers per row.
void BM_dwconv2d_f32(benchmark::State& state, const DwconvF32Kernel* kernel) {
  constexpr int32_t H = 56, W = 56, C = 144;
  const Conv2DShape s{1, H, W, C, H, W, C, 3, 3, 1, 1, 1, 1, 1, 1, C};
  const std::vector<float> x = random_floats(static_cast<size_t>(H) * W * C, 1);
  const std::vector<float> w = random_floats(static_cast<size_t>(C) * 9, 2);
  const std::vector<float> bias = random_floats(C, 3);
  const std::vector<float> zero(C, 0.0f);
  std::vector<float> y(static_cast<size_t>(H) * W * C);
  Packed packed(dwconv_f32_packed_bytes(C, 9));
  dwconv_f32_pack(C, 9, w.data(), bias.data(), packed.p);
  const GemmF32Params params{-kInf, kInf};
  std::vector<const float*> taps(static_cast<size_t>(W) * 9);
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    for (int32_t oy = 0; oy < H; ++oy) {
      dwconv_f32_taps(s, x.data(), zero.data(), 0, oy, 0, W, taps.data());
      kernel->fn(C, W, 9, taps.data(), packed.p, y.data() + static_cast<size_t>(oy) * W * C,
                 C * sizeof(float), &params);
    }
    benchmark::ClobberMemory();
    timer.stop();
  }
  report(state, double(H) * W * C * 9, timer.best);
}

#ifdef OCTET_HAVE_AVX512VNNI
void BM_peak(benchmark::State& state) {
  const int64_t iters = 2000;
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    benchmark::DoNotOptimize(octet::bench::peak_vfmadd231ps_zmm(iters));
    timer.stop();
  }
  const double flops = double(iters) * 64 * 32;
  state.counters["GFLOPS"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOPS_best"] = flops * 1e-9 / timer.best;
}
#endif

#ifdef OCTET_BENCH_XNNPACK
// XNNPACK fp32 operators, one thread (Debian 12's 2022 package).
bool xnn_ready(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_initialize failed");
    return false;
  }
  return true;
}

void run_xnn(benchmark::State& state, xnn_operator_t op, double macs) {
  BestTimer timer;
  for (auto _ : state) {
    timer.start();
    xnn_run_operator(op, nullptr);
    benchmark::ClobberMemory();
    timer.stop();
  }
  report(state, macs, timer.best);
  xnn_delete_operator(op);
}

void BM_xnnpack_fc_f32(benchmark::State& state, Shape s) {
  if (!xnn_ready(state)) return;
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m) * s.k, 1);
  const std::vector<float> w = random_floats(static_cast<size_t>(s.n) * s.k, 2);
  const std::vector<float> bias = random_floats(static_cast<size_t>(s.n), 3);
  std::vector<float> c(static_cast<size_t>(s.m) * s.n);
  xnn_operator_t op = nullptr;
  xnn_status st = xnn_create_fully_connected_nc_f32(
      static_cast<size_t>(s.k), static_cast<size_t>(s.n), static_cast<size_t>(s.k),
      static_cast<size_t>(s.n), w.data(), bias.data(), -kInf, kInf, 0, &op);
  if (st == xnn_status_success) {
    st =
        xnn_setup_fully_connected_nc_f32(op, static_cast<size_t>(s.m), a.data(), c.data(), nullptr);
  }
  if (st != xnn_status_success) {
    state.SkipWithError("XNNPACK fully_connected_nc_f32 setup failed");
    if (op != nullptr) xnn_delete_operator(op);
    return;
  }
  run_xnn(state, op, double(s.m) * s.n * s.k);
}

// NHWC convolution 56×56: k×k, `groups` groups of cin/groups → cout/groups.
void BM_xnnpack_conv_f32(benchmark::State& state, uint32_t k, uint32_t cin, uint32_t cout,
                         uint32_t groups) {
  if (!xnn_ready(state)) return;
  const uint32_t pad = k / 2, H = 56, W = 56;
  const size_t gin = cin / groups, gout = cout / groups;
  const std::vector<float> x = random_floats(size_t{H} * W * cin, 1);
  const std::vector<float> w = random_floats(size_t{cout} * k * k * gin, 2);
  const std::vector<float> bias = random_floats(cout, 3);
  std::vector<float> y(size_t{H} * W * cout);
  xnn_operator_t op = nullptr;
  xnn_status st =
      xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, k, k, 1, 1, 1, 1, groups, gin, gout,
                                        cin, cout, w.data(), bias.data(), -kInf, kInf, 0, &op);
  if (st == xnn_status_success) {
    st = xnn_setup_convolution2d_nhwc_f32(op, 1, H, W, x.data(), y.data(), nullptr);
  }
  if (st != xnn_status_success) {
    state.SkipWithError("XNNPACK convolution2d_nhwc_f32 setup failed");
    if (op != nullptr) xnn_delete_operator(op);
    return;
  }
  run_xnn(state, op, double(H) * W * cout * k * k * gin);
}
#endif

std::string shape_suffix(const Shape& s) {
  return "/" + std::to_string(s.m) + "/" + std::to_string(s.n) + "/" + std::to_string(s.k);
}

const bool kRegistered = [] {
#ifdef OCTET_HAVE_AVX512VNNI
  if (isa_available(Isa::kAvx512Vnni)) {
    benchmark::RegisterBenchmark("BM_peak_vfmadd231ps_zmm", BM_peak)->UseRealTime();
  }
#endif
  int32_t count = 0;
  const GemmF32Kernel* list = gemm_f32_kernels(&count);
  for (int32_t i = 0; i < count; ++i) {
    if (!gemm_f32_kernel_available(list[i])) continue;
    // BM_gemm_f32_<tile>_<isa>/M/N/K
    benchmark::RegisterBenchmark(("BM_" + std::string(list[i].name) + shape_suffix(kGemm)).c_str(),
                                 BM_gemm_f32, &list[i], kGemm)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark(("BM_gemm_f32_reference" + shape_suffix(kGemm)).c_str(),
                               BM_gemm_f32_reference, kGemm)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  for (int32_t i = 0; i < count; ++i) {
    if (!gemm_f32_kernel_available(list[i]) || list[i].mr == 1) continue;
    const std::string tile = std::string(list[i].name).substr(strlen("gemm_f32_"));
    benchmark::RegisterBenchmark(("BM_conv3x3_f32_" + tile + "/56/56/64/64").c_str(),
                                 BM_conv3x3_f32, &list[i])
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  const DwconvF32Kernel* dw = dwconv_f32_kernels(&count);
  for (int32_t i = 0; i < count; ++i) {
    if (!dwconv_f32_kernel_available(dw[i])) continue;
    benchmark::RegisterBenchmark(("BM_" + std::string(dw[i].name) + "/56/56/144").c_str(),
                                 BM_dwconv2d_f32, &dw[i])
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
#ifdef OCTET_BENCH_XNNPACK
  benchmark::RegisterBenchmark(("BM_xnnpack_fc_f32" + shape_suffix(kGemm)).c_str(),
                               BM_xnnpack_fc_f32, kGemm)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_xnnpack_conv1x1_f32/56/56/256/256", BM_xnnpack_conv_f32, 1u,
                               256u, 256u, 1u)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_xnnpack_conv3x3_f32/56/56/64/64", BM_xnnpack_conv_f32, 3u, 64u,
                               64u, 1u)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("BM_xnnpack_dwconv3x3_f32/56/56/144", BM_xnnpack_conv_f32, 3u, 144u,
                               144u, 144u)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
#endif
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
