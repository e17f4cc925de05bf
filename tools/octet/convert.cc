// SPDX-License-Identifier: Apache-2.0
//
// octet convert MODEL.onnx -o MODEL.octet [--input-shape NAME=1,3,224,224 ...]:
// a thin front over converter/onnx (the library does all the work).
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "converter/onnx/onnx_import.h"
#include "converter/ptq/qdq.h"
#include "tools/octet/commands.h"

namespace octet::cli {
namespace {

struct ConvertOptions {
  std::string model;
  std::string output;
  std::vector<std::string> input_shapes;
  bool keep_qdq = false;
  bool quiet = false;
};

int convert(const ConvertOptions& o) {
  namespace oi = octet::onnx_import;
  try {
    oi::ImportOptions opt;
    for (const auto& spec : o.input_shapes) opt.input_shapes.insert(oi::parse_input_shape(spec));
    const size_t slash = o.model.find_last_of('/');
    opt.source_name = slash == std::string::npos ? o.model : o.model.substr(slash + 1);
    const onnx::ModelProto model = oi::load_model_file(o.model);
    oi::ImportReport rep;
    std::vector<uint8_t> bytes = oi::convert(model, opt, &rep);
    // A pre-quantized (QDQ) model becomes native int8 operators with its
    // own scales (converter/ptq/qdq.h) unless --keep-qdq.
    octet::ptq::QdqReport qrep;
    const bool qdq = !o.keep_qdq && octet::ptq::has_qdq_pairs(bytes);
    if (qdq) bytes = octet::ptq::qdq_to_int8(bytes, &qrep);
    std::ofstream f(o.output, std::ios::binary | std::ios::trunc);
    if (!f) return fail("cannot write '" + o.output + "'");
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!f) return fail("error writing '" + o.output + "'");
    if (!o.quiet) {
      printf("%s: ONNX IR %lld, opset %lld, %d nodes -> %s: %d operators, %zu bytes\n",
             o.model.c_str(), static_cast<long long>(rep.ir_version),
             static_cast<long long>(rep.opset), rep.onnx_nodes, o.output.c_str(),
             rep.octet_operators, bytes.size());
      printf("  folded %d constant nodes, fused %d nodes, inserted %d layout transposes\n",
             rep.folded_nodes, rep.fused_nodes, rep.transposes);
      if (qdq) {
        printf("  QDQ model: %d QuantizeLinear/DequantizeLinear pairs, %d weight tensors on their own scales -> %d int8 operators "
               "with the model's own scales (%d fp32, %d QUANTIZE, %d DEQUANTIZE)\n",
               qrep.pairs, qrep.weights_with_own_scales, qrep.quantize.int8_ops, qrep.quantize.fp32_ops,
               qrep.quantize.quantize_ops, qrep.quantize.dequantize_ops);
      }
    }
    return 0;
  } catch (const octet::onnx_import::ImportError& e) {
    return fail(e.what());
  } catch (const octet::ptq::QuantizeError& e) {
    return fail(std::string("QDQ model: ") + e.what());
  }
}

}  // namespace

void add_convert(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand("convert", "Convert an ONNX model to an fp32 .octet model");
  cmd->add_option("model", o->model, "ONNX model (.onnx)")->required();
  cmd->add_option("-o,--output", o->output, "Output .octet file")->required();
  cmd->add_option("--input-shape", o->input_shapes,
                  "Fix an input's shape: NAME=D0,D1,... (repeatable)");
  cmd->add_flag("--keep-qdq", o->keep_qdq,
                "Keep QuantizeLinear/DequantizeLinear as QUANTIZE/DEQUANTIZE around float operators "
                "instead of converting a QDQ model to int8 operators");
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing on success");
  cmd->callback([o, exit_code] { *exit_code = convert(*o); });
}

}  // namespace octet::cli
