// SPDX-License-Identifier: Apache-2.0
//
// Writes the fuzz seed corpora committed under tests/fuzz/corpus/:
//   make_fuzz_seeds OUT_DIR      -> OUT_DIR/model/*.octet, OUT_DIR/npy/*.npy
// Valid models from the model builder (every operator family, fp32 and
// int8, tiny shapes so the fuzzer runs fast), plus truncated and
// bit-flipped copies of some of them; valid and invalid .npy files. The
// output is deterministic; rerun it after a format change and commit the
// result (keep the total well under 1 MB).
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "octet/builder.hpp"
#include "tools/common/npy.h"

using namespace octet;

namespace {

using Id = ModelBuilder::Id;

std::vector<int8_t> i8(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
  return v;
}

std::vector<float> f32(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<int32_t> i32(size_t n, uint32_t seed, int range) {
  std::mt19937 rng(seed);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = static_cast<int32_t>(rng() % (2 * range + 1)) - range;
  return v;
}

Quant q(float scale, int64_t zp = 0) { return Quant::per_tensor(scale, zp); }

// fp32: conv + bias + ReLU, depthwise + ReLU6, residual add, both pools,
// mean, fully connected, softmax.
std::vector<uint8_t> fp32_cnn() {
  ModelBuilder b;
  const Id x = b.input("image", DType::kFloat32, {1, 6, 6, 3});
  const Id w1 = b.constant_f32("conv.w", {4, 3, 3, 3}, f32(108, 1));
  const Id b1 = b.constant_f32("conv.b", {4}, f32(4, 2));
  Conv2DOptions o;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  const Id c1 = b.conv2d(x, w1, b1, o, Activation::relu(), "conv");
  const Id w2 = b.constant_f32("dw.w", {4, 3, 3, 1}, f32(36, 3));
  Conv2DOptions d = o;
  d.groups = 4;
  const Id c2 = b.conv2d(c1, w2, ModelBuilder::kNone, d, Activation::relu6(), "dw");
  const Id s = b.add(c1, c2, Activation::none(), "residual");
  Pool2DOptions p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  const Id mp = b.max_pool2d(s, p, "maxpool");
  Pool2DOptions a;
  a.kernel_h = a.kernel_w = 3;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
  a.count_include_pad = true;
  const Id ap = b.average_pool2d(mp, a, "avgpool");
  const Id gap = b.mean(ap, {1, 2}, false, "gap");
  const Id wf = b.constant_f32("fc.w", {3, 4}, f32(12, 4));
  const Id bf = b.constant_f32("fc.b", {3}, f32(3, 5));
  const Id fc = b.fully_connected(gap, wf, bf, Activation::none(), "fc");
  b.output(b.softmax(fc, 1.0f, "probabilities"));
  return b.finish();
}

// The same network in int8 (per-channel weights, int32 bias).
std::vector<uint8_t> int8_cnn() {
  ModelBuilder b;
  const Id x = b.input("image", DType::kFloat32, {1, 6, 6, 3});
  const float sx = 1.0f / 64;
  const Id qx = b.quantize(x, DType::kInt8, q(sx, 0), "quantize");
  std::vector<float> ws{0.004f, 0.005f, 0.006f, 0.007f};
  const Id w1 = b.constant_i8("conv.w", {4, 3, 3, 3}, i8(108, 6), Quant::per_channel(ws, 0));
  std::vector<float> bs(4);
  for (int c = 0; c < 4; ++c) bs[c] = sx * ws[c];
  const Id b1 = b.constant_i32("conv.b", {4}, i32(4, 7, 500), Quant::per_channel(bs, 0));
  Conv2DOptions o;
  o.stride_h = o.stride_w = 2;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  const Id c1 = b.conv2d(qx, w1, b1, o, Activation::relu(), "conv", q(0.05f, -128));
  const Id w2 = b.constant_i8("dw.w", {4, 3, 3, 1}, i8(36, 8),
                              Quant::per_channel(std::vector<float>(4, 0.01f), 0));
  Conv2DOptions d;
  d.groups = 4;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
  const Id c2 = b.conv2d(c1, w2, ModelBuilder::kNone, d, Activation::relu6(), "dw",
                         q(6.0f / 255, -128));
  const Id s = b.add(c1, c2, Activation::none(), "residual", q(0.08f, -100));
  Pool2DOptions p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 1;
  const Id mp = b.max_pool2d(s, p, "maxpool");
  Pool2DOptions a;
  a.kernel_h = a.kernel_w = 2;
  a.ceil_mode = true;
  a.stride_h = a.stride_w = 2;
  const Id ap = b.average_pool2d(mp, a, "avgpool", q(0.08f, -100));
  const Id gap = b.mean(ap, {1, 2}, false, "gap", q(0.05f, -110));
  const Id wf = b.constant_i8("fc.w", {5, 4}, i8(20, 9),
                              Quant::per_channel(std::vector<float>(5, 0.02f), 0));
  const Id fc = b.fully_connected(gap, wf, ModelBuilder::kNone, Activation::none(), "fc",
                                  q(0.1f, 0));
  const Id sm = b.softmax(fc, 1.0f, "softmax", q(1.0f / 256, -128));
  b.output(b.dequantize(sm, "probabilities"));
  return b.finish();
}

// Elementwise operators, activations, transposed convolution and matmul.
std::vector<uint8_t> ops(bool int8) {
  ModelBuilder b;
  const Id x0 = b.input("x", DType::kFloat32, {1, 3, 3, 2});
  const Id x = int8 ? b.quantize(x0, DType::kInt8, q(0.02f, 5), "qx") : x0;
  const Quant a = int8 ? q(0.03f, -3) : Quant{};
  const Id wt = int8 ? b.constant_i8("ct.w", {2, 2, 2, 2}, i8(16, 10),
                                     Quant::per_channel({0.01f, 0.02f}, 0))
                     : b.constant_f32("ct.w", {2, 2, 2, 2}, f32(16, 10));
  Conv2DOptions t;
  t.stride_h = t.stride_w = 2;
  t.output_padding_h = 1;
  const Id ct = b.conv_transpose2d(x, wt, ModelBuilder::kNone, t, Activation::none(), "convT", a);
  const Id hs = b.hard_swish(ct, "hard_swish", a);
  const Id hsg = b.hard_sigmoid(hs, 0.2f, 0.5f, "hard_sigmoid", a);
  const Id sg = b.sigmoid(hsg, "sigmoid", a);
  const Id th = b.tanh(sg, "tanh", a);
  const Id lr = b.leaky_relu(th, 0.1f, "leaky_relu", a);
  const Id slope = int8 ? b.constant_i8("slope", {2}, {20, -30}, q(0.01f, 0))
                        : b.constant_f32("slope", {2}, {0.25f, -0.5f});
  const Id pr = b.prelu(lr, slope, "prelu", a);
  const Id cl = b.clamp(pr, Activation::clamp(-0.5f, 0.75f), "clamp", a);
  const Id sb = b.sub(cl, ct, Activation::none(), "sub", a);
  const Id ml = b.mul(sb, lr, Activation::relu(), "mul", a);
  Id last = ml;
  if (!int8) {
    const Id two = b.constant_f32("two", {1}, {2.0f});
    last = b.div(ml, two, Activation::none(), "div");
  }
  const Id r = b.reshape(last, {1, 7, 12}, "flat");
  const Id tr = b.transpose(r, {0, 2, 1}, "flat_t");
  const Id mm = b.matmul(r, tr, "matmul", int8 ? q(0.05f, 0) : Quant{});
  b.output(int8 ? b.dequantize(mm, "y") : mm);
  return b.finish();
}

// Data movement: concat, split, slice, transpose, pads, resizes.
std::vector<uint8_t> movement(bool int8) {
  ModelBuilder b;
  const Id x0 = b.input("x", DType::kFloat32, {1, 4, 3, 2});
  const Id x = int8 ? b.quantize(x0, DType::kInt8, q(0.02f, 1), "qx") : x0;
  const Id y0 = b.input("y", DType::kFloat32, {1, 4, 3, 1});
  const Id y = int8 ? b.quantize(y0, DType::kInt8, q(0.03f, -2), "qy") : y0;
  const Id c = b.concat({x, y}, 3, "concat", int8 ? q(0.03f, 0) : Quant{});
  const auto parts = b.split(c, 1, {1, 3}, "split");
  const Id sl = b.slice(parts[1], {0, 2, 2, 2}, {1, -4, -4, 0}, {1, -1, -2, -1}, "slice");
  const Id tp = b.transpose(parts[0], {0, 2, 1, 3}, "transpose");
  const Id p1 = b.pad(tp, {0, 1, 0, 0, 0, 0, 2, 0}, PadMode::kConstant, 0.5f, "pad_const");
  const Id p2 = b.pad(p1, {0, 1, 0, 0, 0, 0, 0, 0}, PadMode::kReflect, 0, "pad_reflect");
  const Id p3 = b.pad(p2, {0, 0, 1, 0, 0, 1, 0, 0}, PadMode::kEdge, 0, "pad_edge");
  ResizeOptions rn;
  rn.coordinate_transform = CoordinateTransform::kAsymmetric;
  rn.nearest_rounding = NearestRounding::kFloor;
  const Id r1 = b.resize(p3, 7, 5, rn, "resize_nearest");
  ResizeOptions rb;
  rb.mode = ResizeMode::kBilinear;
  rb.coordinate_transform = CoordinateTransform::kAlignCorners;
  const Id r2 = b.resize(r1, 3, 4, rb, "resize_bilinear", int8 ? q(0.02f, 1) : Quant{});
  ResizeOptions rh;
  rh.mode = ResizeMode::kBilinear;
  rh.coordinate_transform = CoordinateTransform::kPytorchHalfPixel;
  const Id r3 = b.resize(sl, 2, 3, rh, "resize_half_pixel", int8 ? q(0.03f, 0) : Quant{});
  b.output(int8 ? b.dequantize(r2, "out_a") : r2);
  b.output(int8 ? b.dequantize(r3, "out_b") : r3);
  return b.finish();
}

// Integer type conversions: uint8, int8 and int16 requantization.
std::vector<uint8_t> conversions() {
  ModelBuilder b;
  const Id x = b.input("x", DType::kFloat32, {2, 5});
  const Id u = b.quantize(x, DType::kUint8, q(0.01f, 128), "to_u8");
  const Id s8 = b.quantize(u, DType::kInt8, q(0.02f, -5), "u8_to_i8");
  const Id s16 = b.quantize(s8, DType::kInt16, q(0.001f, 0), "i8_to_i16");
  const Id back = b.quantize(s16, DType::kInt8, q(0.015f, 3), "i16_to_i8");
  const Id u2 = b.quantize(back, DType::kUint8, q(0.02f, 100), "i8_to_u8");
  b.output(b.dequantize(u2, "y_u8"));
  const Id w16 = b.quantize(x, DType::kInt16, q(0.0005f, 0), "to_i16");
  b.output(b.dequantize(w16, "y_i16"));
  return b.finish();
}

bool write(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return fclose(f) == 0 && ok;
}

std::vector<uint8_t> npy_bytes(octet_dtype dtype, std::vector<int64_t> shape, uint32_t seed) {
  tools::NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.resize(a.elements() * octet_dtype_size(dtype));
  std::mt19937 rng(seed);
  for (auto& v : a.data) v = static_cast<uint8_t>(rng());
  return tools::encode_npy(a);
}

std::vector<uint8_t> raw_npy(int major, const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t n = header.size();
  out.push_back(static_cast<uint8_t>(n & 0xff));
  out.push_back(static_cast<uint8_t>(n >> 8));
  if (major >= 2) {
    out.push_back(0);
    out.push_back(0);
  }
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + data_bytes, 0x3f);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  mkdir(out.c_str(), 0755);
  mkdir((out + "/model").c_str(), 0755);
  mkdir((out + "/npy").c_str(), 0755);
  int written = 0;
  auto put = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    if (!write(out + "/" + name, bytes)) {
      fprintf(stderr, "cannot write %s/%s\n", out.c_str(), name.c_str());
      exit(1);
    }
    ++written;
  };

  struct Named {
    const char* name;
    std::vector<uint8_t> bytes;
  };
  const Named models[] = {
      {"fp32_cnn", fp32_cnn()},          {"int8_cnn", int8_cnn()},
      {"fp32_ops", ops(false)},          {"int8_ops", ops(true)},
      {"fp32_movement", movement(false)}, {"int8_movement", movement(true)},
      {"conversions", conversions()},
  };
  std::mt19937 rng(2024);
  for (const Named& m : models) {
    put(std::string("model/") + m.name + ".octet", m.bytes);
  }
  // Damaged copies of two of them: a cut in the middle, and a few bit flips
  // (the fuzzer loads without the checksum, so the flips reach the checks).
  for (const Named& m : {models[1], models[5]}) {
    std::vector<uint8_t> cut(m.bytes.begin(), m.bytes.begin() + m.bytes.size() / 2);
    put(std::string("model/") + m.name + "_truncated.octet", cut);
    for (int k = 0; k < 2; ++k) {
      std::vector<uint8_t> bad = m.bytes;
      for (int f = 0; f < 4; ++f) bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      put(std::string("model/") + m.name + "_flipped" + std::to_string(k) + ".octet", bad);
    }
  }

  put("npy/f32_2x3.npy", npy_bytes(OCTET_FLOAT32, {2, 3}, 1));
  put("npy/i8_7.npy", npy_bytes(OCTET_INT8, {7}, 2));
  put("npy/u8_scalar.npy", npy_bytes(OCTET_UINT8, {}, 3));
  put("npy/i16_1x2x2.npy", npy_bytes(OCTET_INT16, {1, 2, 2}, 4));
  put("npy/i32_3.npy", npy_bytes(OCTET_INT32, {3}, 5));
  put("npy/i64_2x1.npy", npy_bytes(OCTET_INT64, {2, 1}, 6));
  put("npy/f32_empty.npy", npy_bytes(OCTET_FLOAT32, {0, 4}, 7));
  put("npy/v2_header.npy",
      raw_npy(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }\n", 16));
  put("npy/v3_native.npy",
      raw_npy(3, "{'descr': '=i2', 'fortran_order': False, 'shape': (3,), }\n", 6));
  put("npy/fortran.npy",
      raw_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", 16));
  put("npy/big_endian.npy",
      raw_npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", 4));
  put("npy/huge_shape.npy",
      raw_npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (99999999999, 99999), }\n",
              8));
  std::vector<uint8_t> cut = npy_bytes(OCTET_FLOAT32, {4, 4}, 8);
  cut.resize(cut.size() - 5);
  put("npy/truncated.npy", cut);
  printf("wrote %d seed files under %s\n", written, out.c_str());
  return 0;
}
