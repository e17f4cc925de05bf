// SPDX-License-Identifier: Apache-2.0
//
// Every GEMM kernel in kernels/gemm/kernels.inc against the reference
// (fully_connected_qs8_qc8w_reference), bit-exact, on the systematic edge
// cases: K around the kernel's KR, N around NR, M below MR, strided A,
// narrow clamps, rounding ties, extreme values and long K. Each kernel runs
// through its own packer, the way the runtime calls it (MR rows at a time,
// whole N or N split at NR boundaries), with garbage in the bytes it may
// over-read and guard bytes after every output row it must not write.
#include "kernels/gemm/gemm.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/fully_connected/fully_connected.h"

using namespace octet::kernels;

namespace {

constexpr int8_t kGuard = 0x5A;

struct Case {
  int32_t m = 1, n = 1, k = 1;
  int32_t a_pad = 0;  // A row stride = k + a_pad
  int32_t zx = -3, zy = 5;
  int32_t qmin = -128, qmax = 127;
  bool per_tensor = false;
  bool extremes = false;
  bool ties = false;     // multipliers 0.5 / 0.25 / 0.125 exactly
  bool split_n = false;  // call the kernel per NR block, as a threaded tile would
  bool small_m = false;  // every shift t ≥ 32 (multiplier < 0.5): kernels' fast path
  uint32_t seed = 1;
};

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

void run_case(const GemmKernel& kernel, const Case& c) {
  INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " a_stride=" << c.k + c.a_pad
            << " zx=" << c.zx << " zy=" << c.zy << " q=[" << c.qmin << "," << c.qmax
            << "] seed=" << c.seed << " t>=32:" << c.small_m);
  std::mt19937 rng(c.seed);
  const size_t a_stride = static_cast<size_t>(c.k + c.a_pad);
  // Garbage everywhere the kernel may over-read, including the padding
  // between strided rows and OCTET_EXTRA_BYTES after the last row.
  std::vector<int8_t> a(a_stride * c.m + OCTET_EXTRA_BYTES);
  for (auto& v : a) v = static_cast<int8_t>(rng());
  std::vector<int8_t> w(static_cast<size_t>(c.n) * c.k);
  std::vector<int32_t> bias(static_cast<size_t>(c.n));
  if (c.extremes) {
    for (auto& v : a) v = (rng() & 1) ? 127 : -128;
    for (auto& v : w) v = (rng() & 1) ? 127 : -127;
  } else if (c.ties) {
    // Small accumulators, so that ×0.5, ×0.25, ×0.125 land on exact halves
    // inside the output range instead of saturating.
    std::uniform_int_distribution<int> ad(std::max(-128, c.zx - 3), std::min(127, c.zx + 3));
    for (int32_t i = 0; i < c.m; ++i) {
      for (int32_t p = 0; p < c.k; ++p) a[i * a_stride + p] = static_cast<int8_t>(ad(rng));
    }
    std::uniform_int_distribution<int> wd(-3, 3);
    for (auto& v : w) v = static_cast<int8_t>(wd(rng));
  } else {
    std::uniform_int_distribution<int> wd(-127, 127);
    for (auto& v : w) v = static_cast<int8_t>(wd(rng));
  }
  // Bias within the loader's bound K·255·128 + |bias| < 2^31.
  const int64_t bias_cap =
      std::min<int64_t>(int64_t{1} << 24, INT32_MAX - int64_t{c.k} * 255 * 128);
  std::uniform_int_distribution<int64_t> bd(-bias_cap, bias_cap);
  for (auto& v : bias) v = static_cast<int32_t>(bd(rng));
  if (c.ties) {
    for (auto& v : bias) v = static_cast<int32_t>(rng() % 101) - 50;
  }
  if (c.extremes) {
    for (size_t j = 0; j < bias.size(); ++j)
      bias[j] = j % 2 ? static_cast<int32_t>(bias_cap) : -static_cast<int32_t>(bias_cap);
  }

  // Multipliers scaled so outputs spread over the int8 range, plus some
  // small shifts (t < 32: saturating) and huge ones (t up to 62).
  const int32_t count = c.per_tensor ? 1 : c.n;
  std::vector<Multiplier> mult(static_cast<size_t>(count));
  double spread = std::sqrt(static_cast<double>(c.k)) * 74.0 * 73.0;
  if (c.extremes) spread = static_cast<double>(c.k) * 255.0 * 127.0;
  const int32_t t_mid = 31 + std::max(0, static_cast<int32_t>(std::log2(spread / 100.0 + 1)));
  std::uniform_int_distribution<int32_t> md(1 << 30, INT32_MAX);
  for (size_t j = 0; j < mult.size(); ++j) {
    Multiplier& mj = mult[j];
    if (c.ties) {
      mj = Multiplier{1 << 30, static_cast<int32_t>((c.small_m ? 32 : 31) + j % 3)};
      continue;
    }
    mj.multiplier = md(rng);
    switch (rng() % 8) {
      case 0:
        mj.rshift = 1 + static_cast<int32_t>(rng() % 31);
        break;  // saturates
      case 1:
        mj.rshift = 40 + static_cast<int32_t>(rng() % 23);
        break;  // → zero point
      case 2:
        mj.multiplier = 0;
        mj.rshift = 1 + static_cast<int32_t>(rng() % 62);
        break;
      default:
        mj.rshift = std::min(62, std::max(1, t_mid + static_cast<int32_t>(rng() % 5) - 2));
    }
    if (c.small_m) mj.rshift = std::max(mj.rshift, 32);
  }
  QuantOut out;
  out.zero_point = c.zy;
  out.qmin = c.qmin;
  out.qmax = c.qmax;
  out.multipliers = mult.data();
  out.multiplier_count = count;

  // Reference on a contiguous copy of A.
  std::vector<int8_t> a_dense(static_cast<size_t>(c.m) * c.k);
  for (int32_t i = 0; i < c.m; ++i) {
    std::copy_n(a.data() + i * a_stride, c.k, a_dense.data() + static_cast<size_t>(i) * c.k);
  }
  std::vector<int8_t> ref(static_cast<size_t>(c.m) * c.n);
  fully_connected_qs8_qc8w_reference(c.m, c.n, c.k, a_dense.data(), c.zx, w.data(), bias.data(),
                                     out, ref.data());

  const size_t packed_bytes = gemm_packed_bytes(kernel, c.n, c.k);
  std::unique_ptr<void, AlignedFree> packed(aligned_alloc(64, (packed_bytes + 63) / 64 * 64));
  gemm_pack_qs8_qc8w(kernel, c.n, c.k, w.data(), bias.data(), mult.data(), count, c.zx,
                     packed.get());
  const GemmParams params = make_gemm_params(out);
  const size_t c_stride = static_cast<size_t>(c.n) + 5;
  std::vector<int8_t> y(c_stride * c.m + 16, kGuard);
  const size_t block = gemm_packed_block_bytes(kernel, c.k);
  for (int32_t m0 = 0; m0 < c.m; m0 += kernel.mr) {
    const size_t mr = static_cast<size_t>(std::min(kernel.mr, c.m - m0));
    if (c.split_n) {
      for (int32_t n0 = 0; n0 < c.n; n0 += kernel.nr) {
        kernel.fn(mr, static_cast<size_t>(std::min(kernel.nr, c.n - n0)), static_cast<size_t>(c.k),
                  a.data() + m0 * a_stride, a_stride,
                  static_cast<const uint8_t*>(packed.get()) + block * (n0 / kernel.nr),
                  y.data() + m0 * c_stride + n0, c_stride, &params);
      }
    } else {
      kernel.fn(mr, static_cast<size_t>(c.n), static_cast<size_t>(c.k), a.data() + m0 * a_stride,
                a_stride, packed.get(), y.data() + m0 * c_stride, c_stride, &params);
    }
  }
  std::vector<int8_t> got(static_cast<size_t>(c.m) * c.n);
  for (int32_t i = 0; i < c.m; ++i) {
    std::copy_n(y.data() + i * c_stride, c.n, got.data() + static_cast<size_t>(i) * c.n);
    for (size_t g = static_cast<size_t>(c.n); g < c_stride; ++g) {
      REQUIRE(y[i * c_stride + g] == kGuard);
    }
  }
  for (size_t g = c_stride * c.m; g < y.size(); ++g) REQUIRE(y[g] == kGuard);
  REQUIRE(got == ref);
}

void test_kernel(const char* name) {
  const GemmKernel* kernel = find_gemm_kernel(name);
  REQUIRE(kernel != nullptr);
  if (!isa_available(kernel->isa)) {
    WARN("skipped: host lacks " << isa_name(kernel->isa) << " (" << name << ")");
    return;
  }
  const int32_t mr = kernel->mr, nr = kernel->nr, kr = kernel->kr;
  uint32_t seed = 1;
  // Every case twice: with some shifts below 32 (multipliers ≥ 0.5, the
  // kernels' general epilogue) and with all of them ≥ 32 (the fast one).
  auto full = [&](Case c) {
    c.seed = seed++;
    c.small_m = false;
    run_case(*kernel, c);
    c.small_m = true;
    run_case(*kernel, c);
  };
  SECTION("k_eq_kr") {
    for (int32_t n : {nr, 2 * nr}) full(Case{mr, n, kr});
  }
  SECTION("k_lt_kr") {
    for (int32_t k = 1; k < kr; ++k) full(Case{mr, nr, k});
  }
  SECTION("k_gt_kr") {
    for (int32_t k = kr + 1; k < 2 * kr; ++k) full(Case{mr, nr, k});
  }
  SECTION("k_div_kr") {
    for (int32_t k : {2 * kr, 5 * kr, 16 * kr, 64 * kr}) full(Case{mr, nr, k});
  }
  SECTION("n_gt_nr") {
    for (int32_t n : {nr + 1, 2 * nr - 1, 3 * nr + 3}) {
      Case c{mr, n, 3 * kr + 1};
      full(c);
      c.split_n = true;
      full(c);
    }
  }
  SECTION("subtile_m") {
    for (int32_t m = 1; m <= mr; ++m) full(Case{m, nr, 2 * kr + 3});
    full(Case{3 * mr + 1, 2 * nr + 5, 7 * kr + 1});
  }
  SECTION("subtile_n") {
    for (int32_t n = 1; n < nr; ++n) full(Case{mr, n, 2 * kr + 1});
  }
  SECTION("strided_a") {
    for (int32_t pad : {1, 13, 64}) {
      Case c{2 * mr + 1, nr + 3, 5 * kr + 2};
      c.a_pad = pad;
      full(c);
    }
  }
  SECTION("qmin_qmax") {
    Case c{2 * mr, 2 * nr, 9 * kr + 1};
    c.qmin = -20;
    c.qmax = 30;
    full(c);
    c.qmin = c.qmax = 7;
    full(c);
    c.qmin = -128;
    c.qmax = -100;
    c.zy = -128;
    full(c);
  }
  SECTION("rounding_ties") {
    for (int32_t zx : {0, -1, 1, 100}) {
      Case c{2 * mr, 2 * nr + 1, 3 * kr + 1};
      c.ties = true;
      c.zx = zx;
      c.zy = 0;
      full(c);
    }
  }
  SECTION("per_tensor") {
    Case c{mr + 1, 2 * nr + 3, 11 * kr + 3};
    c.per_tensor = true;
    full(c);
  }
  SECTION("extremes") {
    for (int32_t zx : {-128, 127}) {
      for (int32_t zy : {-128, 127}) {
        for (int32_t k : {1, 4093, 8192}) {
          Case c{mr, nr + 1, k};
          c.zx = zx;
          c.zy = zy;
          c.extremes = true;
          full(c);
        }
      }
    }
  }
}

}  // namespace

#define OCTET_GEMM_KERNEL(name, isa, mr, nr, kr, layout) \
  TEST_CASE(#name, "[gemm][" #isa "]") { test_kernel(#name); }
#include "kernels/gemm/kernels.inc"
#undef OCTET_GEMM_KERNEL

TEST_CASE("gemm kernel list", "[gemm]") {
  int32_t count = 0;
  const GemmKernel* list = gemm_kernels(&count);
  REQUIRE(count >= 2);
  for (int32_t i = 0; i < count; ++i) {
    INFO(list[i].name);
    // The name encodes the tile: <op>_<dtype>_<MR>x<NR>c<KR>_<isa>.
    const std::string tile = std::to_string(list[i].mr) + "x" + std::to_string(list[i].nr) + "c" +
                             std::to_string(list[i].kr) + "_" + isa_name(list[i].isa);
    REQUIRE(std::string(list[i].name).size() > tile.size());
    REQUIRE(std::string(list[i].name).substr(std::string(list[i].name).size() - tile.size()) ==
            tile);
  }
  // Selection always lands on a kernel of an available ISA.
  for (int32_t i = 0; i < octet::kernels::kIsaCount; ++i) {
    const GemmKernel* k = select_gemm_kernel(static_cast<Isa>(i), 100);
    REQUIRE(k != nullptr);
    REQUIRE(isa_available(k->isa));
  }
}
