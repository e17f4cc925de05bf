// SPDX-License-Identifier: Apache-2.0
//
// int16 × int8 CONV_2D and FULLY_CONNECTED (docs/quantization.md §6), and
// the dynamically quantized FULLY_CONNECTED (§7: float input and output,
// int8 weights). runtime/ops/conv.cc hands these dtype combinations over
// before it builds its own step.
//
// int16 layers: on AVX2 hosts, FULLY_CONNECTED and CONV_2D with groups == 1
// run gemm_qs16_qc8w_avx2 (weights widened to int16 at prepare; a
// convolution goes through an int16 im2col in the step's scratch); other
// cases run the reference kernels. Both are bit-exact by construction.
//
// The dynamic FULLY_CONNECTED quantizes its input at invoke with the actual
// min/max into the step's arena scratch (no allocation), computes the exact
// int32 sums with precomputed weight column sums and dequantizes with
// s_x · s_w[j]. It uses float at invoke by nature: not for FPU-less cores.
#include <cstring>

#include "runtime/ops/op_util.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;

/// int16 activation: per tensor, symmetric (the loader already rejects a
/// non-zero int16 zero point).
octet_status expect_qs16_activation(PrepareContext& ctx, const TensorDesc& t, const char* role) {
  octet_status s = ctx.expect_dtype(t, role, OCTET_INT16);
  if (s != OCTET_OK) return s;
  return ctx.expect_per_tensor_quant(t, role);
}

struct Conv16Step {
  Conv2DShape shape;
  QuantOut out;
  const int16_t* w16;  // widened weights [out_c][kp] (AVX2 path), else null
  int32_t kp;
};

#if defined(OCTET_HAVE_AVX2)
bool has_avx2_path(Isa isa) {
  return isa == Isa::kAvx2 || isa == Isa::kAvxVnni || isa == Isa::kAvx512Vnni;
}

// Row r of the int16 im2col matrix [pixels][kp]: (kh, kw, ic)-ordered taps of
// output pixel r, zeros for padding and past k.
void im2col16(const Conv2DShape& s, int32_t kp, const int16_t* x, int16_t* out) {
  const size_t c = static_cast<size_t>(s.in_c);
  int16_t* dst = out;
  for (int32_t b = 0; b < s.batch; ++b) {
    for (int32_t oy = 0; oy < s.out_h; ++oy) {
      for (int32_t ox = 0; ox < s.out_w; ++ox) {
        int16_t* row = dst;
        for (int32_t ky = 0; ky < s.kernel_h; ++ky) {
          const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
          for (int32_t kx = 0; kx < s.kernel_w; ++kx, row += c) {
            const int32_t ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
            if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) {
              memset(row, 0, c * sizeof(int16_t));
            } else {
              memcpy(row, x + ((static_cast<size_t>(b) * s.in_h + iy) * s.in_w + ix) * c,
                     c * sizeof(int16_t));
            }
          }
        }
        memset(row, 0, static_cast<size_t>(dst + kp - row) * sizeof(int16_t));
        dst += kp;
      }
    }
  }
}

void eval_conv_qs16_avx2(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const Conv16Step*>(s.params);
  auto* cols = static_cast<int16_t*>(s.scratch);
  im2col16(p->shape, p->kp, s.in<int16_t>(c, 0), cols);
  const int32_t m = p->shape.batch * p->shape.out_h * p->shape.out_w;
  gemm_qs16_qc8w_avx2(m, p->shape.out_c, p->kp, cols, static_cast<size_t>(p->kp), p->w16,
                      s.num_inputs > 2 ? s.in<int64_t>(c, 2) : nullptr, p->out,
                      s.out<int16_t>(c, 0), static_cast<size_t>(p->shape.out_c));
}
#endif

void eval_conv_qs16(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const Conv16Step*>(s.params);
  conv2d_qs16_qc8w_reference(p->shape, s.in<int16_t>(c, 0), s.in<int8_t>(c, 1),
                             s.num_inputs > 2 ? s.in<int64_t>(c, 2) : nullptr, p->out,
                             s.out<int16_t>(c, 0));
}

struct Fc16Step {
  int32_t m, n, k;
  QuantOut out;
  const int16_t* w16;  // widened weights [n][kp] (AVX2 path)
};

#if defined(OCTET_HAVE_AVX2)
void eval_fc_qs16_avx2(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const Fc16Step*>(s.params);
  gemm_qs16_qc8w_avx2(p->m, p->n, gemm_qs16_padded_k(p->k), s.in<int16_t>(c, 0),
                      static_cast<size_t>(p->k), p->w16,
                      s.num_inputs > 2 ? s.in<int64_t>(c, 2) : nullptr, p->out,
                      s.out<int16_t>(c, 0), static_cast<size_t>(p->n));
}
#endif

void eval_fc_qs16(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const Fc16Step*>(s.params);
  fully_connected_qs16_qc8w_reference(p->m, p->n, p->k, s.in<int16_t>(c, 0), s.in<int8_t>(c, 1),
                                      s.num_inputs > 2 ? s.in<int64_t>(c, 2) : nullptr, p->out,
                                      s.out<int16_t>(c, 0));
}

struct FcDynamicStep {
  int32_t m, n, k;
  FloatClamp clamp;
  const int32_t* colsums;
  const float* w_scales;
  int32_t w_scale_count;
  size_t xq_offset;  // int8 input copy after the int32 sums in the scratch
  // Integer part, chosen at prepare from the interpreter's ISA.
  void (*acc_fn)(int32_t m, int32_t n, int32_t k, const int8_t* x, int32_t x_zero_point,
                 const int8_t* w, const int32_t* colsums, int32_t* acc);
};

void eval_fc_dynamic(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const FcDynamicStep*>(s.params);
  const float* x = s.in<float>(c, 0);
  const size_t xn = static_cast<size_t>(p->m) * static_cast<size_t>(p->k);
  auto* acc = static_cast<int32_t*>(s.scratch);
  auto* xq = static_cast<int8_t*>(s.scratch) + p->xq_offset;
  const DynamicQuant q = dynamic_quant_params_f32(xn, x);
  dynamic_quantize_f32_qs8(xn, x, q, xq);
  p->acc_fn(p->m, p->n, p->k, xq, q.zero_point, s.in<int8_t>(c, 1), p->colsums, acc);
  fully_connected_qd8_dequantize(p->m, p->n, acc, q.scale, p->w_scales, p->w_scale_count,
                                 s.num_inputs > 2 ? s.in<float>(c, 2) : nullptr, p->clamp,
                                 s.out<float>(c, 0));
}

/// Optional int64 bias of `n` elements.
octet_status expect_bias64(PrepareContext& ctx, int32_t n) {
  return expect_bias(ctx, 2, OCTET_INT64, n);
}

}  // namespace

octet_status prepare_conv2d_qs16(PrepareContext& ctx, const Conv2DShape& shape) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& w = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  octet_status s;
  if ((s = expect_qs16_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs16_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias64(ctx, shape.out_c)) != OCTET_OK) return s;
  auto* p = ctx.alloc<Conv16Step>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = shape;
  if ((s = make_quant_out(ctx, y, 1, shape.out_c, &p->out)) != OCTET_OK) return s;
  ctx.step().params = p;
  ctx.step().eval = eval_conv_qs16;
  ctx.step().kernel = "conv2d_qs16_qc8w_reference";
#if defined(OCTET_HAVE_AVX2)
  const bool bias_ok = !ctx.has_input(2) || ctx.input(2).is_constant();
  const int64_t k = int64_t{shape.kernel_h} * shape.kernel_w * shape.in_c;
  const int64_t m = int64_t{shape.batch} * shape.out_h * shape.out_w;
  if (has_avx2_path(ctx.isa()) && shape.groups == 1 && bias_ok && !x.is_constant() && m > 0 &&
      k < (1 << 24) &&
      m * gemm_qs16_padded_k(static_cast<int32_t>(k)) < (int64_t{1} << 31)) {
    p->kp = gemm_qs16_padded_k(static_cast<int32_t>(k));
    auto* w16 = ctx.alloc<int16_t>(static_cast<size_t>(shape.out_c) * p->kp);
    if (w16 == nullptr) return ctx.out_of_memory();
    gemm_qs16_pack_weights(shape.out_c, static_cast<int32_t>(k),
                           reinterpret_cast<const int8_t*>(w.data), w16);
    p->w16 = w16;
    ctx.request_scratch(static_cast<size_t>(m) * p->kp * sizeof(int16_t) + OCTET_EXTRA_BYTES);
    ctx.step().eval = eval_conv_qs16_avx2;
    ctx.step().kernel = "gemm_qs16_qc8w_avx2";
  }
#endif
  return OCTET_OK;
}

octet_status prepare_fully_connected_qs16(PrepareContext& ctx, int32_t m, int32_t n, int32_t k) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& w = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  octet_status s;
  if ((s = expect_qs16_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs16_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias64(ctx, n)) != OCTET_OK) return s;
  auto* p = ctx.alloc<Fc16Step>();
  if (p == nullptr) return ctx.out_of_memory();
  p->m = m, p->n = n, p->k = k;
  if ((s = make_quant_out(ctx, y, 1, n, &p->out)) != OCTET_OK) return s;
  ctx.step().params = p;
  ctx.step().eval = eval_fc_qs16;
  ctx.step().kernel = "fully_connected_qs16_qc8w_reference";
#if defined(OCTET_HAVE_AVX2)
  const bool bias_ok = !ctx.has_input(2) || ctx.input(2).is_constant();
  if (has_avx2_path(ctx.isa()) && bias_ok && m > 0 && !x.is_constant()) {
    const int32_t kp = gemm_qs16_padded_k(k);
    auto* w16 = ctx.alloc<int16_t>(static_cast<size_t>(n) * kp);
    if (w16 == nullptr) return ctx.out_of_memory();
    gemm_qs16_pack_weights(n, k, reinterpret_cast<const int8_t*>(w.data), w16);
    p->w16 = w16;
    ctx.step().eval = eval_fc_qs16_avx2;
    ctx.step().kernel = "gemm_qs16_qc8w_avx2";
  }
#endif
  return OCTET_OK;
}

octet_status prepare_fully_connected_dynamic(PrepareContext& ctx, int32_t m, int32_t n,
                                             int32_t k) {
  const TensorDesc& w = ctx.input(1);
  const TensorDesc& y = ctx.output(0);
  octet_status s;
  if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias(ctx, 2, OCTET_FLOAT32, n)) != OCTET_OK) return s;
  // |x − zx| ≤ 255 and |w| ≤ 128: the int32 sums must not wrap.
  if (int64_t{k} * 255 * 128 > INT32_MAX) {
    return ctx.fail(OCTET_ERROR_UNSUPPORTED,
                    "reduction length %d could overflow the int32 accumulator of the dynamically "
                    "quantized FULLY_CONNECTED",
                    k);
  }
  auto* p = ctx.alloc<FcDynamicStep>();
  auto* colsums = ctx.alloc<int32_t>(static_cast<size_t>(n) + 1);
  auto* scales = ctx.alloc<float>(static_cast<size_t>(w.quant_count));
  if (p == nullptr || colsums == nullptr || scales == nullptr) return ctx.out_of_memory();
  const auto* wd = reinterpret_cast<const int8_t*>(w.data);
  fully_connected_qd8_colsums(n, k, wd, colsums);
  for (int32_t i = 0; i < w.quant_count; ++i) scales[i] = w.scale(i);
  p->m = m, p->n = n, p->k = k;
  p->clamp = ctx.float_clamp();
  p->colsums = colsums;
  p->w_scales = scales;
  p->w_scale_count = w.quant_count;
  const size_t acc_bytes = static_cast<size_t>(m) * static_cast<size_t>(n) * sizeof(int32_t);
  p->xq_offset = (acc_bytes + 63) / 64 * 64;
  ctx.request_scratch(p->xq_offset + static_cast<size_t>(m) * static_cast<size_t>(k) +
                      OCTET_EXTRA_BYTES);
  ctx.step().params = p;
  ctx.step().eval = eval_fc_dynamic;
  p->acc_fn = fully_connected_qd8_qc8w_acc_fast;
  ctx.step().kernel = "fully_connected_qd8_qc8w_acc_fast";
#if defined(OCTET_HAVE_AVX2)
  // Every x86 path above scalar has AVX2.
  if (ctx.isa() == Isa::kAvx2 || ctx.isa() == Isa::kAvxVnni || ctx.isa() == Isa::kAvx512Vnni) {
    p->acc_fn = fully_connected_qd8_qc8w_acc_avx2;
    ctx.step().kernel = "fully_connected_qd8_qc8w_acc_avx2";
  }
#endif
  return OCTET_OK;
}

}  // namespace octet::rt
