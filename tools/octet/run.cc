// SPDX-License-Identifier: Apache-2.0
//
// octet run MODEL.octet --input NAME=FILE.npy ... [--output OUT.npy|DIR]
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

#include "octet/octet.hpp"
#include "tools/common/npy.h"
#include "tools/octet/commands.h"

namespace octet::cli {
namespace {

struct RunOptions {
  std::string model;
  std::vector<std::string> inputs;
  std::string output;
  int threads = 1;
  int repeat = 1;
  bool dequantize = false;
};

std::vector<int64_t> dims_of(const octet_tensor_info& t) {
  return std::vector<int64_t>(t.dims, t.dims + t.rank);
}

std::string describe(const octet_tensor_info& t) {
  std::string s = std::string(octet_dtype_name(t.dtype)) + " " + tools::shape_string(dims_of(t));
  if (t.scale > 0) {
    char q[64];
    snprintf(q, sizeof(q), " (scale %.6g, zero_point %d)", static_cast<double>(t.scale),
             t.zero_point);
    s += q;
  }
  return s;
}

// Float data for a quantized input: quantize it with the model's parameters
// (q = round(x / scale) + zero_point, clamped), as the model's own QUANTIZE
// would.
bool quantize_into(const tools::NpyArray& a, const octet_tensor_info& t, std::vector<uint8_t>* out) {
  const float* x = reinterpret_cast<const float*>(a.data.data());
  const size_t n = a.elements();
  out->resize(n * octet_dtype_size(t.dtype));
  for (size_t i = 0; i < n; ++i) {
    // Float arithmetic exactly as the QUANTIZE kernel does it.
    const float v = x[i] / t.scale;
    const double q = (std::isnan(v) ? 0.0 : static_cast<double>(std::nearbyint(v))) + t.zero_point;
    if (t.dtype == OCTET_INT8) {
      reinterpret_cast<int8_t*>(out->data())[i] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
    } else if (t.dtype == OCTET_UINT8) {
      (*out)[i] = static_cast<uint8_t>(std::clamp(q, 0.0, 255.0));
    } else if (t.dtype == OCTET_INT16) {
      reinterpret_cast<int16_t*>(out->data())[i] =
          static_cast<int16_t>(std::clamp(q, -32767.0, 32767.0));
    } else {
      return false;
    }
  }
  return true;
}

bool is_dir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string safe_file_name(std::string name) {
  for (char& c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  }
  return name.empty() ? "output" : name;
}

void print_summary(const octet_tensor_info& t, const void* data) {
  const size_t n = t.bytes / octet_dtype_size(t.dtype);
  auto value = [&](size_t i) -> double {
    switch (t.dtype) {
      case OCTET_FLOAT32: return static_cast<const float*>(data)[i];
      case OCTET_INT8: return static_cast<const int8_t*>(data)[i];
      case OCTET_UINT8: return static_cast<const uint8_t*>(data)[i];
      case OCTET_INT16: return static_cast<const int16_t*>(data)[i];
      case OCTET_INT32: return static_cast<const int32_t*>(data)[i];
      case OCTET_INT64: return static_cast<double>(static_cast<const int64_t*>(data)[i]);
    }
    return 0;
  };
  size_t arg = 0;
  for (size_t i = 1; i < n; ++i) {
    if (value(i) > value(arg)) arg = i;
  }
  printf("  %s: %s\n    values:", t.name, describe(t).c_str());
  for (size_t i = 0; i < std::min<size_t>(n, 10); ++i) printf(" %.6g", value(i));
  printf("%s\n    argmax: %zu (%.6g)\n", n > 10 ? " ..." : "", arg, value(arg));
}

int run(const RunOptions& o) {
  Model model;
  Status s = model.load_file(o.model);
  if (!s) return fail(s.message());
  Interpreter it;
  s = it.create(model, o.threads);
  if (!s) return fail(s.message());

  std::map<std::string, std::string> files;
  for (const std::string& spec : o.inputs) {
    const size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      if (model.num_inputs() != 1) {
        return fail("--input '" + spec + "': the model has " +
                    std::to_string(model.num_inputs()) + " inputs; use NAME=FILE.npy");
      }
      if (!files.emplace(model.input_info(0).name, spec).second) {
        return fail("--input '" + spec + "': input '" + model.input_info(0).name +
                    "' is given more than once");
      }
    } else {
      const std::string name = spec.substr(0, eq);
      if (it.input_index(name) < 0) {
        std::string names;
        for (int32_t i = 0; i < model.num_inputs(); ++i) {
          names += std::string(i ? ", " : "") + "'" + model.input_info(i).name + "'";
        }
        return fail("--input '" + spec + "': the model has no input named '" + name +
                    "' (inputs: " + names + ")");
      }
      if (!files.emplace(name, spec.substr(eq + 1)).second) {
        return fail("--input '" + spec + "': input '" + name + "' is given more than once");
      }
    }
  }
  for (int32_t i = 0; i < model.num_inputs(); ++i) {
    const octet_tensor_info t = model.input_info(i);
    auto f = files.find(t.name);
    if (f == files.end()) {
      return fail(std::string("no data for input '") + t.name + "' (" + describe(t) +
                  "): pass --input " + t.name + "=FILE.npy");
    }
    tools::NpyArray a;
    std::string err;
    if (!tools::read_npy(f->second, &a, &err)) return fail(err);
    if (a.shape != dims_of(t)) {
      return fail("input '" + std::string(t.name) + "' expects shape " +
                  tools::shape_string(dims_of(t)) + ", '" + f->second + "' has " +
                  tools::shape_string(a.shape));
    }
    std::vector<uint8_t> bytes;
    if (a.dtype == t.dtype) {
      bytes = std::move(a.data);
    } else if (a.dtype == OCTET_FLOAT32 && t.scale > 0 && quantize_into(a, t, &bytes)) {
      fprintf(stderr, "octet: note: quantizing float32 '%s' for %s input '%s'\n",
              f->second.c_str(), octet_dtype_name(t.dtype), t.name);
    } else {
      return fail("input '" + std::string(t.name) + "' is " + describe(t) + ", '" + f->second +
                  "' holds " + octet_dtype_name(a.dtype));
    }
    s = it.set_input(i, bytes.data(), bytes.size());
    if (!s) return fail(s.message());
  }

  std::vector<double> ms;
  for (int r = 0; r < std::max(1, o.repeat); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    s = it.invoke();
    const auto t1 = std::chrono::steady_clock::now();
    if (!s) return fail(s.message());
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  printf("invoke: %.3f ms (median of %zu, %d thread%s)\n", ms[ms.size() / 2], ms.size(),
         o.threads, o.threads == 1 ? "" : "s");
  printf("outputs:\n");
  for (int32_t i = 0; i < model.num_outputs(); ++i) {
    print_summary(model.output_info(i), it.output<void>(i));
  }

  if (o.output.empty()) return 0;
  const bool dir = is_dir(o.output);
  if (!dir && model.num_outputs() != 1) {
    return fail("--output '" + o.output + "' is not a directory, but the model has " +
                std::to_string(model.num_outputs()) + " outputs");
  }
  for (int32_t i = 0; i < model.num_outputs(); ++i) {
    const octet_tensor_info t = model.output_info(i);
    tools::NpyArray a;
    a.shape = dims_of(t);
    const uint8_t* p = static_cast<const uint8_t*>(it.output<void>(i));
    if (o.dequantize && t.scale > 0 && t.dtype != OCTET_FLOAT32) {
      a.dtype = OCTET_FLOAT32;
      const size_t n = t.bytes / octet_dtype_size(t.dtype);
      a.data.resize(n * 4);
      float* y = reinterpret_cast<float*>(a.data.data());
      for (size_t k = 0; k < n; ++k) {
        double q = 0;
        if (t.dtype == OCTET_INT8) q = reinterpret_cast<const int8_t*>(p)[k];
        if (t.dtype == OCTET_UINT8) q = p[k];
        if (t.dtype == OCTET_INT16) q = reinterpret_cast<const int16_t*>(p)[k];
        y[k] = static_cast<float>(t.scale * (q - t.zero_point));
      }
    } else {
      a.dtype = t.dtype;
      a.data.assign(p, p + t.bytes);
    }
    const std::string path = dir ? o.output + "/" + safe_file_name(t.name) + ".npy" : o.output;
    std::string err;
    if (!tools::write_npy(path, a, &err)) return fail(err);
    printf("wrote %s\n", path.c_str());
  }
  return 0;
}

}  // namespace

void add_run(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on .npy inputs and save its outputs");
  cmd->add_option("model", o->model, "Model file (.octet)")->required();
  cmd->add_option("-i,--input", o->inputs,
                  "NAME=FILE.npy for each input (FILE.npy alone for a single-input model); "
                  "float32 data for a quantized input is quantized with its parameters");
  cmd->add_option("-o,--output", o->output,
                  "OUT.npy (single-output model) or an existing directory (one NAME.npy each)");
  cmd->add_option("-t,--threads", o->threads, "Worker threads")->check(CLI::Range(1, 256));
  cmd->add_option("-r,--repeat", o->repeat, "Invoke this many times, report the median")
      ->check(CLI::Range(1, 1000000));
  cmd->add_flag("--dequantize", o->dequantize, "Write quantized outputs as float32");
  cmd->callback([o, exit_code] { *exit_code = run(*o); });
}

}  // namespace octet::cli
