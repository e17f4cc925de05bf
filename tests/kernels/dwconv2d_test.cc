// SPDX-License-Identifier: Apache-2.0
//
// Every depthwise kernel in kernels/dwconv2d/kernels.inc against
// conv2d_qs8_qc8w_reference (groups == channels), bit-exact: channel counts
// around the 16-channel tile, 3×3 stride 1 and 2, other kernel sizes,
// dilation, asymmetric and oversized padding, narrow clamps, ties, extreme
// values and zero points, shifts below and above 32. Taps come from
// dwconv_taps (the runtime's own indirection), outputs have guard bytes.
#include "kernels/dwconv2d/dwconv2d.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "kernels/conv2d/conv2d.h"

using namespace octet::kernels;

namespace {

struct DwCase {
  int32_t h = 7, w = 6, c = 16;
  int32_t kh = 3, kw = 3, stride = 1, dilation = 1;
  int32_t pt = 1, pl = 1, pb = 1, pr = 1;
  int32_t zx = -3, zy = 4, qmin = -128, qmax = 127;
  bool extremes = false, small_m = false, per_tensor = false;
  uint32_t seed = 1;
};

void run_case(const DwconvKernel& kernel, const DwCase& d) {
  INFO("h=" << d.h << " w=" << d.w << " c=" << d.c << " k=" << d.kh << "x" << d.kw
            << " stride=" << d.stride << " dil=" << d.dilation << " pad=" << d.pt << "," << d.pl
            << "," << d.pb << "," << d.pr << " zx=" << d.zx << " zy=" << d.zy
            << " t>=32:" << d.small_m << " seed=" << d.seed);
  std::mt19937 rng(d.seed);
  const int32_t oh = (d.h + d.pt + d.pb - (d.dilation * (d.kh - 1) + 1)) / d.stride + 1;
  const int32_t ow = (d.w + d.pl + d.pr - (d.dilation * (d.kw - 1) + 1)) / d.stride + 1;
  REQUIRE(oh > 0);
  REQUIRE(ow > 0);
  const Conv2DShape s{1,    d.h,      d.w,      d.c,        oh,         ow,   d.c,  d.kh,
                      d.kw, d.stride, d.stride, d.dilation, d.dilation, d.pt, d.pl, d.c};
  const int32_t taps = d.kh * d.kw;
  std::vector<int8_t> x(static_cast<size_t>(d.h) * d.w * d.c);
  std::vector<int8_t> w(static_cast<size_t>(d.c) * taps);
  std::uniform_int_distribution<int> wd(-127, 127);
  for (auto& v : x) v = d.extremes ? ((rng() & 1) ? 127 : -128) : static_cast<int8_t>(rng());
  for (auto& v : w) v = static_cast<int8_t>(d.extremes ? ((rng() & 1) ? 127 : -127) : wd(rng));
  std::vector<int32_t> bias(static_cast<size_t>(d.c));
  for (auto& v : bias) v = static_cast<int32_t>(rng() % 200001) - 100000;
  std::vector<Multiplier> mult(d.per_tensor ? 1 : static_cast<size_t>(d.c));
  const double spread = std::sqrt(double(taps)) * 74 * 73;
  const int32_t t_mid = 31 + static_cast<int32_t>(std::log2(spread / 100 + 1));
  for (auto& m : mult) {
    m.multiplier = (1 << 30) + static_cast<int32_t>(rng() % (1u << 30));
    m.rshift = (rng() % 6 == 0) ? 1 + static_cast<int32_t>(rng() % 31)
                                : std::min(62, t_mid + static_cast<int32_t>(rng() % 5) - 2);
    if (d.small_m) m.rshift = std::max(32, m.rshift);
  }
  QuantOut out;
  out.zero_point = d.zy;
  out.qmin = d.qmin;
  out.qmax = d.qmax;
  out.multipliers = mult.data();
  out.multiplier_count = static_cast<int32_t>(mult.size());
  std::vector<int8_t> ref(static_cast<size_t>(oh) * ow * d.c);
  conv2d_qs8_qc8w_reference(s, x.data(), d.zx, w.data(), bias.data(), out, ref.data());

  std::unique_ptr<void, decltype(&free)> packed(
      aligned_alloc(64, (dwconv_packed_bytes(d.c, taps) + 63) / 64 * 64), &free);
  dwconv_pack_qs8_qc8w(d.c, taps, w.data(), bias.data(), mult.data(),
                       static_cast<int32_t>(mult.size()), d.zx, packed.get());
  const GemmParams params = make_gemm_params(out);
  std::vector<int8_t> zero_row(static_cast<size_t>(d.c), static_cast<int8_t>(d.zx));
  const size_t stride = static_cast<size_t>(d.c) + 3;  // guard bytes between pixels
  std::vector<int8_t> y(stride * oh * ow, 0x5A);
  std::vector<const int8_t*> ptrs(static_cast<size_t>(ow) * taps);
  for (int32_t oy = 0; oy < oh; ++oy) {
    dwconv_taps(s, x.data(), zero_row.data(), 0, oy, 0, ow, ptrs.data());
    kernel.fn(static_cast<size_t>(d.c), static_cast<size_t>(ow), static_cast<size_t>(taps),
              ptrs.data(), packed.get(), y.data() + stride * oy * ow, stride, &params);
  }
  std::vector<int8_t> got(ref.size());
  for (size_t p = 0; p < static_cast<size_t>(oh) * ow; ++p) {
    std::copy_n(y.data() + p * stride, d.c, got.data() + p * d.c);
    for (size_t g = static_cast<size_t>(d.c); g < stride; ++g) REQUIRE(y[p * stride + g] == 0x5A);
  }
  REQUIRE(got == ref);
}

void test_kernel(const char* name) {
  const DwconvKernel* kernel = find_dwconv_kernel(name);
  REQUIRE(kernel != nullptr);
  if (!isa_available(kernel->isa)) {
    WARN("skipped: host lacks " << isa_name(kernel->isa) << " (" << name << ")");
    return;
  }
  uint32_t seed = 1;
  auto both = [&](DwCase d) {
    d.seed = seed++;
    d.small_m = false;
    run_case(*kernel, d);
    d.small_m = true;
    run_case(*kernel, d);
  };
  SECTION("channels") {
    for (int32_t c : {1, 3, 15, 16, 17, 31, 32, 33, 144}) {
      DwCase d;
      d.c = c;
      both(d);
    }
  }
  SECTION("stride2") {
    for (int32_t c : {8, 24}) {
      DwCase d;
      d.c = c;
      d.stride = 2;
      d.h = 9;
      d.w = 8;
      both(d);
      d.pt = d.pl = 0;
      both(d);
    }
  }
  SECTION("kernel_sizes") {
    for (int32_t k : {1, 2, 5, 7}) {
      DwCase d;
      d.kh = d.kw = k;
      d.pt = d.pl = d.pb = d.pr = k / 2;
      d.c = 20;
      both(d);
    }
  }
  SECTION("dilation_padding") {
    DwCase d;
    d.dilation = 2;
    d.pt = 0;
    d.pl = 3;
    d.pb = 4;
    d.pr = 0;
    d.c = 18;
    both(d);
    d.dilation = 1;
    d.h = d.w = 2;
    d.pt = d.pl = d.pb = d.pr = 3;  // padding larger than the kernel
    both(d);
  }
  SECTION("qmin_qmax") {
    DwCase d;
    d.c = 19;
    d.qmin = -10;
    d.qmax = 20;
    both(d);
    d.per_tensor = true;
    both(d);
  }
  SECTION("extremes") {
    for (int32_t zx : {-128, 127}) {
      for (int32_t zy : {-128, 127}) {
        DwCase d;
        d.c = 17;
        d.zx = zx;
        d.zy = zy;
        d.extremes = true;
        both(d);
      }
    }
  }
}

}  // namespace

#define OCTET_DWCONV_KERNEL(name, isa, tile) \
  TEST_CASE(#name, "[dwconv2d][" #isa "]") { test_kernel(#name); }
#include "kernels/dwconv2d/kernels.inc"
#undef OCTET_DWCONV_KERNEL
