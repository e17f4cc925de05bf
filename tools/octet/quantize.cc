// SPDX-License-Identifier: Apache-2.0
//
// octet quantize MODEL.onnx|MODEL.octet -o OUT.octet --calib DATA [options]:
// a thin front over converter/ptq (the library does all the work).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "converter/ptq/equalize.h"
#include "converter/ptq/quantizer.h"
#include "octet/octet.hpp"
#include "tools/octet/commands.h"

namespace octet::cli {

namespace {

struct QuantizeCliOptions {
  std::string model, output, calib, config, write_config;
  size_t calib_count = 0;
  std::string method;
  bool per_tensor = false;
  std::vector<std::string> precision;
  std::string mean, std, layout = "auto", channel_order = "rgb", size;
  float scale = -1;
  double max_drop = -1;
  bool bias_correction = false;
  bool dynamic = false;
  bool equalize = false;
  bool quiet = false;
  std::vector<std::string> input_type, output_type, input_layout;  // device I/O
};

}  // namespace

/// Progress bar on stderr (only when stderr is a terminal, or forced).
ptq::Progress progress_bar(const char* what, bool quiet) {
  if (quiet) return {};
  const bool tty = isatty(fileno(stderr)) != 0;
  return [what, tty](size_t done, size_t total) {
    const size_t every = total >= 100 ? total / 100 : 1;
    if (!tty && done != total) return;
    if (done % every != 0 && done != total) return;
    constexpr int kWidth = 30;
    const int fill = total ? static_cast<int>(kWidth * done / total) : kWidth;
    fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", what, fill, "##############################",
            kWidth - fill, "", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
  };
}

/// Shared by quantize and eval: preprocessing options → ptq::Preprocess.
ptq::Preprocess make_preprocess(const std::string& mean, const std::string& std_, float scale,
                                const std::string& layout, const std::string& order,
                                const std::string& size) {
  ptq::Preprocess p;
  if (!mean.empty()) p.mean = ptq::parse_floats(mean);
  if (!std_.empty()) p.std = ptq::parse_floats(std_);
  p.scale = scale;
  p.channel_order = order;
  if (layout == "nchw") {
    p.layout = ptq::Layout::kNCHW;
  } else if (layout == "nhwc") {
    p.layout = ptq::Layout::kNHWC;
  } else if (layout != "auto") {
    throw ptq::DataError("--layout must be auto, nchw or nhwc");
  }
  if (!size.empty()) {
    int h = 0, w = 0;
    char x = 0;
    std::istringstream ss(size);
    if (!(ss >> h) || h <= 0) throw ptq::DataError("--size must be H or HxW, not '" + size + "'");
    w = h;
    if (ss >> x) {
      if ((x != 'x' && x != ',') || !(ss >> w) || w <= 0) {
        throw ptq::DataError("--size must be H or HxW, not '" + size + "'");
      }
    }
    p.height = h, p.width = w;
  }
  return p;
}

void add_preprocess_options(CLI::App* cmd, std::string* mean, std::string* std_, float* scale,
                            std::string* layout, std::string* order, std::string* size) {
  cmd->add_option("--mean", *mean, "Subtract after scaling: one value or one per channel (0.485,0.456,0.406)");
  cmd->add_option("--std", *std_, "Divide by after subtracting the mean: one value or one per channel");
  cmd->add_option("--scale", *scale,
                  "Multiply raw values first (default: 1/255 for 8-bit data, 1 for float .npy)");
  cmd->add_option("--layout", *layout, "Model input layout for image data: auto, nchw, nhwc")
      ->check(CLI::IsMember({"auto", "nchw", "nhwc"}));
  cmd->add_option("--channel-order", *order, "Channel order the model expects: rgb or bgr")
      ->check(CLI::IsMember({"rgb", "bgr"}));
  cmd->add_option("--size", *size, "Image size HxW (must match the model input; images are resized to it)");
}

void print_io_summary(const octet_model* m);  // inspect.cc

namespace {

int write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return fail("cannot write '" + path + "'");
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) return fail("error writing '" + path + "'");
  return 0;
}

// The device I/O of the written model, as `octet inspect` shows it.
void print_io(const std::vector<uint8_t>& bytes) {
  Model m;
  if (m.load_buffer(bytes.data(), bytes.size())) print_io_summary(m.get());
}

// The scale the preprocessing applies to the calibration data: --scale, or
// the loader's automatic choice (1/255 for 8-bit data, 1 for float .npy),
// found by reading the first sample both ways.
float resolved_scale(const QuantizeCliOptions& o, const std::vector<int32_t>& shape) {
  if (o.scale >= 0) return o.scale;
  if (o.calib.empty()) return 1.0f;
  ptq::Preprocess a = make_preprocess("", "", -1, o.layout, o.channel_order, o.size);
  ptq::Preprocess b = make_preprocess("", "", 1, o.layout, o.channel_order, o.size);
  const ptq::Dataset da = ptq::open_dataset(o.calib, shape, a, 1);
  const ptq::Dataset db = ptq::open_dataset(o.calib, shape, b, 1);
  std::vector<float> va(da.sample_elements()), vb(db.sample_elements());
  da.get(0, va.data());
  db.get(0, vb.data());
  for (size_t i = 0; i < va.size(); ++i) {
    if (vb[i] != 0) return va[i] / vb[i] < 0.5f ? 1.0f / 255.0f : 1.0f;
  }
  return 1.0f / 255.0f;
}

// --input-type / --output-type / --input-layout and the normalization to
// fold into integer inputs (converter/ptq/io_types.h).
void set_io(const QuantizeCliOptions& o, const std::vector<uint8_t>& fp32, ptq::QuantizeOptions* qo) {
  ptq::IoOptions& io = qo->io;
  for (const auto& s : o.input_type) ptq::add_io_type_spec("--input-type", s, &io.input_types);
  for (const auto& s : o.output_type) ptq::add_io_type_spec("--output-type", s, &io.output_types);
  for (const auto& s : o.input_layout) ptq::add_io_layout_spec(s, &io.input_layouts);
  bool integer_in = false;
  for (const auto& [k, t] : io.input_types) integer_in |= t != ptq::IoType::kFloat32;
  if (!integer_in) return;
  // The preprocessing that turned the (raw) calibration data into model
  // inputs is what an integer input folds in; none (identity) = the input
  // takes the calibrated int8/uint8 parameters instead.
  io.scale = resolved_scale(o, ptq::model_input_shape(fp32));
  if (!o.mean.empty()) io.mean = ptq::parse_floats(o.mean);
  if (!o.std.empty()) io.std = ptq::parse_floats(o.std);
  bool identity = io.scale == 1.0f;
  for (float v : io.mean) identity = identity && v == 0.0f;
  for (float v : io.std) identity = identity && v == 1.0f;
  io.fold = !identity;
}

int quantize(const QuantizeCliOptions& o) {
  try {
    ptq::QuantizeOptions qo;
    if (!o.config.empty()) {
      std::ifstream f(o.config);
      if (!f) return fail("cannot open config '" + o.config + "'");
      std::stringstream ss;
      ss << f.rdbuf();
      ptq::read_config(ss.str(), o.config, &qo);
    }
    if (!o.method.empty()) qo.method = ptq::parse_range_method(o.method);
    if (o.per_tensor) qo.per_channel = false;
    for (const auto& spec : o.precision) {
      const size_t eq = spec.find('=');
      if (eq == std::string::npos || eq == 0) {
        return fail("--precision takes NODE=int8|int16|fp32, not '" + spec + "'");
      }
      qo.precision[spec.substr(0, eq)] = ptq::parse_precision(spec.substr(eq + 1));
    }
    if (o.dynamic) {  // int8 FC weights, activations quantized per inference
      if (!o.calib.empty() || o.max_drop >= 0 || !o.precision.empty() || o.bias_correction) {
        return fail("--dynamic needs no calibration: it does not combine with --calib, "
                    "--max-drop, --precision or --bias-correction");
      }
      const std::vector<uint8_t> fp32 = ptq::load_model_any(o.model);
      int32_t n = 0;
      const std::vector<uint8_t> q = ptq::quantize_dynamic(fp32, qo, &n);
      if (int rc = write_bytes(o.output, std::string(q.begin(), q.end()))) return rc;
      if (!o.quiet) {
        printf("%s (%zu bytes) -> %s (%zu bytes, %.2fx smaller)\n  dynamic: %d FULLY_CONNECTED "
               "with int8 weights (%s), inputs quantized per inference; the rest fp32\n",
               o.model.c_str(), fp32.size(), o.output.c_str(), q.size(),
               double(fp32.size()) / double(q.size()), n,
               qo.per_channel ? "per-channel" : "per-tensor");
      }
      return 0;
    }
    if (o.calib.empty() && qo.ranges.empty()) {
      return fail("no calibration data: pass --calib DATA (or a --config with ranges)");
    }
    std::vector<uint8_t> fp32 = ptq::load_model_any(o.model);
    if (o.equalize) {  // in float, before calibration (converter/ptq/equalize.h)
      ptq::EqualizeReport er;
      fp32 = ptq::equalize_model(fp32, &er);
      if (!o.quiet) {
        printf("--equalize: %zu layer pairs, %d sweeps\n", er.pairs.size(), er.iterations);
        for (const auto& p : er.pairs) {
          printf("  %s -> %s: %d channels, weight range spread (max/min) %.1f -> %.1f\n",
                 p.first.c_str(), p.second.c_str(), p.channels, p.spread_before, p.spread_after);
        }
      }
    }
    std::map<std::string, ptq::TensorRange> ranges;
    std::map<std::string, std::vector<double>> means;
    if (o.bias_correction && o.calib.empty()) return fail("--bias-correction needs --calib data");
    if (!o.calib.empty()) {
      const ptq::Preprocess pre =
          make_preprocess(o.mean, o.std, o.scale, o.layout, o.channel_order, o.size);
      const ptq::Dataset data =
          ptq::open_dataset(o.calib, ptq::model_input_shape(fp32), pre, o.calib_count);
      if (!o.quiet) fprintf(stderr, "calibration data: %s\n", data.description().c_str());
      const ptq::Calibration cal = ptq::calibrate(fp32, data, progress_bar("calibrating", o.quiet));
      ranges = ptq::choose_ranges(cal, qo.method);
      means = cal.channel_means;
      if (o.bias_correction) qo.bias_correction = &means;
      qo.calibration_note = cal.data;
      if (o.equalize) qo.calibration_note += ", after cross-layer equalization (--equalize)";
    }
    if (o.max_drop >= 0) {
      if (o.calib.empty()) return fail("--max-drop measures on the calibration data: pass --calib");
      const ptq::Preprocess pre =
          make_preprocess(o.mean, o.std, o.scale, o.layout, o.channel_order, o.size);
      const ptq::Dataset data =
          ptq::open_dataset(o.calib, ptq::model_input_shape(fp32), pre, o.calib_count);
      std::vector<ptq::PrecisionStep> steps;
      double initial = 0;
      ptq::auto_mixed_precision(fp32, ranges, &qo, data, o.max_drop, &steps, &initial);
      if (!o.quiet) {
        printf("--max-drop %.3g: all-int8 model disagrees with fp32 on %.2f %% of the %zu "
               "calibration samples (top-1)\n", o.max_drop, initial, data.size());
        for (const auto& st : steps) {
          printf("  %s (%s) -> %s: disagreement %.2f %% -> %.2f %% (output MSE %.3g), the "
                 "largest gain of any single operator\n", st.node.c_str(), st.opcode.c_str(),
                 ptq::precision_name(st.to), st.before, st.after, st.mse_after);
        }
        if (steps.empty()) printf("  within budget: nothing changed\n");
      }
    }
    set_io(o, fp32, &qo);  // after --max-drop, which measures with float I/O
    ptq::QuantizeReport rep;
    const std::vector<uint8_t> q = ptq::quantize_model(fp32, ranges, qo, &rep);
    if (int rc = write_bytes(o.output, std::string(q.begin(), q.end()))) return rc;
    if (!o.write_config.empty()) {
      if (int rc = write_bytes(o.write_config, ptq::write_config(qo, rep))) return rc;
    }
    if (!o.quiet) {
      printf("%s (%zu bytes) -> %s (%zu bytes, %.2fx smaller)\n", o.model.c_str(), fp32.size(),
             o.output.c_str(), q.size(), double(fp32.size()) / double(q.size()));
      printf("  method %s, weights %s, %d int8 + %d fp32 operators, %d QUANTIZE, %d DEQUANTIZE\n",
             qo.method.to_string().c_str(), qo.per_channel ? "per-channel" : "per-tensor",
             rep.int8_ops, rep.fp32_ops, rep.quantize_ops, rep.dequantize_ops);
      if (rep.int16_ops > 0) printf("  %d int16 x int8 operators\n", rep.int16_ops);
      for (const auto& n : rep.nodes) {
        if (n.precision != ptq::Precision::kInt8) {
          printf("  %s (%s): %s\n", n.name.c_str(), n.opcode.c_str(), ptq::precision_name(n.precision));
        }
      }
      if (!o.write_config.empty()) printf("  config written to %s\n", o.write_config.c_str());
      for (const auto& n : rep.io_notes) printf("  %s\n", n.c_str());
      print_io(q);
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace

void add_quantize(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<QuantizeCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Post-training quantization: fp32 model + calibration data -> int8 .octet");
  cmd->add_option("model", o->model, "fp32 model (.onnx or .octet)")->required();
  cmd->add_option("-o,--output", o->output, "Output .octet file")->required();
  cmd->add_option("--calib", o->calib,
                  "Calibration data: .npy batch, directory of .npy, IDX file (*-idx3-ubyte[.gz]) "
                  "or directory of PNG/JPEG images");
  cmd->add_option("--calib-count", o->calib_count, "Use only the first N calibration samples");
  cmd->add_option("--method", o->method,
                  "Activation range: minmax, ema, percentile[:P], kl, mse (default percentile:99.99)");
  cmd->add_flag("--per-tensor", o->per_tensor, "Per-tensor weight scales (default per-channel)");
  cmd->add_option("--precision", o->precision,
                  "NODE=int8|int16|fp32 for an operator or ONNX node name (repeatable)");
  cmd->add_option("--max-drop", o->max_drop,
                  "Raise operators to int16 or fp32 (most harmful first, measured) until at most X % of "
                  "calibration samples change top-1 vs fp32")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_flag("--bias-correction", o->bias_correction,
                "Fold the expected weight-quantization error (from calibrated channel means) into "
                "the biases");
  cmd->add_flag("--equalize", o->equalize,
                "Cross-layer equalization (in float, before calibration) of consecutive conv "
                "layers with ReLU or nothing between them");
  cmd->add_flag("--dynamic", o->dynamic,
                "Dynamic quantization: int8 FULLY_CONNECTED weights, inputs quantized per "
                "inference from their actual range (no --calib; needs an FPU at run time)");
  cmd->add_option("--input-type", o->input_type,
                  "Device input type float32|uint8|int8, or NAME=TYPE per input. An integer input "
                  "takes raw 8-bit data: --scale/--mean/--std (or the 1/255 of 8-bit calibration "
                  "data) are folded into the model");
  cmd->add_option("--output-type", o->output_type,
                  "Device output type float32|uint8|int8, or NAME=TYPE per output");
  cmd->add_option("--input-layout", o->input_layout,
                  "Device layout of image inputs NHWC|NCHW, or NAME=LAYOUT (default: the source "
                  "model's)");
  cmd->add_option("--config", o->config, "Read precisions and ranges from a config file");
  cmd->add_option("--write-config", o->write_config,
                  "Write every quantizable node with its precision and ranges to FILE (JSON)");
  add_preprocess_options(cmd, &o->mean, &o->std, &o->scale, &o->layout, &o->channel_order, &o->size);
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing on success");
  cmd->callback([o, exit_code] { *exit_code = quantize(*o); });
}

}  // namespace octet::cli
