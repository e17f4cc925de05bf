// SPDX-License-Identifier: Apache-2.0
//
// The fp32 fast path through the whole runtime: FULLY_CONNECTED, MATMUL with
// a constant B, CONV_2D 1×1 (direct GEMM), K×K (im2col + GEMM) with
// padding, strides, dilation and batches, grouped and depthwise, fused
// clamps, each run on every kernel path the host has (interpreter option
// `isa`) and 1–3 threads. Each output must be within the fp32 tolerance of
// the reference kernels (docs/kernels.md "fp32": |y − y_ref| ≤
// 2·(k + 1)·ε·(Σ|x·w| + |bias|), the magnitude computed by running the
// reference on |x|, |w|, |bias|), bit-identical for every thread count on a
// path, and come from the packed kernel that path names (so a silent
// fallback to the reference fails). ctest also runs this binary with
// OCTET_ISA forced to each path.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/fully_connected/fully_connected.h"
#include "kernels/matmul/matmul.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "tests/runtime/alloc_counter.h"

using namespace octet;
using octet::kernels::Isa;
using Id = octet::ModelBuilder::Id;

namespace {

enum class Kind { kFc, kMatMul, kConv };

struct Layer {
  const char* name;
  Kind kind;
  int32_t batch, h, w, cin, cout, kh, kw;  // fc/matmul: rows = batch·h, K = cin, N = cout
  Conv2DOptions o;
  Activation act;
};

struct Built {
  std::vector<uint8_t> bytes;
  std::vector<float> w, bias;
  std::vector<int32_t> x_shape;
  size_t x_elems = 0, y_elems = 0;
  int32_t k = 0;  // reduction length per output
};

int32_t out_size(int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
  return (in + p0 + p1 - (d * (k - 1) + 1)) / s + 1;
}

kernels::Conv2DShape conv_shape(const Layer& l) {
  return kernels::Conv2DShape{
      l.batch,
      l.h,
      l.w,
      l.cin,
      out_size(l.h, l.kh, l.o.stride_h, l.o.dilation_h, l.o.pad_top, l.o.pad_bottom),
      out_size(l.w, l.kw, l.o.stride_w, l.o.dilation_w, l.o.pad_left, l.o.pad_right),
      l.cout,
      l.kh,
      l.kw,
      l.o.stride_h,
      l.o.stride_w,
      l.o.dilation_h,
      l.o.dilation_w,
      l.o.pad_top,
      l.o.pad_left,
      l.o.groups};
}

Built build(const Layer& l, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
  Built r;
  ModelBuilder b;
  Id y;
  if (l.kind == Kind::kConv) {
    const kernels::Conv2DShape s = conv_shape(l);
    r.x_shape = {l.batch, l.h, l.w, l.cin};
    r.w.resize(static_cast<size_t>(l.cout) * l.kh * l.kw * (l.cin / l.o.groups));
    r.k = l.kh * l.kw * (l.cin / l.o.groups);
    r.y_elems = static_cast<size_t>(l.batch) * s.out_h * s.out_w * l.cout;
    for (auto& v : r.w) v = ud(rng);
    r.bias.resize(static_cast<size_t>(l.cout));
    for (auto& v : r.bias) v = ud(rng);
    const Id x = b.input("x", DType::kFloat32, r.x_shape);
    const Id wt = b.constant_f32("w", {l.cout, l.kh, l.kw, l.cin / l.o.groups}, r.w);
    const Id bt = b.constant_f32("b", {l.cout}, r.bias);
    y = b.conv2d(x, wt, bt, l.o, l.act, "layer");
  } else if (l.kind == Kind::kFc) {
    r.x_shape = {l.batch, l.h, l.cin};
    r.w.resize(static_cast<size_t>(l.cout) * l.cin);
    r.k = l.cin;
    r.y_elems = static_cast<size_t>(l.batch) * l.h * l.cout;
    for (auto& v : r.w) v = ud(rng);
    r.bias.resize(static_cast<size_t>(l.cout));
    for (auto& v : r.bias) v = ud(rng);
    const Id x = b.input("x", DType::kFloat32, r.x_shape);
    const Id wt = b.constant_f32("w", {l.cout, l.cin}, r.w);
    const Id bt = b.constant_f32("b", {l.cout}, r.bias);
    y = b.fully_connected(x, wt, bt, l.act, "layer");
  } else {
    r.x_shape = {l.batch, l.h, l.cin};
    r.w.resize(static_cast<size_t>(l.cin) * l.cout);  // B [K][N]
    r.k = l.cin;
    r.y_elems = static_cast<size_t>(l.batch) * l.h * l.cout;
    for (auto& v : r.w) v = ud(rng);
    const Id x = b.input("x", DType::kFloat32, r.x_shape);
    const Id bt = b.constant_f32("B", {l.cin, l.cout}, r.w);
    y = b.matmul(x, bt, "layer");
  }
  r.x_elems = 1;
  for (int32_t d : r.x_shape) r.x_elems *= static_cast<size_t>(d);
  b.output(y);
  r.bytes = b.finish();
  return r;
}

kernels::FloatClamp clamp_of(const Activation& a) {
  const float inf = std::numeric_limits<float>::infinity();
  switch (a.kind) {
    case Activation::kRelu:
      return {0.0f, inf};
    case Activation::kRelu6:
      return {0.0f, 6.0f};
    case Activation::kClamp:
      return {a.min, a.max};
    default:
      return {-inf, inf};
  }
}

// The reference kernels on (x, w, bias) with `clamp`.
std::vector<float> reference(const Layer& l, const Built& m, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& bias,
                             const kernels::FloatClamp& clamp) {
  std::vector<float> y(m.y_elems);
  if (l.kind == Kind::kConv) {
    kernels::conv2d_f32_reference(conv_shape(l), x.data(), w.data(), bias.data(), clamp, y.data());
  } else if (l.kind == Kind::kFc) {
    kernels::fully_connected_f32_reference(l.batch * l.h, l.cout, l.cin, x.data(), w.data(),
                                           bias.data(), clamp, y.data());
  } else {
    kernels::MatMulShape s{};
    s.a_rank = 3;
    s.a_dims[0] = l.batch;
    s.a_dims[1] = l.h;
    s.a_dims[2] = l.cin;
    s.b_rank = 2;
    s.b_dims[0] = l.cin;
    s.b_dims[1] = l.cout;
    kernels::matmul_f32_reference(s, x.data(), w.data(), clamp, y.data());
  }
  return y;
}

std::vector<float> abs_of(const std::vector<float>& v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

struct Aligned {
  explicit Aligned(const std::vector<uint8_t>& v)
      : p(aligned_alloc(64, (v.size() + 63) / 64 * 64)), n(v.size()) {
    memcpy(p, v.data(), v.size());
  }
  ~Aligned() { free(p); }
  void* p;
  size_t n;
};

// The kernel-name suffix of the packed fp32 kernels of each path.
std::string expected_suffix(Isa isa) {
  switch (isa) {
    case Isa::kAvx512Vnni:
      return "_avx512f";
    case Isa::kAvx2:
    case Isa::kAvxVnni:
      return "_avx2fma";
    case Isa::kNeon:
    case Isa::kNeonDot:
      return "_neon";
    default:
      return "_scalar";
  }
}

std::vector<float> run(const Built& m, const std::vector<float>& x, const char* isa,
                       int32_t threads, std::string* kernel) {
  Aligned a(m.bytes);
  Model model;
  Status s = model.load_buffer(a.p, a.n);
  REQUIRE(s.ok());
  octet_interpreter_options o{};
  o.struct_size = sizeof(o);
  o.num_threads = threads;
  o.isa = isa;
  Interpreter it;
  s = it.create(model, o);
  INFO(s.to_string());
  REQUIRE(s.ok());
  REQUIRE(it.set_input(0, x.data(), x.size() * sizeof(float)).ok());
  REQUIRE(it.invoke().ok());
  const char* k = octet_interpreter_operator_kernel(it.get(), 0);
  *kernel = k != nullptr ? k : "";
  const float* out = it.output<float>(0);
  REQUIRE(out != nullptr);
  return std::vector<float>(out, out + m.y_elems);
}

std::vector<Layer> layers() {
  std::vector<Layer> v;
  const Conv2DOptions plain;
  Conv2DOptions pad1;
  pad1.pad_top = pad1.pad_left = pad1.pad_bottom = pad1.pad_right = 1;
  Conv2DOptions s2 = pad1;
  s2.stride_h = s2.stride_w = 2;
  Conv2DOptions dil = pad1;
  dil.pad_top = dil.pad_left = dil.pad_bottom = dil.pad_right = 2;
  dil.dilation_h = dil.dilation_w = 2;
  Conv2DOptions s2_nopad = plain;
  s2_nopad.stride_h = s2_nopad.stride_w = 2;
  Conv2DOptions pad2 = pad1;
  pad2.pad_top = pad2.pad_left = pad2.pad_bottom = pad2.pad_right = 2;
  auto grouped = [](Conv2DOptions o, int32_t g) {
    o.groups = g;
    return o;
  };
  const Activation none = Activation::none();
  v.push_back({"fc_1x1x1", Kind::kFc, 1, 1, 1, 1, 1, 1, 1, plain, none});
  v.push_back({"fc_1x300x100_relu", Kind::kFc, 1, 1, 1, 300, 100, 1, 1, plain, Activation::relu()});
  v.push_back(
      {"fc_70x129x33_relu6", Kind::kFc, 1, 70, 1, 129, 33, 1, 1, plain, Activation::relu6()});
  v.push_back({"fc_2x50x512x160_pool", Kind::kFc, 2, 50, 1, 512, 160, 1, 1, plain, none});
  v.push_back({"matmul_2x5x37_37x19", Kind::kMatMul, 2, 5, 1, 37, 19, 1, 1, plain, none});
  v.push_back(
      {"matmul_1x300x256_256x64_pool", Kind::kMatMul, 1, 300, 1, 256, 64, 1, 1, plain, none});
  v.push_back({"conv1x1_9x7x16_40", Kind::kConv, 1, 9, 7, 16, 40, 1, 1, plain, none});
  v.push_back(
      {"conv1x1_b2_5x6x3_8_relu", Kind::kConv, 2, 5, 6, 3, 8, 1, 1, plain, Activation::relu()});
  v.push_back({"conv1x1_s2_11x9x24_20", Kind::kConv, 1, 11, 9, 24, 20, 1, 1, s2_nopad, none});
  v.push_back({"conv1x1_28x28x96_64_pool", Kind::kConv, 1, 28, 28, 96, 64, 1, 1, plain,
               Activation::clamp(-0.5f, 0.5f)});
  v.push_back(
      {"conv3x3_10x11x8_33_relu6", Kind::kConv, 1, 10, 11, 8, 33, 3, 3, pad1, Activation::relu6()});
  v.push_back({"conv3x3_b2_8x8x3_16", Kind::kConv, 2, 8, 8, 3, 16, 3, 3, pad1, none});
  v.push_back({"conv3x3_20x20x32_40_pool", Kind::kConv, 1, 20, 20, 32, 40, 3, 3, pad1, none});
  v.push_back({"conv3x3_s2_13x12x5_7", Kind::kConv, 1, 13, 12, 5, 7, 3, 3, s2, none});
  v.push_back({"conv3x3_dil2_12x12x6_9", Kind::kConv, 1, 12, 12, 6, 9, 3, 3, dil, none});
  v.push_back({"conv5x5_s2_15x15x3_10", Kind::kConv, 1, 15, 15, 3, 10, 5, 5, s2, none});
  v.push_back({"conv3x3_g4_9x9x16_24", Kind::kConv, 1, 9, 9, 16, 24, 3, 3, grouped(pad1, 4),
               Activation::relu()});
  v.push_back(
      {"conv1x1_g2_7x7x12_10", Kind::kConv, 1, 7, 7, 12, 10, 1, 1, grouped(plain, 2), none});
  v.push_back(
      {"conv3x3_dwmult2_8x8x4_8", Kind::kConv, 1, 8, 8, 4, 8, 3, 3, grouped(pad1, 4), none});
  v.push_back({"dw3x3_14x14x17", Kind::kConv, 1, 14, 14, 17, 17, 3, 3, grouped(pad1, 17),
               Activation::relu6()});
  v.push_back(
      {"dw3x3_s2_b2_15x16x40", Kind::kConv, 2, 15, 16, 40, 40, 3, 3, grouped(s2, 40), none});
  v.push_back({"dw5x5_12x12x33", Kind::kConv, 1, 12, 12, 33, 33, 5, 5, grouped(pad2, 33), none});
  v.push_back(
      {"dw3x3_dil2_10x10x16", Kind::kConv, 1, 10, 10, 16, 16, 3, 3, grouped(dil, 16), none});
  v.push_back(
      {"dw3x3_56x56x32_pool", Kind::kConv, 1, 56, 56, 32, 32, 3, 3, grouped(pad1, 32), none});
  return v;
}

}  // namespace

TEST_CASE("fp32 layers on every path within tolerance, identical across threads", "[f32_paths]") {
  uint32_t seed = 1;
  for (const Layer& l : layers()) {
    INFO("layer " << l.name);
    const Built m = build(l, seed);
    std::mt19937 rng(seed++ * 77);
    std::uniform_real_distribution<float> ud(-1.0f, 1.0f);
    std::vector<float> x(m.x_elems);
    for (auto& v : x) v = ud(rng);
    const kernels::FloatClamp clamp = clamp_of(l.act);
    const std::vector<float> ref = reference(l, m, x, m.w, m.bias, clamp);
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> mag =
        reference(l, m, abs_of(x), abs_of(m.w), abs_of(m.bias), kernels::FloatClamp{-inf, inf});
    const bool depthwise = l.kind == Kind::kConv && l.o.groups == l.cin && l.cout == l.cin;
    for (int32_t i = 0; i < kernels::kIsaCount; ++i) {
      const Isa isa = static_cast<Isa>(i);
      if (!kernels::isa_available(isa)) continue;
      INFO("isa " << kernels::isa_name(isa));
      std::string kernel;
      const std::vector<float> y1 = run(m, x, kernels::isa_name(isa), 1, &kernel);
      // The packed kernel of this path ran, not the reference.
      INFO("kernel " << kernel);
      REQUIRE(kernel.rfind(depthwise ? "dwconv2d_f32_" : "gemm_f32_", 0) == 0);
      const std::string suffix = expected_suffix(isa);
      REQUIRE(kernel.size() > suffix.size());
      REQUIRE(kernel.substr(kernel.size() - suffix.size()) == suffix);
      int64_t bad = 0;
      for (size_t j = 0; j < ref.size(); ++j) {
        const double tol = 2.0 * (m.k + 1) * FLT_EPSILON * mag[j] + FLT_MIN;
        if (!(std::fabs(double(y1[j]) - ref[j]) <= tol) && bad++ < 5) {
          UNSCOPED_INFO("element " << j << ": got " << y1[j] << " want " << ref[j] << " tol "
                                   << tol);
        }
      }
      REQUIRE(bad == 0);
      for (int32_t threads : {2, 3}) {
        INFO("threads " << threads);
        std::string k2;
        REQUIRE(run(m, x, kernels::isa_name(isa), threads, &k2) == y1);
        REQUIRE(k2 == kernel);
      }
    }
  }
}

TEST_CASE("fp32 fast path: invoke performs zero heap allocations", "[f32_paths]") {
  // im2col (scratch slots, on the pool), direct 1×1, depthwise (tap pointers
  // on the stack) and FC in one model.
  ModelBuilder b;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> ud(-0.5f, 0.5f);
  auto weights = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = ud(rng);
    return v;
  };
  Conv2DOptions pad1;
  pad1.pad_top = pad1.pad_left = pad1.pad_bottom = pad1.pad_right = 1;
  Conv2DOptions dw = pad1;
  dw.groups = 32;
  const Id x = b.input("x", DType::kFloat32, {1, 24, 24, 16});
  Id y = b.conv2d(x, b.constant_f32("w1", {32, 3, 3, 16}, weights(32 * 9 * 16)),
                  b.constant_f32("b1", {32}, weights(32)), pad1, Activation::relu6(), "conv3x3");
  y = b.conv2d(y, b.constant_f32("w2", {32, 3, 3, 1}, weights(32 * 9)),
               b.constant_f32("b2", {32}, weights(32)), dw, Activation::relu(), "dw");
  y = b.conv2d(y, b.constant_f32("w3", {48, 1, 1, 32}, weights(48 * 32)),
               b.constant_f32("b3", {48}, weights(48)), Conv2DOptions{}, Activation::none(),
               "conv1x1");
  y = b.reshape(y, {24 * 24, 48}, "flatten");
  y = b.fully_connected(y, b.constant_f32("w4", {10, 48}, weights(480)),
                        b.constant_f32("b4", {10}, weights(10)), Activation::none(), "fc");
  b.output(y);
  Aligned a(b.finish());
  Model model;
  REQUIRE(model.load_buffer(a.p, a.n).ok());
  std::vector<float> in(24 * 24 * 16, 0.25f);
  {
    // The counter is live in this binary (a zero below means something).
    static void* volatile sink;
    octet::test::reset_allocation_count();
    sink = malloc(64);
    free(sink);
    REQUIRE(octet::test::allocation_count() > 0);
  }
  for (int32_t threads : {1, 2}) {
    INFO("threads " << threads);
    Interpreter it;
    REQUIRE(it.create(model, threads).ok());
    for (int32_t op = 0; op < 3; ++op) {
      const char* k = octet_interpreter_operator_kernel(it.get(), op);
      REQUIRE(k != nullptr);
      REQUIRE(std::string(k).find("_f32_") != std::string::npos);
    }
    REQUIRE(it.set_input(0, in.data(), in.size() * sizeof(float)).ok());
    REQUIRE(it.invoke().ok());  // warm-up
    octet_interpreter* raw = it.get();
    int failures = 0;
    octet::test::reset_allocation_count();
    for (int r = 0; r < 10; ++r) failures += octet_interpreter_invoke(raw) != OCTET_OK;
    const size_t count = octet::test::allocation_count();
    CHECK(failures == 0);
    CHECK(count == 0);
  }
}

TEST_CASE("fp32 fast path follows OCTET_ISA", "[f32_paths]") {
  // With OCTET_ISA forcing an available path, the default interpreter runs
  // that path's kernel.
  const char* env = getenv("OCTET_ISA");
  Isa forced;
  if (env == nullptr || !kernels::parse_isa(env, &forced)) return;
  if (!kernels::isa_available(forced)) {
    WARN("skipped: host lacks OCTET_ISA=" << env);
    return;
  }
  const Layer l{"conv3x3", Kind::kConv, 1, 8, 8, 8, 16, 3, 3, Conv2DOptions{}, Activation::none()};
  const Built m = build(l, 3);
  std::vector<float> x(m.x_elems, 0.5f);
  std::string kernel;
  run(m, x, nullptr, 1, &kernel);
  INFO("kernel " << kernel);
  const std::string suffix = expected_suffix(forced);
  REQUIRE(kernel.size() > suffix.size());
  REQUIRE(kernel.substr(kernel.size() - suffix.size()) == suffix);
}
