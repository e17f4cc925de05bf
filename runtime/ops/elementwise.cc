// SPDX-License-Identifier: Apache-2.0
//
// ADD, SUB, MUL, DIV, CLAMP, the lookup-table activations, PRELU, SOFTMAX.
#include "kernels/activation/activation_f32.h"
#include "kernels/binary/binary_f32.h"
#include "runtime/ops/op_util.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;
namespace fb = octet::schema;

struct BinaryStep {
  BroadcastShape shape;
  FloatClamp clamp;
  BinaryQs8Params q;
  BinaryQs8Fn qs8;  ///< chosen at prepare (select_binary_qs8_kernel)
};

// fp32: the coalesced broadcast and the row kernels chosen at prepare.
struct BinaryF32Step {
  BinaryF32Plan plan;
  BinaryF32Rows rows;
  FloatClamp clamp;
};

void eval_binary_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const BinaryF32Step*>(s.params);
  binary_f32_run(p->plan, p->rows, s.in<float>(c, 0), s.in<float>(c, 1), p->clamp,
                 s.out<float>(c, 0));
}

void eval_binary_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const BinaryStep*>(s.params);
  p->qs8(p->shape, s.in<int8_t>(c, 0), s.in<int8_t>(c, 1), p->q, s.out<int8_t>(c, 0));
}

struct UnaryStep {
  size_t n;
  size_t channels;
  FloatClamp clamp;
  float alpha, beta;
  ClampQs8Params clamp_q;
  PreluQs8Params prelu_q;
  const int8_t* lut;
  const ActivationF32Kernels* f32;  // chosen at prepare (kernels/activation/kernels.inc)
};

void eval_clamp_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  p->f32->clamp(p->n, s.in<float>(c, 0), p->clamp, s.out<float>(c, 0));
}
void eval_hard_swish_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  p->f32->hard_swish(p->n, s.in<float>(c, 0), s.out<float>(c, 0));
}
void eval_hard_sigmoid_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  p->f32->hard_sigmoid(p->n, s.in<float>(c, 0), p->alpha, p->beta, s.out<float>(c, 0));
}
void eval_sigmoid_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  p->f32->sigmoid(p->n, s.in<float>(c, 0), s.out<float>(c, 0));
}
void eval_tanh_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  tanh_f32_reference(p->n, s.in<float>(c, 0), s.out<float>(c, 0));
}
void eval_leaky_relu_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  leaky_relu_f32_reference(p->n, s.in<float>(c, 0), p->alpha, s.out<float>(c, 0));
}
void eval_prelu_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  prelu_f32_reference(p->n, p->channels, s.in<float>(c, 0), s.in<float>(c, 1), s.out<float>(c, 0));
}
void eval_clamp_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  clamp_qs8_reference(p->n, s.in<int8_t>(c, 0), p->clamp_q, s.out<int8_t>(c, 0));
}
void eval_lut_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  lut_qs8_reference(p->n, s.in<int8_t>(c, 0), p->lut, s.out<int8_t>(c, 0));
}
void eval_prelu_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const UnaryStep*>(s.params);
  prelu_qs8_reference(p->n, p->channels, s.in<int8_t>(c, 0), s.in<int8_t>(c, 1), p->prelu_q,
                      s.out<int8_t>(c, 0));
}

struct SoftmaxStep {
  int32_t rows, cols;
  float beta;
  int32_t exp_table[256];
  Multiplier multiplier;
  int32_t y_zero_point, qmin, qmax;
};

void eval_softmax_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const SoftmaxStep*>(s.params);
  softmax_f32_reference(p->rows, p->cols, p->beta, s.in<float>(c, 0), s.out<float>(c, 0));
}
void eval_softmax_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const SoftmaxStep*>(s.params);
  softmax_qs8_reference(p->rows, p->cols, p->exp_table, p->multiplier, p->y_zero_point, p->qmin,
                        p->qmax, s.in<int8_t>(c, 0), s.out<int8_t>(c, 0));
}

// Unary ops keep shape; int8 ones need per-tensor int8 on both sides.
octet_status check_unary(PrepareContext& ctx, bool* quantized) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = ctx.expect_same_shape(x, y);
  if (s != OCTET_OK) return s;
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    *quantized = false;
    return ctx.expect_dtype(y, "output", OCTET_FLOAT32);
  }
  *quantized = true;
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  return expect_qs8_activation(ctx, y, "output");
}

}  // namespace

octet_status prepare_binary(PrepareContext& ctx) {
  const TensorDesc& a = ctx.input(0);
  const TensorDesc& b = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  auto* p = ctx.alloc<BinaryStep>();
  if (p == nullptr) return ctx.out_of_memory();
  if (!make_broadcast_shape(a.rank, a.dims, b.rank, b.dims, &p->shape)) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "shapes of '%s' and '%s' do not broadcast", a.name,
                    b.name);
  }
  octet_status s = ctx.expect_shape(y, "output", p->shape.rank, p->shape.out_dims);
  if (s != OCTET_OK) return s;
  ctx.step().params = p;
  const fb::OpCode code = ctx.op().opcode();
  if (OCTET_WITH_FP32 && a.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(b, "operand", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    auto* f = ctx.alloc<BinaryF32Step>();
    if (f == nullptr) return ctx.out_of_memory();
    f->clamp = ctx.float_clamp();
    plan_binary_f32(p->shape, &f->plan);
    const BinaryF32Kernels* k = select_binary_f32_kernels(ctx.isa());
    switch (code) {
      case fb::OpCode::ADD: f->rows = k->add; break;
      case fb::OpCode::SUB: f->rows = k->sub; break;
      case fb::OpCode::MUL: f->rows = k->mul; break;
      default: f->rows = k->div; break;
    }
    ctx.step().params = f;
    ctx.step().eval = eval_binary_f32;
    ctx.step().kernel = k->name;
    return OCTET_OK;
  }
  if (code == fb::OpCode::DIV) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED,
                    "int8 DIV is not supported (the converter turns division by a constant into "
                    "MUL)");
  }
  if ((s = expect_qs8_activation(ctx, a, "operand")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, b, "operand")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  const Multiplier* m = nullptr;
  int32_t count = 0;
  const bool add_sub = code != fb::OpCode::MUL;
  if ((s = ctx.multipliers(add_sub ? 3 : 1, add_sub ? 3 : 1, &m, &count)) != OCTET_OK) return s;
  p->q.a_zero_point = a.zero_point();
  p->q.b_zero_point = b.zero_point();
  p->q.y_zero_point = y.zero_point();
  if ((s = ctx.qclamp(&p->q.qmin, &p->q.qmax)) != OCTET_OK) return s;
  if (add_sub) {
    // a' + b' fits int32 only when both input multipliers are below 1.
    if (m[0].rshift < 31 || m[1].rshift < 31) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "add/sub input multipliers must be below 1 (shifts %d, %d)", m[0].rshift,
                      m[1].rshift);
    }
    p->q.a_multiplier = m[0];
    p->q.b_multiplier = m[1];
    p->q.y_multiplier = m[2];
  } else {
    p->q.y_multiplier = m[0];
  }
  const BinaryOp op = code == fb::OpCode::ADD   ? BinaryOp::kAdd
                     : code == fb::OpCode::SUB ? BinaryOp::kSub
                                               : BinaryOp::kMul;
  const BinaryQs8Kernel* k = select_binary_qs8_kernel(op, ctx.isa());
  p->qs8 = k->fn;
  ctx.step().kernel = k->name;
  ctx.step().eval = eval_binary_qs8;
  return OCTET_OK;
}

octet_status prepare_activation(PrepareContext& ctx) {
  bool quantized = false;
  octet_status s = check_unary(ctx, &quantized);
  if (s != OCTET_OK) return s;
  auto* p = ctx.alloc<UnaryStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->n = ctx.input(0).elements;
  ctx.step().params = p;
  const fb::OpCode code = ctx.op().opcode();
  if (OCTET_WITH_FP32 && !quantized) {
    p->f32 = select_activation_f32_kernels(ctx.isa());
    switch (code) {
      case fb::OpCode::CLAMP:
        p->clamp = ctx.float_clamp();
        ctx.step().eval = eval_clamp_f32;
        ctx.step().kernel = p->f32->clamp_name;
        break;
      case fb::OpCode::HARD_SWISH:
        ctx.step().eval = eval_hard_swish_f32;
        ctx.step().kernel = p->f32->hard_swish_name;
        break;
      case fb::OpCode::HARD_SIGMOID: {
        const auto* o = ctx.op().options_as_HardSigmoidOptions();
        p->alpha = o->alpha();
        p->beta = o->beta();
        ctx.step().eval = eval_hard_sigmoid_f32;
        ctx.step().kernel = p->f32->hard_sigmoid_name;
        break;
      }
      case fb::OpCode::SIGMOID:
        ctx.step().eval = eval_sigmoid_f32;
        ctx.step().kernel = p->f32->sigmoid_name;
        break;
      case fb::OpCode::TANH: ctx.step().eval = eval_tanh_f32; break;
      case fb::OpCode::LEAKY_RELU:
        p->alpha = ctx.op().options_as_LeakyReluOptions()->alpha();
        ctx.step().eval = eval_leaky_relu_f32;
        break;
      default: break;
    }
    return OCTET_OK;
  }
  if (code == fb::OpCode::CLAMP) {
    const Multiplier* m = nullptr;
    int32_t count = 0;
    if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
    p->clamp_q.x_zero_point = ctx.input(0).zero_point();
    p->clamp_q.y_zero_point = ctx.output(0).zero_point();
    p->clamp_q.multiplier = m[0];
    if ((s = ctx.qclamp(&p->clamp_q.qmin, &p->clamp_q.qmax)) != OCTET_OK) return s;
    ctx.step().eval = eval_clamp_qs8;
    return OCTET_OK;
  }
  // Lookup-table activations: the converter built the table.
  const auto* ip = ctx.op().int_params();
  if (ip == nullptr || ip->lut() == nullptr || ip->lut()->size() != 256) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "int8 activation needs a 256-entry lookup table");
  }
  p->lut = reinterpret_cast<const int8_t*>(ip->lut()->data());
  ctx.step().eval = eval_lut_qs8;
  return OCTET_OK;
}

octet_status prepare_prelu(PrepareContext& ctx) {
  bool quantized = false;
  octet_status s = check_unary(ctx, &quantized);
  if (s != OCTET_OK) return s;
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& slope = ctx.input(1);
  const size_t channels = x.rank ? static_cast<size_t>(x.dim(-1)) : 1;
  if (slope.elements != 1 && slope.elements != channels) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "slope '%s' has %zu elements; expected 1 or the %zu channels of '%s'",
                    slope.name, slope.elements, channels, x.name);
  }
  auto* p = ctx.alloc<UnaryStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->n = x.elements;
  p->channels = slope.elements;
  ctx.step().params = p;
  if (OCTET_WITH_FP32 && !quantized) {
    if ((s = ctx.expect_dtype(slope, "slope", OCTET_FLOAT32)) != OCTET_OK) return s;
    ctx.step().eval = eval_prelu_f32;
    return OCTET_OK;
  }
  if ((s = expect_qs8_activation(ctx, slope, "slope")) != OCTET_OK) return s;
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(2, 2, &m, &count)) != OCTET_OK) return s;
  p->prelu_q.x_zero_point = x.zero_point();
  p->prelu_q.slope_zero_point = slope.zero_point();
  p->prelu_q.y_zero_point = ctx.output(0).zero_point();
  p->prelu_q.positive_multiplier = m[0];
  p->prelu_q.negative_multiplier = m[1];
  if ((s = ctx.qclamp(&p->prelu_q.qmin, &p->prelu_q.qmax)) != OCTET_OK) return s;
  ctx.step().eval = eval_prelu_qs8;
  return OCTET_OK;
}

octet_status prepare_softmax(PrepareContext& ctx) {
  bool quantized = false;
  octet_status s = check_unary(ctx, &quantized);
  if (s != OCTET_OK) return s;
  const TensorDesc& x = ctx.input(0);
  const auto* o = ctx.op().options_as_SoftmaxOptions();
  if (o != nullptr && o->axis() != -1 && o->axis() != x.rank - 1) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "softmax over axis %d (only the last axis)",
                    o->axis());
  }
  auto* p = ctx.alloc<SoftmaxStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->cols = x.rank ? x.dim(-1) : 1;
  p->rows = static_cast<int32_t>(x.elements / static_cast<size_t>(p->cols));
  p->beta = o != nullptr ? o->beta() : 1.0f;
  ctx.step().params = p;
  if (OCTET_WITH_FP32 && !quantized) {
    ctx.step().eval = eval_softmax_f32;
    return OCTET_OK;
  }
  const auto* ip = ctx.op().int_params();
  if (ip == nullptr || ip->lut() == nullptr || ip->lut()->size() != 1024) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "int8 softmax needs a 256-entry int32 exp table");
  }
  // Little-endian int32 entries; a ubyte vector is not 4-byte aligned, so
  // they are assembled once here.
  const uint8_t* t = ip->lut()->data();
  for (int i = 0; i < 256; ++i) {
    const uint32_t v = uint32_t{t[4 * i]} | (uint32_t{t[4 * i + 1]} << 8) |
                       (uint32_t{t[4 * i + 2]} << 16) | (uint32_t{t[4 * i + 3]} << 24);
    p->exp_table[i] = static_cast<int32_t>(v);
    if (p->exp_table[i] < 0 || p->exp_table[i] > kSoftmaxExpOne ||
        (i == 0 && p->exp_table[0] != kSoftmaxExpOne)) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL, "softmax exp table entry %d out of range", i);
    }
  }
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
  if (m[0].rshift + 31 > 62) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL, "softmax output multiplier shift too large");
  }
  p->multiplier = m[0];
  p->y_zero_point = ctx.output(0).zero_point();
  if ((s = ctx.qclamp(&p->qmin, &p->qmax)) != OCTET_OK) return s;
  ctx.step().eval = eval_softmax_qs8;
  return OCTET_OK;
}

}  // namespace octet::rt
