// SPDX-License-Identifier: Apache-2.0
//
// octet eval MODEL.octet --data DATA --labels LABELS [--compare OTHER.octet]:
// top-1/top-5 accuracy of a classifier, and the agreement of two models.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "converter/ptq/quantizer.h"
#include "octet/octet.hpp"
#include "tools/octet/commands.h"

namespace octet::cli {

ptq::Progress progress_bar(const char* what, bool quiet);
ptq::Preprocess make_preprocess(const std::string& mean, const std::string& std_, float scale,
                                const std::string& layout, const std::string& order,
                                const std::string& size);
void add_preprocess_options(CLI::App* cmd, std::string* mean, std::string* std_, float* scale,
                            std::string* layout, std::string* order, std::string* size);

namespace {

struct EvalOptions {
  std::string model, data, labels, compare;
  size_t count = 0;
  std::string mean, std, layout = "auto", channel_order = "rgb", size;
  float scale = -1;
  bool quiet = false;
};

int eval(const EvalOptions& o) {
  try {
    const std::vector<int64_t> labels = ptq::read_labels(o.labels);
    const ptq::Preprocess pre =
        make_preprocess(o.mean, o.std, o.scale, o.layout, o.channel_order, o.size);
    std::vector<std::string> paths{o.model};
    if (!o.compare.empty()) paths.push_back(o.compare);
    std::vector<ptq::EvalResult> results;
    for (const auto& p : paths) {
      const std::vector<uint8_t> bytes = ptq::load_model_any(p);
      // A model with the normalization folded into an integer input takes
      // the raw 8-bit data (io_types.h): no scale, mean or std on this side.
      ptq::Preprocess model_pre = pre;
      {
        Model m;
        const Status st = m.load_buffer(bytes.data(), bytes.size());
        if (!st) return fail(p + ": " + st.to_string());
        if (m.num_inputs() == 1 && ptq::input_feed(m.get(), 0).raw) {
          model_pre.scale = 1.0f;
          model_pre.mean = {0.0f};
          model_pre.std = {1.0f};
          const octet_layout l = octet_model_input_layout(m.get(), 0);
          if (o.layout == "auto" && l != OCTET_LAYOUT_UNKNOWN) {
            model_pre.layout = l == OCTET_LAYOUT_NHWC ? ptq::Layout::kNHWC : ptq::Layout::kNCHW;
          }
          if (!o.quiet) {
            fprintf(stderr, "%s: input '%s' takes raw %s data (normalization folded in)\n", p.c_str(),
                    m.input_info(0).name, octet_dtype_name(m.input_info(0).dtype));
          }
        }
      }
      const ptq::Dataset data =
          ptq::open_dataset(o.data, ptq::model_input_shape(bytes), model_pre, o.count);
      results.push_back(ptq::evaluate(bytes, data, labels, progress_bar(p.c_str(), o.quiet)));
      const auto& r = results.back();
      printf("%s: top-1 %.2f %% (%zu/%zu)  top-5 %.2f %%  %zu bytes  %.1f us/inference\n", p.c_str(),
             100.0 * double(r.top1) / double(r.samples), r.top1, r.samples,
             100.0 * double(r.top5) / double(r.samples), bytes.size(), r.micros_per_sample);
    }
    if (results.size() == 2) {
      size_t agree = 0;
      for (size_t i = 0; i < results[0].predictions.size(); ++i) {
        agree += results[0].predictions[i] == results[1].predictions[i];
      }
      const double d = 100.0 * (double(results[1].top1) - double(results[0].top1)) /
                       double(results[0].samples);
      printf("agreement (same top-1): %.2f %% (%zu/%zu); top-1 difference %+.2f pp\n",
             100.0 * double(agree) / double(results[0].samples), agree, results[0].samples, d);
    }
    return 0;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}

}  // namespace

void add_eval(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Top-1/top-5 accuracy of a classifier on labelled data");
  cmd->add_option("model", o->model, "Model (.octet, or .onnx converted on the fly)")->required();
  cmd->add_option("--data", o->data,
                  "Inputs: .npy batch, directory of .npy, IDX file or directory of images")
      ->required();
  cmd->add_option("--labels", o->labels, "Labels: IDX label file, integer .npy or text, one per line")
      ->required();
  cmd->add_option("--compare", o->compare, "A second model: accuracy and top-1 agreement");
  cmd->add_option("--count", o->count, "Use only the first N samples");
  add_preprocess_options(cmd, &o->mean, &o->std, &o->scale, &o->layout, &o->channel_order, &o->size);
  cmd->add_flag("-q,--quiet", o->quiet, "No progress bar");
  cmd->callback([o, exit_code] { *exit_code = eval(*o); });
}

}  // namespace octet::cli
