// SPDX-License-Identifier: Apache-2.0
//
// XNNPACK fp32 as the external float yardstick for whole models.
//
//   octet_xnnpack_model_bench MODEL.octet [--threads 1,2] [--runs R] [--warmup W]
//                             [--json FILE]
//
// Reads an fp32 .octet model (the FlatBuffer, after the runtime verified it),
// builds the same graph with XNNPACK's subgraph API (NHWC, the same weights in
// place: Octet's conv weights [O,KH,KW,C/groups] are XNNPACK's layout;
// depthwise weights are transposed to [1,KH,KW,C]), runs it with 1 and 2
// threads, and runs Octet's fp32 interpreter on the same input in the same
// process, so the medians and their ratio come from one run. The outputs are
// compared (max abs difference, relative to the largest |value|), so we know
// both compute the same network. An operator without a mapping fails with a
// message naming it.
//
// A TRANSPOSE (NCHW -> NHWC) or RESHAPE straight after the graph input is
// done on the host inside the timed region (this XNNPACK has no transpose
// node); Octet times the same step as an operator.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "octet/octet.hpp"
#include "schema/octet_generated.h"

namespace {

namespace fb = octet::schema;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& msg) {
  fprintf(stderr, "octet_xnnpack_model_bench: error: %s\n", msg.c_str());
  exit(1);
}

struct FreeDeleter {
  void operator()(void* p) const { free(p); }
};

std::string op_desc(const fb::Model* m, uint32_t i) {
  const auto* op = m->operators()->Get(i);
  return "operator #" + std::to_string(i) + " '" + (op->name() ? op->name()->str() : "") + "' (" +
         fb::EnumNameOpCode(op->opcode()) + ")";
}

std::vector<size_t> shape_of(const fb::Tensor* t) {
  std::vector<size_t> s;
  if (t->shape()) {
    for (int32_t d : *t->shape()) s.push_back(static_cast<size_t>(d));
  }
  return s;
}

void check(xnn_status s, const std::string& what) {
  if (s != xnn_status_success) die(what + ": XNNPACK status " + std::to_string(int(s)));
}

// Builds the XNNPACK subgraph for an fp32 Octet model.
class GraphBuilder {
 public:
  GraphBuilder(const fb::Model* m) : m_(m) {
    check(xnn_create_subgraph(/*external_value_ids=*/2, 0, &sg_), "xnn_create_subgraph");
    ids_.assign(m->tensors()->size(), XNN_INVALID_VALUE_ID);
  }
  ~GraphBuilder() {
    if (sg_) xnn_delete_subgraph(sg_);
  }
  xnn_subgraph_t subgraph() const { return sg_; }

  // The tensor the host pre-step writes to (the XNNPACK external input), and
  // the permutation to apply on the host, empty = plain copy.
  int32_t graph_input = -1;
  int32_t external_input = -1;
  std::vector<int32_t> host_perm;
  std::vector<size_t> host_in_shape;
  int32_t graph_output = -1;

  void build() {
    const auto* t = m_->tensors();
    if (m_->inputs()->size() != 1 || m_->outputs()->size() != 1) {
      die("only models with one input and one output are supported");
    }
    graph_input = m_->inputs()->Get(0);
    graph_output = m_->outputs()->Get(0);
    for (uint32_t i = 0; i < t->size(); ++i) {
      if (t->Get(i)->dtype() != fb::DType::FLOAT32) {
        die("tensor #" + std::to_string(i) + " '" +
            (t->Get(i)->name() ? t->Get(i)->name()->str() : "") + "' is " +
            fb::EnumNameDType(t->Get(i)->dtype()) + ": this yardstick runs fp32 models only");
      }
    }
    uint32_t first = 0;
    external_input = graph_input;
    host_in_shape = shape_of(t->Get(static_cast<uint32_t>(graph_input)));
    // Layout step at the input: done on the host.
    if (m_->operators()->size() > 0) {
      const auto* op0 = m_->operators()->Get(0);
      if (op0->inputs()->Get(0) == graph_input &&
          (op0->opcode() == fb::OpCode::TRANSPOSE || op0->opcode() == fb::OpCode::RESHAPE)) {
        external_input = op0->outputs()->Get(0);
        if (op0->opcode() == fb::OpCode::TRANSPOSE) {
          const auto* perm = op0->options_as_TransposeOptions()->perm();
          host_perm.assign(perm->begin(), perm->end());
        }
        first = 1;
      }
    }
    define(external_input, 0, XNN_VALUE_FLAG_EXTERNAL_INPUT);
    define(graph_output, 1, XNN_VALUE_FLAG_EXTERNAL_OUTPUT);
    for (uint32_t i = first; i < m_->operators()->size(); ++i) add_op(i);
  }

 private:
  uint32_t value(int32_t tensor) {
    if (ids_[static_cast<size_t>(tensor)] == XNN_INVALID_VALUE_ID)
      define(tensor, XNN_INVALID_VALUE_ID, 0);
    return ids_[static_cast<size_t>(tensor)];
  }

  void define(int32_t tensor, uint32_t external, uint32_t flags) {
    const fb::Tensor* t = m_->tensors()->Get(static_cast<uint32_t>(tensor));
    const std::vector<size_t> dims = shape_of(t);
    const void* data = nullptr;
    if (t->buffer() != 0) data = m_->buffers()->Get(t->buffer())->data()->data();
    uint32_t id = XNN_INVALID_VALUE_ID;
    check(xnn_define_tensor_value(sg_, xnn_datatype_fp32, dims.size(), dims.data(), data, external,
                                  flags, &id),
          "tensor '" + (t->name() ? t->name()->str() : "") + "'");
    ids_[static_cast<size_t>(tensor)] = id;
  }

  uint32_t static_tensor(std::vector<size_t> dims, std::vector<float> data) {
    keep_.push_back(std::move(data));
    uint32_t id = XNN_INVALID_VALUE_ID;
    check(xnn_define_tensor_value(sg_, xnn_datatype_fp32, dims.size(), dims.data(),
                                  keep_.back().data(), XNN_INVALID_VALUE_ID, 0, &id),
          "static tensor");
    return id;
  }

  uint32_t internal_tensor(const std::vector<size_t>& dims) {
    uint32_t id = XNN_INVALID_VALUE_ID;
    check(xnn_define_tensor_value(sg_, xnn_datatype_fp32, dims.size(), dims.data(), nullptr,
                                  XNN_INVALID_VALUE_ID, 0, &id),
          "internal tensor");
    return id;
  }

  const fb::Tensor* tensor(int32_t i) const { return m_->tensors()->Get(static_cast<uint32_t>(i)); }

  void clamp_of(const fb::Operator* op, float* lo, float* hi) const {
    *lo = -INFINITY;
    *hi = INFINITY;
    switch (op->activation()) {
      case fb::Activation::NONE:
        break;
      case fb::Activation::RELU:
        *lo = 0;
        break;
      case fb::Activation::RELU6:
        *lo = 0, *hi = 6;
        break;
      case fb::Activation::CLAMP:
        *lo = op->act_min(), *hi = op->act_max();
        break;
    }
  }

  void add_op(uint32_t i) {
    const fb::Operator* op = m_->operators()->Get(i);
    const std::string what = op_desc(m_, i);
    float lo, hi;
    clamp_of(op, &lo, &hi);
    auto in = [&](uint32_t k) { return op->inputs()->Get(k); };
    const int32_t out = op->outputs()->Get(0);
    const std::vector<size_t> yshape = shape_of(tensor(out));
    switch (op->opcode()) {
      case fb::OpCode::CONV_2D: {
        const auto* o = op->options_as_Conv2DOptions();
        const std::vector<size_t> x = shape_of(tensor(in(0))), w = shape_of(tensor(in(1)));
        if (x.size() != 4 || w.size() != 4) die(what + ": expected 4-D input and weights");
        const auto* pad = o->padding();
        const uint32_t pt = pad ? pad->Get(0) : 0, pl = pad ? pad->Get(1) : 0,
                       pb = pad ? pad->Get(2) : 0, pr = pad ? pad->Get(3) : 0;
        const uint32_t groups = static_cast<uint32_t>(o->groups());
        uint32_t bias = XNN_INVALID_VALUE_ID;
        if (op->inputs()->size() > 2 && in(2) >= 0) {
          bias = value(in(2));
        } else {
          bias = static_tensor({w[0]}, std::vector<float>(w[0], 0.0f));
        }
        if (groups > 1 && w[3] == 1 && groups == x[3]) {
          // Depthwise: [C*M, KH, KW, 1] -> [1, KH, KW, C*M].
          if (tensor(in(1))->buffer() == 0) die(what + ": weights are not constant");
          const float* src = reinterpret_cast<const float*>(
              m_->buffers()->Get(tensor(in(1))->buffer())->data()->data());
          std::vector<float> t(w[0] * w[1] * w[2]);
          for (size_t c = 0; c < w[0]; ++c) {
            for (size_t k = 0; k < w[1] * w[2]; ++k) t[k * w[0] + c] = src[c * w[1] * w[2] + k];
          }
          const uint32_t filt = static_tensor({1, w[1], w[2], w[0]}, std::move(t));
          check(xnn_define_depthwise_convolution_2d(
                    sg_, pt, pr, pb, pl, static_cast<uint32_t>(w[1]), static_cast<uint32_t>(w[2]),
                    static_cast<uint32_t>(o->stride_h()), static_cast<uint32_t>(o->stride_w()),
                    static_cast<uint32_t>(o->dilation_h()), static_cast<uint32_t>(o->dilation_w()),
                    static_cast<uint32_t>(w[0] / x[3]), x[3], lo, hi, value(in(0)), filt, bias,
                    value(out), 0),
                what);
        } else {
          check(xnn_define_convolution_2d(
                    sg_, pt, pr, pb, pl, static_cast<uint32_t>(w[1]), static_cast<uint32_t>(w[2]),
                    static_cast<uint32_t>(o->stride_h()), static_cast<uint32_t>(o->stride_w()),
                    static_cast<uint32_t>(o->dilation_h()), static_cast<uint32_t>(o->dilation_w()),
                    groups, w[3], w[0] / groups, lo, hi, value(in(0)), value(in(1)), bias,
                    value(out), 0),
                what);
        }
        return;
      }
      case fb::OpCode::FULLY_CONNECTED: {
        const std::vector<size_t> w = shape_of(tensor(in(1)));
        uint32_t bias = XNN_INVALID_VALUE_ID;
        if (op->inputs()->size() > 2 && in(2) >= 0) bias = value(in(2));
        check(xnn_define_fully_connected(sg_, lo, hi, value(in(0)), value(in(1)), bias, value(out),
                                         0),
              what);
        return;
      }
      case fb::OpCode::ADD:
        check(xnn_define_add2(sg_, lo, hi, value(in(0)), value(in(1)), value(out), 0), what);
        return;
      case fb::OpCode::SUB:
        check(xnn_define_subtract(sg_, lo, hi, value(in(0)), value(in(1)), value(out), 0), what);
        return;
      case fb::OpCode::MUL:
        check(xnn_define_multiply2(sg_, lo, hi, value(in(0)), value(in(1)), value(out), 0), what);
        return;
      case fb::OpCode::DIV:
        check(xnn_define_divide(sg_, lo, hi, value(in(0)), value(in(1)), value(out), 0), what);
        return;
      case fb::OpCode::CLAMP:
        check(xnn_define_clamp(sg_, lo, hi, value(in(0)), value(out), 0), what);
        return;
      case fb::OpCode::HARD_SWISH:
        no_clamp(op, what);
        check(xnn_define_hardswish(sg_, value(in(0)), value(out), 0), what);
        return;
      case fb::OpCode::SIGMOID:
        no_clamp(op, what);
        check(xnn_define_sigmoid(sg_, value(in(0)), value(out), 0), what);
        return;
      case fb::OpCode::SOFTMAX:
        no_clamp(op, what);
        check(xnn_define_softmax(sg_, value(in(0)), value(out), 0), what);
        return;
      case fb::OpCode::HARD_SIGMOID: {
        // clamp(alpha * x + beta, 0, 1): a multiply and an add with scalars.
        no_clamp(op, what);
        const auto* o = op->options_as_HardSigmoidOptions();
        const float alpha = o ? o->alpha() : 0.2f, beta = o ? o->beta() : 0.5f;
        const uint32_t a = static_tensor({1}, {alpha}), b = static_tensor({1}, {beta});
        const uint32_t ax = internal_tensor(yshape);
        check(xnn_define_multiply2(sg_, -INFINITY, INFINITY, value(in(0)), a, ax, 0), what);
        check(xnn_define_add2(sg_, 0.0f, 1.0f, ax, b, value(out), 0), what);
        return;
      }
      case fb::OpCode::LEAKY_RELU:
        no_clamp(op, what);
        check(xnn_define_leaky_relu(sg_, op->options_as_LeakyReluOptions()->alpha(), value(in(0)),
                                    value(out), 0),
              what);
        return;
      case fb::OpCode::MEAN: {
        const auto* o = op->options_as_MeanOptions();
        const std::vector<size_t> x = shape_of(tensor(in(0)));
        std::vector<int32_t> axes(o->axes()->begin(), o->axes()->end());
        std::sort(axes.begin(), axes.end());
        if (x.size() != 4 || axes != std::vector<int32_t>{1, 2}) {
          die(what + ": only the global average pool (NHWC axes {1,2}) has an XNNPACK mapping");
        }
        if (o->keep_dims()) {
          check(xnn_define_global_average_pooling_2d(sg_, lo, hi, value(in(0)), value(out), 0),
                what);
        } else {
          const uint32_t g = internal_tensor({x[0], 1, 1, x[3]});
          check(xnn_define_global_average_pooling_2d(sg_, lo, hi, value(in(0)), g, 0), what);
          check(xnn_define_static_reshape(sg_, yshape.size(), yshape.data(), g, value(out), 0),
                what);
        }
        return;
      }
      case fb::OpCode::MAX_POOL_2D:
      case fb::OpCode::AVERAGE_POOL_2D: {
        const auto* o = op->options_as_Pool2DOptions();
        const auto* pad = o->padding();
        const uint32_t pt = pad ? pad->Get(0) : 0, pl = pad ? pad->Get(1) : 0,
                       pb = pad ? pad->Get(2) : 0, pr = pad ? pad->Get(3) : 0;
        const std::vector<size_t> x = shape_of(tensor(in(0)));
        // XNNPACK computes floor-mode sizes; a ceil-mode pool has no mapping.
        const size_t eh = (o->dilation_h() * (o->kernel_h() - 1)) + 1;
        const size_t ew = (o->dilation_w() * (o->kernel_w() - 1)) + 1;
        const size_t oh = (x[1] + pt + pb - eh) / static_cast<size_t>(o->stride_h()) + 1;
        const size_t ow = (x[2] + pl + pr - ew) / static_cast<size_t>(o->stride_w()) + 1;
        if (yshape.size() != 4 || yshape[1] != oh || yshape[2] != ow) {
          die(what + ": ceil-mode output size has no XNNPACK mapping");
        }
        if (op->opcode() == fb::OpCode::MAX_POOL_2D) {
          check(xnn_define_max_pooling_2d(
                    sg_, pt, pr, pb, pl, static_cast<uint32_t>(o->kernel_h()),
                    static_cast<uint32_t>(o->kernel_w()), static_cast<uint32_t>(o->stride_h()),
                    static_cast<uint32_t>(o->stride_w()), static_cast<uint32_t>(o->dilation_h()),
                    static_cast<uint32_t>(o->dilation_w()), lo, hi, value(in(0)), value(out), 0),
                what);
        } else {
          if ((pt | pl | pb | pr) != 0 && o->count_include_pad()) {
            die(what + ": average pooling counting the padding has no XNNPACK mapping");
          }
          if (o->dilation_h() != 1 || o->dilation_w() != 1) die(what + ": dilated average pooling");
          check(xnn_define_average_pooling_2d(
                    sg_, pt, pr, pb, pl, static_cast<uint32_t>(o->kernel_h()),
                    static_cast<uint32_t>(o->kernel_w()), static_cast<uint32_t>(o->stride_h()),
                    static_cast<uint32_t>(o->stride_w()), lo, hi, value(in(0)), value(out), 0),
                what);
        }
        return;
      }
      case fb::OpCode::RESHAPE:
        check(xnn_define_static_reshape(sg_, yshape.size(), yshape.data(), value(in(0)), value(out),
                                        0),
              what);
        return;
      default:
        die(what + " has no XNNPACK mapping in this benchmark");
    }
  }

  void no_clamp(const fb::Operator* op, const std::string& what) const {
    if (op->activation() != fb::Activation::NONE) die(what + ": fused activation not mapped");
  }

  const fb::Model* m_;
  xnn_subgraph_t sg_ = nullptr;
  std::vector<uint32_t> ids_;
  std::vector<std::vector<float>> keep_;
};

// Process CPU time (all threads): with one thread, the compute time without
// what the scheduler gave to the neighbours on this shared machine.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// NCHW-style permutation of `x` (shape `s`) into `y`: y dims = s[perm[k]].
void permute(const float* x, const std::vector<size_t>& s, const std::vector<int32_t>& perm,
             float* y) {
  if (s.size() != 4 || perm.size() != 4) die("host transpose: only 4-D supported");
  size_t stride[4];
  stride[3] = 1;
  for (int k = 2; k >= 0; --k) stride[k] = stride[k + 1] * s[static_cast<size_t>(k + 1)];
  const size_t d0 = s[static_cast<size_t>(perm[0])], d1 = s[static_cast<size_t>(perm[1])],
               d2 = s[static_cast<size_t>(perm[2])], d3 = s[static_cast<size_t>(perm[3])];
  const size_t s0 = stride[perm[0]], s1 = stride[perm[1]], s2 = stride[perm[2]],
               s3 = stride[perm[3]];
  for (size_t a = 0; a < d0; ++a)
    for (size_t b = 0; b < d1; ++b)
      for (size_t c = 0; c < d2; ++c)
        for (size_t d = 0; d < d3; ++d) *y++ = x[a * s0 + b * s1 + c * s2 + d * s3];
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, json_path;
  std::vector<int> threads{1, 2};
  int runs = 30, warmup = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--threads") {
      threads.clear();
      const std::string v = next();
      size_t p = 0;
      while (p < v.size()) {
        const size_t c = v.find(',', p);
        const int t = atoi(v.substr(p, c == std::string::npos ? std::string::npos : c - p).c_str());
        if (t < 1 || t > 256) die("--threads takes a list like 1,2 (each 1..256), not '" + v + "'");
        threads.push_back(t);
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else if (a == "--runs") {
      runs = atoi(next().c_str());
      if (runs < 1) die("--runs must be at least 1");
    } else if (a == "--warmup") {
      warmup = atoi(next().c_str());
      if (warmup < 0) die("--warmup must be >= 0");
    } else if (a == "--json") {
      json_path = next();
    } else if (!a.empty() && a[0] == '-') {
      die("unknown option '" + a + "'");
    } else if (path.empty()) {
      path = a;
    } else {
      die("one model only (got '" + path + "' and '" + a + "')");
    }
  }
  if (path.empty()) {
    die("usage: octet_xnnpack_model_bench MODEL.octet [--threads 1,2] [--runs R] [--warmup W] "
        "[--json FILE]");
  }

  // The file in aligned memory, verified by Octet, then read as a FlatBuffer.
  std::ifstream f(path, std::ios::binary);
  if (!f) die("cannot open model '" + path + "'");
  std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::unique_ptr<void, FreeDeleter> buf(aligned_alloc(64, (raw.size() + 63) / 64 * 64 + 64));
  std::copy(raw.begin(), raw.end(), static_cast<char*>(buf.get()));
  octet::Model model;
  octet::Status s = model.load_buffer(buf.get(), raw.size());
  if (!s) die(s.message());
  const fb::Model* m = fb::GetModel(buf.get());

  if (xnn_initialize(nullptr) != xnn_status_success) die("xnn_initialize failed");
  GraphBuilder g(m);
  g.build();

  const octet_tensor_info in_info = model.input_info(0), out_info = model.output_info(0);
  const size_t n_in = in_info.bytes / sizeof(float), n_out = out_info.bytes / sizeof(float);
  std::vector<float> input(n_in), staged(n_in), y_xnn(n_out), y_oct(n_out);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float& v : input) v = nd(rng);

  printf("model: %s\n", path.c_str());
  printf("input pre-step on the host: %s\n", g.external_input == g.graph_input ? "none"
                                             : g.host_perm.empty()             ? "reshape (copy)"
                                                                               : "transpose");
  printf("median (min) over %d runs (blocks of 5 per engine, alternating)\n", runs);
  printf("%-8s %20s %20s %14s %16s\n", "threads", "octet_fp32_ms", "xnnpack_fp32_ms",
         "octet/xnnpack", "max|diff|/max|y|");
  std::string json = "{\n  \"model\": \"" + path + "\",\n  \"runs\": " + std::to_string(runs) +
                     ",\n  \"results\": [\n";
  for (size_t ti = 0; ti < threads.size(); ++ti) {
    const int nt = threads[ti];
    pthreadpool_t pool = nt > 1 ? pthreadpool_create(static_cast<size_t>(nt)) : nullptr;
    xnn_runtime_t rt = nullptr;
    check(xnn_create_runtime_v2(g.subgraph(), pool, 0, &rt), "xnn_create_runtime_v2");
    const xnn_external_value ext[2] = {{0, staged.data()}, {1, y_xnn.data()}};
    check(xnn_setup_runtime(rt, 2, ext), "xnn_setup_runtime");
    auto run_xnn = [&] {
      if (g.host_perm.empty()) {
        memcpy(staged.data(), input.data(), n_in * sizeof(float));
      } else {
        permute(input.data(), g.host_in_shape, g.host_perm, staged.data());
      }
      check(xnn_invoke_runtime(rt), "xnn_invoke_runtime");
    };

    octet::Interpreter it;
    s = it.create(model, nt);
    if (!s) die(s.message());
    s = it.set_input(0, input.data(), in_info.bytes);
    if (!s) die(s.message());

    for (int w = 0; w < warmup; ++w) {
      run_xnn();
      if (!it.invoke()) die("octet invoke failed");
    }
    // One engine after the other, in blocks of 5 runs: alternating run by
    // run would spread drifting load evenly, but with threads the idle pool
    // of one engine still spins while the other starts, and on 2 cores that
    // starves the other's workers (XNNPACK 2 threads went from ~0.03 to
    // ~100 ms on a tiny model). Blocks let the idle pool go to sleep first.
    std::vector<double> tx, to, cx, co_;
    for (int done = 0; done < runs;) {
      const int block = std::min(5, runs - done);
      run_xnn();  // untimed: the pool wakes up
      for (int r = 0; r < block; ++r) {
        const double c0 = cpu_ms();
        const auto t0 = Clock::now();
        run_xnn();
        tx.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        cx.push_back(cpu_ms() - c0);
      }
      if (!it.invoke()) die("octet invoke failed");
      for (int r = 0; r < block; ++r) {
        const double c0 = cpu_ms();
        const auto t0 = Clock::now();
        s = it.invoke();
        to.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        co_.push_back(cpu_ms() - c0);
        if (!s) die(s.message());
      }
      done += block;
    }
    memcpy(y_oct.data(), it.output<float>(0), out_info.bytes);
    double maxdiff = 0, maxabs = 0;
    for (size_t k = 0; k < n_out; ++k) {
      maxdiff = std::max(maxdiff, std::fabs(double(y_oct[k]) - y_xnn[k]));
      maxabs = std::max(maxabs, std::fabs(double(y_oct[k])));
    }
    const double rel = maxabs > 0 ? maxdiff / maxabs : maxdiff;
    const double mo = median(to), mx = median(tx);
    const double lo_o = *std::min_element(to.begin(), to.end());
    const double lo_x = *std::min_element(tx.begin(), tx.end());
    char co[48], cxs[48];
    snprintf(co, sizeof(co), "%.3f (%.3f)", mo, lo_o);
    snprintf(cxs, sizeof(cxs), "%.3f (%.3f)", mx, lo_x);
    const double cpu_o = median(co_), cpu_x = median(cx);
    printf("%-8d %20s %20s %14.2f %16.2e\n", nt, co, cxs, mo / mx, rel);
    if (nt == 1) {
      printf("%-8s %20.3f %20.3f %14.2f   (CPU time median, 1 thread)\n", "cpu", cpu_o, cpu_x,
             cpu_o / cpu_x);
    }
    char line[640];
    snprintf(
        line, sizeof(line),
        "    {\"threads\": %d, \"octet_fp32_median_ms\": %.6f, \"xnnpack_fp32_median_ms\": %.6f, "
        "\"octet_over_xnnpack\": %.6f, \"octet_fp32_min_ms\": %.6f, \"xnnpack_fp32_min_ms\": %.6f, "
        "\"octet_fp32_cpu_median_ms\": %.6f, \"xnnpack_fp32_cpu_median_ms\": %.6f, "
        "\"max_abs_diff\": %.6g, \"max_abs_output\": %.6g}%s\n",
        nt, mo, mx, mo / mx, lo_o, lo_x, cpu_o, cpu_x, maxdiff, maxabs,
        ti + 1 < threads.size() ? "," : "");
    json += line;
    xnn_delete_runtime(rt);
    if (pool) pthreadpool_destroy(pool);
    // Same network: fp32 accumulation order differs, nothing else may.
    if (!(rel < 1e-3)) {
      die("XNNPACK and Octet fp32 disagree: max |diff| " + std::to_string(maxdiff) + " (max |y| " +
          std::to_string(maxabs) + ")");
    }
  }
  json += "  ]\n}\n";
  if (!json_path.empty()) {
    std::ofstream jf(json_path);
    jf << json;
    if (!jf) die("cannot write --json '" + json_path + "'");
  }
  return 0;
}
