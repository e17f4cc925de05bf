// SPDX-License-Identifier: Apache-2.0
//
// Octet quick start: build a small CNN with the model builder, calibrate it
// by running the float model through the runtime, write an fp32 and an int8
// .octet model, then run both on the same inputs and compare their results,
// sizes and speed.
//
//   quickstart [--out DIR] [--inputs N] [--runs R]
//
// The weights are seeded random (He-initialized), so the "classes" mean
// nothing; what the run shows is the workflow and how closely the int8 model
// follows the float one. (The quantization toolchain replaces this
// hand-written calibration with `octet quantize` on real models.)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "octet/builder.hpp"
#include "octet/octet.hpp"

namespace {

constexpr int kH = 28, kW = 28, kClasses = 10;

struct Weights {
  std::vector<float> conv1_w, conv1_b;  // [16,3,3,1]
  std::vector<float> dw_w, dw_b;        // [16,3,3,1] depthwise
  std::vector<float> pw_w, pw_b;        // [32,1,1,16]
  std::vector<float> conv3_w, conv3_b;  // [32,3,3,32] stride 2
  std::vector<float> fc_w, fc_b;        // [10,32]
};

std::vector<float> he(std::mt19937& rng, size_t n, int fan_in) {
  std::normal_distribution<float> d(0.0f, std::sqrt(2.0f / static_cast<float>(fan_in)));
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

Weights make_weights() {
  std::mt19937 rng(2026);
  Weights w;
  std::uniform_real_distribution<float> small(-0.1f, 0.1f);
  auto bias = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = small(rng);
    return v;
  };
  w.conv1_w = he(rng, 16 * 9, 9), w.conv1_b = bias(16);
  w.dw_w = he(rng, 16 * 9, 9), w.dw_b = bias(16);
  w.pw_w = he(rng, 32 * 16, 16), w.pw_b = bias(32);
  w.conv3_w = he(rng, 32 * 9 * 32, 9 * 32), w.conv3_b = bias(32);
  w.fc_w = he(rng, 10 * 32, 32), w.fc_b = bias(10);
  return w;
}

// Tensor names of the activations, in order; calibration observes each.
const char* kActivations[] = {"image", "conv1", "dw", "pw", "conv3", "gap", "logits"};

// Observed real range of every activation (from the float model).
using Ranges = std::map<std::string, std::pair<float, float>>;

octet::Quant activation_quant(const Ranges& r, const std::string& name) {
  // Asymmetric int8 with zero exactly representable (docs/quantization.md).
  const float lo = std::min(0.0f, r.at(name).first);
  const float hi = std::max(0.0f, r.at(name).second);
  const float scale = std::max(hi - lo, 1e-6f) / 255.0f;
  const int64_t zp = std::clamp<int64_t>(std::llround(-128.0 - lo / scale), -128, 127);
  return octet::Quant::per_tensor(scale, zp);
}

// Per-output-channel symmetric int8 weights ([O, ...] layout) and the int32
// bias at scale s_in · s_w[o].
struct QuantizedLayer {
  std::vector<int8_t> w;
  std::vector<float> w_scale;
  std::vector<int32_t> b;
  std::vector<float> b_scale;
};

QuantizedLayer quantize_layer(const std::vector<float>& w, const std::vector<float>& b,
                              float input_scale) {
  const size_t out = b.size(), per = w.size() / out;
  QuantizedLayer q;
  q.w.resize(w.size());
  for (size_t o = 0; o < out; ++o) {
    float m = 0;
    for (size_t k = 0; k < per; ++k) m = std::max(m, std::fabs(w[o * per + k]));
    const float s = std::max(m, 1e-8f) / 127.0f;
    q.w_scale.push_back(s);
    for (size_t k = 0; k < per; ++k) {
      q.w[o * per + k] = static_cast<int8_t>(std::lround(w[o * per + k] / s));
    }
    q.b_scale.push_back(input_scale * s);
    q.b.push_back(static_cast<int32_t>(std::lround(b[o] / (input_scale * s))));
  }
  return q;
}

// The network, in fp32 (ranges == nullptr) or int8. With `expose_all`, every
// activation is also a graph output (the calibration model).
std::vector<uint8_t> build(const Weights& w, const Ranges* ranges, bool expose_all) {
  using namespace octet;
  ModelBuilder b;
  b.set_description("", "examples/quickstart", ranges ? "quickstart CNN, int8" : "quickstart CNN, fp32");
  const bool q8 = ranges != nullptr;
  std::vector<ModelBuilder::Id> exposed;
  auto input = b.input("image", DType::kFloat32, {1, kH, kW, 1});
  exposed.push_back(input);
  ModelBuilder::Id x = input;
  if (q8) x = b.quantize(input, DType::kInt8, activation_quant(*ranges, "image"), "image_q");

  auto layer = [&](ModelBuilder::Id in, const char* name, const char* in_name,
                   const std::vector<float>& wf, const std::vector<float>& bf,
                   std::vector<int32_t> wshape, Conv2DOptions o, Activation act) {
    if (!q8) {
      const auto wt = b.constant_f32(std::string(name) + ".w", wshape, wf);
      const auto bt = b.constant_f32(std::string(name) + ".b", {wshape[0]}, bf);
      return b.conv2d(in, wt, bt, o, act, name);
    }
    const float s_in = activation_quant(*ranges, in_name).scale[0];
    const QuantizedLayer ql = quantize_layer(wf, bf, s_in);
    const auto wt = b.constant_i8(std::string(name) + ".w", wshape, ql.w,
                                  Quant::per_channel(ql.w_scale, 0));
    const auto bt = b.constant_i32(std::string(name) + ".b", {wshape[0]}, ql.b,
                                   Quant::per_channel(ql.b_scale, 0));
    return b.conv2d(in, wt, bt, o, act, name, activation_quant(*ranges, name));
  };
  Conv2DOptions s2;
  s2.stride_h = s2.stride_w = 2;
  s2.pad_top = s2.pad_left = s2.pad_bottom = s2.pad_right = 1;
  Conv2DOptions same;
  same.pad_top = same.pad_left = same.pad_bottom = same.pad_right = 1;
  Conv2DOptions dw = same;
  dw.groups = 16;
  x = layer(x, "conv1", "image", w.conv1_w, w.conv1_b, {16, 3, 3, 1}, s2, Activation::relu());
  exposed.push_back(x);
  x = layer(x, "dw", "conv1", w.dw_w, w.dw_b, {16, 3, 3, 1}, dw, Activation::relu6());
  exposed.push_back(x);
  x = layer(x, "pw", "dw", w.pw_w, w.pw_b, {32, 1, 1, 16}, Conv2DOptions{}, Activation::relu());
  exposed.push_back(x);
  x = layer(x, "conv3", "pw", w.conv3_w, w.conv3_b, {32, 3, 3, 32}, s2, Activation::relu());
  exposed.push_back(x);
  x = b.mean(x, {1, 2}, false, "gap", q8 ? activation_quant(*ranges, "gap") : Quant{});
  exposed.push_back(x);
  if (!q8) {
    x = b.fully_connected(x, b.constant_f32("fc.w", {10, 32}, w.fc_w),
                          b.constant_f32("fc.b", {10}, w.fc_b), Activation::none(), "logits");
  } else {
    const QuantizedLayer ql = quantize_layer(w.fc_w, w.fc_b, activation_quant(*ranges, "gap").scale[0]);
    x = b.fully_connected(
        x, b.constant_i8("fc.w", {10, 32}, ql.w, Quant::per_channel(ql.w_scale, 0)),
        b.constant_i32("fc.b", {10}, ql.b, Quant::per_channel(ql.b_scale, 0)), Activation::none(),
        "logits", activation_quant(*ranges, "logits"));
  }
  exposed.push_back(x);
  // Softmax output in int8: scale 1/256, zero point -128 covers [0, 1).
  x = b.softmax(x, 1.0f, "softmax", q8 ? Quant::per_tensor(1.0f / 256, -128) : Quant{});
  if (q8) x = b.dequantize(x, "probabilities");
  b.rename(x, "probabilities");
  b.output(x);
  if (expose_all) {
    for (auto t : exposed) b.output(t);
  }
  return b.finish();
}

std::vector<float> make_input(uint32_t seed) {
  // A blurry random "garment": a few bright blobs on a dark background,
  // values in [0, 1] like normalized Fashion-MNIST pixels.
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> img(kH * kW, 0.0f);
  for (int blob = 0; blob < 4; ++blob) {
    const float cy = 4 + 20 * u(rng), cx = 4 + 20 * u(rng), r = 2 + 6 * u(rng), a = u(rng);
    for (int y = 0; y < kH; ++y) {
      for (int x = 0; x < kW; ++x) {
        const float d2 = ((y - cy) * (y - cy) + (x - cx) * (x - cx)) / (r * r);
        img[y * kW + x] += a * std::exp(-d2);
      }
    }
  }
  for (auto& v : img) v = std::min(1.0f, v + 0.05f * u(rng));
  return img;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return fclose(f) == 0 && ok;
}

int fail(const std::string& what) {
  fprintf(stderr, "quickstart: error: %s\n", what.c_str());
  return 1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir = ".";
  int num_inputs = 200, runs = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out_dir = argv[++i];
    } else if (a == "--inputs" && i + 1 < argc) {
      num_inputs = std::max(1, atoi(argv[++i]));
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::max(1, atoi(argv[++i]));
    } else {
      return fail("usage: quickstart [--out DIR] [--inputs N] [--runs R]");
    }
  }
  printf("Octet %s quick start\n\n", octet_version());
  const Weights w = make_weights();

  // 1. The float model.
  const std::vector<uint8_t> fp32_bytes = build(w, nullptr, false);
  const std::string fp32_path = out_dir + "/quickstart_fp32.octet";
  if (!write_file(fp32_path, fp32_bytes)) return fail("cannot write " + fp32_path);
  printf("1. built the fp32 model with octet::ModelBuilder -> %s (%zu bytes)\n", fp32_path.c_str(),
         fp32_bytes.size());

  // 2. Calibration: the float model with every activation exposed, run by
  //    the runtime on calibration inputs; record each activation's range.
  const std::vector<uint8_t> calib_bytes = build(w, nullptr, true);
  octet::Model calib;
  octet::Status s = calib.load_buffer(calib_bytes.data(), calib_bytes.size());
  if (!s) return fail(s.to_string());
  octet::Interpreter ci;
  if (!(s = ci.create(calib))) return fail(s.to_string());
  Ranges ranges;
  const int calib_count = 64;
  for (int n = 0; n < calib_count; ++n) {
    const auto img = make_input(10000 + n);
    ci.set_input(0, img.data(), img.size() * sizeof(float));
    if (!(s = ci.invoke())) return fail(s.to_string());
    for (int32_t o = 1; o < calib.num_outputs(); ++o) {
      const octet_tensor_info t = calib.output_info(o);
      const float* v = ci.output<float>(o);
      const auto [mn, mx] = std::minmax_element(v, v + t.bytes / 4);
      auto it = ranges.find(t.name);
      if (it == ranges.end()) {
        ranges[t.name] = {*mn, *mx};
      } else {
        it->second.first = std::min(it->second.first, *mn);
        it->second.second = std::max(it->second.second, *mx);
      }
    }
  }
  printf("2. calibrated on %d inputs (fp32 runtime, all activations observed):\n", calib_count);
  for (const char* name : kActivations) {
    const auto q = activation_quant(ranges, name);
    printf("     %-7s range [%8.4f, %8.4f]  -> scale %.6f zero_point %4lld\n", name,
           static_cast<double>(ranges[name].first), static_cast<double>(ranges[name].second),
           static_cast<double>(q.scale[0]), static_cast<long long>(q.zero_point[0]));
  }

  // 3. The int8 model.
  const std::vector<uint8_t> int8_bytes = build(w, &ranges, false);
  const std::string int8_path = out_dir + "/quickstart_int8.octet";
  if (!write_file(int8_path, int8_bytes)) return fail("cannot write " + int8_path);
  printf("3. built the int8 model (per-channel int8 weights, int32 bias, int8 activations)\n"
         "     -> %s (%zu bytes, %.2fx smaller)\n",
         int8_path.c_str(), int8_bytes.size(),
         static_cast<double>(fp32_bytes.size()) / static_cast<double>(int8_bytes.size()));

  // 4. Load both from disk (mmap + verify) and run them on the same inputs.
  octet::Model fm, qm;
  if (!(s = fm.load_file(fp32_path))) return fail(s.to_string());
  if (!(s = qm.load_file(int8_path))) return fail(s.to_string());
  octet::Interpreter fi, qi;
  if (!(s = fi.create(fm))) return fail(s.to_string());
  if (!(s = qi.create(qm))) return fail(s.to_string());
  int agree = 0;
  double max_diff = 0, sum_diff = 0;
  std::vector<float> first_fp32, first_int8;
  for (int n = 0; n < num_inputs; ++n) {
    const auto img = make_input(static_cast<uint32_t>(n));
    fi.set_input(0, img.data(), img.size() * 4);
    qi.set_input(0, img.data(), img.size() * 4);
    if (!(s = fi.invoke()) || !(s = qi.invoke())) return fail(s.to_string());
    const float* pf = fi.output<float>(0);
    const float* pq = qi.output<float>(0);
    if (n == 0) {
      first_fp32.assign(pf, pf + kClasses);
      first_int8.assign(pq, pq + kClasses);
    }
    agree += std::max_element(pf, pf + kClasses) - pf == std::max_element(pq, pq + kClasses) - pq;
    for (int c = 0; c < kClasses; ++c) {
      const double d = std::fabs(static_cast<double>(pf[c]) - pq[c]);
      max_diff = std::max(max_diff, d);
      sum_diff += d;
    }
  }
  printf("4. ran both models on %d inputs (loaded with mmap + verification)\n", num_inputs);
  printf("     class probabilities for input #0:\n       class:");
  for (int c = 0; c < kClasses; ++c) printf(" %6d", c);
  printf("\n       fp32: ");
  for (float p : first_fp32) printf(" %6.3f", static_cast<double>(p));
  printf("\n       int8: ");
  for (float p : first_int8) printf(" %6.3f", static_cast<double>(p));
  printf("\n     top-1 agreement int8 vs fp32: %d / %d (%.1f %%)\n", agree, num_inputs,
         100.0 * agree / num_inputs);
  printf("     probability error: max %.4f, mean %.5f\n", max_diff,
         sum_diff / (num_inputs * kClasses));

  // 5. Latency: median over `runs` invokes each, interleaved so that machine
  //    noise hits both alike.
  std::vector<double> tf, tq;
  const auto img = make_input(1);
  fi.set_input(0, img.data(), img.size() * 4);
  qi.set_input(0, img.data(), img.size() * 4);
  fi.invoke();
  qi.invoke();
  for (int r = 0; r < runs; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    fi.invoke();
    auto t1 = std::chrono::steady_clock::now();
    qi.invoke();
    auto t2 = std::chrono::steady_clock::now();
    tf.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    tq.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
  }
  const double mf = median(tf), mq = median(tq);
  printf("5. latency, median of %d invokes, 1 thread:\n", runs);
  printf("     fp32 %9.1f us   arena %zu bytes   (packed fp32 kernels for this CPU)\n", mf,
         fm.arena_size());
  printf("     int8 %9.1f us   arena %zu bytes   (optimized kernels for this CPU;\n"
         "                                         int8/fp32 time ratio %.2f)\n",
         mq, qm.arena_size(), mq / mf);
  printf("\nInspect the models with:  octet inspect %s\n", int8_path.c_str());
  return 0;
}
