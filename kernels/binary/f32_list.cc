// SPDX-License-Identifier: Apache-2.0
//
// fp32 binary: the portable row kernels (plain loops, the same arithmetic as
// the reference), the kernel table and selection, and the broadcast planner
// and driver (binary_f32.h).
#include <cassert>

#include "kernels/binary/binary_f32.h"

namespace octet::kernels {

#define OCTET_BINARY_F32(suffix, isa) extern const BinaryF32Kernels binary_f32_rows_##suffix;
#include "kernels/binary/f32_kernels.inc"
#undef OCTET_BINARY_F32

namespace {

template <int kKind, typename Op>
void row_scalar(size_t n, const float* a, const float* b, const FloatClamp& act, float* y) {
  for (size_t i = 0; i < n; ++i) {
    const float u = kKind == 2 ? a[0] : a[i];
    const float v = kKind == 1 ? b[0] : b[i];
    y[i] = clamp_f32(Op()(u, v), act);
  }
}

struct Add {
  float operator()(float u, float v) const { return u + v; }
};
struct Sub {
  float operator()(float u, float v) const { return u - v; }
};
struct Mul {
  float operator()(float u, float v) const { return u * v; }
};
struct Div {
  float operator()(float u, float v) const { return u / v; }
};

template <typename Op>
constexpr BinaryF32Rows rows_scalar() {
  return {row_scalar<0, Op>, row_scalar<1, Op>, row_scalar<2, Op>};
}

const BinaryF32Kernels* const kSets[] = {
#define OCTET_BINARY_F32(suffix, isa) &binary_f32_rows_##suffix,
#include "kernels/binary/f32_kernels.inc"
#undef OCTET_BINARY_F32
};
constexpr int32_t kSetCount = static_cast<int32_t>(sizeof(kSets) / sizeof(kSets[0]));

// The table hands out a contiguous array; built once from the ISA files' sets.
struct Table {
  BinaryF32Kernels sets[kSetCount];
  Table() {
    for (int32_t i = 0; i < kSetCount; ++i) sets[i] = *kSets[i];
  }
};
const Table& table() {
  static const Table t;
  return t;
}

}  // namespace

extern const BinaryF32Kernels binary_f32_rows_scalar = {"binary_f32_scalar", Isa::kScalar,
                                                        rows_scalar<Add>(),  rows_scalar<Sub>(),
                                                        rows_scalar<Mul>(),  rows_scalar<Div>()};

const BinaryF32Kernels* binary_f32_kernels(int32_t* count) {
  *count = kSetCount;
  return table().sets;
}

bool binary_f32_kernels_available(const BinaryF32Kernels& k) { return isa_available(k.isa); }

const BinaryF32Kernels* select_binary_f32_kernels(Isa isa) {
  const Table& t = table();
  Isa chain[kIsaCount];
  const int32_t n = isa_fallback_chain(isa, chain);
  for (int32_t c = 0; c < n; ++c) {
    for (const BinaryF32Kernels& k : t.sets) {
      if (k.isa == chain[c] && binary_f32_kernels_available(k)) return &k;
    }
  }
  return &t.sets[kSetCount - 1];
}

void plan_binary_f32(const BroadcastShape& s, BinaryF32Plan* plan) {
  assert(s.rank >= 0 && s.rank <= kMaxRank);
  // Groups from the innermost out: size, and each input's stride at the
  // group's innermost element.
  int64_t size[kMaxRank], as[kMaxRank], bs[kMaxRank];
  int32_t groups = 0;
  for (int32_t d = s.rank - 1; d >= 0; --d) {
    if (s.out_dims[d] == 1) continue;
    if (groups > 0) {
      const int32_t g = groups - 1;
      if (s.a_strides[d] == as[g] * size[g] && s.b_strides[d] == bs[g] * size[g]) {
        size[g] *= s.out_dims[d];
        continue;
      }
    }
    size[groups] = s.out_dims[d];
    as[groups] = s.a_strides[d];
    bs[groups] = s.b_strides[d];
    ++groups;
  }
  if (groups == 0) {  // a single element
    size[0] = 1, as[0] = 1, bs[0] = 1;
    groups = 1;
  }
  // The innermost group's strides are 0 or 1 and not both 0 (an output
  // dimension above 1 comes from an input that has it).
  assert((as[0] == 0 || as[0] == 1) && (bs[0] == 0 || bs[0] == 1) && as[0] + bs[0] > 0);
  plan->n = static_cast<size_t>(size[0]);
  plan->kind = as[0] == 1 ? (bs[0] == 1 ? 0 : 1) : 2;
  plan->outer_rank = groups - 1;
  for (int32_t i = 0; i < groups - 1; ++i) {
    const int32_t g = groups - 1 - i;  // outermost first
    plan->outer_dims[i] = static_cast<int32_t>(size[g]);
    plan->a_strides[i] = as[g];
    plan->b_strides[i] = bs[g];
  }
}

void binary_f32_run(const BinaryF32Plan& p, const BinaryF32Rows& rows, const float* a,
                    const float* b, const FloatClamp& act, float* y) {
  const BinaryF32Row row = p.kind == 0 ? rows.vv : (p.kind == 1 ? rows.vs : rows.sv);
  int64_t count = 1;
  for (int32_t d = 0; d < p.outer_rank; ++d) count *= p.outer_dims[d];
  int32_t index[kMaxRank] = {};
  int64_t ao = 0, bo = 0;
  for (int64_t r = 0; r < count; ++r) {
    row(p.n, a + ao, b + bo, act, y);
    y += p.n;
    for (int32_t d = p.outer_rank - 1; d >= 0; --d) {
      ao += p.a_strides[d];
      bo += p.b_strides[d];
      if (++index[d] < p.outer_dims[d]) break;
      ao -= p.a_strides[d] * p.outer_dims[d];
      bo -= p.b_strides[d] * p.outer_dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace octet::kernels
