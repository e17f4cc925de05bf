// SPDX-License-Identifier: Apache-2.0
//
// QUANTIZE (float → int, or int → int requantization) and DEQUANTIZE.
#include "kernels/quantize/quantize_x86.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;

struct QuantizeStep {
  size_t n;
  QuantizeParams q;
  RequantizeParams r;
  DequantizeParams d;
  const QuantizeQs8Kernels* qs8;  // fp32 <-> int8 kernels chosen at prepare
};

void eval_quantize_f32_qs8(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const QuantizeStep*>(s.params);
  p->qs8->quantize(p->n, s.in<float>(c, 0), s.out<int8_t>(c, 0), p->q);
}

void eval_dequantize_qs8_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const QuantizeStep*>(s.params);
  p->qs8->dequantize(p->n, s.in<int8_t>(c, 0), s.out<float>(c, 0), p->d);
}

template <typename In, typename Out, void (*K)(size_t, const In*, Out*, const QuantizeParams&)>
void eval_quantize(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const QuantizeStep*>(s.params);
  K(p->n, s.in<In>(c, 0), s.out<Out>(c, 0), p->q);
}

template <typename In, typename Out, void (*K)(size_t, const In*, Out*, const RequantizeParams&)>
void eval_requantize(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const QuantizeStep*>(s.params);
  K(p->n, s.in<In>(c, 0), s.out<Out>(c, 0), p->r);
}

template <typename In, void (*K)(size_t, const In*, float*, const DequantizeParams&)>
void eval_dequantize(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const QuantizeStep*>(s.params);
  K(p->n, s.in<In>(c, 0), s.out<float>(c, 0), p->d);
}

}  // namespace

octet_status prepare_quantize(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = ctx.expect_same_shape(x, y);
  if (s != OCTET_OK) return s;
  if ((s = ctx.expect_per_tensor_quant(y, "output")) != OCTET_OK) return s;
  auto* p = ctx.alloc<QuantizeStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->n = x.elements;
  ctx.step().params = p;
  int64_t lo = 0, hi = 0;
  if (x.dtype == OCTET_FLOAT32 && y.dtype == OCTET_INT32) {
    // Float -> int32 (the exact integer outputs of ONNX ConvInteger /
    // MatMulInteger, computed in fp32).
    p->q = QuantizeParams{y.scale(), y.zero_point(), INT32_MIN, INT32_MAX};
    ctx.step().eval = eval_quantize<float, int32_t, quantize_f32_qs32_reference>;
    return OCTET_OK;
  }
  if (!dtype_int_range(y.dtype, &lo, &hi) || y.dtype == OCTET_INT32 || y.dtype == OCTET_INT64) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "cannot quantize to %s", octet_dtype_name(y.dtype));
  }
  if (y.dtype == OCTET_INT16) lo = -32767;  // symmetric int16 (docs/quantization.md §1)
  if (x.dtype == OCTET_FLOAT32) {
    p->q = QuantizeParams{y.scale(), y.zero_point(), static_cast<int32_t>(lo),
                          static_cast<int32_t>(hi)};
    switch (y.dtype) {
      case OCTET_INT8:
        p->qs8 = select_quantize_qs8_kernels(ctx.isa());
        ctx.step().eval = eval_quantize_f32_qs8;
        ctx.step().kernel = p->qs8->quantize_name;
        break;
      case OCTET_UINT8:
        ctx.step().eval = eval_quantize<float, uint8_t, quantize_f32_qu8_reference>;
        break;
      case OCTET_INT16:
        ctx.step().eval = eval_quantize<float, int16_t, quantize_f32_qs16_reference>;
        break;
      default:
        break;
    }
    return OCTET_OK;
  }
  // Integer → integer: a requantization with the converter's multiplier.
  if ((s = ctx.expect_per_tensor_quant(x, "input")) != OCTET_OK) return s;
  const Multiplier* m = nullptr;
  int32_t count = 0;
  if ((s = ctx.multipliers(1, 1, &m, &count)) != OCTET_OK) return s;
  int32_t qmin = 0, qmax = 0;
  if ((s = ctx.qclamp(&qmin, &qmax)) != OCTET_OK) return s;
  p->r = RequantizeParams{x.zero_point(), y.zero_point(), m[0], qmin, qmax};
  if (x.dtype == OCTET_INT8 && y.dtype == OCTET_INT8) {
    ctx.step().eval = eval_requantize<int8_t, int8_t, requantize_qs8_qs8_reference>;
  } else if (x.dtype == OCTET_UINT8 && y.dtype == OCTET_INT8) {
    ctx.step().eval = eval_requantize<uint8_t, int8_t, requantize_qu8_qs8_reference>;
  } else if (x.dtype == OCTET_INT8 && y.dtype == OCTET_UINT8) {
    ctx.step().eval = eval_requantize<int8_t, uint8_t, requantize_qs8_qu8_reference>;
  } else if (x.dtype == OCTET_INT16 && y.dtype == OCTET_INT8) {
    ctx.step().eval = eval_requantize<int16_t, int8_t, requantize_qs16_qs8_reference>;
  } else if (x.dtype == OCTET_INT8 && y.dtype == OCTET_INT16) {
    ctx.step().eval = eval_requantize<int8_t, int16_t, requantize_qs8_qs16_reference>;
  } else {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED, "no requantization from %s to %s",
                    octet_dtype_name(x.dtype), octet_dtype_name(y.dtype));
  }
  return OCTET_OK;
}

octet_status prepare_dequantize(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  octet_status s = ctx.expect_same_shape(x, y);
  if (s != OCTET_OK) return s;
  if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
  if ((s = ctx.expect_per_tensor_quant(x, "input")) != OCTET_OK) return s;
  auto* p = ctx.alloc<QuantizeStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->n = x.elements;
  p->d = DequantizeParams{x.scale(), x.zero_point()};
  ctx.step().params = p;
  switch (x.dtype) {
    case OCTET_INT8: {
      // The vector kernels' zero-point precondition (quantize_x86.h); the
      // last set is the reference.
      int32_t count = 0;
      const QuantizeQs8Kernels* all = quantize_qs8_kernels(&count);
      p->qs8 = dequantize_qs8_vector_ok(p->d) ? select_quantize_qs8_kernels(ctx.isa())
                                              : &all[count - 1];
      ctx.step().eval = eval_dequantize_qs8_f32;
      ctx.step().kernel = p->qs8->dequantize_name;
      break;
    }
    case OCTET_UINT8:
      ctx.step().eval = eval_dequantize<uint8_t, dequantize_qu8_f32_reference>;
      break;
    case OCTET_INT16:
      ctx.step().eval = eval_dequantize<int16_t, dequantize_qs16_f32_reference>;
      break;
    case OCTET_INT32:
      ctx.step().eval = eval_dequantize<int32_t, dequantize_qs32_f32_reference>;
      break;
    default:
      return ctx.fail(OCTET_ERROR_UNSUPPORTED, "cannot dequantize %s", octet_dtype_name(x.dtype));
  }
  return OCTET_OK;
}

}  // namespace octet::rt
