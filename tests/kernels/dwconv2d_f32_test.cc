// SPDX-License-Identifier: Apache-2.0
//
// Every fp32 depthwise kernel in kernels/dwconv2d_f32/kernels.inc against
// conv2d_f32_reference (groups = in_c = out_c) through the tap pointers the
// runtime builds (dwconv_f32_taps): 3×3 and 5×5, strides 1 and 2, padding,
// dilation, batches, channel counts around the 16-channel block, fused
// clamps. Tolerance as for the fp32 GEMM with k = taps (docs/kernels.md
// "fp32"): |y − y_ref| ≤ 2·(taps + 1)·ε·(Σ|x·w| + |bias|). Splitting the
// pixels of a row across calls (as threads and stack chunks do) must not
// change a bit; outputs past `channels` in a strided output stay untouched.
#include "kernels/dwconv2d_f32/dwconv2d_f32.h"

#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <random>
#include <vector>

using namespace octet::kernels;

namespace {

constexpr float kGuard = -777.25f;

struct Case {
  int32_t batch = 1, h = 7, w = 9, c = 16, k = 3, stride = 1, dilation = 1, pad = 1;
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool bias = true;
};

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t pad) {
  return (in + 2 * pad - (d * (k - 1) + 1)) / s + 1;
}

void run_case(const DwconvF32Kernel& kernel, const Case& cs, uint32_t seed) {
  INFO(kernel.name << " n=" << cs.batch << " " << cs.h << "x" << cs.w << "x" << cs.c
                   << " k=" << cs.k << " s=" << cs.stride << " d=" << cs.dilation
                   << " pad=" << cs.pad << " clamp=[" << cs.min << "," << cs.max << "]");
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
  const int32_t oh = out_size(cs.h, cs.k, cs.stride, cs.dilation, cs.pad);
  const int32_t ow = out_size(cs.w, cs.k, cs.stride, cs.dilation, cs.pad);
  const Conv2DShape s{cs.batch,    cs.h,   cs.w,   cs.c,      oh,        ow,
                      cs.c,        cs.k,   cs.k,   cs.stride, cs.stride, cs.dilation,
                      cs.dilation, cs.pad, cs.pad, cs.c};
  const int32_t taps = cs.k * cs.k;
  std::vector<float> x(static_cast<size_t>(cs.batch) * cs.h * cs.w * cs.c);
  std::vector<float> w(static_cast<size_t>(cs.c) * taps), bias(static_cast<size_t>(cs.c));
  for (auto& v : x) v = ud(rng);
  for (auto& v : w) v = ud(rng);
  for (auto& v : bias) v = ud(rng);
  std::unique_ptr<void, AlignedFree> packed(
      aligned_alloc(64, (dwconv_f32_packed_bytes(cs.c, taps) + 63) / 64 * 64));
  dwconv_f32_pack(cs.c, taps, w.data(), cs.bias ? bias.data() : nullptr, packed.get());
  const std::vector<float> zero(static_cast<size_t>(cs.c), 0.0f);
  const GemmF32Params params{cs.min, cs.max};
  // Output pixels strided by c + 5 floats, the 5 guarded.
  const size_t ostride = static_cast<size_t>(cs.c) + 5;
  const size_t pixels = static_cast<size_t>(cs.batch) * oh * ow;
  auto run = [&](int32_t chunk) {
    std::vector<float> y(pixels * ostride, kGuard);
    std::vector<const float*> ptrs(static_cast<size_t>(ow) * taps);
    for (int32_t b = 0; b < cs.batch; ++b) {
      for (int32_t oy = 0; oy < oh; ++oy) {
        dwconv_f32_taps(s, x.data(), zero.data(), b, oy, 0, ow, ptrs.data());
        for (int32_t ox = 0; ox < ow; ox += chunk) {
          const int32_t n = ow - ox < chunk ? ow - ox : chunk;
          kernel.fn(static_cast<size_t>(cs.c), static_cast<size_t>(n), static_cast<size_t>(taps),
                    ptrs.data() + static_cast<size_t>(ox) * taps, packed.get(),
                    y.data() + ((static_cast<size_t>(b) * oh + oy) * ow + ox) * ostride,
                    ostride * sizeof(float), &params);
        }
      }
    }
    return y;
  };
  const std::vector<float> y = run(ow);
  std::vector<float> ref(pixels * cs.c);
  conv2d_f32_reference(s, x.data(), w.data(), cs.bias ? bias.data() : nullptr,
                       FloatClamp{cs.min, cs.max}, ref.data());
  int64_t bad = 0;
  for (int32_t b = 0; b < cs.batch; ++b) {
    for (int32_t oy = 0; oy < oh; ++oy) {
      for (int32_t ox = 0; ox < ow; ++ox) {
        const size_t p = (static_cast<size_t>(b) * oh + oy) * ow + ox;
        for (int32_t c = 0; c < cs.c; ++c) {
          double mag = cs.bias ? std::fabs(bias[c]) : 0.0;
          for (int32_t ky = 0; ky < cs.k; ++ky) {
            for (int32_t kx = 0; kx < cs.k; ++kx) {
              const int32_t iy = oy * cs.stride - cs.pad + ky * cs.dilation;
              const int32_t ix = ox * cs.stride - cs.pad + kx * cs.dilation;
              if (iy < 0 || iy >= cs.h || ix < 0 || ix >= cs.w) continue;
              mag += std::fabs(
                  double(x[((static_cast<size_t>(b) * cs.h + iy) * cs.w + ix) * cs.c + c]) *
                  w[static_cast<size_t>(c) * taps + ky * cs.k + kx]);
            }
          }
          const double tol = 2.0 * (taps + 1) * FLT_EPSILON * mag + FLT_MIN;
          const float got = y[p * ostride + c], want = ref[p * cs.c + c];
          if (!(std::fabs(double(got) - want) <= tol) && bad++ < 5) {
            UNSCOPED_INFO("pixel " << p << " channel " << c << ": got " << got << " want " << want);
          }
        }
        for (size_t g = static_cast<size_t>(cs.c); g < ostride; ++g) {
          REQUIRE(y[p * ostride + g] == kGuard);
        }
      }
    }
  }
  REQUIRE(bad == 0);
  REQUIRE(run(1) == y);
  REQUIRE(run(3) == y);
}

void test_kernel(const char* name) {
  const DwconvF32Kernel* kernel = find_dwconv_f32_kernel(name);
  REQUIRE(kernel != nullptr);
  if (!dwconv_f32_kernel_available(*kernel)) {
    WARN("skipped: host lacks " << isa_name(kernel->isa) << " (" << name << ")");
    return;
  }
  uint32_t seed = 1;
  SECTION("channels") {
    for (int32_t c : {1, 7, 8, 15, 16, 17, 24, 33, 144}) {
      Case cs;
      cs.c = c;
      run_case(*kernel, cs, seed++);
    }
  }
  SECTION("3x3_stride2") {
    Case cs;
    cs.h = 11;
    cs.w = 12;
    cs.c = 40;
    cs.stride = 2;
    run_case(*kernel, cs, seed++);
  }
  SECTION("5x5") {
    for (int32_t stride : {1, 2}) {
      Case cs;
      cs.k = 5;
      cs.pad = 2;
      cs.h = 10;
      cs.w = 13;
      cs.c = 21;
      cs.stride = stride;
      run_case(*kernel, cs, seed++);
    }
  }
  SECTION("no_padding_dilation_batch") {
    Case cs;
    cs.pad = 0;
    cs.batch = 2;
    cs.c = 19;
    run_case(*kernel, cs, seed++);
    cs.pad = 2;
    cs.dilation = 2;
    cs.h = cs.w = 9;
    run_case(*kernel, cs, seed++);
  }
  SECTION("1x1_taps") {
    Case cs;
    cs.k = 1;
    cs.pad = 0;
    cs.c = 35;
    run_case(*kernel, cs, seed++);
  }
  SECTION("clamp_no_bias") {
    Case cs;
    cs.c = 37;
    cs.min = 0.0f;
    cs.max = 6.0f;
    run_case(*kernel, cs, seed++);
    cs.bias = false;
    cs.min = -0.3f;
    cs.max = 0.2f;
    run_case(*kernel, cs, seed++);
  }
}

}  // namespace

#define OCTET_DWCONV_F32_KERNEL(name, isa) \
  TEST_CASE(#name, "[dwconv2d_f32][" #isa "]") { test_kernel(#name); }
#include "kernels/dwconv2d_f32/kernels.inc"
#undef OCTET_DWCONV_F32_KERNEL

TEST_CASE("dwconv2d_f32 kernel list", "[dwconv2d_f32]") {
  int32_t count = 0;
  const DwconvF32Kernel* list = dwconv_f32_kernels(&count);
  REQUIRE(count >= 1);
  REQUIRE(list[count - 1].isa == Isa::kScalar);
  for (int32_t i = 0; i < kIsaCount; ++i) {
    const DwconvF32Kernel* k = select_dwconv_f32_kernel(static_cast<Isa>(i));
    REQUIRE(k != nullptr);
    REQUIRE(dwconv_f32_kernel_available(*k));
  }
  REQUIRE(select_dwconv_f32_kernel(Isa::kScalar)->isa == Isa::kScalar);
}
