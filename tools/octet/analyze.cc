// SPDX-License-Identifier: Apache-2.0
//
// octet analyze FLOAT(.onnx|.octet) INT8.octet --data DATA [--count N]
//   [--report report.html] [--json FILE]: per-layer error of an int8 model
// against its float model (a thin front over converter/analysis).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "converter/analysis/analysis.h"
#include "converter/analysis/report.h"
#include "converter/ptq/quantizer.h"
#include "tools/octet/commands.h"

namespace octet::cli {

ptq::Progress progress_bar(const char* what, bool quiet);
ptq::Preprocess make_preprocess(const std::string& mean, const std::string& std_, float scale,
                                const std::string& layout, const std::string& order,
                                const std::string& size);
void add_preprocess_options(CLI::App* cmd, std::string* mean, std::string* std_, float* scale,
                            std::string* layout, std::string* order, std::string* size);

namespace {

struct AnalyzeOptions {
  std::string float_model, int8_model, data, report, json;
  size_t count = 0, rows = 20;
  int32_t candidates = 3;
  std::string mean, std, layout = "auto", channel_order = "rgb", size;
  float scale = -1;
  bool quiet = false;
};

int write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return fail("cannot write '" + path + "'");
  f << text;
  if (!f) return fail("error writing '" + path + "'");
  return 0;
}

int analyze(const AnalyzeOptions& o) {
  try {
    const std::vector<uint8_t> fp32 = ptq::load_model_any(o.float_model);
    const std::vector<uint8_t> int8 = ptq::load_model_any(o.int8_model);
    const ptq::Preprocess pre =
        make_preprocess(o.mean, o.std, o.scale, o.layout, o.channel_order, o.size);
    const ptq::Dataset data = ptq::open_dataset(o.data, ptq::model_input_shape(fp32), pre, o.count);
    if (!o.quiet) fprintf(stderr, "data: %s\n", data.description().c_str());
    // One bar per stage, drawn by the same progress bar as quantize's.
    std::string stage;
    ptq::Progress bar;
    auto progress = [&](const char* what, size_t done, size_t total) {
      if (o.quiet) return;
      if (stage != what) stage = what, bar = progress_bar(what, false);
      if (bar) bar(done, total);
    };
    analysis::Options opt;
    opt.candidates = o.candidates;
    analysis::Analysis a = analysis::analyze(fp32, int8, data, opt, progress);
    a.summary.float_model = o.float_model;
    a.summary.int8_model = o.int8_model;
    printf("%s", analysis::format_table(a, o.rows).c_str());
    if (!o.json.empty()) {
      if (int rc = write_text(o.json, analysis::to_json(a))) return rc;
      if (!o.quiet) printf("JSON written to %s\n", o.json.c_str());
    }
    if (!o.report.empty()) {
      if (int rc = write_text(o.report, analysis::to_html(a))) return rc;
      if (!o.quiet) printf("report written to %s\n", o.report.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace

void add_analyze(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "analyze", "Per-layer error of an int8 model against its float model (table, JSON, HTML report)");
  cmd->add_option("float_model", o->float_model, "The float model (.onnx or fp32 .octet)")->required();
  cmd->add_option("int8_model", o->int8_model, "The int8 model quantized from it (.octet)")->required();
  cmd->add_option("--data", o->data,
                  "Inputs: .npy batch, directory of .npy, IDX file (*-idx3-ubyte[.gz]) or directory "
                  "of PNG/JPEG images")
      ->required();
  cmd->add_option("--count", o->count, "Use only the first N samples");
  cmd->add_option("--report", o->report, "Write a self-contained HTML report (inline SVG charts)");
  cmd->add_option("--json", o->json, "Write everything as JSON");
  cmd->add_option("--rows", o->rows, "Table rows to print, worst first (0: all; default 20)");
  cmd->add_option("--candidates", o->candidates,
                  "Worst layers to re-quantize in higher precision to measure the gain (default 3, 0: none)")
      ->check(CLI::Range(0, 1000));
  add_preprocess_options(cmd, &o->mean, &o->std, &o->scale, &o->layout, &o->channel_order, &o->size);
  cmd->add_flag("-q,--quiet", o->quiet, "No progress bar");
  cmd->callback([o, exit_code] { *exit_code = analyze(*o); });
}

}  // namespace octet::cli
