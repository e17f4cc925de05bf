// SPDX-License-Identifier: Apache-2.0
//
// Model-level exactness of the kernel paths: int8 FULLY_CONNECTED and
// CONV_2D models (direct 1×1, im2col K×K with padding, strides, dilation,
// batches, odd channel counts, fused clamps) run through the whole runtime
// on every kernel path the host has (interpreter option `isa`) and 1–4
// threads, and must equal the reference kernels bit for bit. The reference
// is called directly with the integer parameters read back from the model.
// ctest also runs this binary with OCTET_ISA forced to each path, where the
// default path must be the forced one and still exact.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "kernels/common/isa.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/fully_connected/fully_connected.h"
#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"

using namespace octet;
using octet::kernels::Isa;

namespace {

struct Layer {
  bool fc;
  int32_t batch, h, w, cin, cout, kh, kw;  // fc: M = batch, K = cin
  Conv2DOptions o;
  Activation act;
  int32_t zx, zy;
  bool depthwise;  // groups = cin = cout
};

struct Built {
  std::vector<uint8_t> bytes;
  std::vector<int8_t> w;
  std::vector<int32_t> bias;
};

Built build(const Layer& l, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> wi(-127, 127);
  Built r;
  ModelBuilder b;
  const std::vector<int32_t> xs =
      l.fc ? std::vector<int32_t>{l.batch, l.cin} : std::vector<int32_t>{l.batch, l.h, l.w, l.cin};
  const std::vector<int32_t> ws =
      l.fc ? std::vector<int32_t>{l.cout, l.cin}
           : std::vector<int32_t>{l.cout, l.kh, l.kw, l.depthwise ? 1 : l.cin};
  const size_t wn =
      static_cast<size_t>(l.cout) * (l.fc ? 1 : l.kh * l.kw) * (l.depthwise ? 1 : l.cin);
  r.w.resize(wn);
  for (auto& v : r.w) v = static_cast<int8_t>(wi(rng));
  r.bias.resize(static_cast<size_t>(l.cout));
  for (auto& v : r.bias) v = static_cast<int32_t>(rng() % 20001) - 10000;
  const float sx = 0.02f;
  std::vector<float> wsc(static_cast<size_t>(l.cout)), bsc(static_cast<size_t>(l.cout));
  for (int32_t c = 0; c < l.cout; ++c) {
    wsc[c] = 0.001f + 0.0002f * static_cast<float>(c % 11);
    bsc[c] = sx * wsc[c];
  }
  const auto x = b.input("x", DType::kInt8, xs, Quant::per_tensor(sx, l.zx));
  const auto wt = b.constant_i8("w", ws, r.w, Quant::per_channel(wsc, 0));
  const auto bt = b.constant_i32("b", {l.cout}, r.bias, Quant::per_channel(bsc, 0));
  const Quant out = Quant::per_tensor(0.05f + 0.01f * static_cast<float>(seed % 5), l.zy);
  const auto y = l.fc ? b.fully_connected(x, wt, bt, l.act, "layer", out)
                      : b.conv2d(x, wt, bt, l.o, l.act, "layer", out);
  b.output(y);
  r.bytes = b.finish();
  return r;
}

// The reference kernel on the model's own integer parameters.
std::vector<int8_t> reference(const Layer& l, const Built& m, const std::vector<int8_t>& x,
                              size_t out_elems) {
  const auto* model = octet::schema::GetModel(m.bytes.data());
  const auto* ip = model->operators()->Get(0)->int_params();
  std::vector<kernels::Multiplier> mult(ip->multiplier()->size());
  for (size_t i = 0; i < mult.size(); ++i) {
    mult[i] = kernels::Multiplier{ip->multiplier()->Get(static_cast<uint32_t>(i)),
                                  ip->rshift()->Get(static_cast<uint32_t>(i))};
  }
  kernels::QuantOut q;
  q.zero_point = l.zy;
  q.qmin = ip->qmin();
  q.qmax = ip->qmax();
  q.multipliers = mult.data();
  q.multiplier_count = static_cast<int32_t>(mult.size());
  std::vector<int8_t> y(out_elems);
  if (l.fc) {
    kernels::fully_connected_qs8_qc8w_reference(l.batch, l.cout, l.cin, x.data(), l.zx, m.w.data(),
                                                m.bias.data(), q, y.data());
  } else {
    const auto osz = [](int32_t in, int32_t k, int32_t s, int32_t d, int32_t p0, int32_t p1) {
      return (in + p0 + p1 - (d * (k - 1) + 1)) / s + 1;
    };
    kernels::Conv2DShape s{
        l.batch,
        l.h,
        l.w,
        l.cin,
        osz(l.h, l.kh, l.o.stride_h, l.o.dilation_h, l.o.pad_top, l.o.pad_bottom),
        osz(l.w, l.kw, l.o.stride_w, l.o.dilation_w, l.o.pad_left, l.o.pad_right),
        l.cout,
        l.kh,
        l.kw,
        l.o.stride_h,
        l.o.stride_w,
        l.o.dilation_h,
        l.o.dilation_w,
        l.o.pad_top,
        l.o.pad_left,
        l.depthwise ? l.cin : 1};
    kernels::conv2d_qs8_qc8w_reference(s, x.data(), l.zx, m.w.data(), m.bias.data(), q, y.data());
  }
  return y;
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

std::vector<int8_t> run(const Built& m, const std::vector<int8_t>& x, const char* isa,
                        int32_t threads) {
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
  REQUIRE(it.set_input(0, x.data(), x.size()).ok());
  REQUIRE(it.invoke().ok());
  const octet_tensor_info info = model.output_info(0);
  const int8_t* out = it.output<int8_t>(0);
  REQUIRE(out != nullptr);
  return std::vector<int8_t>(out, out + info.bytes);
}

std::vector<Layer> layers() {
  std::vector<Layer> v;
  auto fc = [&](int32_t m, int32_t k, int32_t n, int32_t zx, int32_t zy, Activation act) {
    Layer l{};
    l.fc = true;
    l.batch = m;
    l.cin = k;
    l.cout = n;
    l.act = act;
    l.zx = zx;
    l.zy = zy;
    v.push_back(l);
  };
  fc(1, 1, 1, 0, 0, Activation::none());
  fc(1, 300, 100, -3, 5, Activation::none());
  fc(5, 37, 17, 127, -128, Activation::relu());
  fc(37, 64, 65, -128, 127, Activation::none());
  fc(70, 129, 33, 10, -20, Activation::relu6());
  fc(100, 512, 160, 1, 2, Activation::none());  // ≥ 2^20 MACs: runs on the pool
  auto conv = [&](int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t kh,
                  int32_t kw, Conv2DOptions o, int32_t zx, int32_t zy, Activation act) {
    Layer l{};
    l.fc = false;
    l.batch = n;
    l.h = h;
    l.w = w;
    l.cin = cin;
    l.cout = cout;
    l.kh = kh;
    l.kw = kw;
    l.o = o;
    l.act = act;
    l.zx = zx;
    l.zy = zy;
    v.push_back(l);
  };
  Conv2DOptions plain;
  conv(1, 9, 7, 16, 40, 1, 1, plain, -3, 4, Activation::none());   // direct GEMM
  conv(2, 5, 6, 3, 8, 1, 1, plain, 50, -128, Activation::relu());  // direct, K = 3
  Conv2DOptions pad1;
  pad1.pad_top = pad1.pad_left = pad1.pad_bottom = pad1.pad_right = 1;
  conv(1, 10, 11, 8, 33, 3, 3, pad1, -128, 0, Activation::relu());  // im2col
  conv(2, 8, 8, 3, 16, 3, 3, pad1, 7, -7, Activation::none());      // K = 27
  conv(1, 20, 20, 32, 40, 3, 3, pad1, -1, 1, Activation::none());   // on the pool
  Conv2DOptions s2 = pad1;
  s2.stride_h = s2.stride_w = 2;
  conv(1, 13, 12, 17, 24, 3, 3, s2, 127, 3, Activation::relu6());
  Conv2DOptions odd;
  odd.pad_top = 2;
  odd.pad_left = 0;
  odd.pad_bottom = 1;
  odd.pad_right = 2;
  odd.dilation_h = 2;
  odd.stride_w = 3;
  conv(1, 12, 14, 5, 7, 5, 3, odd, -10, 10, Activation::none());
  Conv2DOptions st1x1;
  st1x1.stride_h = st1x1.stride_w = 2;
  conv(1, 9, 9, 32, 64, 1, 1, st1x1, 0, 0, Activation::none());  // strided 1×1: im2col
  Conv2DOptions dil = pad1;
  dil.dilation_w = 2;
  dil.pad_right = 3;
  conv(1, 7, 9, 16, 20, 3, 3, dil, -50, 1, Activation::none());  // dilated columns
  auto dw = [&](int32_t n, int32_t h, int32_t w, int32_t c, int32_t k, Conv2DOptions o, int32_t zx,
                int32_t zy, Activation act) {
    o.groups = c;
    conv(n, h, w, c, c, k, k, o, zx, zy, act);
    v.back().depthwise = true;
  };
  dw(1, 9, 10, 144, 3, pad1, -5, 3, Activation::relu6());  // depthwise 3×3
  dw(1, 40, 40, 80, 3, pad1, 9, -9, Activation::none());   // on the pool
  dw(2, 7, 7, 17, 3, s2, 127, -128, Activation::none());   // stride 2, batch 2
  Conv2DOptions dw5 = pad1;
  dw5.pad_bottom = 3;
  dw5.dilation_h = 2;
  dw(1, 8, 6, 40, 5, dw5, -128, 0, Activation::relu());  // 5×5, dilated
  Conv2DOptions wide;
  wide.pad_left = 4;  // padding > kernel
  wide.pad_right = 1;
  conv(1, 4, 5, 4, 9, 2, 2, wide, 3, -3, Activation::none());
  return v;
}

std::vector<const char*> host_isas() {
  std::vector<const char*> v;
  for (int32_t i = 0; i < kernels::kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    if (kernels::isa_available(isa)) v.push_back(kernels::isa_name(isa));
  }
  return v;
}

// Runs every layer on `isas` × `threads` (nullptr = the default path).
void check_layers(const std::vector<const char*>& isas, std::initializer_list<int32_t> threads) {
  const std::vector<Layer> ls = layers();
  for (size_t li = 0; li < ls.size(); ++li) {
    const Layer& l = ls[li];
    const Built m = build(l, static_cast<uint32_t>(li + 1));
    Aligned a(m.bytes);
    Model model;
    REQUIRE(model.load_buffer(a.p, a.n).ok());
    std::mt19937 rng(static_cast<uint32_t>(100 + li));
    std::vector<int8_t> x(model.input_info(0).bytes);
    for (auto& v : x) v = static_cast<int8_t>(rng());
    const std::vector<int8_t> want = reference(l, m, x, model.output_info(0).bytes);
    for (const char* isa : isas) {
      for (int32_t t : threads) {
        INFO("layer " << li << " isa " << (isa ? isa : "default") << " threads " << t);
        REQUIRE(run(m, x, isa, t) == want);
      }
    }
  }
}

}  // namespace

TEST_CASE("every kernel path equals the reference on conv/FC models", "[isa][model]") {
  if (getenv("OCTET_ISA") != nullptr) {
    SUCCEED("covered by the run without OCTET_ISA");
    return;
  }
  check_layers(host_isas(), {1, 2, 3, 4});
}

TEST_CASE("the default path equals the reference", "[isa][model]") {
  check_layers({nullptr}, {1, 2});
}

TEST_CASE("OCTET_ISA forces the default path", "[isa]") {
  const char* env = getenv("OCTET_ISA");
  Isa forced;
  if (env == nullptr || !kernels::parse_isa(env, &forced)) {
    SUCCEED("OCTET_ISA not set");
    return;
  }
  if (!kernels::isa_available(forced)) {
    WARN("skipped: OCTET_ISA=" << env << " is not available on this host");
    return;
  }
  REQUIRE(kernels::default_isa() == forced);
}

TEST_CASE("isa option is validated", "[isa]") {
  const Built m = build(layers()[1], 1);
  Aligned a(m.bytes);
  Model model;
  REQUIRE(model.load_buffer(a.p, a.n).ok());
  octet_interpreter_options o{};
  o.struct_size = sizeof(o);
  o.isa = "avx1024";
  Interpreter it;
  REQUIRE(it.create(model, o).code() == OCTET_ERROR_INVALID_ARGUMENT);
  for (int32_t i = 0; i < kernels::kIsaCount; ++i) {
    const Isa isa = static_cast<Isa>(i);
    o.isa = kernels::isa_name(isa);
    const Status s = it.create(model, o);
    REQUIRE(s.code() == (kernels::isa_available(isa) ? OCTET_OK : OCTET_ERROR_UNSUPPORTED));
  }
}
