// SPDX-License-Identifier: Apache-2.0
//
// ONNX conformance runner: for every test directory (model.onnx +
// test_data_set_*/input_*.pb, output_*.pb, the layout of the ONNX backend
// tests in Debian's libonnx-testdata), convert the model with
// converter/onnx, run it with the runtime, and compare with the expected
// outputs. Prints a pass / fail / unsupported table per op and the totals.
//
// Graph inputs that the converter needs as constants (the scales of
// QLinearConv, the shape of a Reshape, ...) are bound to their value from
// test_data_set_0, as an exporter would have written them as initializers.
//
// Exit status: non-zero if a test listed in --expected (one name per line,
// '#' comments) does not pass, i.e. on any regression.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "converter/onnx/onnx_import.h"
#include "octet/octet.h"

namespace {

namespace oi = octet::onnx_import;

struct Options {
  std::vector<std::string> dirs;
  std::string expected, write_expected, filter;
  double rel = 1e-4, abs = 1e-5;
  bool range_relative = false;  // |a−b| ≤ rel·max|ref| (whole-network tests)
  bool group_by_test = false;   // one table row per test (architectures)
  bool verbose = false;
};

std::vector<std::string> list_dirs(const std::string& path, const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    const std::string n = e->d_name;
    if (n.rfind(prefix, 0) != 0) continue;
    struct stat st;
    if (stat((path + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(n);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

struct Result {
  std::string name, group, status, detail;  // status: pass, fail, unsupported
  double worst_rel = 0;
  int off_by_one = 0;
};

// Raw little-endian bytes of a TensorProto in the given Octet dtype.
bool tensor_bytes(const onnx::TensorProto& t, octet_dtype dt, std::vector<uint8_t>* out,
                  std::vector<double>* values, std::string* err) {
  onnx::TensorProto copy = t;
  // Decode through the importer's reader by round-tripping the values.
  size_t n = 1;
  for (int64_t d : t.dims()) n *= static_cast<size_t>(d);
  std::vector<double> v(n);
  const std::string& raw = t.raw_data();
  auto from_raw = [&](size_t bytes, auto conv) {
    if (raw.size() != n * bytes) return false;
    for (size_t k = 0; k < n; ++k) v[k] = conv(raw.data() + k * bytes);
    return true;
  };
  bool ok = true;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      if (t.has_raw_data()) {
        ok = from_raw(4, [](const char* p) {
          float f;
          memcpy(&f, p, 4);
          return double(f);
        });
      } else {
        ok = t.float_data_size() == static_cast<int>(n);
        for (size_t k = 0; ok && k < n; ++k) v[k] = t.float_data(k);
      }
      break;
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::BOOL: {
      const bool s8 = t.data_type() == onnx::TensorProto::INT8;
      const bool i32 = t.data_type() == onnx::TensorProto::INT32;
      if (t.has_raw_data()) {
        ok = i32 ? from_raw(4,
                            [](const char* p) {
                              int32_t x;
                              memcpy(&x, p, 4);
                              return double(x);
                            })
                 : from_raw(1, [s8](const char* p) {
                     return s8 ? double(static_cast<int8_t>(*p)) : double(static_cast<uint8_t>(*p));
                   });
      } else {
        ok = t.int32_data_size() == static_cast<int>(n);
        for (size_t k = 0; ok && k < n; ++k) v[k] = t.int32_data(k);
      }
      break;
    }
    case onnx::TensorProto::INT64:
      if (t.has_raw_data()) {
        ok = from_raw(8, [](const char* p) {
          int64_t x;
          memcpy(&x, p, 8);
          return double(x);
        });
      } else {
        ok = t.int64_data_size() == static_cast<int>(n);
        for (size_t k = 0; ok && k < n; ++k) v[k] = static_cast<double>(t.int64_data(k));
      }
      break;
    default:
      *err = "tensor type " + std::to_string(t.data_type()) + " not handled by the runner";
      return false;
  }
  if (!ok) {
    *err = "tensor '" + t.name() + "': data does not match its shape";
    return false;
  }
  if (values) *values = v;
  if (!out) return true;
  out->assign(n * octet_dtype_size(dt), 0);
  for (size_t k = 0; k < n; ++k) {
    uint8_t* p = out->data() + k * octet_dtype_size(dt);
    switch (dt) {
      case OCTET_FLOAT32: {
        const float f = static_cast<float>(v[k]);
        memcpy(p, &f, 4);
        break;
      }
      case OCTET_INT8:
        *p = static_cast<uint8_t>(static_cast<int8_t>(v[k]));
        break;
      case OCTET_UINT8:
        *p = static_cast<uint8_t>(v[k]);
        break;
      case OCTET_INT32: {
        const int32_t x = static_cast<int32_t>(v[k]);
        memcpy(p, &x, 4);
        break;
      }
      case OCTET_INT64: {
        const int64_t x = static_cast<int64_t>(v[k]);
        memcpy(p, &x, 8);
        break;
      }
      default:
        *err = "input dtype not handled by the runner";
        return false;
    }
  }
  return true;
}

double element(const void* data, octet_dtype dt, size_t k) {
  const auto* p = static_cast<const uint8_t*>(data);
  switch (dt) {
    case OCTET_FLOAT32: {
      float f;
      memcpy(&f, p + 4 * k, 4);
      return f;
    }
    case OCTET_INT8:
      return static_cast<int8_t>(p[k]);
    case OCTET_UINT8:
      return p[k];
    case OCTET_INT16: {
      int16_t x;
      memcpy(&x, p + 2 * k, 2);
      return x;
    }
    case OCTET_INT32: {
      int32_t x;
      memcpy(&x, p + 4 * k, 4);
      return x;
    }
    case OCTET_INT64: {
      int64_t x;
      memcpy(&x, p + 8 * k, 8);
      return static_cast<double>(x);
    }
  }
  return 0;
}

struct AlignedFree {
  void operator()(void* p) const { free(p); }
};

// Ops whose ONNX reference requantizes in floating point (round half to even
// of a float product) where Octet requantizes with its integer rule
// (docs/quantization.md §2): results may differ by one code at ties.
bool float_requantizing(const std::string& group) {
  return group == "QLinearConv" || group == "QLinearMatMul";
}

Result run_test(const std::string& root, const std::string& name, const Options& opt) {
  Result r;
  r.name = name;
  const std::string dir = root + "/" + name;
  onnx::ModelProto model;
  try {
    model = oi::load_model_file(dir + "/model.onnx");
  } catch (const std::exception& e) {
    r.group = "?";
    r.status = "fail";
    r.detail = e.what();
    return r;
  }
  for (const auto& n : model.graph().node()) {
    if (n.op_type() != "Constant") {
      r.group = n.op_type();
      break;
    }
  }
  if (name.size() > 9 && name.compare(name.size() - 9, 9, "_expanded") == 0)
    r.group += " (expanded)";
  if (opt.group_by_test) r.group = name;
  // ONNX graph inputs that are not initializers, in order: input_k.pb is the k-th.
  std::set<std::string> inits;
  for (const auto& t : model.graph().initializer()) inits.insert(t.name());
  std::vector<std::string> inputs;
  for (const auto& i : model.graph().input()) {
    if (!inits.count(i.name())) inputs.push_back(i.name());
  }
  std::vector<std::string> sets = list_dirs(dir, "test_data_set_");
  if (sets.empty()) {
    r.status = "unsupported";
    r.detail = "no test data";
    return r;
  }
  auto load_set = [&](const std::string& s, std::vector<onnx::TensorProto>* ins,
                      std::vector<onnx::TensorProto>* outs) {
    for (size_t k = 0;; ++k) {
      const std::string p = dir + "/" + s + "/input_" + std::to_string(k) + ".pb";
      if (!exists(p)) break;
      ins->push_back(oi::load_tensor_file(p));
    }
    for (size_t k = 0;; ++k) {
      const std::string p = dir + "/" + s + "/output_" + std::to_string(k) + ".pb";
      if (!exists(p)) break;
      outs->push_back(oi::load_tensor_file(p));
    }
  };
  std::vector<onnx::TensorProto> in0, out0;
  try {
    load_set(sets[0], &in0, &out0);
  } catch (const std::exception& e) {
    r.status = "unsupported";
    r.detail = std::string("test data: ") + e.what();
    return r;
  }
  oi::ImportOptions io;
  io.source_name = name;
  oi::ImportReport rep;
  std::vector<uint8_t> bytes;
  // Fixed shapes for every input, from the test data (dynamic dimensions).
  for (size_t k = 0; k < inputs.size() && k < in0.size(); ++k) {
    io.input_shapes[inputs[k]] = std::vector<int64_t>(in0[k].dims().begin(), in0[k].dims().end());
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    try {
      bytes = oi::convert(model, io, &rep);
      break;
    } catch (const oi::NeedsConstantError& e) {
      if (attempt == 7) {
        r.status = "fail";
        r.detail = e.what();
        return r;
      }
      for (const auto& nm : e.inputs) {
        auto it = std::find(inputs.begin(), inputs.end(), nm);
        if (it == inputs.end() || static_cast<size_t>(it - inputs.begin()) >= in0.size()) {
          r.status = "fail";
          r.detail = "cannot bind input '" + nm + "'";
          return r;
        }
        io.bind[nm] = in0[it - inputs.begin()];
        io.input_shapes.erase(nm);
      }
    } catch (const oi::UnsupportedModelError& e) {
      r.status = "unsupported";
      std::string d;
      for (const auto& u : e.nodes) {
        if (!d.empty()) d += "; ";
        d += u.op_type + ": " + u.reason;
      }
      r.detail = d;
      return r;
    } catch (const std::exception& e) {
      r.status = "fail";
      r.detail = std::string("convert: ") + e.what();
      return r;
    }
  }
  // The runtime wants the model at an aligned address.
  std::unique_ptr<uint8_t, AlignedFree> buf(
      static_cast<uint8_t*>(aligned_alloc(64, (bytes.size() + 63) / 64 * 64)));
  memcpy(buf.get(), bytes.data(), bytes.size());
  octet_model* m = nullptr;
  if (octet_model_load_buffer(buf.get(), bytes.size(), nullptr, &m) != OCTET_OK) {
    r.status = "fail";
    r.detail = std::string("load: ") + (m ? octet_model_last_error(m) : "?");
    octet_model_destroy(m);
    return r;
  }
  octet_interpreter* it = nullptr;
  if (octet_interpreter_create(m, nullptr, &it) != OCTET_OK) {
    r.status = "fail";
    r.detail = std::string("prepare: ") + (it ? octet_interpreter_last_error(it) : "?");
    octet_interpreter_destroy(it);
    octet_model_destroy(m);
    return r;
  }
  r.status = "pass";
  double worst = 0;
  for (const std::string& s : sets) {
    std::vector<onnx::TensorProto> ins, outs;
    if (s == sets[0]) {
      ins = in0;
      outs = out0;
    } else {
      load_set(s, &ins, &outs);
    }
    std::string err;
    for (int32_t k = 0; k < octet_model_num_inputs(m) && err.empty(); ++k) {
      octet_tensor_info info;
      octet_model_input_info(m, k, &info);
      const std::string nm = rep.inputs.at(k);
      auto pos = std::find(inputs.begin(), inputs.end(), nm);
      const size_t idx = static_cast<size_t>(pos - inputs.begin());
      if (pos == inputs.end() || idx >= ins.size()) {
        err = "no data for input '" + nm + "'";
        break;
      }
      std::vector<uint8_t> data;
      if (!tensor_bytes(ins[idx], info.dtype, &data, nullptr, &err)) break;
      if (octet_interpreter_set_input(it, k, data.data(), data.size()) != OCTET_OK) {
        err = std::string("set_input '") + nm + "': " + octet_interpreter_last_error(it);
      }
    }
    if (err.empty() && octet_interpreter_invoke(it) != OCTET_OK) {
      err = std::string("invoke: ") + octet_interpreter_last_error(it);
    }
    for (int32_t k = 0; err.empty() && k < octet_model_num_outputs(m); ++k) {
      if (static_cast<size_t>(k) >= outs.size()) {
        err = "missing expected output " + std::to_string(k);
        break;
      }
      octet_tensor_info info;
      octet_model_output_info(m, k, &info);
      std::vector<double> want;
      if (!tensor_bytes(outs[k], OCTET_FLOAT32, nullptr, &want, &err)) break;
      size_t n = 1;
      for (int32_t d = 0; d < info.rank; ++d) n *= static_cast<size_t>(info.dims[d]);
      if (n != want.size() || info.rank != outs[k].dims_size()) {
        err = "output " + std::to_string(k) + ": shape differs from the expected one";
        break;
      }
      for (int32_t d = 0; d < info.rank; ++d) {
        if (info.dims[d] != outs[k].dims(d))
          err = "output " + std::to_string(k) + ": shape differs";
      }
      const void* got = octet_interpreter_output_data(it, k);
      double range = 0;
      for (double w : want) range = std::max(range, std::fabs(w));
      const bool is_float = info.dtype == OCTET_FLOAT32;
      for (size_t e = 0; err.empty() && e < n; ++e) {
        const double g = element(got, info.dtype, e), w = want[e];
        const double diff = std::fabs(g - w);
        if (is_float) {
          const double rel = diff / std::max(opt.range_relative ? range : std::fabs(w), 1e-30);
          worst = std::max(worst, opt.range_relative ? rel : diff);
          const bool ok = opt.range_relative ? diff <= opt.rel * range
                                             : diff <= opt.abs + opt.rel * std::fabs(w);
          if (!ok || std::isnan(g) != std::isnan(w)) {
            char b[200];
            snprintf(b, sizeof b, "output %d[%zu]: got %.9g, expected %.9g", k, e, g, w);
            err = b;
          }
        } else if (diff != 0) {
          if (diff == 1 && float_requantizing(r.group)) {
            ++r.off_by_one;
          } else {
            char b[200];
            snprintf(b, sizeof b, "output %d[%zu]: got %.0f, expected %.0f", k, e, g, w);
            err = b;
          }
        }
      }
    }
    if (!err.empty()) {
      r.status = "fail";
      r.detail = s + ": " + err;
      break;
    }
  }
  r.worst_rel = worst;
  if (r.status == "pass" && opt.group_by_test) {
    char b[200];
    snprintf(b, sizeof b, "%d ONNX nodes -> %d operators (%d folded, %d fused, %d transposes)",
             rep.onnx_nodes, rep.octet_operators, rep.folded_nodes, rep.fused_nodes,
             rep.transposes);
    r.detail = b;
  }
  octet_interpreter_destroy(it);
  octet_model_destroy(m);
  return r;
}

int usage() {
  fprintf(stderr,
          "usage: octet_onnx_conformance DIR... [--expected FILE] [--write-expected FILE]\n"
          "       [--filter SUBSTR] [--rel R] [--abs A] [--range-relative] [--verbose]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--expected")
      opt.expected = next();
    else if (a == "--write-expected")
      opt.write_expected = next();
    else if (a == "--filter")
      opt.filter = next();
    else if (a == "--rel")
      opt.rel = atof(next().c_str());
    else if (a == "--abs")
      opt.abs = atof(next().c_str());
    else if (a == "--range-relative")
      opt.range_relative = true;
    else if (a == "--group-by-test")
      opt.group_by_test = true;
    else if (a == "--verbose" || a == "-v")
      opt.verbose = true;
    else if (a.rfind("--", 0) == 0)
      return usage();
    else
      opt.dirs.push_back(a);
  }
  if (opt.dirs.empty()) return usage();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Result> results;
  for (const std::string& root : opt.dirs) {
    if (!exists(root)) {
      // ctest maps 77 to "skipped" (the test data package or torchvision
      // is not installed).
      printf("conformance: skipped, '%s' does not exist\n", root.c_str());
      return 77;
    }
    for (const std::string& t : list_dirs(root, "test_")) {
      if (!opt.filter.empty() && t.find(opt.filter) == std::string::npos) continue;
      if (!exists(root + "/" + t + "/model.onnx")) continue;
      results.push_back(run_test(root, t, opt));
      const Result& r = results.back();
      if (opt.verbose || r.status == "fail") {
        printf("%-11s %-60s %s%s\n", r.status.c_str(), r.name.c_str(), r.detail.c_str(),
               r.off_by_one ? (" (" + std::to_string(r.off_by_one) + " codes off by one)").c_str()
                            : "");
      }
    }
  }
  // Table per op.
  struct Row {
    int pass = 0, fail = 0, unsupported = 0, off_by_one = 0;
    double worst = 0;
  };
  std::map<std::string, Row> rows;
  Row total;
  for (const Result& r : results) {
    Row& row = rows[r.group];
    for (Row* x : {&row, &total}) {
      if (r.status == "pass")
        ++x->pass;
      else if (r.status == "fail")
        ++x->fail;
      else
        ++x->unsupported;
      if (r.status == "pass") x->worst = std::max(x->worst, r.worst_rel);
      x->off_by_one += r.off_by_one;
    }
  }
  printf("\n%-34s %6s %6s %11s %12s %9s\n", opt.group_by_test ? "test" : "op", "passed", "failed",
         "unsupported", opt.range_relative ? "worst rel err" : "max abs err", "±1 codes");
  for (const auto& [g, row] : rows) {
    if (row.pass + row.fail == 0 && !opt.verbose) continue;  // fully unsupported: summarized below
    printf("%-34s %6d %6d %11d %12.2e %9d\n", g.c_str(), row.pass, row.fail, row.unsupported,
           row.worst, row.off_by_one);
  }
  int unsupported_ops = 0, unsupported_tests = 0;
  for (const auto& [g, row] : rows) {
    if (row.pass + row.fail == 0) {
      ++unsupported_ops;
      unsupported_tests += row.unsupported;
    }
  }
  printf("%-34s %6s %6s %11d\n",
         ("(" + std::to_string(unsupported_ops) + " ops unsupported)").c_str(), "", "",
         unsupported_tests);
  printf("%-34s %6d %6d %11d %12.2e %9d\n", "TOTAL", total.pass, total.fail, total.unsupported,
         total.worst, total.off_by_one);
  if (opt.verbose) {
    printf("\nunsupported:\n");
    for (const Result& r : results) {
      if (r.status == "unsupported") printf("  %-58s %s\n", r.name.c_str(), r.detail.c_str());
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("%zu tests in %.1f s\n", results.size(), secs);

  if (!opt.write_expected.empty()) {
    std::ofstream f(opt.write_expected);
    f << "# ONNX conformance tests that must pass (generated by octet_onnx_conformance\n"
         "# --write-expected; a listed test that fails is a regression).\n";
    for (const Result& r : results) {
      if (r.status == "pass") f << r.name << "\n";
    }
  }
  int regressions = 0;
  if (!opt.expected.empty()) {
    std::ifstream f(opt.expected);
    if (!f) {
      fprintf(stderr, "conformance: cannot read '%s'\n", opt.expected.c_str());
      return 2;
    }
    std::map<std::string, const Result*> by_name;
    for (const Result& r : results) by_name[r.name] = &r;
    std::set<std::string> listed;
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      listed.insert(line);
      auto it = by_name.find(line);
      if (!opt.filter.empty() && line.find(opt.filter) == std::string::npos) continue;
      if (it == by_name.end() || it->second->status != "pass") {
        ++regressions;
        printf("REGRESSION %s: %s\n", line.c_str(),
               it == by_name.end() ? "not run"
                                   : (it->second->status + ": " + it->second->detail).c_str());
      }
    }
    for (const Result& r : results) {
      if (r.status == "pass" && !listed.count(r.name)) {
        printf("new pass (add it to %s): %s\n", opt.expected.c_str(), r.name.c_str());
      }
    }
  }
  printf("%d passed, %d failed, %d skipped\n", total.pass, total.fail, total.unsupported);
  return regressions ? 1 : 0;
}
