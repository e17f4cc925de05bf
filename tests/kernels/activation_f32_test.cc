// SPDX-License-Identifier: Apache-2.0
//
// Every fp32 activation set in kernels/activation/kernels.inc against the
// references, bit for bit (compared as bit patterns so NaN, ±0 and ±inf
// count): lengths around the vector widths (0..67 and a long one), inputs
// dense around the kinks (hard-swish at ±3, hard-sigmoid at its 0/1 edges,
// the clamp bounds), NaN, ±inf, ±0, denormals; no write past n.
#include "kernels/activation/activation_f32.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace octet::kernels;

namespace {

constexpr float kGuard = -777.25f;

std::vector<float> inputs(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> wide(-8.0f, 8.0f);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            0.0f,
                            -0.0f,
                            std::numeric_limits<float>::denorm_min(),
                            3.0f,
                            -3.0f,
                            6.0f,
                            -2.5f,
                            2.5f,
                            1e30f,
                            -1e30f};
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 4) {
      case 0:
        x[i] = specials[rng() % (sizeof(specials) / sizeof(specials[0]))];
        break;
      case 1: {
        // Near the kinks: ±3 (hard-swish), ±2.5 (hard-sigmoid 0.2/0.5), 0, 6.
        const float kinks[] = {3.0f, -3.0f, 2.5f, -2.5f, 0.0f, 6.0f};
        x[i] = kinks[rng() % 6] + std::uniform_real_distribution<float>(-1e-3f, 1e-3f)(rng);
        break;
      }
      default:
        x[i] = wide(rng);
        break;
    }
  }
  return x;
}

template <typename Run>
void check(const char* what, const ActivationF32Kernels& k, Run run) {
  const std::vector<size_t> sizes = [] {
    std::vector<size_t> s;
    for (size_t n = 0; n <= 67; ++n) s.push_back(n);
    s.push_back(1000);
    s.push_back(4099);
    return s;
  }();
  for (size_t n : sizes) {
    INFO(k.name << " " << what << " n=" << n);
    const std::vector<float> x = inputs(n, static_cast<uint32_t>(n) * 7919u + 1u);
    std::vector<float> ref(n + 8, kGuard), out(n + 8, kGuard);
    run(true, n, x.data(), ref.data());
    run(false, n, x.data(), out.data());
    REQUIRE(std::memcmp(out.data(), ref.data(), (n + 8) * sizeof(float)) == 0);
  }
}

void test_set(const ActivationF32Kernels& k) {
  if (!activation_f32_kernels_available(k)) {
    WARN("skipped: host lacks " << isa_name(k.isa) << " for " << k.name);
    return;
  }
  SECTION("hard_swish") {
    check("hard_swish", k, [&](bool ref, size_t n, const float* x, float* y) {
      (ref ? hard_swish_f32_reference : k.hard_swish)(n, x, y);
    });
  }
  SECTION("hard_sigmoid") {
    const float params[][2] = {{0.2f, 0.5f}, {1.0f / 6.0f, 0.5f}, {-0.7f, 0.1f}};
    for (const auto& ab : params) {
      check("hard_sigmoid", k, [&](bool ref, size_t n, const float* x, float* y) {
        (ref ? hard_sigmoid_f32_reference : k.hard_sigmoid)(n, x, ab[0], ab[1], y);
      });
    }
  }
  SECTION("clamp") {
    const float inf = std::numeric_limits<float>::infinity();
    const FloatClamp clamps[] = {
        {0.0f, inf}, {0.0f, 6.0f}, {-inf, inf}, {-1.0f, 1.0f}, {-0.0f, 0.0f}};
    for (const FloatClamp& c : clamps) {
      check("clamp", k, [&](bool ref, size_t n, const float* x, float* y) {
        (ref ? clamp_f32_reference : k.clamp)(n, x, c, y);
      });
    }
  }
}

}  // namespace

TEST_CASE("activation_f32: every set matches the reference bit for bit", "[activation][f32]") {
  int32_t count = 0;
  const ActivationF32Kernels* sets = activation_f32_kernels(&count);
  REQUIRE(count >= 1);
  REQUIRE(std::string(sets[count - 1].name) == "reference");
  for (int32_t i = 0; i < count; ++i) {
    DYNAMIC_SECTION(sets[i].name) { test_set(sets[i]); }
  }
}

// Sigmoid is not exact (a vectorized exp): within 4 ulp of the reference
// where the reference is a normal float, 0 where it is subnormal; specials
// exactly. Every float in [-90, 90] at step 2^-10 plus specials, in one
// call, so every lane position and the tail see them.
TEST_CASE("activation_f32: sigmoid within 4 ulp of the reference", "[activation][f32]") {
  std::vector<float> x;
  for (int32_t i = -90 * 1024; i <= 90 * 1024; ++i) x.push_back(static_cast<float>(i) / 1024.0f);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            0.0f,
                            -0.0f,
                            std::numeric_limits<float>::denorm_min(),
                            1e-30f,
                            -87.33f,
                            -87.34f,
                            -1e30f,
                            1e30f,
                            17.0f};
  for (float v : specials) x.push_back(v);
  x.push_back(0.25f);  // odd length: a masked tail
  const size_t n = x.size();
  std::vector<float> ref(n);
  sigmoid_f32_reference(n, x.data(), ref.data());
  int32_t count = 0;
  const ActivationF32Kernels* sets = activation_f32_kernels(&count);
  for (int32_t s = 0; s < count; ++s) {
    const ActivationF32Kernels& k = sets[s];
    if (!activation_f32_kernels_available(k)) continue;
    std::vector<float> out(n + 8, kGuard);
    k.sigmoid(n, x.data(), out.data());
    double worst_ulp = 0.0;
    for (size_t i = 0; i < n; ++i) {
      INFO(k.name << " x=" << x[i] << " y=" << out[i] << " ref=" << ref[i]);
      if (std::isnan(ref[i])) {
        REQUIRE(std::isnan(out[i]));
      } else if (ref[i] < std::numeric_limits<float>::min()) {
        REQUIRE(out[i] >= 0.0f);
        REQUIRE(out[i] <= std::numeric_limits<float>::min());
      } else {
        const double ulp = std::nextafter(ref[i], 2.0f) - ref[i];
        const double err = std::fabs(static_cast<double>(out[i]) - ref[i]) / ulp;
        REQUIRE(err <= 4.0);
        if (err > worst_ulp) worst_ulp = err;
      }
    }
    for (size_t i = n; i < n + 8; ++i) REQUIRE(out[i] == kGuard);
    // Exact at the symmetric point and the saturated ends.
    REQUIRE(out[static_cast<size_t>(90 * 1024)] == 0.5f);
    WARN(k.name << ": sigmoid max error " << worst_ulp << " ulp");
  }
}

TEST_CASE("activation_f32: selection follows the fallback chain", "[activation][f32]") {
  REQUIRE(select_activation_f32_kernels(Isa::kScalar)->isa == Isa::kScalar);
  for (int32_t i = 0; i < kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    const ActivationF32Kernels* k = select_activation_f32_kernels(isa);
    REQUIRE(activation_f32_kernels_available(*k));
    if (isa_available(isa) && (isa == Isa::kAvx2 || isa == Isa::kAvx512Vnni)) {
      REQUIRE(k->isa == isa);
    }
  }
}
