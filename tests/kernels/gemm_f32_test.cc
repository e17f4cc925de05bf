// SPDX-License-Identifier: Apache-2.0
//
// Every fp32 GEMM kernel in kernels/gemm_f32/kernels.inc against the
// reference (fully_connected_f32_reference) on the systematic edge cases: K
// = 1, K below / around / above NR, odd K, N around NR, M below MR, strided
// A and C, clamps, long K. fp32 kernels start from the bias and may use FMA,
// so they are compared with the tolerance derived from accumulation order
// (docs/kernels.md "fp32"): both sides round at most k + 1 times, each
// rounding moves the sum by at most ε·Σ|terms|, so
//   |y − y_ref| ≤ 2·(k + 1)·ε·(Σ_k |a·w| + |bias|)   (clamping is 1-Lipschitz).
// What must be exact is exact: whatever the M/N tiling (MR-row calls, single
// rows, per-NR-block calls) a kernel's outputs are bit-identical, which is
// what makes the runtime's output independent of the thread count. NaN fills
// every float the kernel must not read, guard values every one it must not
// write.
#include "kernels/gemm_f32/gemm_f32.h"

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/fully_connected/fully_connected.h"

using namespace octet::kernels;

namespace {

constexpr float kGuard = -12345.5f;

struct Case {
  int32_t m = 1, n = 1, k = 1;
  int32_t a_pad = 0;  // A row stride = k + a_pad floats
  int32_t c_pad = 3;  // C row stride = n + c_pad floats (guarded)
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool bias = true;
  uint32_t seed = 1;
};

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

// Calls the kernel over all rows: MR rows at a time (or one row at a time),
// the whole N at once or one NR block per call.
std::vector<float> run_kernel(const GemmF32Kernel& kernel, const Case& c, const float* a,
                              size_t a_stride, const void* packed, bool rows_of_one, bool split_n) {
  const size_t c_stride = static_cast<size_t>(c.n + c.c_pad);
  std::vector<float> y(c_stride * c.m + 16, kGuard);
  const GemmF32Params params{c.min, c.max};
  const size_t step = rows_of_one ? 1 : static_cast<size_t>(kernel.mr);
  const size_t block = gemm_f32_packed_block_bytes(kernel, c.k);
  for (size_t m0 = 0; m0 < static_cast<size_t>(c.m); m0 += step) {
    const size_t mr = static_cast<size_t>(c.m) - m0 < step ? static_cast<size_t>(c.m) - m0 : step;
    const size_t nr = split_n ? static_cast<size_t>(kernel.nr) : static_cast<size_t>(c.n);
    for (size_t n0 = 0; n0 < static_cast<size_t>(c.n); n0 += nr) {
      const size_t nc = static_cast<size_t>(c.n) - n0 < nr ? static_cast<size_t>(c.n) - n0 : nr;
      kernel.fn(mr, nc, static_cast<size_t>(c.k), a + m0 * a_stride, a_stride * sizeof(float),
                static_cast<const uint8_t*>(packed) + block * (n0 / kernel.nr),
                y.data() + m0 * c_stride + n0, c_stride * sizeof(float), &params);
    }
  }
  return y;
}

void run_case(const GemmF32Kernel& kernel, const Case& c) {
  INFO(kernel.name << " m=" << c.m << " n=" << c.n << " k=" << c.k << " a_pad=" << c.a_pad
                   << " clamp=[" << c.min << "," << c.max << "] seed=" << c.seed);
  std::mt19937 rng(c.seed);
  std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
  const size_t a_stride = static_cast<size_t>(c.k + c.a_pad);
  // NaN between strided rows and after the last one: a kernel that reads
  // them produces NaN and fails.
  std::vector<float> a(a_stride * c.m + 16, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> a_dense(static_cast<size_t>(c.m) * c.k);
  for (int32_t i = 0; i < c.m; ++i) {
    for (int32_t p = 0; p < c.k; ++p) {
      a[i * a_stride + p] = a_dense[static_cast<size_t>(i) * c.k + p] = ud(rng);
    }
  }
  std::vector<float> w(static_cast<size_t>(c.n) * c.k), bias(static_cast<size_t>(c.n));
  for (auto& v : w) v = ud(rng);
  for (auto& v : bias) v = ud(rng);
  const size_t bytes = gemm_f32_packed_bytes(kernel, c.n, c.k);
  std::unique_ptr<void, AlignedFree> packed(aligned_alloc(64, (bytes + 63) / 64 * 64));
  gemm_f32_pack(kernel, c.n, c.k, w.data(), static_cast<size_t>(c.k), 1,
                c.bias ? bias.data() : nullptr, packed.get());

  std::vector<float> ref(static_cast<size_t>(c.m) * c.n);
  fully_connected_f32_reference(c.m, c.n, c.k, a_dense.data(), w.data(),
                                c.bias ? bias.data() : nullptr, FloatClamp{c.min, c.max},
                                ref.data());
  const std::vector<float> y =
      run_kernel(kernel, c, a.data(), a_stride, packed.get(), false, false);
  const size_t c_stride = static_cast<size_t>(c.n + c.c_pad);
  int64_t bad = 0;
  for (int32_t i = 0; i < c.m; ++i) {
    for (int32_t j = 0; j < c.n; ++j) {
      double mag = c.bias ? std::fabs(bias[j]) : 0.0;
      for (int32_t p = 0; p < c.k; ++p) {
        mag += std::fabs(double(a_dense[static_cast<size_t>(i) * c.k + p]) *
                         w[static_cast<size_t>(j) * c.k + p]);
      }
      const double tol = 2.0 * (c.k + 1) * FLT_EPSILON * mag + FLT_MIN;
      const float got = y[i * c_stride + j], want = ref[static_cast<size_t>(i) * c.n + j];
      if (!(std::fabs(double(got) - want) <= tol)) {
        if (bad++ < 5) {
          UNSCOPED_INFO("(" << i << "," << j << "): got " << got << " want " << want << " tol "
                            << tol);
        }
      }
      REQUIRE(got >= c.min);
      REQUIRE(got <= c.max);
    }
    for (int32_t j = c.n; j < c.n + c.c_pad; ++j) REQUIRE(y[i * c_stride + j] == kGuard);
  }
  for (size_t g = c_stride * c.m; g < y.size(); ++g) REQUIRE(y[g] == kGuard);
  REQUIRE(bad == 0);
  // Tiling never changes a value: single-row calls and per-block calls give
  // the same bits as MR-row whole-N calls.
  REQUIRE(run_kernel(kernel, c, a.data(), a_stride, packed.get(), true, false) == y);
  REQUIRE(run_kernel(kernel, c, a.data(), a_stride, packed.get(), false, true) == y);
}

void test_kernel(const char* name) {
  const GemmF32Kernel* kernel = find_gemm_f32_kernel(name);
  REQUIRE(kernel != nullptr);
  if (!gemm_f32_kernel_available(*kernel)) {
    WARN("skipped: host lacks " << isa_name(kernel->isa) << " (" << name << ")");
    return;
  }
  const int32_t mr = kernel->mr, nr = kernel->nr;
  uint32_t seed = 1;
  auto run = [&](Case c) {
    c.seed = seed++;
    run_case(*kernel, c);
  };
  SECTION("k_eq_1") {
    for (int32_t n : {1, nr, 2 * nr + 1}) run(Case{mr, n, 1});
  }
  SECTION("k_lt_nr") {
    for (int32_t k = 2; k < nr; k += 3) run(Case{mr, nr, k});
  }
  SECTION("k_odd") {
    for (int32_t k : {3, 17, 33, 255, 577}) run(Case{mr, 2 * nr, k});
  }
  SECTION("k_long") {
    for (int32_t k : {1024, 4099}) run(Case{mr, nr + 1, k});
  }
  SECTION("n_gt_nr") {
    for (int32_t n : {nr + 1, 2 * nr - 1, 3 * nr + 3, 8 * nr}) run(Case{mr, n, 19});
  }
  SECTION("subtile_m") {
    for (int32_t m = 1; m <= mr; ++m) run(Case{m, nr, 23});
    run(Case{3 * mr + 1, 2 * nr + 5, 41});
  }
  SECTION("subtile_n") {
    for (int32_t n = 1; n < nr; ++n) run(Case{mr, n, 9});
  }
  SECTION("strided_a") {
    for (int32_t pad : {1, 13, 64}) {
      Case c{2 * mr + 1, nr + 3, 37};
      c.a_pad = pad;
      run(c);
    }
  }
  SECTION("no_bias") {
    Case c{mr + 1, 2 * nr + 3, 29};
    c.bias = false;
    run(c);
  }
  SECTION("clamp") {
    Case c{2 * mr, 2 * nr + 1, 31};
    c.min = 0.0f;  // ReLU
    run(c);
    c.max = 6.0f;  // ReLU6
    run(c);
    c.min = -0.25f;
    c.max = 0.25f;
    run(c);
    c.min = c.max = 0.5f;
    run(c);
  }
}

}  // namespace

#define OCTET_GEMM_F32_KERNEL(name, isa, mr, nr) \
  TEST_CASE(#name, "[gemm_f32][" #isa "]") { test_kernel(#name); }
#include "kernels/gemm_f32/kernels.inc"
#undef OCTET_GEMM_F32_KERNEL

TEST_CASE("gemm_f32 kernel list", "[gemm_f32]") {
  int32_t count = 0;
  const GemmF32Kernel* list = gemm_f32_kernels(&count);
  REQUIRE(count >= 2);
  for (int32_t i = 0; i < count; ++i) {
    INFO(list[i].name);
    // The name encodes the tile: gemm_f32_<MR>x<NR>_<isa variant>.
    const std::string tile =
        "gemm_f32_" + std::to_string(list[i].mr) + "x" + std::to_string(list[i].nr) + "_";
    REQUIRE(std::string(list[i].name).rfind(tile, 0) == 0);
  }
  // Selection always lands on a kernel the host can run, and on the forced
  // path's own kernel when the host has it.
  for (int32_t i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    for (int64_t m : {int64_t{1}, int64_t{100}}) {
      const GemmF32Kernel* k = select_gemm_f32_kernel(isa, m);
      REQUIRE(k != nullptr);
      REQUIRE(gemm_f32_kernel_available(*k));
      if (isa == Isa::kScalar) REQUIRE(k->isa == Isa::kScalar);
    }
  }
}
