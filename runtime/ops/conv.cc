// SPDX-License-Identifier: Apache-2.0
//
// CONV_2D, CONV_TRANSPOSE_2D, FULLY_CONNECTED, MATMUL.
#include "runtime/ops/op_util.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;

struct ConvStep {
  Conv2DShape shape;
  FloatClamp clamp;
  int32_t input_zero_point;
  QuantOut out;
};

template <bool kTranspose>
void eval_conv_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvStep*>(s.params);
  (kTranspose ? conv_transpose2d_f32_reference : conv2d_f32_reference)(
      p->shape, s.in<float>(c, 0), s.in<float>(c, 1), s.num_inputs > 2 ? s.in<float>(c, 2) : nullptr,
      p->clamp, s.out<float>(c, 0));
}

template <bool kTranspose>
void eval_conv_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvStep*>(s.params);
  (kTranspose ? conv_transpose2d_qs8_qc8w_reference : conv2d_qs8_qc8w_reference)(
      p->shape, s.in<int8_t>(c, 0), p->input_zero_point, s.in<int8_t>(c, 1),
      s.num_inputs > 2 ? s.in<int32_t>(c, 2) : nullptr, p->out, s.out<int8_t>(c, 0));
}

int32_t conv_output_size(int32_t in, int32_t k, int32_t stride, int32_t dilation, int32_t p0,
                         int32_t p1) {
  const int64_t span = int64_t{in} + p0 + p1 - (int64_t{dilation} * (k - 1) + 1);
  return span < 0 ? 0 : static_cast<int32_t>(span / stride + 1);
}

template <bool kTranspose>
octet_status prepare_conv(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& w = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  if (x.rank != 4 || w.rank != 4) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "input '%s' (rank %d) must be NHWC and weights '%s' (rank %d) OHWI", x.name,
                    x.rank, w.name, w.rank);
  }
  const flatbuffers::Vector<int32_t>* padding;
  int32_t sh, sw, dh, dw, groups;
  if (kTranspose) {
    const auto* o = ctx.op().options_as_ConvTranspose2DOptions();
    padding = o->padding();
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h(), dw = o->dilation_w();
    groups = o->groups();
  } else {
    const auto* o = ctx.op().options_as_Conv2DOptions();
    padding = o->padding();
    sh = o->stride_h(), sw = o->stride_w(), dh = o->dilation_h(), dw = o->dilation_w();
    groups = o->groups();
  }
  int32_t pad[4] = {0, 0, 0, 0};
  if (padding != nullptr) {
    if (padding->size() != 4) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "padding has %u entries, expected 4",
                      padding->size());
    }
    for (int i = 0; i < 4; ++i) pad[i] = padding->Get(i);
  }
  if (sh < 1 || sw < 1 || dh < 1 || dw < 1 || groups < 1 || pad[0] < 0 || pad[1] < 0 ||
      pad[2] < 0 || pad[3] < 0 || sh > 1024 || sw > 1024 || dh > 1024 || dw > 1024) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "invalid strides %dx%d, dilations %dx%d, groups %d or padding", sh, sw, dh, dw,
                    groups);
  }
  const int32_t in_c = x.dims[3], out_c = w.dims[0], kh = w.dims[1], kw = w.dims[2];
  if (in_c % groups != 0 || out_c % groups != 0 || w.dims[3] * groups != in_c) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "weights '%s' [%d,%d,%d,%d] do not fit %d input channels in %d groups", w.name,
                    w.dims[0], w.dims[1], w.dims[2], w.dims[3], in_c, groups);
  }
  int32_t oh, ow;
  if (kTranspose) {
    // Output size is stored in the model (it includes output_padding); the
    // stored size must lie in [base, base + stride).
    const int64_t bh = int64_t{sh} * (x.dims[1] - 1) + int64_t{dh} * (kh - 1) + 1 - pad[0] - pad[2];
    const int64_t bw = int64_t{sw} * (x.dims[2] - 1) + int64_t{dw} * (kw - 1) + 1 - pad[1] - pad[3];
    oh = y.rank == 4 ? y.dims[1] : 0;
    ow = y.rank == 4 ? y.dims[2] : 0;
    if (oh < bh || oh >= bh + sh || ow < bw || ow >= bw + sw) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "output '%s' spatial size %dx%d does not match the transposed convolution "
                      "(%lldx%lld plus output padding below the stride)",
                      y.name, oh, ow, static_cast<long long>(bh), static_cast<long long>(bw));
    }
  } else {
    oh = conv_output_size(x.dims[1], kh, sh, dh, pad[0], pad[2]);
    ow = conv_output_size(x.dims[2], kw, sw, dw, pad[1], pad[3]);
  }
  const int32_t want[4] = {x.dims[0], oh, ow, out_c};
  octet_status s = ctx.expect_shape(y, "output", 4, want);
  if (s != OCTET_OK) return s;

  auto* p = ctx.alloc<ConvStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = Conv2DShape{x.dims[0], x.dims[1], x.dims[2], in_c, oh, ow, out_c, kh, kw,
                         sh,        sw,        dh,        dw,   pad[0], pad[1], groups};
  ctx.step().params = p;
  if (x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(w, "weights", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = expect_bias(ctx, 2, OCTET_FLOAT32, out_c)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_conv_f32<kTranspose>;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias(ctx, 2, OCTET_INT32, out_c)) != OCTET_OK) return s;
  // A transposed conv output gathers up to ceil(k/stride) taps per axis;
  // kh·kw·(in_c/groups) bounds it for both.
  if ((s = expect_no_accumulator_overflow(ctx, int64_t{kh} * kw * w.dims[3], 2)) != OCTET_OK) {
    return s;
  }
  if ((s = make_quant_out(ctx, y, 1, out_c, &p->out)) != OCTET_OK) return s;
  p->input_zero_point = x.zero_point();
  ctx.step().eval = eval_conv_qs8<kTranspose>;
  return OCTET_OK;
}

struct FullyConnectedStep {
  int32_t m, n, k;
  FloatClamp clamp;
  int32_t x_zero_point;
  QuantOut out;
};

void eval_fc_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const FullyConnectedStep*>(s.params);
  fully_connected_f32_reference(p->m, p->n, p->k, s.in<float>(c, 0), s.in<float>(c, 1),
                                s.num_inputs > 2 ? s.in<float>(c, 2) : nullptr, p->clamp,
                                s.out<float>(c, 0));
}

void eval_fc_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const FullyConnectedStep*>(s.params);
  fully_connected_qs8_qc8w_reference(p->m, p->n, p->k, s.in<int8_t>(c, 0), p->x_zero_point,
                                     s.in<int8_t>(c, 1),
                                     s.num_inputs > 2 ? s.in<int32_t>(c, 2) : nullptr, p->out,
                                     s.out<int8_t>(c, 0));
}

struct MatMulStep {
  MatMulShape shape;
  FloatClamp clamp;
  int32_t a_zero_point, b_zero_point;
  QuantOut out;
};

void eval_matmul_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MatMulStep*>(s.params);
  matmul_f32_reference(p->shape, s.in<float>(c, 0), s.in<float>(c, 1), p->clamp,
                       s.out<float>(c, 0));
}

void eval_matmul_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const MatMulStep*>(s.params);
  matmul_qs8_reference(p->shape, s.in<int8_t>(c, 0), p->a_zero_point, s.in<int8_t>(c, 1),
                       p->b_zero_point, p->out, s.out<int8_t>(c, 0));
}

}  // namespace

octet_status prepare_conv2d(PrepareContext& ctx) { return prepare_conv<false>(ctx); }
octet_status prepare_conv_transpose2d(PrepareContext& ctx) { return prepare_conv<true>(ctx); }

octet_status prepare_fully_connected(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& w = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  if (x.rank < 1 || w.rank != 2 || x.dim(-1) != w.dims[1]) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "input '%s' (last dim %d) does not match weights '%s' (must be [N, K])", x.name,
                    x.rank ? x.dim(-1) : 0, w.name);
  }
  int32_t want[kMaxRank];
  for (int32_t i = 0; i < x.rank; ++i) want[i] = x.dims[i];
  want[x.rank - 1] = w.dims[0];
  octet_status s = ctx.expect_shape(y, "output", x.rank, want);
  if (s != OCTET_OK) return s;
  auto* p = ctx.alloc<FullyConnectedStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->k = w.dims[1];
  p->n = w.dims[0];
  p->m = static_cast<int32_t>(x.elements / static_cast<size_t>(p->k));
  ctx.step().params = p;
  if (x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(w, "weights", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = expect_bias(ctx, 2, OCTET_FLOAT32, p->n)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_fc_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias(ctx, 2, OCTET_INT32, p->n)) != OCTET_OK) return s;
  if ((s = expect_no_accumulator_overflow(ctx, p->k, 2)) != OCTET_OK) return s;
  if ((s = make_quant_out(ctx, y, 1, p->n, &p->out)) != OCTET_OK) return s;
  p->x_zero_point = x.zero_point();
  ctx.step().eval = eval_fc_qs8;
  return OCTET_OK;
}

octet_status prepare_matmul(PrepareContext& ctx) {
  const TensorDesc& a = ctx.input(0);
  const TensorDesc& b = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  if (a.rank < 2 || b.rank < 2) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "operands '%s' and '%s' need rank >= 2", a.name,
                    b.name);
  }
  auto* p = ctx.alloc<MatMulStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape.a_rank = a.rank;
  p->shape.b_rank = b.rank;
  for (int32_t i = 0; i < a.rank; ++i) p->shape.a_dims[i] = a.dims[i];
  for (int32_t i = 0; i < b.rank; ++i) p->shape.b_dims[i] = b.dims[i];
  int32_t rank = 0, dims[kMaxRank];
  if (!matmul_output_shape(p->shape, &rank, dims)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "shapes of '%s' and '%s' do not multiply", a.name,
                    b.name);
  }
  octet_status s = ctx.expect_shape(y, "output", rank, dims);
  if (s != OCTET_OK) return s;
  ctx.step().params = p;
  if (a.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(b, "operand", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_matmul_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, a, "operand")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, b, "operand")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  // Both operands are activations: |a − za|, |b − zb| ≤ 255.
  if (int64_t{a.dim(-1)} * 255 * 255 > INT32_MAX) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "reduction length %d could overflow int32",
                    a.dim(-1));
  }
  if ((s = make_quant_out(ctx, y, 1, 1, &p->out)) != OCTET_OK) return s;
  p->a_zero_point = a.zero_point();
  p->b_zero_point = b.zero_point();
  ctx.step().eval = eval_matmul_qs8;
  return OCTET_OK;
}

}  // namespace octet::rt
