// SPDX-License-Identifier: Apache-2.0
//
// fp32 CONV_2D / FULLY_CONNECTED / MATMUL on the packed fp32 kernels,
// mirroring the int8 path of runtime/ops/conv.cc: prepare picks the kernel
// for the interpreter's ISA (kernels/gemm_f32, kernels/dwconv2d_f32), packs
// the weights once into persistent memory, requests im2col scratch from the
// arena and fixes the tiling plan; eval only runs tiles. Every output
// element is computed by exactly one kernel call, with the same kernel and
// packed weights whatever the tiling, and the kernels' arithmetic per
// element does not depend on the tile it falls in (tests/kernels/
// gemm_f32_test.cc), so the output is identical for any thread count.
#include "runtime/ops/conv_f32.h"

#include <pthreadpool.h>

#include <cstring>

#include "runtime/ops/registry.h"  // OCTET_WITH_FP32

namespace octet::rt {

#if !OCTET_WITH_FP32
// int8-only build (OCTET_WITH_FP32=OFF): the fp32 branches that call these
// are compiled out; keeping the symbols trivially defined means no fp32
// kernel is referenced even where the optimizer left a dead call.
octet_status prepare_conv2d_f32_fast(PrepareContext&, const kernels::Conv2DShape&,
                                     const kernels::FloatClamp&, bool* taken) {
  *taken = false;
  return OCTET_OK;
}
octet_status prepare_fully_connected_f32_fast(PrepareContext&, int32_t, int32_t, int32_t,
                                              const kernels::FloatClamp&, bool* taken) {
  *taken = false;
  return OCTET_OK;
}
octet_status prepare_matmul_f32_fast(PrepareContext&, const kernels::MatMulShape&,
                                     const kernels::FloatClamp&, bool* taken) {
  *taken = false;
  return OCTET_OK;
}
#else
namespace {

using namespace octet::kernels;

// As in conv.cc: below this many MACs an operator runs on the calling
// thread (waking the pool costs more than it saves).
constexpr int64_t kMinParallelMacs = int64_t{1} << 20;
// Tap pointers per depthwise kernel call live on the stack: at most this many.
constexpr int32_t kMaxTapPointers = 512;
// im2col buffers: row tiles are dealt round-robin to this many slots, each
// with its own tile-sized buffer that stays in L1/L2 (one buffer for the
// whole M·K matrix would stream megabytes through the caches).
constexpr size_t kIm2colSlots = 8;

// A prepared fp32 GEMM, possibly per group: C[:, g·n + j] from
// A[:, g·k_stride_g ...] and group g's packed weights.
struct GemmF32Plan {
  const GemmF32Kernel* kernel;
  const uint8_t* packed;  // group g at packed + g·group_bytes
  size_t group_bytes, block_bytes;
  GemmF32Params params;
  int32_t m, n, k, groups;  // n, k per group
  size_t tile_m, tile_n;
  bool parallel;
};

float* align64(void* p) {
  auto* b = static_cast<uint8_t*>(p);
  return reinterpret_cast<float*>(b + (64 - reinterpret_cast<uintptr_t>(b) % 64) % 64);
}

// Packs group g's weights: element (n, k) of group g at
// w[(g·n_g + n)·stride_n + k·stride_k]; plans tiles like conv.cc's
// prepare_gemm (rows first, whole NR blocks along N, ~8 tasks).
octet_status prepare_gemm_f32(PrepareContext& ctx, int64_t m, int32_t n, int32_t k, int32_t groups,
                              const float* w, size_t stride_n, size_t stride_k, const float* bias,
                              const FloatClamp& clamp, GemmF32Plan* g) {
  g->kernel = select_gemm_f32_kernel(ctx.isa(), m);
  const GemmF32Kernel& kr = *g->kernel;
  g->group_bytes = gemm_f32_packed_bytes(kr, n, k);
  auto* raw = ctx.alloc<uint8_t>(g->group_bytes * static_cast<size_t>(groups) + 64);
  if (raw == nullptr) return ctx.out_of_memory();
  uint8_t* packed = reinterpret_cast<uint8_t*>(align64(raw));
  for (int32_t gi = 0; gi < groups; ++gi) {
    gemm_f32_pack(kr, n, k, w + static_cast<size_t>(gi) * n * stride_n, stride_n, stride_k,
                  bias != nullptr ? bias + static_cast<size_t>(gi) * n : nullptr,
                  packed + static_cast<size_t>(gi) * g->group_bytes);
  }
  g->packed = packed;
  g->block_bytes = gemm_f32_packed_block_bytes(kr, k);
  g->params = make_gemm_f32_params(clamp);
  g->m = static_cast<int32_t>(m);
  g->n = n;
  g->k = k;
  g->groups = groups;
  const size_t mr = static_cast<size_t>(kr.mr), nr = static_cast<size_t>(kr.nr);
  g->tile_m = mr * ((64 + mr - 1) / mr);
  const size_t tasks_m =
      static_cast<size_t>(groups) * ((static_cast<size_t>(m) + g->tile_m - 1) / g->tile_m);
  const size_t blocks_n = (static_cast<size_t>(n) + nr - 1) / nr;
  size_t splits_n = 1;
  if (tasks_m < 8) splits_n = (8 + tasks_m - 1) / tasks_m;
  if (splits_n > blocks_n) splits_n = blocks_n;
  g->tile_n = (blocks_n + splits_n - 1) / splits_n * nr;
  g->parallel = m * n * int64_t{k} * groups >= kMinParallelMacs;
  ctx.step().kernel = kr.name;
  return OCTET_OK;
}

// Rows [m0, m0 + rows) × columns [n0, n0 + cols) of group gi. A rows are
// a_stride floats apart, group gi's A columns start at gi·a_group floats;
// C rows c_stride floats apart, group gi's columns at gi·n.
void run_gemm_f32_tile(const GemmF32Plan& g, const float* a, size_t a_stride, size_t a_group,
                       float* c, size_t c_stride, size_t gi, size_t m0, size_t rows, size_t n0,
                       size_t cols) {
  const size_t mr = static_cast<size_t>(g.kernel->mr);
  const uint8_t* w =
      g.packed + gi * g.group_bytes + g.block_bytes * (n0 / static_cast<size_t>(g.kernel->nr));
  const float* ag = a + gi * a_group;
  float* cg = c + gi * static_cast<size_t>(g.n) + n0;
  for (size_t i = m0; i < m0 + rows; i += mr) {
    const size_t r = m0 + rows - i < mr ? m0 + rows - i : mr;
    g.kernel->fn(r, cols, static_cast<size_t>(g.k), ag + i * a_stride, a_stride * sizeof(float), w,
                 cg + i * c_stride, c_stride * sizeof(float), &g.params);
  }
}

struct GemmF32Task {
  const GemmF32Plan* g;
  const float* a;
  size_t a_stride, a_group;
  float* c;
  size_t c_stride;
};

void gemm_f32_task(void* context, size_t gi, size_t m0, size_t n0, size_t rows, size_t cols) {
  const auto* t = static_cast<const GemmF32Task*>(context);
  run_gemm_f32_tile(*t->g, t->a, t->a_stride, t->a_group, t->c, t->c_stride, gi, m0, rows, n0,
                    cols);
}

// The whole (grouped) GEMM: groups × M tiles × N tiles.
void run_gemm_f32(const GemmF32Plan& g, const float* a, size_t a_stride, size_t a_group, float* c,
                  size_t c_stride, pthreadpool_t pool) {
  GemmF32Task t{&g, a, a_stride, a_group, c, c_stride};
  pthreadpool_parallelize_3d_tile_2d(g.parallel ? pool : nullptr, gemm_f32_task, &t,
                                     static_cast<size_t>(g.groups), static_cast<size_t>(g.m),
                                     static_cast<size_t>(g.n), g.tile_m, g.tile_n,
                                     PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

// ---------------------------------------------------------------- CONV_2D

enum class ConvF32Path : int32_t { kGemmDirect, kGemmIm2col, kDepthwise };

struct ConvF32Step {
  Conv2DShape shape;
  ConvF32Path path;
  GemmF32Plan gemm;
  size_t im2col_slots, im2col_tiles;  // K×K path
  // Depthwise.
  const DwconvF32Kernel* dw_kernel;
  const float* dw_packed;
  const float* zero_row;  // in_c zeros, for padding taps
  GemmF32Params dw_params;
  bool dw_parallel;
};

struct DwconvF32Task {
  const ConvF32Step* p;
  const float* input;
  float* output;
};

// One output row (b, oy) per task, in chunks whose tap pointers fit on the
// stack.
void dwconv_f32_row_task(void* context, size_t row) {
  const auto* t = static_cast<const DwconvF32Task*>(context);
  const ConvF32Step& p = *t->p;
  const Conv2DShape& s = p.shape;
  const int32_t taps = s.kernel_h * s.kernel_w;
  const int32_t chunk = kMaxTapPointers / taps;
  const int32_t b = static_cast<int32_t>(row / static_cast<size_t>(s.out_h));
  const int32_t oy = static_cast<int32_t>(row % static_cast<size_t>(s.out_h));
  const size_t c = static_cast<size_t>(s.out_c);
  float* out = t->output + row * static_cast<size_t>(s.out_w) * c;
  const float* ptrs[kMaxTapPointers];
  for (int32_t ox = 0; ox < s.out_w; ox += chunk) {
    const int32_t n = s.out_w - ox < chunk ? s.out_w - ox : chunk;
    dwconv_f32_taps(s, t->input, p.zero_row, b, oy, ox, n, ptrs);
    p.dw_kernel->fn(c, static_cast<size_t>(n), static_cast<size_t>(taps), ptrs, p.dw_packed,
                    out + static_cast<size_t>(ox) * c, c * sizeof(float), &p.dw_params);
  }
}

void eval_conv_f32_dw(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvF32Step*>(s.params);
  DwconvF32Task t{p, s.in<float>(c, 0), s.out<float>(c, 0)};
  pthreadpool_parallelize_1d(p->dw_parallel ? c.threadpool : nullptr, dwconv_f32_row_task, &t,
                             static_cast<size_t>(p->shape.batch) * p->shape.out_h,
                             PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

// im2col rows [m0, m0 + rows) into out[0 .. rows): row r holds, group after group, the
// (kh, kw, ic)-ordered taps of output pixel r over that group's input
// channels (so group g's A is a column block of width kh·kw·in_c/groups);
// padding taps are 0, which adds 0·w like the reference's skipped taps.
void im2col_f32_rows(const ConvF32Step& p, const float* input, float* out, size_t m0, size_t rows) {
  const Conv2DShape& s = p.shape;
  const size_t c = static_cast<size_t>(s.in_c);
  const size_t cg = c / static_cast<size_t>(s.groups);
  const size_t k = static_cast<size_t>(s.kernel_h) * s.kernel_w * c;
  const size_t pixels = static_cast<size_t>(s.out_h) * s.out_w;
  for (size_t r = m0; r < m0 + rows; ++r) {
    const size_t b = r / pixels, rem = r % pixels;
    const int32_t oy = static_cast<int32_t>(rem / s.out_w);
    const int32_t ox = static_cast<int32_t>(rem % s.out_w);
    float* dst = out + (r - m0) * k;
    if (s.groups == 1 && s.dilation_w == 1) {
      // Taps [kx0, kx1) of a kernel row are adjacent in memory: one copy
      // for all of them, zeros on either side.
      for (int32_t ky = 0; ky < s.kernel_h; ++ky, dst += c * s.kernel_w) {
        const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
        const int32_t ix0 = ox * s.stride_w - s.pad_left;
        const int32_t kx0 = ix0 < 0 ? -ix0 : 0;
        const int32_t kx1 = s.in_w - ix0 < s.kernel_w ? s.in_w - ix0 : s.kernel_w;
        if (iy < 0 || iy >= s.in_h || kx1 <= kx0) {
          memset(dst, 0, c * s.kernel_w * sizeof(float));
          continue;
        }
        const float* src = input + ((b * s.in_h + iy) * s.in_w + (ix0 + kx0)) * c;
        if (kx0 > 0) memset(dst, 0, c * kx0 * sizeof(float));
        memcpy(dst + c * kx0, src, c * (kx1 - kx0) * sizeof(float));
        if (kx1 < s.kernel_w) memset(dst + c * kx1, 0, c * (s.kernel_w - kx1) * sizeof(float));
      }
      continue;
    }
    for (size_t g = 0; g < static_cast<size_t>(s.groups); ++g) {
      for (int32_t ky = 0; ky < s.kernel_h; ++ky) {
        const int32_t iy = oy * s.stride_h - s.pad_top + ky * s.dilation_h;
        for (int32_t kx = 0; kx < s.kernel_w; ++kx, dst += cg) {
          const int32_t ix = ox * s.stride_w - s.pad_left + kx * s.dilation_w;
          if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) {
            memset(dst, 0, cg * sizeof(float));
          } else {
            memcpy(dst, input + ((b * s.in_h + iy) * s.in_w + ix) * c + g * cg, cg * sizeof(float));
          }
        }
      }
    }
  }
}

struct Im2colF32Task {
  const ConvF32Step* p;
  const float* input;
  float* scratch;
  float* output;
};

// Slot `slot` runs row tiles slot, slot + slots, … through its own buffer:
// im2col of the tile, then the GEMM on it. Tile boundaries do not depend on
// the slot count or on which thread runs a slot.
void im2col_gemm_f32_task(void* context, size_t slot) {
  const auto* t = static_cast<const Im2colF32Task*>(context);
  const ConvF32Step& p = *t->p;
  const GemmF32Plan& g = p.gemm;
  const size_t k_total = static_cast<size_t>(g.k) * g.groups;
  const size_t c_stride = static_cast<size_t>(g.n) * g.groups;
  float* buf = t->scratch + slot * g.tile_m * k_total;
  for (size_t tile = slot; tile < p.im2col_tiles; tile += p.im2col_slots) {
    const size_t m0 = tile * g.tile_m;
    const size_t rows =
        static_cast<size_t>(g.m) - m0 < g.tile_m ? static_cast<size_t>(g.m) - m0 : g.tile_m;
    im2col_f32_rows(p, t->input, buf, m0, rows);
    for (size_t gi = 0; gi < static_cast<size_t>(g.groups); ++gi) {
      run_gemm_f32_tile(g, buf, k_total, static_cast<size_t>(g.k), t->output + m0 * c_stride,
                        c_stride, gi, 0, rows, 0, static_cast<size_t>(g.n));
    }
  }
}

void eval_conv_f32_gemm(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const ConvF32Step*>(s.params);
  const float* x = s.in<float>(c, 0);
  float* y = s.out<float>(c, 0);
  const GemmF32Plan& g = p->gemm;
  if (p->path == ConvF32Path::kGemmDirect) {
    run_gemm_f32(g, x, static_cast<size_t>(p->shape.in_c), static_cast<size_t>(g.k), y,
                 static_cast<size_t>(p->shape.out_c), c.threadpool);
    return;
  }
  Im2colF32Task t{p, x, align64(s.scratch), y};
  pthreadpool_parallelize_1d(g.parallel ? c.threadpool : nullptr, im2col_gemm_f32_task, &t,
                             p->im2col_slots, PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

// ------------------------------------------------- FULLY_CONNECTED, MATMUL

struct GemmF32Step {
  GemmF32Plan gemm;
};

void eval_gemm_f32(const Step& s, const EvalContext& c) {
  const auto* p = static_cast<const GemmF32Step*>(s.params);
  run_gemm_f32(p->gemm, s.in<float>(c, 0), static_cast<size_t>(p->gemm.k), 0, s.out<float>(c, 0),
               static_cast<size_t>(p->gemm.n), c.threadpool);
}

bool constant_or_absent(PrepareContext& ctx, int32_t i) {
  return !ctx.has_input(i) || ctx.input(i).is_constant();
}

const float* optional_f32(PrepareContext& ctx, int32_t i) {
  return ctx.has_input(i) ? reinterpret_cast<const float*>(ctx.input(i).data) : nullptr;
}

}  // namespace

octet_status prepare_conv2d_f32_fast(PrepareContext& ctx, const Conv2DShape& s,
                                     const FloatClamp& clamp, bool* taken) {
  *taken = false;
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& w = ctx.input(1);
  const int64_t m = int64_t{s.batch} * s.out_h * s.out_w;
  if (x.is_constant() || !w.is_constant() || !constant_or_absent(ctx, 2) || m <= 0 ||
      m > INT32_MAX) {
    return OCTET_OK;
  }
  const float* wd = reinterpret_cast<const float*>(w.data);
  const float* bias = optional_f32(ctx, 2);
  auto* p = ctx.alloc<ConvF32Step>();
  if (p == nullptr) return ctx.out_of_memory();
  p->shape = s;
  const int32_t taps = s.kernel_h * s.kernel_w;
  if (s.groups > 1 && s.groups == s.in_c && s.out_c == s.in_c && taps <= kMaxTapPointers) {
    p->path = ConvF32Path::kDepthwise;
    p->dw_kernel = select_dwconv_f32_kernel(ctx.isa());
    auto* raw = ctx.alloc<uint8_t>(dwconv_f32_packed_bytes(s.in_c, taps) + 64);
    auto* zero = ctx.alloc<float>(static_cast<size_t>(s.in_c));
    if (raw == nullptr || zero == nullptr) return ctx.out_of_memory();
    float* packed = align64(raw);
    dwconv_f32_pack(s.in_c, taps, wd, bias, packed);
    memset(zero, 0, sizeof(float) * static_cast<size_t>(s.in_c));
    p->dw_packed = packed;
    p->zero_row = zero;
    p->dw_params = make_gemm_f32_params(clamp);
    p->dw_parallel = m * s.in_c * taps >= kMinParallelMacs;
    ctx.step().params = p;
    ctx.step().kernel = p->dw_kernel->name;
    ctx.step().eval = eval_conv_f32_dw;
    *taken = true;
    return OCTET_OK;
  }
  const int32_t n_g = s.out_c / s.groups, c_g = s.in_c / s.groups;
  const int32_t k_g = taps * c_g;
  // OHWI: group g's filters are rows [g·n_g, (g+1)·n_g), each k_g long.
  octet_status st = prepare_gemm_f32(ctx, m, n_g, k_g, s.groups, wd, static_cast<size_t>(k_g), 1,
                                     bias, clamp, &p->gemm);
  if (st != OCTET_OK) return st;
  const bool direct = s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                      s.pad_top == 0 && s.pad_left == 0 && s.out_h == s.in_h && s.out_w == s.in_w;
  if (direct) {
    p->path = ConvF32Path::kGemmDirect;
  } else {
    p->path = ConvF32Path::kGemmIm2col;
    // A row tile's im2col block (all groups) should stay in L1 until the
    // GEMM reads it: ~16 KB, whole MR multiples (64 KB measured the same).
    const size_t k_total = static_cast<size_t>(k_g) * s.groups;
    const size_t mr = static_cast<size_t>(p->gemm.kernel->mr);
    const size_t rows = (16384 / (k_total * sizeof(float))) / mr * mr;
    p->gemm.tile_m = rows < mr ? mr : (rows > p->gemm.tile_m ? p->gemm.tile_m : rows);
    p->im2col_tiles = (static_cast<size_t>(m) + p->gemm.tile_m - 1) / p->gemm.tile_m;
    p->im2col_slots = p->im2col_tiles < kIm2colSlots ? p->im2col_tiles : kIm2colSlots;
    // One tile buffer per slot, 64-byte aligned; never more rows than M
    // (slots < tiles: each slot's buffer is a whole tile and slots·tile < M;
    // slots = tiles: slot s holds tile s, the last one partial).
    size_t rows_total = p->im2col_slots * p->gemm.tile_m;
    if (rows_total > static_cast<size_t>(m)) rows_total = static_cast<size_t>(m);
    ctx.request_scratch(rows_total * k_total * sizeof(float) + 64);
  }
  ctx.step().params = p;
  ctx.step().eval = eval_conv_f32_gemm;
  *taken = true;
  return OCTET_OK;
}

octet_status prepare_fully_connected_f32_fast(PrepareContext& ctx, int32_t m, int32_t n, int32_t k,
                                              const FloatClamp& clamp, bool* taken) {
  *taken = false;
  if (ctx.input(0).is_constant() || !ctx.input(1).is_constant() || !constant_or_absent(ctx, 2) ||
      m <= 0 || n <= 0 || k <= 0) {
    return OCTET_OK;
  }
  auto* p = ctx.alloc<GemmF32Step>();
  if (p == nullptr) return ctx.out_of_memory();
  octet_status st =
      prepare_gemm_f32(ctx, m, n, k, 1, reinterpret_cast<const float*>(ctx.input(1).data),
                       static_cast<size_t>(k), 1, optional_f32(ctx, 2), clamp, &p->gemm);
  if (st != OCTET_OK) return st;
  ctx.step().params = p;
  ctx.step().eval = eval_gemm_f32;
  *taken = true;
  return OCTET_OK;
}

octet_status prepare_matmul_f32_fast(PrepareContext& ctx, const MatMulShape& s,
                                     const FloatClamp& clamp, bool* taken) {
  *taken = false;
  const TensorDesc& a = ctx.input(0);
  const TensorDesc& b = ctx.input(1);
  if (a.is_constant() || !b.is_constant() || s.a_rank < 2 || s.b_rank != 2) return OCTET_OK;
  const int32_t k = s.b_dims[0], n = s.b_dims[1];
  if (k <= 0 || n <= 0 || s.a_dims[s.a_rank - 1] != k) return OCTET_OK;
  const int64_t m = static_cast<int64_t>(a.elements / static_cast<size_t>(k));
  if (m <= 0 || m > INT32_MAX) return OCTET_OK;
  auto* p = ctx.alloc<GemmF32Step>();
  if (p == nullptr) return ctx.out_of_memory();
  // B is [K][N]: element (n, k) at b[k·N + n].
  octet_status st = prepare_gemm_f32(ctx, m, n, k, 1, reinterpret_cast<const float*>(b.data), 1,
                                     static_cast<size_t>(n), nullptr, clamp, &p->gemm);
  if (st != OCTET_OK) return st;
  ctx.step().params = p;
  ctx.step().eval = eval_gemm_f32;
  *taken = true;
  return OCTET_OK;
}
#endif  // OCTET_WITH_FP32

}  // namespace octet::rt
