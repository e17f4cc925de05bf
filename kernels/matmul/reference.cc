// SPDX-License-Identifier: Apache-2.0
//
// Reference MATMUL: one plain m × n × k product per output batch index. A
// broadcast operand is not copied; its batch stride is 0 along every dim it
// repeats. Shape analysis uses fixed kMaxRank arrays, so nothing allocates.
#include <cassert>
#include <cstddef>

#include "kernels/matmul/matmul.h"

namespace octet::kernels {
namespace {

struct MatMulPlan {
  int32_t m, n, k;
  int32_t batch_rank;
  int32_t batch_dims[kMaxRank];
  // Elements between consecutive matrices along output batch dim d; 0 where
  // the operand repeats (its dim is 1).
  size_t a_stride[kMaxRank];
  size_t b_stride[kMaxRank];
  size_t batch_count;
};

// Batch dim d (counted from the left of a batch_rank-long output batch shape)
// of an operand whose own batch shape is dims[0 .. rank), aligned right.
int32_t batch_dim(const int32_t* dims, int32_t rank, int32_t batch_rank, int32_t d) {
  const int32_t i = d - (batch_rank - rank);
  return i < 0 ? 1 : dims[i];
}

bool make_plan(const MatMulShape& s, MatMulPlan* p) {
  if (s.a_rank < 1 || s.a_rank > kMaxRank || s.b_rank < 1 || s.b_rank > kMaxRank) return false;
  for (int32_t i = 0; i < s.a_rank; ++i) {
    if (s.a_dims[i] < 0) return false;
  }
  for (int32_t i = 0; i < s.b_rank; ++i) {
    if (s.b_dims[i] < 0) return false;
  }
  const int32_t a_batch_rank = s.a_rank >= 2 ? s.a_rank - 2 : 0;
  const int32_t b_batch_rank = s.b_rank >= 2 ? s.b_rank - 2 : 0;
  p->m = s.a_rank >= 2 ? s.a_dims[s.a_rank - 2] : 1;
  p->k = s.a_dims[s.a_rank - 1];
  const int32_t b_k = s.b_rank >= 2 ? s.b_dims[s.b_rank - 2] : s.b_dims[0];
  p->n = s.b_rank >= 2 ? s.b_dims[s.b_rank - 1] : 1;
  if (b_k != p->k) return false;

  p->batch_rank = a_batch_rank > b_batch_rank ? a_batch_rank : b_batch_rank;
  for (int32_t d = 0; d < p->batch_rank; ++d) {
    const int32_t da = batch_dim(s.a_dims, a_batch_rank, p->batch_rank, d);
    const int32_t db = batch_dim(s.b_dims, b_batch_rank, p->batch_rank, d);
    if (da != db && da != 1 && db != 1) return false;
    p->batch_dims[d] = da == 1 ? db : da;
  }
  // Strides from the innermost batch dim outwards. A size-1 dim gets stride 0
  // so that the same matrix is reused while the other operand advances.
  size_t a_run = static_cast<size_t>(p->m) * p->k;
  size_t b_run = static_cast<size_t>(p->k) * p->n;
  p->batch_count = 1;
  for (int32_t d = p->batch_rank - 1; d >= 0; --d) {
    const int32_t da = batch_dim(s.a_dims, a_batch_rank, p->batch_rank, d);
    const int32_t db = batch_dim(s.b_dims, b_batch_rank, p->batch_rank, d);
    p->a_stride[d] = da == 1 ? 0 : a_run;
    p->b_stride[d] = db == 1 ? 0 : b_run;
    a_run *= static_cast<size_t>(da);
    b_run *= static_cast<size_t>(db);
    p->batch_count *= static_cast<size_t>(p->batch_dims[d]);
  }
  return true;
}

// Calls product(a_offset, b_offset, y_offset) once per output matrix.
template <typename Product>
void for_each_batch(const MatMulPlan& p, Product&& product) {
  const size_t y_matrix = static_cast<size_t>(p.m) * p.n;
  for (size_t bi = 0; bi < p.batch_count; ++bi) {
    size_t a_off = 0;
    size_t b_off = 0;
    size_t rest = bi;
    for (int32_t d = p.batch_rank - 1; d >= 0; --d) {
      const size_t idx = rest % static_cast<size_t>(p.batch_dims[d]);
      rest /= static_cast<size_t>(p.batch_dims[d]);
      a_off += idx * p.a_stride[d];
      b_off += idx * p.b_stride[d];
    }
    product(a_off, b_off, bi * y_matrix);
  }
}

}  // namespace

bool matmul_output_shape(const MatMulShape& s, int32_t* out_rank, int32_t* out_dims) {
  MatMulPlan p;
  if (!make_plan(s, &p)) return false;
  int32_t r = 0;
  for (int32_t d = 0; d < p.batch_rank; ++d) out_dims[r++] = p.batch_dims[d];
  if (s.a_rank >= 2) out_dims[r++] = p.m;
  if (s.b_rank >= 2) out_dims[r++] = p.n;
  *out_rank = r;
  return true;
}

void matmul_f32_reference(const MatMulShape& s, const float* a, const float* b,
                          const FloatClamp& clamp, float* y) {
  MatMulPlan p;
  const bool ok = make_plan(s, &p);
  assert(ok);
  (void)ok;
  for_each_batch(p, [&](size_t a_off, size_t b_off, size_t y_off) {
    for (int32_t i = 0; i < p.m; ++i) {
      const float* ar = a + a_off + static_cast<size_t>(i) * p.k;
      for (int32_t j = 0; j < p.n; ++j) {
        const float* bc = b + b_off + j;
        float acc = 0.0f;
        for (int32_t q = 0; q < p.k; ++q) acc += ar[q] * bc[static_cast<size_t>(q) * p.n];
        y[y_off + static_cast<size_t>(i) * p.n + j] = clamp_f32(acc, clamp);
      }
    }
  });
}

void matmul_qs8_reference(const MatMulShape& s, const int8_t* a, int32_t a_zero_point,
                          const int8_t* b, int32_t b_zero_point, const QuantOut& out, int8_t* y) {
  MatMulPlan p;
  const bool ok = make_plan(s, &p);
  assert(ok);
  (void)ok;
  assert(out.multipliers != nullptr && out.multiplier_count == 1);
  assert(out.qmin >= -128 && out.qmin <= out.qmax && out.qmax <= 127);
  const Multiplier& mult = out.multipliers[0];
  for_each_batch(p, [&](size_t a_off, size_t b_off, size_t y_off) {
    for (int32_t i = 0; i < p.m; ++i) {
      const int8_t* ar = a + a_off + static_cast<size_t>(i) * p.k;
      for (int32_t j = 0; j < p.n; ++j) {
        const int8_t* bc = b + b_off + j;
        // Both factors span 255 values, so each product is within ±255², and
        // int32 holds k · 255² exactly for k < 33026.
        int32_t acc = 0;
        for (int32_t q = 0; q < p.k; ++q) {
          acc += (static_cast<int32_t>(ar[q]) - a_zero_point) *
                 (static_cast<int32_t>(bc[static_cast<size_t>(q) * p.n]) - b_zero_point);
        }
        y[y_off + static_cast<size_t>(i) * p.n + j] = static_cast<int8_t>(requantize_output(
            acc, mult.multiplier, mult.rshift, out.zero_point, out.qmin, out.qmax));
      }
    }
  });
}

}  // namespace octet::kernels
