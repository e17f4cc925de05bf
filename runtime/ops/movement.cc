// SPDX-License-Identifier: Apache-2.0
//
// MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, CONCAT, SPLIT, SLICE, TRANSPOSE, PAD,
// RESIZE.
#include "kernels/data_movement/transpose_blocked.h"
#include "runtime/ops/op_util.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;
namespace fb = octet::schema;

// -------------------------------------------------------------------- pooling

struct PoolStep {
  Pool2DShape shape;
  FloatClamp clamp;
  int32_t x_zero_point, y_zero_point, qmin, qmax;
  Multiplier m;
  MaxPool2DQs8Fn max_qs8;  ///< chosen at prepare (select_max_pool2d_qs8_kernel)
  AvgPool2DQs8Fn avg_qs8;  ///< chosen at prepare (select_avg_pool2d_qs8_kernel)
};

void eval_max_pool_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const PoolStep*>(s.params);
  max_pool2d_f32_reference(p->shape, s.in<float>(c, 0), p->clamp, s.out<float>(c, 0));
}
void eval_max_pool_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const PoolStep*>(s.params);
  p->max_qs8(p->shape, s.in<int8_t>(c, 0), p->qmin, p->qmax, s.out<int8_t>(c, 0));
}
void eval_avg_pool_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const PoolStep*>(s.params);
  average_pool2d_f32_reference(p->shape, s.in<float>(c, 0), p->clamp, s.out<float>(c, 0));
}
void eval_avg_pool_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const PoolStep*>(s.params);
  p->avg_qs8(p->shape, s.in<int8_t>(c, 0), p->x_zero_point, p->m, p->y_zero_point, p->qmin,
              p->qmax, s.out<int8_t>(c, 0));
}

// Floor (default) or ceil mode output size: both are valid in a model.
bool pool_size_ok(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t p0, int32_t p1,
                  int32_t out) {
  const int64_t span = int64_t{in} + p0 + p1 - (int64_t{dil} * (k - 1) + 1);
  if (span < 0) return false;
  const int64_t floor_out = span / stride + 1;
  int64_t ceil_out = (span + stride - 1) / stride + 1;
  if ((ceil_out - 1) * stride >= int64_t{in} + p0) --ceil_out;
  return out == floor_out || out == ceil_out;
}

struct MeanStep {
  int32_t rank, num_axes;
  int32_t dims[kMaxRank], axes[kMaxRank];
  MeanShape shape;
  FloatClamp clamp;
  int32_t x_zero_point, y_zero_point, qmin, qmax;
  Multiplier m;
};

void eval_mean_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MeanStep*>(s.params);
  mean_f32_reference(p->shape, s.in<float>(c, 0), p->clamp, s.out<float>(c, 0));
}
void eval_mean_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MeanStep*>(s.params);
  mean_qs8_reference(p->shape, s.in<int8_t>(c, 0), p->x_zero_point, p->m, p->y_zero_point,
                     p->qmin, p->qmax, s.out<int8_t>(c, 0));
}

// -------------------------------------------------------------- data movement

struct ConcatStep {
  int32_t rank, axis, n;
  int32_t dims[kMaxRank];
  int32_t* axis_sizes;
  const void** inputs;  // filled per invoke from the tensor table
  int32_t* zero_points;
  const Multiplier* multipliers;
  int32_t y_zero_point, qmin, qmax;
  size_t elem_size;
};

void eval_concat(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConcatStep*>(s.params);
  // The tensor table is fixed after prepare, so the pointer list is built
  // once per invoke into prepared storage (no allocation).
  for (int32_t i = 0; i < p->n; ++i) p->inputs[i] = c.tensors[s.inputs[i]];
  concat_reference(p->rank, p->dims, p->axis, p->n, p->axis_sizes, p->inputs, p->elem_size,
                   c.tensors[s.outputs[0]]);
}
void eval_concat_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConcatStep*>(s.params);
  for (int32_t i = 0; i < p->n; ++i) p->inputs[i] = c.tensors[s.inputs[i]];
  concat_qs8_reference(p->rank, p->dims, p->axis, p->n, p->axis_sizes,
                       reinterpret_cast<const int8_t* const*>(p->inputs), p->zero_points,
                       p->multipliers, p->y_zero_point, p->qmin, p->qmax,
                       s.out<int8_t>(c, 0));
}

struct SplitStep {
  int32_t rank, axis, n;
  int32_t dims[kMaxRank];
  int32_t* axis_sizes;
  void** outputs;
  size_t elem_size;
};

void eval_split(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const SplitStep*>(s.params);
  for (int32_t i = 0; i < p->n; ++i) p->outputs[i] = c.tensors[s.outputs[i]];
  split_reference(p->rank, p->dims, p->axis, p->n, p->axis_sizes, c.tensors[s.inputs[0]],
                  p->elem_size, p->outputs);
}

struct MoveStep {
  int32_t rank;
  int32_t in_dims[kMaxRank], out_dims[kMaxRank];
  int32_t a[2 * kMaxRank];  // SLICE: begin; TRANSPOSE: perm; PAD: pads
  int32_t b[kMaxRank];      // SLICE: step
  PadMode pad_mode;
  uint8_t pad_value[8];
  size_t elem_size;
};

void eval_slice(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MoveStep*>(s.params);
  slice_reference(p->rank, p->in_dims, p->a, p->b, p->out_dims, c.tensors[s.inputs[0]],
                  p->elem_size, c.tensors[s.outputs[0]]);
}
void eval_transpose(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MoveStep*>(s.params);
  transpose_reference(p->rank, p->in_dims, p->a, c.tensors[s.inputs[0]], p->elem_size,
                      c.tensors[s.outputs[0]]);
}
// Batched 2-D transposes (NCHW<->NHWC and the like): the cache-blocked kernel.
struct Transpose2DStep {
  Transpose2DShape shape;
  size_t elem_size;
};
void eval_transpose_2d(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const Transpose2DStep*>(s.params);
  transpose_2d_blocked(p->shape, c.tensors[s.inputs[0]], p->elem_size, c.tensors[s.outputs[0]]);
}
void eval_pad(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MoveStep*>(s.params);
  pad_reference(p->rank, p->in_dims, p->a, p->pad_mode, p->pad_value, c.tensors[s.inputs[0]],
                p->elem_size, c.tensors[s.outputs[0]]);
}

struct ResizeStep {
  ResizeShape shape;
  ResizeAxisTable h, w;
  FloatClamp clamp;
  int32_t x_zero_point, y_zero_point, qmin, qmax;
  Multiplier m;
  size_t elem_size;
};

void eval_resize_nearest(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ResizeStep*>(s.params);
  resize_nearest_reference(p->shape, p->h, p->w, c.tensors[s.inputs[0]], p->elem_size,
                           c.tensors[s.outputs[0]]);
}
void eval_resize_bilinear_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ResizeStep*>(s.params);
  resize_bilinear_f32_reference(p->shape, p->h, p->w, s.in<float>(c, 0), p->clamp,
                                s.out<float>(c, 0));
}
void eval_resize_bilinear_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ResizeStep*>(s.params);
  resize_bilinear_qs8_reference(p->shape, p->h, p->w, s.in<int8_t>(c, 0), p->x_zero_point, p->m,
                                p->y_zero_point, p->qmin, p->qmax, s.out<int8_t>(c, 0));
}

// Data-movement ops: any dtype, same quantization in and out.
octet_status check_move(PrepareContext& ctx, const TensorDesc& x, const TensorDesc& y) {
  if (x.dtype != y.dtype) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "'%s' is %s but '%s' is %s", x.name,
                    octet_dtype_name(x.dtype), y.name, octet_dtype_name(y.dtype));
  }
  return expect_same_quant(ctx, x, y);
}

int32_t normalize_axis(int32_t axis, int32_t rank) { return axis < 0 ? axis + rank : axis; }

}  // namespace

octet_status prepare_pool2d(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  const auto* o = ctx.op().options_as_Pool2DOptions();
  if (x.rank != 4 || y.rank != 4) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "pooling needs NHWC input and output");
  }
  int32_t pad[4] = {0, 0, 0, 0};
  if (o->padding() != nullptr) {
    if (o->padding()->size() != 4) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "padding has %u entries, expected 4",
                      o->padding()->size());
    }
    for (int i = 0; i < 4; ++i) pad[i] = o->padding()->Get(i);
  }
  if (o->kernel_h() < 1 || o->kernel_w() < 1 || o->stride_h() < 1 || o->stride_w() < 1 ||
      o->dilation_h() < 1 || o->dilation_w() < 1 || pad[0] < 0 || pad[1] < 0 || pad[2] < 0 ||
      pad[3] < 0 || o->kernel_h() > 4096 || o->kernel_w() > 4096) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "invalid kernel, stride, dilation or padding");
  }
  if (y.dims[0] != x.dims[0] || y.dims[3] != x.dims[3] ||
      !pool_size_ok(x.dims[1], o->kernel_h(), o->stride_h(), o->dilation_h(), pad[0], pad[2],
                    y.dims[1]) ||
      !pool_size_ok(x.dims[2], o->kernel_w(), o->stride_w(), o->dilation_w(), pad[1], pad[3],
                    y.dims[2])) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "output '%s' [%d,%d,%d,%d] does not match pooling of '%s' [%d,%d,%d,%d]",
                    y.name, y.dims[0], y.dims[1], y.dims[2], y.dims[3], x.name, x.dims[0],
                    x.dims[1], x.dims[2], x.dims[3]);
  }
  auto* p = ctx.alloc<PoolStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = Pool2DShape{x.dims[0],      x.dims[1],      x.dims[2],      x.dims[3],
                         y.dims[1],      y.dims[2],      o->kernel_h(),  o->kernel_w(),
                         o->stride_h(),  o->stride_w(),  o->dilation_h(), o->dilation_w(),
                         pad[0],         pad[1],         o->count_include_pad(), pad[2],
                         pad[3]};
  ctx.step().params = p;
  const bool is_max = ctx.op().opcode() == fb::OpCode::MAX_POOL_2D;
  octet_status s;
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = is_max ? eval_max_pool_f32 : eval_avg_pool_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = ctx.qclamp(&p->qmin, &p->qmax)) != OCTET_OK) return s;
  if (is_max) {
    if ((s = expect_same_quant(ctx, x, y)) != OCTET_OK) return s;
    const MaxPool2DQs8Kernel* k = select_max_pool2d_qs8_kernel(ctx.isa());
    p->max_qs8 = k->fn;
    ctx.step().kernel = k->name;
    ctx.step().eval = eval_max_pool_qs8;
    return OCTET_OK;
  }
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
  // The kernels sum |x − zx| ≤ 255 in int32: windows up to 2^23 are exact.
  if (int64_t{o->kernel_h()} * o->kernel_w() > (int64_t{1} << 23)) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "pooling window too large for int32 sums");
  }
  p->m = m[0];
  p->x_zero_point = x.zero_point();
  p->y_zero_point = y.zero_point();
  const AvgPool2DQs8Kernel* k = select_avg_pool2d_qs8_kernel(ctx.isa());
  p->avg_qs8 = k->fn;
  ctx.step().kernel = k->name;
  ctx.step().eval = eval_avg_pool_qs8;
  return OCTET_OK;
}

octet_status prepare_mean(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  const auto* o = ctx.op().options_as_MeanOptions();
  auto* p = ctx.alloc<MeanStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->rank = x.rank;
  for (int32_t i = 0; i < x.rank; ++i) p->dims[i] = x.dims[i];
  bool reduce[kMaxRank] = {};
  const uint32_t na = o->axes() == nullptr ? 0 : o->axes()->size();
  if (na > static_cast<uint32_t>(x.rank)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "%u axes for rank %d", na, x.rank);
  }
  for (uint32_t k = 0; k < na; ++k) {
    const int32_t a = normalize_axis(o->axes()->Get(k), x.rank);
    if (a < 0 || a >= x.rank || reduce[a]) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "axis %d is out of range or repeated",
                      o->axes()->Get(k));
    }
    reduce[a] = true;
    p->axes[k] = a;
  }
  p->num_axes = static_cast<int32_t>(na);
  int32_t want[kMaxRank], wr = 0;
  int64_t n = 1;
  for (int32_t i = 0; i < x.rank; ++i) {
    if (!reduce[i]) {
      want[wr++] = x.dims[i];
    } else {
      n *= x.dims[i];
      if (o->keep_dims()) want[wr++] = 1;
    }
  }
  octet_status s = ctx.expect_shape(y, "output", wr, want);
  if (s != OCTET_OK) return s;
  p->shape = MeanShape{p->rank, p->dims, p->num_axes, p->axes};
  ctx.step().params = p;
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_mean_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  if (n >= (int64_t{1} << 23)) {  // int32 sums of |x − zx| ≤ 255 stay exact
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "mean over %lld elements overflows int32 sums",
                    static_cast<long long>(n));
  }
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
  if ((s = ctx.qclamp(&p->qmin, &p->qmax)) != OCTET_OK) return s;
  p->m = m[0];
  p->x_zero_point = x.zero_point();
  p->y_zero_point = y.zero_point();
  ctx.step().eval = eval_mean_qs8;
  return OCTET_OK;
}

octet_status prepare_concat(PrepareContext& ctx) {
  const TensorDesc& y = ctx.output(0);
  const int32_t n = ctx.num_inputs();
  const int32_t axis = normalize_axis(ctx.op().options_as_ConcatOptions()->axis(), y.rank);
  if (axis < 0 || axis >= y.rank) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "concat axis %d out of range for rank %d",
                    ctx.op().options_as_ConcatOptions()->axis(), y.rank);
  }
  auto* p = ctx.alloc<ConcatStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->axis_sizes = ctx.alloc<int32_t>(static_cast<size_t>(n));
  p->inputs = ctx.alloc<const void*>(static_cast<size_t>(n));
  p->zero_points = ctx.alloc<int32_t>(static_cast<size_t>(n));
  if (p->axis_sizes == nullptr || p->inputs == nullptr || p->zero_points == nullptr) {
    return ctx.out_of_memory();
  }
  p->rank = y.rank;
  p->axis = axis;
  p->n = n;
  p->elem_size = octet_dtype_size(y.dtype);
  for (int32_t i = 0; i < y.rank; ++i) p->dims[i] = y.dims[i];
  int64_t total = 0;
  for (int32_t k = 0; k < n; ++k) {
    if (!ctx.has_input(k)) return ctx.fail(OCTET_ERROR_INVALID_MODEL, "input #%d is absent", k);
    const TensorDesc& x = ctx.input(k);
    bool ok = x.rank == y.rank && x.dtype == y.dtype;
    for (int32_t i = 0; ok && i < y.rank; ++i) ok = i == axis || x.dims[i] == y.dims[i];
    if (!ok) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "input '%s' does not match output '%s' off axis %d (or differs in dtype)",
                      x.name, y.name, axis);
    }
    p->axis_sizes[k] = x.dims[axis];
    p->zero_points[k] = x.zero_point();
    total += x.dims[axis];
  }
  if (total != y.dims[axis]) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "inputs add up to %lld along axis %d, output has %d",
                    static_cast<long long>(total), axis, y.dims[axis]);
  }
  ctx.step().params = p;
  if (y.dtype != OCTET_INT8 || !y.quantized()) {
    for (int32_t k = 0; k < n; ++k) {
      octet_status s = expect_same_quant(ctx, ctx.input(k), y);
      if (s != OCTET_OK) return s;
    }
    ctx.step().eval = eval_concat;
    return OCTET_OK;
  }
  octet_status s;
  for (int32_t k = 0; k < n; ++k) {
    if ((s = expect_qs8_activation(ctx, ctx.input(k), "input")) != OCTET_OK) return s;
  }
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  int32_t count = 0;
  if ((s = ctx.multipliers(n, n, &p->multipliers, &count)) != OCTET_OK) return s;
  // M = 0 means "copy the codes verbatim", which is only right for an input
  // quantized exactly like the output (docs/quantization.md §3, CONCAT).
  for (int32_t k = 0; k < n; ++k) {
    if (p->multipliers[k].multiplier == 0 &&
        (s = expect_same_quant(ctx, ctx.input(k), y)) != OCTET_OK) {
      return s;
    }
  }
  if ((s = ctx.qclamp(&p->qmin, &p->qmax)) != OCTET_OK) return s;
  p->y_zero_point = y.zero_point();
  ctx.step().eval = eval_concat_qs8;
  return OCTET_OK;
}

octet_status prepare_split(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const int32_t n = ctx.num_outputs();
  const int32_t axis = normalize_axis(ctx.op().options_as_SplitOptions()->axis(), x.rank);
  if (axis < 0 || axis >= x.rank) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "split axis out of range");
  }
  auto* p = ctx.alloc<SplitStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->axis_sizes = ctx.alloc<int32_t>(static_cast<size_t>(n));
  p->outputs = ctx.alloc<void*>(static_cast<size_t>(n));
  if (p->axis_sizes == nullptr || p->outputs == nullptr) return ctx.out_of_memory();
  p->rank = x.rank;
  p->axis = axis;
  p->n = n;
  p->elem_size = octet_dtype_size(x.dtype);
  for (int32_t i = 0; i < x.rank; ++i) p->dims[i] = x.dims[i];
  int64_t total = 0;
  for (int32_t k = 0; k < n; ++k) {
    const TensorDesc& y = ctx.output(k);
    bool ok = y.rank == x.rank;
    for (int32_t i = 0; ok && i < x.rank; ++i) ok = i == axis || x.dims[i] == y.dims[i];
    if (!ok) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "output '%s' does not match input '%s' off axis %d",
                      y.name, x.name, axis);
    }
    octet_status s = check_move(ctx, x, y);
    if (s != OCTET_OK) return s;
    p->axis_sizes[k] = y.dims[axis];
    total += y.dims[axis];
  }
  if (total != x.dims[axis]) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "outputs add up to %lld along axis %d, input has %d",
                    static_cast<long long>(total), axis, x.dims[axis]);
  }
  ctx.step().params = p;
  ctx.step().eval = eval_split;
  return OCTET_OK;
}

octet_status prepare_slice(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = check_move(ctx, x, y);
  if (s != OCTET_OK) return s;
  const auto* o = ctx.op().options_as_SliceOptions();
  if (y.rank != x.rank || o->begin() == nullptr || o->step() == nullptr ||
      o->begin()->size() != static_cast<uint32_t>(x.rank) ||
      o->step()->size() != static_cast<uint32_t>(x.rank)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "slice needs begin and step for each of %d dims",
                    x.rank);
  }
  auto* p = ctx.alloc<MoveStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->rank = x.rank;
  p->elem_size = octet_dtype_size(x.dtype);
  for (int32_t i = 0; i < x.rank; ++i) {
    const int64_t b = o->begin()->Get(i), st = o->step()->Get(i), n = y.dims[i];
    // Every index read, begin + k·step for k < n, must be inside the input.
    const int64_t last = b + (n - 1) * st;
    if (st == 0 || b < 0 || b >= x.dims[i] || last < 0 || last >= x.dims[i]) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "slice of dim %d (size %d): begin %lld, step %lld, %lld elements reads "
                      "outside the input",
                      i, x.dims[i], static_cast<long long>(b), static_cast<long long>(st),
                      static_cast<long long>(n));
    }
    p->in_dims[i] = x.dims[i];
    p->out_dims[i] = y.dims[i];
    p->a[i] = static_cast<int32_t>(b);
    p->b[i] = static_cast<int32_t>(st);
  }
  ctx.step().params = p;
  ctx.step().eval = eval_slice;
  return OCTET_OK;
}

octet_status prepare_transpose(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = check_move(ctx, x, y);
  if (s != OCTET_OK) return s;
  const auto* perm = ctx.op().options_as_TransposeOptions()->perm();
  if (perm == nullptr || perm->size() != static_cast<uint32_t>(x.rank)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "perm must have %d entries", x.rank);
  }
  auto* p = ctx.alloc<MoveStep>();
  if (p == nullptr) return ctx.out_of_memory();
  bool seen[kMaxRank] = {};
  int32_t want[kMaxRank];
  for (int32_t i = 0; i < x.rank; ++i) {
    const int32_t a = perm->Get(i);
    if (a < 0 || a >= x.rank || seen[a]) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "perm is not a permutation of 0..%d",
                      x.rank - 1);
    }
    seen[a] = true;
    p->a[i] = a;
    p->in_dims[i] = x.dims[i];
    want[i] = x.dims[a];
  }
  if ((s = ctx.expect_shape(y, "output", x.rank, want)) != OCTET_OK) return s;
  p->rank = x.rank;
  p->elem_size = octet_dtype_size(x.dtype);
  Transpose2DShape t2;
  if (transpose_as_2d(x.rank, p->in_dims, p->a, &t2)) {
    auto* q = ctx.alloc<Transpose2DStep>();
    if (q == nullptr) return ctx.out_of_memory();
    q->shape = t2;
    q->elem_size = p->elem_size;
    ctx.step().params = q;
    ctx.step().eval = eval_transpose_2d;
    ctx.step().kernel = "transpose_2d_blocked";
    return OCTET_OK;
  }
  ctx.step().params = p;
  ctx.step().eval = eval_transpose;
  return OCTET_OK;
}

octet_status prepare_pad(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = check_move(ctx, x, y);
  if (s != OCTET_OK) return s;
  const auto* o = ctx.op().options_as_PadOptions();
  const int32_t r = x.rank;
  if (o->pads() == nullptr || o->pads()->size() != static_cast<uint32_t>(2 * r)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "pads must have %d entries", 2 * r);
  }
  auto* p = ctx.alloc<MoveStep>();
  if (p == nullptr) return ctx.out_of_memory();
  int32_t want[kMaxRank];
  const int8_t mode = static_cast<int8_t>(o->mode());
  if (mode < 0 || mode > 2) return ctx.fail(OCTET_ERROR_INVALID_MODEL, "unknown pad mode %d", mode);
  for (int32_t i = 0; i < r; ++i) {
    const int32_t before = o->pads()->Get(i), after = o->pads()->Get(i + r);
    const int64_t out = int64_t{x.dims[i]} + before + after;
    const int64_t kept = int64_t{x.dims[i]} + (before < 0 ? before : 0) + (after < 0 ? after : 0);
    if (out <= 0 || out > INT32_MAX || kept <= 0 || before > (1 << 24) || after > (1 << 24)) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "pads %d/%d invalid for dim %d of size %d",
                      before, after, i, x.dims[i]);
    }
    want[i] = static_cast<int32_t>(out);
    p->in_dims[i] = x.dims[i];
    p->a[i] = before;
    p->a[i + r] = after;
  }
  if ((s = ctx.expect_shape(y, "output", r, want)) != OCTET_OK) return s;
  p->rank = r;
  p->elem_size = octet_dtype_size(x.dtype);
  p->pad_mode = static_cast<PadMode>(mode);
  // The constant, in the tensor's own representation.
  switch (x.dtype) {
    case OCTET_FLOAT32: {
      const float v = o->value();
      memcpy(p->pad_value, &v, 4);
      break;
    }
    case OCTET_INT8:
    case OCTET_UINT8: {
      int32_t v = 0;
      if (x.quantized()) {
        const auto* ip = ctx.op().int_params();
        if (ip == nullptr) {
          return ctx.fail(OCTET_ERROR_INVALID_MODEL, "quantized pad without integer parameters");
        }
        v = ip->pad_value();
      } else {
        v = static_cast<int32_t>(o->value());
      }
      int64_t lo = 0, hi = 0;
      dtype_int_range(x.dtype, &lo, &hi);
      if (v < lo || v > hi) return ctx.fail(OCTET_ERROR_INVALID_MODEL, "pad value out of range");
      p->pad_value[0] = static_cast<uint8_t>(v);
      break;
    }
    default: {
      const int64_t v = static_cast<int64_t>(o->value());
      memcpy(p->pad_value, &v, p->elem_size);  // little-endian low bytes
      break;
    }
  }
  ctx.step().params = p;
  ctx.step().eval = eval_pad;
  return OCTET_OK;
}

octet_status prepare_resize(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  const auto* o = ctx.op().options_as_ResizeOptions();
  if (x.rank != 4 || y.rank != 4 || x.dims[0] != y.dims[0] || x.dims[3] != y.dims[3]) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "resize maps NHWC '%s' to NHWC '%s' changing only H and W", x.name, y.name);
  }
  const int8_t mode = static_cast<int8_t>(o->mode());
  const int8_t ct = static_cast<int8_t>(o->coordinate_transform());
  const int8_t nr = static_cast<int8_t>(o->nearest_rounding());
  if (mode < 0 || mode > 1 || ct < 0 || ct > 3 || nr < 0 || nr > 3 ||
      !(o->scale_h() >= 0) || !(o->scale_w() >= 0)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "invalid resize options");
  }
  auto* p = ctx.alloc<ResizeStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = ResizeShape{x.dims[0], x.dims[1], x.dims[2], x.dims[3], y.dims[1], y.dims[2]};
  p->elem_size = octet_dtype_size(x.dtype);
  void* th = ctx.alloc<uint8_t>(resize_axis_table_bytes(y.dims[1]));
  void* tw = ctx.alloc<uint8_t>(resize_axis_table_bytes(y.dims[2]));
  if (th == nullptr || tw == nullptr) return ctx.out_of_memory();
  const auto rm = static_cast<ResizeMode>(mode);
  p->h = resize_axis_table_init(x.dims[1], y.dims[1], o->scale_h(), rm,
                                static_cast<CoordinateTransform>(ct),
                                static_cast<NearestRounding>(nr), th);
  p->w = resize_axis_table_init(x.dims[2], y.dims[2], o->scale_w(), rm,
                                static_cast<CoordinateTransform>(ct),
                                static_cast<NearestRounding>(nr), tw);
  ctx.step().params = p;
  octet_status s;
  if (rm == ResizeMode::kNearest) {
    if ((s = check_move(ctx, x, y)) != OCTET_OK) return s;
    ctx.step().eval = eval_resize_nearest;
    return OCTET_OK;
  }
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_resize_bilinear_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
  if (m[0].rshift + 20 > 62) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "resize multiplier shift too large");
  }
  if ((s = ctx.qclamp(&p->qmin, &p->qmax)) != OCTET_OK) return s;
  p->m = m[0];
  p->x_zero_point = x.zero_point();
  p->y_zero_point = y.zero_point();
  ctx.step().eval = eval_resize_bilinear_qs8;
  return OCTET_OK;
}

}  // namespace octet::rt
