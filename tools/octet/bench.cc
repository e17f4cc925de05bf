// SPDX-License-Identifier: Apache-2.0
//
// octet bench MODEL.octet [--compare OTHER.octet] [--threads N] [--runs R]
//   [--warmup W] [--profile] [--isa NAME] [--input NAME=FILE.npy] [--json FILE]
//
// Latency, memory and per-operator profiles in the spirit of TFLite's
// benchmark_model. Each model is measured on its own: load (mmap + verify),
// prepare (interpreter creation), W warm-ups, R timed invokes, then (with
// --profile) R more invokes with an observer that timestamps every step. The
// observer runs between steps on the calling thread and reads one clock, so
// the profile adds well under a microsecond per operator; the latency figures
// come from the runs without it.
//
// Inputs: run r gets random data from seed+r (the same for both models with
// --compare): normal within the real range the model's input quantization (or
// the QUANTIZE operator that consumes a float input) can represent, mean at
// its centre and its ends at 3 sigma; N(0,1) when neither model quantizes
// it; or the --input files for every run. Float data for a quantized input
// is quantized with its parameters, as the model's QUANTIZE would.
//
// Per-operator times: the median over the runs per operator (robust to a
// preempted run) and the mean (which adds up exactly to the mean invoke).
// On a quiet machine the medians add up to the median invoke within a few
// percent; the table prints both sums so a noisy run shows itself.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "octet/octet.hpp"
#include "schema/octet_generated.h"
#include "tools/common/npy.h"
#include "tools/octet/commands.h"

namespace octet::cli {
namespace {

namespace fb = octet::schema;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string model;
  std::string compare;
  int threads = 1;
  int runs = 50;
  int warmup = 5;
  bool profile = false;
  std::string isa;
  std::vector<std::string> inputs;
  std::string json_path;
  uint32_t seed = 1;
};

// ------------------------------------------------------------ small helpers

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// CPU time of this process (all threads). With one thread it is the invoke's
// compute time without the time the scheduler gave to others: on a shared,
// loaded machine far steadier than wall-clock latency. With worker threads
// it is the total work, spinning included, not a latency.
double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

struct Stats {
  double min = 0, median = 0, p90 = 0, p99 = 0, mean = 0, max = 0;
};

// Nearest-rank percentiles; the median averages the middle pair.
Stats stats_of(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  auto rank = [&](double p) {
    const size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return v[std::min(n - 1, k == 0 ? 0 : k - 1)];
  };
  s.min = v.front();
  s.max = v.back();
  s.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  s.p90 = rank(90);
  s.p99 = rank(99);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(n);
  return s;
}

json stats_json(const Stats& s) {
  return {{"min", s.min}, {"median", s.median}, {"p90", s.p90},
          {"p99", s.p99}, {"mean", s.mean},     {"max", s.max}};
}

// Resident-set figures of this process, in bytes, from /proc/self/status
// (VmHWM = peak, VmRSS = current); getrusage's ru_maxrss when /proc is absent.
size_t proc_status_bytes(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t klen = strlen(key);
  while (std::getline(f, line)) {
    if (line.compare(0, klen, key) == 0 && line.size() > klen && line[klen] == ':') {
      return static_cast<size_t>(std::strtoull(line.c_str() + klen + 1, nullptr, 10)) * 1024;
    }
  }
  if (strcmp(key, "VmHWM") == 0) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) return static_cast<size_t>(ru.ru_maxrss) * 1024;
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux >= 4.0), so each model's peak is its
// own; returns false where that is not possible (the peak is then cumulative).
bool reset_peak_rss() {
  FILE* f = fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024.0) {
    snprintf(buf, sizeof(buf), "%.2f MiB", b / (1024.0 * 1024.0));
  } else if (b >= 1024.0) {
    snprintf(buf, sizeof(buf), "%.1f KiB", b / 1024.0);
  } else {
    snprintf(buf, sizeof(buf), "%.0f B", b);
  }
  return buf;
}

std::string base_name(const std::string& p) {
  const size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::vector<int64_t> dims_of(const octet_tensor_info& t) {
  return std::vector<int64_t>(t.dims, t.dims + t.rank);
}

size_t elements_of(const octet_tensor_info& t) {
  size_t n = 1;
  for (int32_t i = 0; i < t.rank; ++i) n *= static_cast<size_t>(t.dims[i]);
  return n;
}

std::string shape_of(const octet_tensor_info& t) {
  std::string s = "[";
  for (int32_t i = 0; i < t.rank; ++i) s += (i ? "," : "") + std::to_string(t.dims[i]);
  return s + "]";
}

// q = round(x / scale) + zero_point, clamped: the float arithmetic of the
// QUANTIZE kernel (and of `octet run`).
void quantize_values(const float* x, size_t n, const octet_tensor_info& t, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i] / t.scale;
    const double q = (std::isnan(v) ? 0.0 : static_cast<double>(std::nearbyint(v))) + t.zero_point;
    if (t.dtype == OCTET_INT8) {
      reinterpret_cast<int8_t*>(out)[i] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
    } else if (t.dtype == OCTET_UINT8) {
      out[i] = static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
    } else {
      reinterpret_cast<int16_t*>(out)[i] = static_cast<int16_t>(std::clamp(q, -32767.0, 32767.0));
    }
  }
}

bool quantized_type(const octet_tensor_info& t) {
  return t.scale > 0 && (t.dtype == OCTET_INT8 || t.dtype == OCTET_UINT8 || t.dtype == OCTET_INT16);
}

// Any output as float: dequantized when it carries quantization.
void to_float(const octet_tensor_info& t, const void* data, std::vector<float>* out) {
  const size_t n = elements_of(t);
  out->resize(n);
  const bool q = t.scale > 0 && t.dtype != OCTET_FLOAT32;
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    switch (t.dtype) {
      case OCTET_FLOAT32:
        v = static_cast<const float*>(data)[i];
        break;
      case OCTET_INT8:
        v = static_cast<const int8_t*>(data)[i];
        break;
      case OCTET_UINT8:
        v = static_cast<const uint8_t*>(data)[i];
        break;
      case OCTET_INT16:
        v = static_cast<const int16_t*>(data)[i];
        break;
      case OCTET_INT32:
        v = static_cast<const int32_t*>(data)[i];
        break;
      case OCTET_INT64:
        v = static_cast<double>(static_cast<const int64_t*>(data)[i]);
        break;
    }
    (*out)[i] = static_cast<float>(q ? t.scale * (v - t.zero_point) : v);
  }
}

// A read-only view of the model file's FlatBuffer tables, for what the C
// API does not expose (which tensors are constants). The runtime verified
// the same file at load; only small table pages are touched here, never the
// weights, so this adds almost nothing to the resident set.
class FileView {
 public:
  ~FileView() {
    if (p_ != nullptr) munmap(p_, size_);
  }
  bool open(const std::string& path, std::string* err) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      *err = "cannot open model '" + path + "': " + strerror(errno);
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
      ::close(fd);
      *err = "cannot read model '" + path + "'";
      return false;
    }
    size_ = static_cast<size_t>(st.st_size);
    void* p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) {
      *err = "cannot map model '" + path + "': " + strerror(errno);
      return false;
    }
    p_ = p;
    return true;
  }
  // The runtime verified this file; verify the view too, in case the file
  // was replaced in between (only offsets and lengths are read).
  bool verify() const {
    flatbuffers::Verifier v(static_cast<const uint8_t*>(p_), size_);
    return fb::VerifyModelBuffer(v);
  }
  const fb::Model* model() const { return fb::GetModel(p_); }
  size_t size() const { return size_; }

 private:
  void* p_ = nullptr;
  size_t size_ = 0;
};

// ------------------------------------------------------------- per model

struct OpStatic {
  std::string name;
  std::vector<std::string> source_nodes;
  std::string opcode;
  std::string output_shape;
  std::string kernel;
  double macs = 0;
};

struct ModelResult {
  std::string path;
  size_t file_bytes = 0;
  double load_ms = 0, prepare_ms = 0;
  size_t weight_bytes = 0, arena_bytes = 0, activation_bytes = 0;
  size_t rss_before = 0, peak_rss = 0;
  bool peak_rss_own = false;
  Stats latency;
  Stats cpu;  // CPU time of the whole process per invoke
  // Valid after the model is gone, except `name` (use the *_names copies).
  std::vector<octet_tensor_info> inputs, outputs;
  std::vector<std::string> input_names, output_names;
  // outputs[run][output] as float (dequantized), for --compare.
  std::vector<std::vector<std::vector<float>>> values;
  std::vector<OpStatic> ops;
  std::vector<double> op_median, op_mean;  // ms
  Stats profiled_total;
  size_t profiled_runs = 0;
  double total_macs = 0;
};

// Real-valued range to draw random data from for input `i`: the grid of the
// input's own quantization, or of the QUANTIZE operator consuming a float
// input. Returns false when neither exists.
bool input_range(const octet_model* m, int32_t i, float* lo, float* hi) {
  octet_tensor_info t{};
  octet_model_input_info(m, i, &t);
  auto grid = [&](const octet_tensor_info& q) {
    double qmin = -128, qmax = 127;
    if (q.dtype == OCTET_UINT8) qmin = 0, qmax = 255;
    if (q.dtype == OCTET_INT16) qmin = -32767, qmax = 32767;
    *lo = static_cast<float>(q.scale * (qmin - q.zero_point));
    *hi = static_cast<float>(q.scale * (qmax - q.zero_point));
  };
  if (quantized_type(t)) {
    grid(t);
    return true;
  }
  const int32_t tensor = octet_model_input_tensor(m, i);
  for (int32_t op = 0; op < octet_model_num_operators(m); ++op) {
    octet_operator_info info{};
    if (octet_model_operator_info(m, op, &info) != OCTET_OK) continue;
    if (strcmp(info.opcode, "QUANTIZE") != 0 || info.num_inputs < 1 || info.inputs[0] != tensor) {
      continue;
    }
    octet_tensor_info q{};
    if (octet_model_tensor_info(m, info.outputs[0], &q) == OCTET_OK && quantized_type(q)) {
      grid(q);
      return true;
    }
  }
  return false;
}

// The data every run feeds: per input, float ("real") values or, for
// non-float inputs without quantization, raw integers.
class InputSource {
 public:
  // `files`: input index -> npy (applies to every run); others random.
  std::map<int32_t, tools::NpyArray> files;
  std::vector<float> lo, hi;
  std::vector<bool> has_range;
  uint32_t seed = 1;

  // Fills interpreter input `i` of `t` for run `run`.
  bool fill(int32_t i, const octet_tensor_info& t, int run, void* dst, std::string* err) const {
    const size_t n = elements_of(t);
    auto f = files.find(i);
    if (f != files.end()) {
      const tools::NpyArray& a = f->second;
      if (a.dtype == t.dtype) {
        memcpy(dst, a.data.data(), t.bytes);
      } else if (a.dtype == OCTET_FLOAT32 && quantized_type(t)) {
        quantize_values(reinterpret_cast<const float*>(a.data.data()), n, t,
                        static_cast<uint8_t*>(dst));
      } else {
        *err = std::string("input '") + t.name + "' is " + octet_dtype_name(t.dtype) +
               ", the --input file holds " + octet_dtype_name(a.dtype);
        return false;
      }
      return true;
    }
    std::mt19937 rng(seed * 7919u + static_cast<uint32_t>(run) * 104729u +
                     static_cast<uint32_t>(i) * 15485863u);
    if (t.dtype == OCTET_FLOAT32 || quantized_type(t)) {
      real_.resize(n);
      if (has_range[static_cast<size_t>(i)]) {
        // Normal, centred on the quantization range with its ends at 3
        // sigma, clamped into it: closer to calibration data than uniform
        // noise (which drives every activation past its calibrated range),
        // and never clipped differently by the two models.
        const float a = lo[static_cast<size_t>(i)], b = hi[static_cast<size_t>(i)];
        std::normal_distribution<float> d(0.5f * (a + b), (b - a) / 6.0f);
        for (float& v : real_) v = std::clamp(d(rng), a, b);
      } else {
        std::normal_distribution<float> d(0.0f, 1.0f);
        for (float& v : real_) v = d(rng);
      }
      if (t.dtype == OCTET_FLOAT32) {
        memcpy(dst, real_.data(), n * sizeof(float));
      } else {
        quantize_values(real_.data(), n, t, static_cast<uint8_t*>(dst));
      }
      return true;
    }
    // Integer input without quantization (indices, masks): small values.
    std::uniform_int_distribution<int> d(0, 9);
    for (size_t k = 0; k < n; ++k) {
      const int v = d(rng);
      switch (t.dtype) {
        case OCTET_INT8:
          static_cast<int8_t*>(dst)[k] = static_cast<int8_t>(v);
          break;
        case OCTET_UINT8:
          static_cast<uint8_t*>(dst)[k] = static_cast<uint8_t>(v);
          break;
        case OCTET_INT16:
          static_cast<int16_t*>(dst)[k] = static_cast<int16_t>(v);
          break;
        case OCTET_INT32:
          static_cast<int32_t*>(dst)[k] = v;
          break;
        case OCTET_INT64:
          static_cast<int64_t*>(dst)[k] = v;
          break;
        default:
          break;
      }
    }
    return true;
  }

 private:
  mutable std::vector<float> real_;
};

// Observer state: one timestamp per step, preallocated (invoke allocates
// nothing, and neither does the observer).
struct Profiler {
  std::vector<Clock::time_point> stamps;
  static int on_step(void* user, const octet_interpreter*, int32_t op) {
    auto* p = static_cast<Profiler*>(user);
    p->stamps[static_cast<size_t>(op)] = Clock::now();
    return 0;
  }
};

double op_macs(const octet_model* m, const octet_operator_info& info) {
  auto tinfo = [&](int32_t t) {
    octet_tensor_info x{};
    if (t >= 0) octet_model_tensor_info(m, t, &x);
    return x;
  };
  const std::string code = info.opcode;
  if (info.num_outputs < 1) return 0;
  const octet_tensor_info y = tinfo(info.outputs[0]);
  if ((code == "CONV_2D" || code == "FULLY_CONNECTED") && info.num_inputs >= 2) {
    // w [O, KH, KW, C/groups] or [N, K]: each output element takes
    // KH*KW*C/groups (or K) multiply-adds.
    const octet_tensor_info w = tinfo(info.inputs[1]);
    double per = 1;
    for (int32_t k = 1; k < w.rank; ++k) per *= w.dims[k];
    return static_cast<double>(elements_of(y)) * per;
  }
  if (code == "CONV_TRANSPOSE_2D" && info.num_inputs >= 2) {
    // Each input element is scattered to KH*KW*O/groups outputs.
    const octet_tensor_info x = tinfo(info.inputs[0]);
    const octet_tensor_info w = tinfo(info.inputs[1]);
    if (w.rank != 4 || x.rank != 4 || x.dims[3] == 0) return 0;
    const double groups = static_cast<double>(x.dims[3]) / w.dims[3];
    return static_cast<double>(elements_of(x)) * w.dims[1] * w.dims[2] * w.dims[0] / groups;
  }
  if (code == "MATMUL" && info.num_inputs >= 2) {
    const octet_tensor_info a = tinfo(info.inputs[0]);
    return a.rank > 0 ? static_cast<double>(elements_of(y)) * a.dims[a.rank - 1] : 0;
  }
  return 0;
}

int measure(const BenchOptions& o, const std::string& path, const InputSource& src,
            bool keep_values, ModelResult* r) {
  r->path = path;
  FileView view;
  std::string err;
  if (!view.open(path, &err)) return fail(err);
  r->file_bytes = view.size();

  r->peak_rss_own = reset_peak_rss();
  r->rss_before = proc_status_bytes("VmRSS");
  Model model;
  auto t0 = Clock::now();
  Status s = model.load_file(path);
  auto t1 = Clock::now();
  // Load errors name the file already.
  if (!s) return fail(s.message());
  r->load_ms = ms_between(t0, t1);

  if (!view.verify()) return fail("model '" + path + "' changed while being read");
  const fb::Model* fm = view.model();
  for (uint32_t i = 0; fm->tensors() && i < fm->tensors()->size(); ++i) {
    const uint32_t b = fm->tensors()->Get(i)->buffer();
    if (b != 0 && fm->buffers() && b < fm->buffers()->size() && fm->buffers()->Get(b)->data()) {
      r->weight_bytes += fm->buffers()->Get(b)->data()->size();
    }
  }
  r->arena_bytes = model.arena_size();

  octet_interpreter_options io{};
  io.struct_size = sizeof(io);
  io.num_threads = o.threads;
  io.isa = o.isa.empty() ? nullptr : o.isa.c_str();
  Interpreter it;
  t0 = Clock::now();
  s = it.create(model, io);
  t1 = Clock::now();
  if (!s) {
    return fail("model '" + path + "'" + (o.isa.empty() ? "" : " with --isa " + o.isa) + ": " +
                s.message());
  }
  r->prepare_ms = ms_between(t0, t1);
  r->activation_bytes = it.activation_bytes();

  for (int32_t i = 0; i < model.num_inputs(); ++i) {
    r->inputs.push_back(model.input_info(i));
    r->input_names.push_back(r->inputs.back().name);
  }
  for (int32_t i = 0; i < model.num_outputs(); ++i) {
    r->outputs.push_back(model.output_info(i));
    r->output_names.push_back(r->outputs.back().name);
  }

  auto feed = [&](int run) -> bool {
    for (int32_t i = 0; i < model.num_inputs(); ++i) {
      if (!src.fill(i, r->inputs[static_cast<size_t>(i)], run, it.input<void>(i), &err)) {
        return false;
      }
    }
    return true;
  };

  if (!feed(0)) return fail("model '" + path + "': " + err);
  for (int w = 0; w < o.warmup; ++w) {
    s = it.invoke();
    if (!s) return fail("model '" + path + "': invoke: " + s.message());
  }
  std::vector<double> ms, cpu;
  ms.reserve(static_cast<size_t>(o.runs));
  cpu.reserve(static_cast<size_t>(o.runs));
  // Outputs kept for --compare, up to 256 MiB of floats.
  size_t kept = 0;
  for (int run = 0; run < o.runs; ++run) {
    if (!feed(run)) return fail("model '" + path + "': " + err);
    const double c0 = process_cpu_ms();
    t0 = Clock::now();
    s = it.invoke();
    t1 = Clock::now();
    const double c1 = process_cpu_ms();
    if (!s) return fail("model '" + path + "': invoke: " + s.message());
    ms.push_back(ms_between(t0, t1));
    cpu.push_back(c1 - c0);
    if (keep_values && kept < (size_t{256} << 20)) {
      std::vector<std::vector<float>> outs(r->outputs.size());
      for (size_t k = 0; k < outs.size(); ++k) {
        to_float(r->outputs[k], it.output<void>(static_cast<int32_t>(k)), &outs[k]);
        kept += outs[k].size() * sizeof(float);
      }
      r->values.push_back(std::move(outs));
    }
  }
  r->latency = stats_of(ms);
  r->cpu = stats_of(cpu);

  if (o.profile) {
    const octet_model* m = model.get();
    const int32_t nops = octet_model_num_operators(m);
    for (int32_t op = 0; op < nops; ++op) {
      octet_operator_info info{};
      octet_model_operator_info(m, op, &info);
      OpStatic st;
      st.name = info.name;
      for (int32_t k = 0; k < info.num_source_nodes; ++k) {
        const char* sn = octet_model_operator_source_node(m, op, k);
        if (sn != nullptr) st.source_nodes.push_back(sn);
      }
      st.opcode = info.opcode;
      if (info.num_outputs > 0) {
        octet_tensor_info y{};
        octet_model_tensor_info(m, info.outputs[0], &y);
        st.output_shape = shape_of(y);
      }
      const char* kname = octet_interpreter_operator_kernel(it.get(), op);
      st.kernel = kname ? kname : "?";
      st.macs = op_macs(m, info);
      r->total_macs += st.macs;
      r->ops.push_back(std::move(st));
    }
    Profiler prof;
    prof.stamps.resize(static_cast<size_t>(nops));
    std::vector<std::vector<double>> per_op(static_cast<size_t>(nops));
    std::vector<double> totals;
    s = it.set_observer(&Profiler::on_step, &prof);
    if (!s) return fail("model '" + path + "': " + s.message());
    for (int run = 0; run < o.runs; ++run) {
      if (!feed(run)) return fail("model '" + path + "': " + err);
      t0 = Clock::now();
      s = it.invoke();
      t1 = Clock::now();
      if (!s) return fail("model '" + path + "': invoke: " + s.message());
      Clock::time_point prev = t0;
      for (int32_t op = 0; op < nops; ++op) {
        per_op[static_cast<size_t>(op)].push_back(
            ms_between(prev, prof.stamps[static_cast<size_t>(op)]));
        prev = prof.stamps[static_cast<size_t>(op)];
      }
      totals.push_back(ms_between(t0, t1));
    }
    it.set_observer(nullptr, nullptr);
    for (auto& v : per_op) {
      const Stats st = stats_of(v);
      r->op_median.push_back(st.median);
      r->op_mean.push_back(st.mean);
    }
    r->profiled_total = stats_of(totals);
    r->profiled_runs = totals.size();
  }
  r->peak_rss = proc_status_bytes("VmHWM");
  return 0;
}

// ---------------------------------------------------------------- compare

struct Agreement {
  std::string name;
  size_t runs = 0;
  double max_abs_diff = 0;
  double cosine = 0;  // mean over runs
  double min_cosine = 1;
  bool classifier = false;
  size_t top1_agree = 0;
};

// Class scores: [N, C] or [N, 1, .., 1, C] with C >= 2.
bool looks_like_scores(const octet_tensor_info& t) {
  if (t.rank < 1 || t.dims[t.rank - 1] < 2) return false;
  for (int32_t i = 1; i + 1 < t.rank; ++i) {
    if (t.dims[i] != 1) return false;
  }
  return true;
}

std::vector<Agreement> agreement(const ModelResult& a, const ModelResult& b) {
  std::vector<Agreement> out;
  const size_t runs = std::min(a.values.size(), b.values.size());
  for (size_t k = 0; k < a.outputs.size(); ++k) {
    Agreement g;
    g.name = a.output_names[k];
    g.runs = runs;
    g.classifier = looks_like_scores(a.outputs[k]);
    const size_t classes = static_cast<size_t>(a.outputs[k].dims[a.outputs[k].rank - 1]);
    double cos_sum = 0;
    for (size_t r = 0; r < runs; ++r) {
      const std::vector<float>& x = a.values[r][k];
      const std::vector<float>& y = b.values[r][k];
      double dot = 0, nx = 0, ny = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        g.max_abs_diff = std::max(g.max_abs_diff, std::fabs(static_cast<double>(x[i]) - y[i]));
        dot += static_cast<double>(x[i]) * y[i];
        nx += static_cast<double>(x[i]) * x[i];
        ny += static_cast<double>(y[i]) * y[i];
      }
      // Two all-zero outputs agree perfectly.
      const double c = (nx == 0 && ny == 0)   ? 1.0
                       : (nx == 0 || ny == 0) ? 0.0
                                              : dot / std::sqrt(nx * ny);
      cos_sum += c;
      g.min_cosine = std::min(g.min_cosine, c);
      if (g.classifier) {
        // Every row of a batched output is one decision.
        for (size_t row = 0; row + classes <= x.size(); row += classes) {
          const auto ax = std::max_element(x.begin() + static_cast<long>(row),
                                           x.begin() + static_cast<long>(row + classes));
          const auto ay = std::max_element(y.begin() + static_cast<long>(row),
                                           y.begin() + static_cast<long>(row + classes));
          g.top1_agree += (ax - x.begin()) == (ay - y.begin());
        }
      }
    }
    g.cosine = runs ? cos_sum / static_cast<double>(runs) : 0;
    out.push_back(g);
  }
  return out;
}

size_t decisions(const ModelResult& a, size_t k, size_t runs) {
  const octet_tensor_info& t = a.outputs[k];
  return runs * (elements_of(t) / static_cast<size_t>(t.dims[t.rank - 1]));
}

// ---------------------------------------------------------------- output

std::string op_label(const OpStatic& op) {
  if (op.source_nodes.empty()) return op.name;
  std::string s;
  for (size_t i = 0; i < op.source_nodes.size(); ++i) s += (i ? "+" : "") + op.source_nodes[i];
  return s;
}

void print_profile(const ModelResult& r) {
  double sum = 0;
  for (double t : r.op_median) sum += t;
  printf(
      "\nper-operator profile: %s (median of %zu runs; share of the sum of per-operator "
      "medians)\n",
      base_name(r.path).c_str(), r.profiled_runs);
  printf("  %-4s %-32s %-17s %-18s %9s %7s %12s %8s  %s\n", "#", "operator (source nodes)",
         "opcode", "output", "ms", "share", "MACs", "GOPS", "kernel");
  for (size_t i = 0; i < r.ops.size(); ++i) {
    const OpStatic& op = r.ops[i];
    std::string label = op_label(op);
    if (label.size() > 32) label = label.substr(0, 29) + "...";
    char macs[32] = "-", gops[32] = "-";
    if (op.macs > 0) {
      snprintf(macs, sizeof(macs), "%.0f", op.macs);
      if (r.op_median[i] > 0) {
        snprintf(gops, sizeof(gops), "%.1f", 2.0 * op.macs / (r.op_median[i] * 1e-3) / 1e9);
      }
    }
    printf("  %-4zu %-32s %-17s %-18s %9.4f %6.1f%% %12s %8s  %s\n", i, label.c_str(),
           op.opcode.c_str(), op.output_shape.c_str(), r.op_median[i],
           sum > 0 ? 100.0 * r.op_median[i] / sum : 0.0, macs, gops, op.kernel.c_str());
  }
  double mean_sum = 0;
  for (double t : r.op_mean) mean_sum += t;
  printf(
      "  sum of per-operator medians %.4f ms, profiled invoke median %.4f ms (unprofiled "
      "%.4f ms); sum of means %.4f ms, invoke mean %.4f ms; %.3f GMACs, %.1f GOPS overall\n",
      sum, r.profiled_total.median, r.latency.median, mean_sum, r.profiled_total.mean,
      r.total_macs / 1e9,
      r.latency.median > 0 ? 2.0 * r.total_macs / (r.latency.median * 1e-3) / 1e9 : 0.0);
}

json model_json(const ModelResult& r, const BenchOptions& o) {
  json j = {{"file", r.path},
            {"file_bytes", r.file_bytes},
            {"load_ms", r.load_ms},
            {"prepare_ms", r.prepare_ms},
            {"weight_bytes", r.weight_bytes},
            {"arena_bytes", r.arena_bytes},
            {"activation_bytes", r.activation_bytes},
            {"rss_before_load_bytes", r.rss_before},
            {"peak_rss_bytes", r.peak_rss},
            {"peak_rss_is_per_model", r.peak_rss_own},
            {"latency_ms", stats_json(r.latency)},
            {"cpu_ms", stats_json(r.cpu)},
            {"throughput_per_s", r.latency.mean > 0 ? 1000.0 / r.latency.mean : 0.0}};
  json ins = json::array(), outs = json::array();
  // The tensor infos' names died with the model: use the copies.
  for (size_t k = 0; k < r.inputs.size(); ++k) {
    const octet_tensor_info& t = r.inputs[k];
    ins.push_back(
        {{"name", r.input_names[k]}, {"dtype", octet_dtype_name(t.dtype)}, {"shape", dims_of(t)}});
  }
  for (size_t k = 0; k < r.outputs.size(); ++k) {
    const octet_tensor_info& t = r.outputs[k];
    outs.push_back(
        {{"name", r.output_names[k]}, {"dtype", octet_dtype_name(t.dtype)}, {"shape", dims_of(t)}});
  }
  j["inputs"] = ins;
  j["outputs"] = outs;
  if (o.profile) {
    json ops = json::array();
    double sum = 0;
    for (double t : r.op_median) sum += t;
    for (size_t i = 0; i < r.ops.size(); ++i) {
      const OpStatic& op = r.ops[i];
      const double t = r.op_median[i];
      ops.push_back({{"index", i},
                     {"name", op.name},
                     {"source_nodes", op.source_nodes},
                     {"opcode", op.opcode},
                     {"output_shape", op.output_shape},
                     {"median_ms", t},
                     {"mean_ms", r.op_mean[i]},
                     {"share", sum > 0 ? t / sum : 0.0},
                     {"macs", op.macs},
                     {"gops", (op.macs > 0 && t > 0) ? 2.0 * op.macs / (t * 1e-3) / 1e9 : 0.0},
                     {"kernel", op.kernel}});
    }
    j["profile"] = {
        {"operators", ops},
        {"sum_of_operator_medians_ms", sum},
        {"sum_of_operator_means_ms", std::accumulate(r.op_mean.begin(), r.op_mean.end(), 0.0)},
        {"profiled_latency_ms", stats_json(r.profiled_total)},
        {"total_macs", r.total_macs}};
  }
  return j;
}

void print_models(const std::vector<ModelResult>& rs) {
  const int w = 24;
  auto row = [&](const char* label, auto cell) {
    printf("  %-22s", label);
    for (const auto& r : rs) printf(" %*s", w, cell(r).c_str());
    printf("\n");
  };
  auto f = [](const char* fmt, double v) {
    char b[64];
    snprintf(b, sizeof(b), fmt, v);
    return std::string(b);
  };
  row("", [&](const ModelResult& r) {
    std::string n = base_name(r.path);
    return n.size() > static_cast<size_t>(w) ? n.substr(n.size() - w) : n;
  });
  row("file size", [&](const ModelResult& r) { return human_bytes(double(r.file_bytes)); });
  row("weights (constants)",
      [&](const ModelResult& r) { return human_bytes(double(r.weight_bytes)); });
  row("arena (total)", [&](const ModelResult& r) { return human_bytes(double(r.arena_bytes)); });
  row("  activations",
      [&](const ModelResult& r) { return human_bytes(double(r.activation_bytes)); });
  row("peak RSS", [&](const ModelResult& r) { return human_bytes(double(r.peak_rss)); });
  row("load", [&](const ModelResult& r) { return f("%.3f ms", r.load_ms); });
  row("prepare", [&](const ModelResult& r) { return f("%.3f ms", r.prepare_ms); });
  row("latency min", [&](const ModelResult& r) { return f("%.3f ms", r.latency.min); });
  row("latency median", [&](const ModelResult& r) { return f("%.3f ms", r.latency.median); });
  row("latency p90", [&](const ModelResult& r) { return f("%.3f ms", r.latency.p90); });
  row("latency p99", [&](const ModelResult& r) { return f("%.3f ms", r.latency.p99); });
  row("latency mean", [&](const ModelResult& r) { return f("%.3f ms", r.latency.mean); });
  row("CPU time median", [&](const ModelResult& r) { return f("%.3f ms", r.cpu.median); });
  row("throughput", [&](const ModelResult& r) {
    return f("%.1f inf/s", r.latency.mean > 0 ? 1000.0 / r.latency.mean : 0.0);
  });
  if (rs.size() == 2) {
    row("speedup (median)", [&](const ModelResult& r) {
      return f("%.2fx", r.latency.median > 0 ? rs[0].latency.median / r.latency.median : 0.0);
    });
  }
}

// ------------------------------------------------------------------- main

bool parse_inputs(const BenchOptions& o, InputSource* src) {
  // The input names come from the first model; open it briefly.
  if (o.inputs.empty()) return true;
  Model model;
  Status s = model.load_file(o.model);
  if (!s) {
    fail(s.message());
    return false;
  }
  for (const std::string& spec : o.inputs) {
    const size_t eq = spec.find('=');
    int32_t index = -1;
    std::string file = spec;
    if (eq == std::string::npos) {
      if (model.num_inputs() != 1) {
        fail("--input '" + spec + "': the model has " + std::to_string(model.num_inputs()) +
             " inputs; use NAME=FILE.npy");
        return false;
      }
      index = 0;
    } else {
      const std::string name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
      std::string names;
      for (int32_t i = 0; i < model.num_inputs(); ++i) {
        if (name == model.input_info(i).name) index = i;
        names += std::string(i ? ", " : "") + "'" + model.input_info(i).name + "'";
      }
      if (index < 0) {
        fail("--input '" + spec + "': the model has no input named '" + name +
             "' (inputs: " + names + ")");
        return false;
      }
    }
    if (src->files.count(index)) {
      fail("--input '" + spec + "': input '" + model.input_info(index).name +
           "' is given more than once");
      return false;
    }
    tools::NpyArray a;
    std::string err;
    if (!tools::read_npy(file, &a, &err)) {
      fail(err);
      return false;
    }
    const octet_tensor_info t = model.input_info(index);
    if (a.shape != dims_of(t)) {
      fail("input '" + std::string(t.name) + "' expects shape " + tools::shape_string(dims_of(t)) +
           ", '" + file + "' has " + tools::shape_string(a.shape));
      return false;
    }
    if (!(a.dtype == t.dtype || (a.dtype == OCTET_FLOAT32 && quantized_type(t)))) {
      fail("input '" + std::string(t.name) + "' is " + octet_dtype_name(t.dtype) + ", '" + file +
           "' holds " + octet_dtype_name(a.dtype));
      return false;
    }
    src->files.emplace(index, std::move(a));
  }
  return true;
}

// Random ranges: the first model with quantization information on input i
// decides, so both models of a --compare see data from the same range.
bool plan_ranges(const BenchOptions& o, InputSource* src) {
  std::vector<std::string> paths{o.model};
  if (!o.compare.empty()) paths.push_back(o.compare);
  std::vector<Model> models(paths.size());
  int32_t n = -1;
  for (size_t k = 0; k < paths.size(); ++k) {
    Status s = models[k].load_file(paths[k]);
    if (!s) {
      fail(s.message());
      return false;
    }
    if (n >= 0 && models[k].num_inputs() != n) {
      fail("cannot compare '" + paths[0] + "' (" + std::to_string(n) + " inputs) with '" +
           paths[k] + "' (" + std::to_string(models[k].num_inputs()) + " inputs)");
      return false;
    }
    n = models[k].num_inputs();
  }
  for (int32_t i = 0; i < n; ++i) {
    if (models.size() == 2) {
      const octet_tensor_info a = models[0].input_info(i), b = models[1].input_info(i);
      if (dims_of(a) != dims_of(b)) {
        fail("cannot compare: input " + std::to_string(i) + " is '" + a.name + "' " + shape_of(a) +
             " in '" + paths[0] + "' but '" + b.name + "' " + shape_of(b) + " in '" + paths[1] +
             "'");
        return false;
      }
    }
    float lo = 0, hi = 0;
    bool found = false;
    for (auto& m : models) {
      if (!found && input_range(m.get(), i, &lo, &hi)) found = true;
    }
    src->lo.push_back(lo);
    src->hi.push_back(hi);
    src->has_range.push_back(found);
  }
  if (models.size() == 2) {
    if (models[0].num_outputs() != models[1].num_outputs()) {
      fail("cannot compare: '" + paths[0] + "' has " + std::to_string(models[0].num_outputs()) +
           " outputs, '" + paths[1] + "' has " + std::to_string(models[1].num_outputs()));
      return false;
    }
    for (int32_t i = 0; i < models[0].num_outputs(); ++i) {
      const octet_tensor_info a = models[0].output_info(i), b = models[1].output_info(i);
      if (elements_of(a) != elements_of(b)) {
        fail("cannot compare: output " + std::to_string(i) + " is '" + a.name + "' " + shape_of(a) +
             " in '" + paths[0] + "' but '" + b.name + "' " + shape_of(b) + " in '" + paths[1] +
             "'");
        return false;
      }
    }
  }
  return true;
}

int bench(const BenchOptions& o) {
  if (o.runs < 1) return fail("--runs must be at least 1");
  InputSource src;
  src.seed = o.seed;
  if (!plan_ranges(o, &src)) return 1;
  if (!parse_inputs(o, &src)) return 1;

  std::vector<std::string> paths{o.model};
  if (!o.compare.empty()) paths.push_back(o.compare);
  std::vector<ModelResult> results(paths.size());
  for (size_t k = 0; k < paths.size(); ++k) {
    const int rc = measure(o, paths[k], src, paths.size() == 2, &results[k]);
    if (rc != 0) return rc;
  }

  std::vector<Agreement> agree;
  if (results.size() == 2) agree = agreement(results[0], results[1]);

  printf("octet bench: %d run%s after %d warm-up%s, %d thread%s, kernels %s, inputs %s\n", o.runs,
         o.runs == 1 ? "" : "s", o.warmup, o.warmup == 1 ? "" : "s", o.threads,
         o.threads == 1 ? "" : "s", o.isa.empty() ? "default (best for this host)" : o.isa.c_str(),
         src.files.empty() ? ("random, seed " + std::to_string(o.seed)).c_str() : "from --input");
  print_models(results);
  if (!agree.empty()) {
    printf("\noutput agreement, '%s' vs '%s' over %zu runs' inputs:\n",
           base_name(results[1].path).c_str(), base_name(results[0].path).c_str(), agree[0].runs);
    for (size_t k = 0; k < agree.size(); ++k) {
      const Agreement& g = agree[k];
      printf("  %-20s max |diff| %.6g  cosine %.6f (min %.6f)", g.name.c_str(), g.max_abs_diff,
             g.cosine, g.min_cosine);
      if (g.classifier) {
        const size_t d = decisions(results[0], k, g.runs);
        printf("  top-1 agreement %.1f %% (%zu/%zu)",
               d ? 100.0 * double(g.top1_agree) / double(d) : 0.0, g.top1_agree, d);
      }
      printf("\n");
    }
  }
  if (o.profile) {
    for (const auto& r : results) print_profile(r);
  }

  if (!o.json_path.empty()) {
    json j = {{"tool", "octet bench"},
              {"version", octet_version()},
              {"runs", o.runs},
              {"warmup", o.warmup},
              {"threads", o.threads},
              {"isa", o.isa.empty() ? "default" : o.isa},
              {"inputs", src.files.empty() ? "random" : "files"},
              {"seed", o.seed}};
    json models = json::array();
    for (const auto& r : results) models.push_back(model_json(r, o));
    j["models"] = models;
    if (results.size() == 2) {
      json outs = json::array();
      for (size_t k = 0; k < agree.size(); ++k) {
        const Agreement& g = agree[k];
        json jo = {{"name", g.name},
                   {"runs", g.runs},
                   {"max_abs_diff", g.max_abs_diff},
                   {"cosine", g.cosine},
                   {"min_cosine", g.min_cosine},
                   {"classifier", g.classifier}};
        if (g.classifier) {
          const size_t d = decisions(results[0], k, g.runs);
          jo["top1_agree"] = g.top1_agree;
          jo["top1_decisions"] = d;
          jo["top1_agreement"] = d ? double(g.top1_agree) / double(d) : 0.0;
        }
        outs.push_back(jo);
      }
      j["compare"] = {{"baseline", results[0].path},
                      {"other", results[1].path},
                      {"speedup_median", results[1].latency.median > 0
                                             ? results[0].latency.median / results[1].latency.median
                                             : 0.0},
                      {"outputs", outs}};
    }
    std::ofstream f(o.json_path);
    if (!f) return fail("cannot write --json '" + o.json_path + "': " + strerror(errno));
    f << j.dump(2) << "\n";
    f.close();
    if (!f) return fail("cannot write --json '" + o.json_path + "'");
    printf("\nwrote %s\n", o.json_path.c_str());
  }
  return 0;
}

}  // namespace

void add_bench(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure latency, memory and per-operator time; compare two models");
  cmd->add_option("model", o->model, "Model file (.octet); the baseline with --compare")
      ->required();
  cmd->add_option("--compare", o->compare,
                  "A second model on the same inputs (e.g. the int8 model of a float one): "
                  "side by side, speedup, output agreement");
  cmd->add_option("-t,--threads", o->threads, "Worker threads")->check(CLI::Range(1, 256));
  cmd->add_option("-r,--runs", o->runs, "Timed invokes per model (default 50)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("-w,--warmup", o->warmup, "Untimed invokes first (default 5)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_flag("--profile", o->profile,
                "Per-operator table (time, share, MACs, GOPS, kernel) from --runs extra invokes");
  cmd->add_option("--isa", o->isa,
                  "Kernel path (scalar, avx2, avxvnni, avx512vnni, neon, neondot); default: best");
  cmd->add_option("-i,--input", o->inputs,
                  "NAME=FILE.npy (FILE.npy alone for one input), used for every run; float32 "
                  "data for a quantized input is quantized with its parameters");
  cmd->add_option("--json", o->json_path, "Also write the results as JSON to FILE");
  cmd->add_option("--seed", o->seed, "Seed of the random inputs (default 1)");
  cmd->callback([o, exit_code] { *exit_code = bench(*o); });
}

}  // namespace octet::cli
