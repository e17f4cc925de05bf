// SPDX-License-Identifier: Apache-2.0
//
// CONV_2D, CONV_TRANSPOSE_2D, FULLY_CONNECTED, MATMUL.
//
// int8 FULLY_CONNECTED and CONV_2D (groups == 1) run on the GEMM
// microkernels (kernels/gemm): prepare picks the kernel for the
// interpreter's ISA, packs the weights once into persistent memory and makes
// the thread tiling plan; eval only runs tiles. A 1×1 stride-1 unpadded
// convolution is a GEMM over NHWC pixels as they lie; any other one goes
// through im2col into the step's scratch, one row tile per task, right
// before the GEMM consumes it. Every output element is computed by exactly
// one kernel call with the same packed weights whatever the tiling, so the
// output is identical for any thread count.
#include <pthreadpool.h>

#include <cstring>

#include "runtime/ops/conv_f32.h"
#include "runtime/ops/op_util.h"
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using namespace octet::kernels;

// Below this many MACs an operator runs on the calling thread: waking the
// pool costs more than it saves, and on an oversubscribed machine a
// preempted worker can stall every tiny operator for a scheduling period.
constexpr int64_t kMinParallelMacs = int64_t{1} << 20;

// A prepared GEMM: kernel, packed weights, output params, tiling plan.
struct GemmPlan {
  const GemmKernel* kernel;
  const uint8_t* packed;
  size_t block_bytes;
  GemmParams params;
  int32_t m, n, k;
  size_t tile_m, tile_n;
  bool parallel;  // worth the thread pool (kMinParallelMacs)
};

// Packs the weights and plans tiles. Tiles along N are whole NR blocks.
// Enough tiles for a few threads to balance: at least ~8 tasks when the
// shape allows, rows first (A tiles stay in L1/L2, weights are shared).
octet_status prepare_gemm(PrepareContext& ctx, int64_t m, int32_t n, int32_t k, const int8_t* w,
                          const int32_t* bias, const QuantOut& out, int32_t input_zero_point,
                          GemmPlan* g) {
  g->kernel = select_gemm_kernel(ctx.isa(), m);
  const GemmKernel& kr = *g->kernel;
  const size_t bytes = gemm_packed_bytes(kr, n, k);
  auto* packed = static_cast<uint8_t*>(ctx.alloc<uint8_t>(bytes + 64));
  if (packed == nullptr) return ctx.out_of_memory();
  // 64-byte alignment for the weight rows (allocations are 16-aligned).
  packed += (64 - reinterpret_cast<uintptr_t>(packed) % 64) % 64;
  gemm_pack_qs8_qc8w(kr, n, k, w, bias, out.multipliers, out.multiplier_count, input_zero_point,
                     packed);
  g->packed = packed;
  g->block_bytes = gemm_packed_block_bytes(kr, k);
  g->params = make_gemm_params(out);
  g->m = static_cast<int32_t>(m);
  g->n = n;
  g->k = k;
  const size_t mr = static_cast<size_t>(kr.mr), nr = static_cast<size_t>(kr.nr);
  g->tile_m = mr * ((64 + mr - 1) / mr);
  const size_t tasks_m = (static_cast<size_t>(m) + g->tile_m - 1) / g->tile_m;
  const size_t blocks_n = (static_cast<size_t>(n) + nr - 1) / nr;
  size_t splits_n = 1;
  if (tasks_m < 8) splits_n = (8 + tasks_m - 1) / tasks_m;
  if (splits_n > blocks_n) splits_n = blocks_n;
  g->tile_n = (blocks_n + splits_n - 1) / splits_n * nr;
  g->parallel = m * n * int64_t{k} >= kMinParallelMacs;
  ctx.step().kernel = kr.name;
  return OCTET_OK;
}

// Rows [m0, m0 + rows) × columns [n0, n0 + cols) of C.
inline void run_gemm_tile(const GemmPlan& g, const int8_t* a, size_t a_stride, int8_t* c,
                          size_t c_stride, size_t m0, size_t rows, size_t n0, size_t cols) {
  const size_t mr = static_cast<size_t>(g.kernel->mr);
  const uint8_t* w = g.packed + g.block_bytes * (n0 / static_cast<size_t>(g.kernel->nr));
  for (size_t i = m0; i < m0 + rows; i += mr) {
    const size_t r = m0 + rows - i < mr ? m0 + rows - i : mr;
    g.kernel->fn(r, cols, static_cast<size_t>(g.k), a + i * a_stride, a_stride, w,
                 c + i * c_stride + n0, c_stride, &g.params);
  }
}

struct GemmTask {
  const GemmPlan* g;
  const int8_t* a;
  size_t a_stride;
  int8_t* c;
  size_t c_stride;
};

void gemm_task(void* context, size_t m0, size_t n0, size_t rows, size_t cols) {
  const auto* t = static_cast<const GemmTask*>(context);
  run_gemm_tile(*t->g, t->a, t->a_stride, t->c, t->c_stride, m0, rows, n0, cols);
}

void run_gemm(const GemmPlan& g, const int8_t* a, size_t a_stride, int8_t* c, size_t c_stride,
              pthreadpool_t pool) {
  GemmTask t{&g, a, a_stride, c, c_stride};
  pthreadpool_parallelize_2d_tile_2d(g.parallel ? pool : nullptr, gemm_task, &t, static_cast<size_t>(g.m),
                                     static_cast<size_t>(g.n), g.tile_m, g.tile_n,
                                     PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

enum class ConvPath : int32_t { kReference, kGemmDirect, kGemmIm2col, kDepthwise };

// A prepared depthwise convolution (groups == in_c == out_c).
struct DwconvPlan {
  const DwconvKernel* kernel;
  const uint8_t* packed;
  const int8_t* zero_row;  // in_c input zero points, for padding taps
  GemmParams params;
  bool parallel;  // worth the thread pool (kMinParallelMacs)
};

// Tap pointers per kernel call live on the stack: at most this many.
constexpr int32_t kMaxDwconvTapPointers = 512;

struct ConvStep {
  Conv2DShape shape;
  FloatClamp clamp;
  int32_t input_zero_point;
  QuantOut out;
  ConvPath path;
  GemmPlan gemm;
  DwconvPlan dw;
};

struct DwconvTask {
  const ConvStep* p;
  const int8_t* input;
  int8_t* output;
};

// One output row (b, oy) per task, in chunks of pixels whose tap pointers
// fit on the stack.
void dwconv_row_task(void* context, size_t row) {
  const auto* t = static_cast<const DwconvTask*>(context);
  const ConvStep& p = *t->p;
  const Conv2DShape& s = p.shape;
  const int32_t taps = s.kernel_h * s.kernel_w;
  const int32_t chunk = kMaxDwconvTapPointers / taps;
  const int32_t b = static_cast<int32_t>(row / static_cast<size_t>(s.out_h));
  const int32_t oy = static_cast<int32_t>(row % static_cast<size_t>(s.out_h));
  const size_t c = static_cast<size_t>(s.out_c);
  int8_t* out = t->output + row * static_cast<size_t>(s.out_w) * c;
  const int8_t* ptrs[kMaxDwconvTapPointers];
  for (int32_t ox = 0; ox < s.out_w; ox += chunk) {
    const int32_t n = s.out_w - ox < chunk ? s.out_w - ox : chunk;
    dwconv_taps(s, t->input, p.dw.zero_row, b, oy, ox, n, ptrs);
    p.dw.kernel->fn(c, static_cast<size_t>(n), static_cast<size_t>(taps), ptrs, p.dw.packed,
                    out + static_cast<size_t>(ox) * c, c, &p.dw.params);
  }
}

void eval_conv_qs8_dw(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvStep*>(s.params);
  DwconvTask t{p, s.in<int8_t>(c, 0), s.out<int8_t>(c, 0)};
  pthreadpool_parallelize_1d(p->dw.parallel ? c.threadpool : nullptr, dwconv_row_task, &t,
                             static_cast<size_t>(p->shape.batch) * p->shape.out_h,
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

// Writes im2col rows [m0, m0 + rows) of the convolution: row r holds the
// (kh, kw, ic)-ordered taps of output pixel r, padding as the input zero
// point (which contributes (zx − zx)·w = 0, as in the reference).
void im2col_rows(const ConvStep& p, const int8_t* input, int8_t* out, size_t m0, size_t rows) {
  const Conv2DShape& s = p.shape;
  const size_t k = static_cast<size_t>(p.gemm.k);
  const size_t c = static_cast<size_t>(s.in_c);
  const size_t pixels = static_cast<size_t>(s.out_h) * s.out_w;
  for (size_t r = m0; r < m0 + rows; ++r) {
    const size_t b = r / pixels, rem = r % pixels;
    const int32_t oy = static_cast<int32_t>(rem / s.out_w), ox = static_cast<int32_t>(rem % s.out_w);
    int8_t* dst = out + r * k;
    for (int32_t ky = 0; ky < s.kernel_h; ++ky) {
      const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
      if (iy < 0 || iy >= s.in_h) {
        memset(dst, p.input_zero_point, c * s.kernel_w);
        dst += c * s.kernel_w;
        continue;
      }
      const int8_t* src_row = input + (b * s.in_h + iy) * s.in_w * c;
      if (s.dilation_w == 1) {
        // Taps [kx0, kx1) are inside the row and adjacent in memory: one
        // copy for all of them, the zero point on either side.
        const int32_t ix0 = ox * s.stride_w - s.pad_left;
        const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
        const int32_t kx1 = s.in_w - ix0 < s.kernel_w ? s.in_w - ix0 : s.kernel_w;
        if (kx1 <= kx0) {
          memset(dst, p.input_zero_point, c * s.kernel_w);
        } else {
          if (kx0 > 0) memset(dst, p.input_zero_point, c * kx0);
          memcpy(dst + c * kx0, src_row + static_cast<size_t>(ix0 + kx0) * c, c * (kx1 - kx0));
          if (kx1 < s.kernel_w) {
            memset(dst + c * kx1, p.input_zero_point, c * (s.kernel_w - kx1));
          }
        }
        dst += c * s.kernel_w;
        continue;
      }
      for (int32_t kx = 0; kx < s.kernel_w; ++kx, dst += c) {
        const int32_t ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
        if (ix < 0 || ix >= s.in_w) {
          memset(dst, p.input_zero_point, c);
        } else {
          memcpy(dst, src_row + static_cast<size_t>(ix) * c, c);
        }
      }
    }
  }
}

struct Im2colTask {
  const ConvStep* p;
  const int8_t* input;
  int8_t* scratch;
  int8_t* output;
};

void im2col_gemm_task(void* context, size_t m0, size_t rows) {
  const auto* t = static_cast<const Im2colTask*>(context);
  im2col_rows(*t->p, t->input, t->scratch, m0, rows);
  const GemmPlan& g = t->p->gemm;
  const size_t k = static_cast<size_t>(g.k), n = static_cast<size_t>(g.n);
  run_gemm_tile(g, t->scratch, k, t->output, n, m0, rows, 0, n);
}

void eval_conv_qs8_gemm(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvStep*>(s.params);
  const int8_t* x = s.in<int8_t>(c, 0);
  int8_t* y = s.out<int8_t>(c, 0);
  const size_t n = static_cast<size_t>(p->gemm.n);
  if (p->path == ConvPath::kGemmDirect) {
    run_gemm(p->gemm, x, static_cast<size_t>(p->gemm.k), y, n, c.threadpool);
    return;
  }
  Im2colTask t{p, x, static_cast<int8_t*>(s.scratch), y};
  pthreadpool_parallelize_1d_tile_1d(p->gemm.parallel ? c.threadpool : nullptr, im2col_gemm_task, &t,
                                     static_cast<size_t>(p->gemm.m), p->gemm.tile_m,
                                     PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

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
    // stored size must lie in [base, base + max(stride, dilation)): output
    // padding below the stride or the dilation, as PyTorch and ONNX allow.
    const int64_t bh = int64_t{sh} * (x.dims[1] - 1) + int64_t{dh} * (kh - 1) + 1 - pad[0] - pad[2];
    const int64_t bw = int64_t{sw} * (x.dims[2] - 1) + int64_t{dw} * (kw - 1) + 1 - pad[1] - pad[3];
    const int32_t max_oph = sh > dh ? sh : dh, max_opw = sw > dw ? sw : dw;
    oh = y.rank == 4 ? y.dims[1] : 0;
    ow = y.rank == 4 ? y.dims[2] : 0;
    if (oh < bh || oh >= bh + max_oph || ow < bw || ow >= bw + max_opw) {
      return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                      "output '%s' spatial size %dx%d does not match the transposed convolution "
                      "(%lldx%lld plus output padding below max(stride, dilation) = %dx%d)",
                      y.name, oh, ow, static_cast<long long>(bh), static_cast<long long>(bw),
                      max_oph, max_opw);
    }
  } else {
    oh = conv_output_size(x.dims[1], kh, sh, dh, pad[0], pad[2]);
    ow = conv_output_size(x.dims[2], kw, sw, dw, pad[1], pad[3]);
  }
  const int32_t want[4] = {x.dims[0], oh, ow, out_c};
  octet_status s = ctx.expect_shape(y, "output", 4, want);
  if (s != OCTET_OK) return s;

  if (!kTranspose && x.dtype == OCTET_INT16) {  // runtime/ops/conv_int16.cc
    return prepare_conv2d_qs16(ctx, Conv2DShape{x.dims[0], x.dims[1], x.dims[2], in_c, oh, ow,
                                                out_c, kh, kw, sh, sw, dh, dw, pad[0], pad[1],
                                                groups});
  }
  auto* p = ctx.alloc<ConvStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = Conv2DShape{x.dims[0], x.dims[1], x.dims[2], in_c, oh, ow, out_c, kh, kw,
                         sh,        sw,        dh,        dw,   pad[0], pad[1], groups};
  ctx.step().params = p;
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(w, "weights", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = expect_bias(ctx, 2, OCTET_FLOAT32, out_c)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_conv_f32<kTranspose>;
    if (kTranspose) return OCTET_OK;
    bool taken = false;  // packed fp32 kernels: runtime/ops/conv_f32.cc
    return prepare_conv2d_f32_fast(ctx, p->shape, p->clamp, &taken);
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
  p->path = ConvPath::kReference;
  const bool bias_ok = !ctx.has_input(2) || ctx.input(2).is_constant();
  const int32_t* bias_data =
      ctx.has_input(2) ? reinterpret_cast<const int32_t*>(ctx.input(2).data) : nullptr;
  if (!kTranspose && groups > 1 && groups == in_c && out_c == in_c && bias_ok &&
      !x.is_constant() && kh * kw <= kMaxDwconvTapPointers && oh > 0 && ow > 0) {
    // Depthwise with channel multiplier 1.
    DwconvPlan& d = p->dw;
    d.kernel = select_dwconv_kernel(ctx.isa());
    auto* packed = ctx.alloc<uint8_t>(dwconv_packed_bytes(in_c, kh * kw) + 64);
    auto* zero_row = ctx.alloc<int8_t>(static_cast<size_t>(in_c));
    if (packed == nullptr || zero_row == nullptr) return ctx.out_of_memory();
    packed += (64 - reinterpret_cast<uintptr_t>(packed) % 64) % 64;
    dwconv_pack_qs8_qc8w(in_c, kh * kw, reinterpret_cast<const int8_t*>(w.data), bias_data,
                         p->out.multipliers, p->out.multiplier_count, p->input_zero_point,
                         packed);
    memset(zero_row, p->input_zero_point, static_cast<size_t>(in_c));
    d.packed = packed;
    d.zero_row = zero_row;
    d.params = make_gemm_params(p->out);
    d.parallel = int64_t{x.dims[0]} * oh * ow * in_c * kh * kw >= kMinParallelMacs;
    p->path = ConvPath::kDepthwise;
    ctx.step().kernel = d.kernel->name;
    ctx.step().eval = eval_conv_qs8_dw;
    return OCTET_OK;
  }
  if (!kTranspose && groups == 1 && bias_ok && !x.is_constant()) {
    const int64_t m = int64_t{x.dims[0]} * oh * ow;
    const int32_t k = kh * kw * in_c;
    const bool direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad[0] == 0 && pad[1] == 0 &&
                        pad[2] == 0 && pad[3] == 0;
    if (m > 0 && m <= INT32_MAX) {
      const int32_t* bias =
          ctx.has_input(2) ? reinterpret_cast<const int32_t*>(ctx.input(2).data) : nullptr;
      if ((s = prepare_gemm(ctx, m, out_c, k, reinterpret_cast<const int8_t*>(w.data), bias,
                            p->out, p->input_zero_point, &p->gemm)) != OCTET_OK) {
        return s;
      }
      if (direct) {
        p->path = ConvPath::kGemmDirect;
      } else {
        // Whole im2col matrix (tiles write disjoint rows), plus the GEMM's
        // over-read after the last row.
        p->path = ConvPath::kGemmIm2col;
        p->gemm.tile_n = static_cast<size_t>(out_c);
        // A row tile's im2col block should stay in L1 until the GEMM reads it.
        const size_t mr = static_cast<size_t>(p->gemm.kernel->mr);
        size_t rows = (16384 / static_cast<size_t>(k)) / mr * mr;
        p->gemm.tile_m = rows < mr ? mr : (rows > p->gemm.tile_m ? p->gemm.tile_m : rows);
        ctx.request_scratch(static_cast<size_t>(m) * static_cast<size_t>(k) + OCTET_EXTRA_BYTES);
      }
      ctx.step().eval = eval_conv_qs8_gemm;
    }
  }
  return OCTET_OK;
}

struct FullyConnectedStep {
  int32_t m, n, k;
  FloatClamp clamp;
  int32_t x_zero_point;
  QuantOut out;
  GemmPlan gemm;
};

void eval_fc_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const FullyConnectedStep*>(s.params);
  fully_connected_f32_reference(p->m, p->n, p->k, s.in<float>(c, 0), s.in<float>(c, 1),
                                s.num_inputs > 2 ? s.in<float>(c, 2) : nullptr, p->clamp,
                                s.out<float>(c, 0));
}

void eval_fc_qs8_gemm(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const FullyConnectedStep*>(s.params);
  run_gemm(p->gemm, s.in<int8_t>(c, 0), static_cast<size_t>(p->k), s.out<int8_t>(c, 0),
           static_cast<size_t>(p->n), c.threadpool);
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
  {  // int16 and dynamically quantized variants: runtime/ops/conv_int16.cc
    const int32_t fk = w.dims[1], fn = w.dims[0];
    const int32_t fm = static_cast<int32_t>(x.elements / static_cast<size_t>(fk));
    if (x.dtype == OCTET_INT16) return prepare_fully_connected_qs16(ctx, fm, fn, fk);
    if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32 && w.dtype == OCTET_INT8) {
      return prepare_fully_connected_dynamic(ctx, fm, fn, fk);
    }
  }
  auto* p = ctx.alloc<FullyConnectedStep>();
  if (p == nullptr) return ctx.out_of_memory();
  p->k = w.dims[1];
  p->n = w.dims[0];
  p->m = static_cast<int32_t>(x.elements / static_cast<size_t>(p->k));
  ctx.step().params = p;
  if (OCTET_WITH_FP32 && x.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(w, "weights", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = expect_bias(ctx, 2, OCTET_FLOAT32, p->n)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_fc_f32;
    bool taken = false;  // packed fp32 kernels: runtime/ops/conv_f32.cc
    return prepare_fully_connected_f32_fast(ctx, p->m, p->n, p->k, p->clamp, &taken);
  }
  if ((s = expect_qs8_activation(ctx, x, "input")) != OCTET_OK) return s;
  if ((s = expect_qs8_activation(ctx, y, "output")) != OCTET_OK) return s;
  if ((s = expect_qs8_weights(ctx, w, 0)) != OCTET_OK) return s;
  if ((s = expect_bias(ctx, 2, OCTET_INT32, p->n)) != OCTET_OK) return s;
  if ((s = expect_no_accumulator_overflow(ctx, p->k, 2)) != OCTET_OK) return s;
  if ((s = make_quant_out(ctx, y, 1, p->n, &p->out)) != OCTET_OK) return s;
  p->x_zero_point = x.zero_point();
  ctx.step().eval = eval_fc_qs8;
  const bool bias_ok = !ctx.has_input(2) || ctx.input(2).is_constant();
  if (bias_ok && !x.is_constant() && p->m > 0) {
    const int32_t* bias =
        ctx.has_input(2) ? reinterpret_cast<const int32_t*>(ctx.input(2).data) : nullptr;
    if ((s = prepare_gemm(ctx, p->m, p->n, p->k, reinterpret_cast<const int8_t*>(w.data), bias,
                          p->out, p->x_zero_point, &p->gemm)) != OCTET_OK) {
      return s;
    }
    ctx.step().eval = eval_fc_qs8_gemm;
  }
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
  if (OCTET_WITH_FP32 && a.dtype == OCTET_FLOAT32) {
    if ((s = ctx.expect_dtype(b, "operand", OCTET_FLOAT32)) != OCTET_OK) return s;
    if ((s = ctx.expect_dtype(y, "output", OCTET_FLOAT32)) != OCTET_OK) return s;
    p->clamp = ctx.float_clamp();
    ctx.step().eval = eval_matmul_f32;
    bool taken = false;  // packed fp32 kernels (constant B): runtime/ops/conv_f32.cc
    return prepare_matmul_f32_fast(ctx, p->shape, p->clamp, &taken);
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
