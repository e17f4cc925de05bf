// SPDX-License-Identifier: Apache-2.0
//
// Every int8 QUANTIZE/DEQUANTIZE set in kernels/quantize/kernels.inc against
// the references, bit for bit: lengths 0..70 and long ones (vector widths 8,
// 16, 32 and their tails), values on exact .5 ties (half-to-even), beyond
// the int8 range, NaN, ±inf, ±0, several scales and zero points, restricted
// qmin/qmax; no write past n.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/quantize/quantize_x86.h"

using namespace octet::kernels;

namespace {

std::vector<size_t> sizes() {
  std::vector<size_t> s;
  for (size_t n = 0; n <= 70; ++n) s.push_back(n);
  s.push_back(1000);
  s.push_back(4111);
  return s;
}

std::vector<float> inputs(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> wide(-200.0f, 200.0f);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            0.0f,
                            -0.0f,
                            1e30f,
                            -1e30f};
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 4) {
      case 0:
        x[i] = specials[rng() % 7];
        break;
      case 1:  // exact ties k + 0.5 (scaled), where half-to-even matters
        x[i] = (static_cast<float>(static_cast<int>(rng() % 301) - 150) + 0.5f) * scale;
        break;
      default:
        x[i] = wide(rng) * scale;
        break;
    }
  }
  return x;
}

}  // namespace

TEST_CASE("quantize_qs8: every set matches the reference bit for bit", "[quantize][f32]") {
  int32_t count = 0;
  const QuantizeQs8Kernels* sets = quantize_qs8_kernels(&count);
  REQUIRE(std::string(sets[count - 1].name) == "reference");
  const QuantizeParams params[] = {{1.0f, 0, -128, 127},     {0.5f, 0, -128, 127},
                                   {0.0235f, -7, -128, 127}, {0.1f, 100, -128, 127},
                                   {3.0f, -128, -128, 127},  {0.05f, 3, -20, 90}};
  for (int32_t s = 0; s < count; ++s) {
    const QuantizeQs8Kernels& k = sets[s];
    if (!quantize_qs8_kernels_available(k)) {
      WARN("skipped: host lacks " << isa_name(k.isa) << " for " << k.name);
      continue;
    }
    for (const QuantizeParams& p : params) {
      for (size_t n : sizes()) {
        INFO(k.name << " quantize n=" << n << " scale=" << p.scale << " zp=" << p.zero_point << " ["
                    << p.qmin << "," << p.qmax << "]");
        const std::vector<float> x = inputs(n, p.scale, static_cast<uint32_t>(n * 31 + s));
        std::vector<int8_t> ref(n + 16, 0x5a), out(n + 16, 0x5a);
        quantize_f32_qs8_reference(n, x.data(), ref.data(), p);
        k.quantize(n, x.data(), out.data(), p);
        REQUIRE(out == ref);
      }
    }
  }
}

TEST_CASE("dequantize_qs8: every set matches the reference bit for bit", "[quantize][f32]") {
  int32_t count = 0;
  const QuantizeQs8Kernels* sets = quantize_qs8_kernels(&count);
  const DequantizeParams params[] = {{1.0f, 0},       {0.0235f, -7}, {0.1f, 127},
                                     {3.3e-5f, -128}, {7.0f, 65536}, {0.3f, -65536}};
  for (int32_t s = 0; s < count; ++s) {
    const QuantizeQs8Kernels& k = sets[s];
    if (!quantize_qs8_kernels_available(k)) continue;
    for (const DequantizeParams& p : params) {
      REQUIRE(dequantize_qs8_vector_ok(p));
      for (size_t n : sizes()) {
        INFO(k.name << " dequantize n=" << n << " scale=" << p.scale << " zp=" << p.zero_point);
        std::mt19937 rng(static_cast<uint32_t>(n + 17 * s));
        std::vector<int8_t> x(n);
        for (auto& v : x) v = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
        std::vector<float> ref(n + 16, -777.25f), out(n + 16, -777.25f);
        dequantize_qs8_f32_reference(n, x.data(), ref.data(), p);
        k.dequantize(n, x.data(), out.data(), p);
        REQUIRE(std::memcmp(out.data(), ref.data(), out.size() * sizeof(float)) == 0);
      }
    }
  }
  REQUIRE_FALSE(dequantize_qs8_vector_ok(DequantizeParams{1.0f, 65537}));
}
