// SPDX-License-Identifier: Apache-2.0
//
// Every fp32 binary set in kernels/binary/f32_kernels.inc, through the
// broadcast planner and driver, against add/sub/mul/div_f32_reference bit
// for bit (compared as bit patterns: NaN, ±0, ±inf, division by zero):
// same-shape, squeeze-excitation [1,H,W,C]×[1,1,1,C] both ways, scalar
// operands, middle-axis broadcasts, rank 0..5, lengths around the vector
// widths, with and without a fused clamp; and the planner's coalescing.
#include "kernels/binary/binary_f32.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace octet::kernels;

namespace {

using RefFn = void (*)(const BroadcastShape&, const float*, const float*, const FloatClamp&,
                       float*);

std::vector<float> values(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> ud(-4.0f, 4.0f);
  const float sp[] = {std::numeric_limits<float>::quiet_NaN(),
                      std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity(),
                      0.0f,
                      -0.0f,
                      6.0f};
  std::vector<float> v(n);
  for (auto& x : v) x = rng() % 8 == 0 ? sp[rng() % 6] : ud(rng);
  return v;
}

size_t count(const std::vector<int32_t>& d) {
  size_t n = 1;
  for (int32_t x : d) n *= static_cast<size_t>(x);
  return n;
}

void check(const BinaryF32Kernels& k, const std::vector<int32_t>& ad,
           const std::vector<int32_t>& bd) {
  BroadcastShape s;
  REQUIRE(make_broadcast_shape(static_cast<int32_t>(ad.size()), ad.data(),
                               static_cast<int32_t>(bd.size()), bd.data(), &s));
  BinaryF32Plan plan;
  plan_binary_f32(s, &plan);
  const size_t ny = static_cast<size_t>(broadcast_output_size(s));
  std::mt19937 rng(static_cast<uint32_t>(ny * 7 + ad.size()));
  const std::vector<float> a = values(count(ad), rng), b = values(count(bd), rng);
  const float inf = std::numeric_limits<float>::infinity();
  const FloatClamp clamps[] = {{-inf, inf}, {0.0f, 6.0f}};
  const RefFn refs[] = {add_f32_reference, sub_f32_reference, mul_f32_reference, div_f32_reference};
  const BinaryF32Rows rows[] = {k.add, k.sub, k.mul, k.div};
  for (int op = 0; op < 4; ++op) {
    for (const FloatClamp& c : clamps) {
      INFO(k.name << " op " << op << " rank a " << ad.size() << " b " << bd.size() << " n " << ny
                  << " row " << plan.n << " kind " << plan.kind << " clamp " << c.max);
      std::vector<float> ref(ny + 16, -777.25f), out(ny + 16, -777.25f);
      refs[op](s, a.data(), b.data(), c, ref.data());
      binary_f32_run(plan, rows[op], a.data(), b.data(), c, out.data());
      REQUIRE(std::memcmp(out.data(), ref.data(), out.size() * sizeof(float)) == 0);
    }
  }
}

}  // namespace

TEST_CASE("binary_f32: every set matches the references bit for bit", "[binary][f32]") {
  int32_t n = 0;
  const BinaryF32Kernels* sets = binary_f32_kernels(&n);
  REQUIRE(n >= 1);
  for (int32_t i = 0; i < n; ++i) {
    const BinaryF32Kernels& k = sets[i];
    if (!binary_f32_kernels_available(k)) {
      WARN("skipped: host lacks " << isa_name(k.isa) << " for " << k.name);
      continue;
    }
    for (int32_t len : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 100}) {
      check(k, {len}, {len});
      check(k, {len}, {1});
      check(k, {1}, {len});
      check(k, {1, 5, 3, len}, {1, 1, 1, len});  // SE: [1,H,W,C] x [1,1,1,C]
      check(k, {1, 1, 1, len}, {1, 5, 3, len});
      check(k, {2, 3, len}, {2, 1, len});  // middle-axis broadcast
      check(k, {2, 3, len}, {3, 1});       // inner broadcast, other side
    }
    check(k, {}, {});
    check(k, {}, {4, 5});
    check(k, {1, 56, 56, 16}, {1, 1, 1, 16});
    check(k, {1, 14, 14, 240}, {1, 1, 1, 240});
    check(k, {2, 1, 4, 1, 3}, {1, 5, 1, 6, 1});
  }
}

TEST_CASE("binary_f32: the planner coalesces contiguous dimensions", "[binary][f32]") {
  BroadcastShape s;
  BinaryF32Plan p;
  const int32_t x[] = {1, 56, 56, 16}, se[] = {1, 1, 1, 16};
  REQUIRE(make_broadcast_shape(4, x, 4, se, &s));
  plan_binary_f32(s, &p);
  REQUIRE((p.n == 16 && p.kind == 0 && p.outer_rank == 1 && p.outer_dims[0] == 3136));
  REQUIRE(p.a_strides[0] == 16);
  REQUIRE(p.b_strides[0] == 0);
  REQUIRE(make_broadcast_shape(4, x, 4, x, &s));
  plan_binary_f32(s, &p);
  REQUIRE((p.n == 50176 && p.kind == 0 && p.outer_rank == 0));
  const int32_t one[] = {1};
  REQUIRE(make_broadcast_shape(4, x, 1, one, &s));
  plan_binary_f32(s, &p);
  REQUIRE((p.n == 50176 && p.kind == 1 && p.outer_rank == 0));
  REQUIRE(make_broadcast_shape(1, one, 4, x, &s));
  plan_binary_f32(s, &p);
  REQUIRE((p.n == 50176 && p.kind == 2 && p.outer_rank == 0));
}

TEST_CASE("binary_f32: selection follows the fallback chain", "[binary][f32]") {
  REQUIRE(select_binary_f32_kernels(Isa::kScalar)->isa == Isa::kScalar);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (isa_available(isa)) REQUIRE(select_binary_f32_kernels(isa)->isa == isa);
  }
}
