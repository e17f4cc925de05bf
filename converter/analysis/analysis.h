// SPDX-License-Identifier: Apache-2.0
//
// Per-layer accuracy analysis of an int8 model against the float model it
// was quantized from (docs/analysis.md). Both models run on Octet's own
// executor over the same samples; observers
// (octet_interpreter_set_observer) read every tensor right after the
// operator that produced it.
//
//   entire      the int8 network runs as it is; each layer's output is
//               compared with the float network's tensor at the same place.
//   individual  the int8 network runs again, but after every layer the
//               observer overwrites its output with the float network's
//               value quantized with that tensor's own parameters, so each
//               layer sees (quantized) float inputs and its error is only
//               the error it adds itself.
//
// Layers are matched by operator name (the quantizer keeps the fp32 IR's
// operator names, which are the ONNX node names) and carry the operator's
// source_nodes, so a Conv+BatchNormalization+Relu fused into one CONV_2D
// names all three ONNX nodes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "converter/analysis/metrics.h"
#include "converter/ptq/data.h"
#include "converter/ptq/histogram.h"

namespace octet::analysis {

/// Any failure to analyze; the message names the culprit.
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A display histogram: `counts[i]` values in [lo + i·w, lo + (i+1)·w).
struct Bins {
  double lo = 0, hi = 0;
  std::vector<double> counts;
};

/// Weights of a CONV_2D / CONV_TRANSPOSE_2D / FULLY_CONNECTED layer.
struct WeightInfo {
  std::string tensor;                 ///< name of the weight tensor
  std::vector<int32_t> shape;
  int32_t axis = -1;                  ///< quantization axis (-1: per tensor)
  std::vector<float> channel_min, channel_max;  ///< float weights per output channel
  std::vector<float> scale;           ///< int8 scale per channel (or one)
  Bins histogram;                     ///< all float weights
  ErrorStats error;                   ///< dequantized int8 weights vs float
};

/// One layer: an operator of the int8 model that has a counterpart in the
/// float model, and one of its outputs.
struct Layer {
  int32_t depth = 0;                  ///< position in execution order (0-based)
  int32_t op = -1;                    ///< int8 model operator index
  std::string name, opcode;           ///< operator name (= --precision key)
  std::vector<std::string> source_nodes;  ///< ONNX nodes it came from
  std::string tensor;                 ///< output tensor (int8 model)
  std::string float_tensor;           ///< the float model's tensor it is compared with
  std::string dtype;                  ///< "int8", "float32" (kept in float), ...
  int32_t output = 0;                 ///< output index of the operator
  // Quantization of the output (int8 only; scale 0 otherwise).
  float scale = 0;
  int32_t zero_point = 0;
  bool has_calibration = false;
  float calib_min = 0, calib_max = 0;
  std::string method;
  ErrorStats entire, individual;
  /// Float values of the float model here, over a range that also covers
  /// the int8 representable range [scale·(−128 − zp), scale·(127 − zp)].
  Bins activations;
  bool has_weights = false;
  WeightInfo weights;
  /// Individual-mode rank (0 = worst); -1 when the layer adds no error.
  int32_t rank = -1;
};

/// Effect of keeping some layers in higher precision, measured by
/// re-quantizing the float model in memory with the same ranges.
struct Candidate {
  std::vector<std::string> nodes;     ///< --precision keys
  std::string precision;              ///< "fp32" or "int16"
  double output_sqnr_db = 0, output_cosine = 0;
  double top1_agreement = 0;          ///< % of samples with the float model's top-1
  /// Range candidates (precision "range"): the float tensor whose
  /// calibrated range was replaced, and the range used instead.
  std::string tensor;
  float old_min = 0, old_max = 0, new_min = 0, new_max = 0;
};

struct Summary {
  std::string float_model, int8_model, data;
  size_t samples = 0;
  /// Output 0 of the int8 model vs the float model.
  ErrorStats output;
  bool classifier = false;            ///< output 0 has > 1 value: top-1 compared
  size_t top1_agree = 0;
  int32_t int8_layers = 0, float_layers = 0;
  std::string quant_method, quant_weights;
};

/// One --precision override worth making.
struct Suggestion {
  std::string node;                   ///< operator name (a --precision key)
  std::string precision;              ///< "int16" or "fp32"
};

struct Advice {
  /// Baseline: the float model re-quantized with the ranges recorded in the
  /// int8 model and no override (should reproduce the int8 model).
  Candidate baseline;
  bool baseline_identical = false;    ///< rebuilt bytes == the int8 model given
  std::string ranges_note;            ///< where the ranges came from
  /// Each of the worst layers alone, in every precision tried (int16 when
  /// the quantizer supports it, and fp32).
  std::vector<Candidate> single;
  bool int16_supported = false;
  /// Layers worth raising, worst first: int16 when it recovers at least 90 %
  /// of what fp32 recovers (it keeps the layer on the integer path), else fp32.
  std::vector<Suggestion> suggestion;
  Candidate combined;                 ///< the suggestion as a whole
  /// Worst layers that clip (> 0.1 % of values): their output range replaced
  /// by the one the int8 model's method chooses on the analysis data. A range
  /// that clips is not fixed by raising the layer's precision (its consumers
  /// still quantize with that range).
  std::vector<Candidate> recalibrate;
  std::vector<Candidate> recalibrate_suggested;  ///< those that help
  std::string note;                   ///< why nothing, or limits
  bool measured = false;
};

struct Analysis {
  Summary summary;
  std::vector<Layer> layers;          ///< execution order
  std::vector<int32_t> ranking;       ///< indices into layers, worst first
  Advice advice;
};

/// Called as the analysis proceeds: (stage, done, total).
using Progress = std::function<void(const char*, size_t, size_t)>;

struct Options {
  /// How many of the worst layers to try in higher precision (0: no advice).
  int32_t candidates = 3;
  /// Bins of the display histograms.
  int32_t bins = 64;
};

/// Runs the analysis. `fp32_model` and `int8_model` are .octet bytes (the
/// int8 one produced from the fp32 one by the quantizer); `data` gives the
/// samples. Throws AnalysisError.
Analysis analyze(const std::vector<uint8_t>& fp32_model, const std::vector<uint8_t>& int8_model,
                 const ptq::Dataset& data, const Options& options = {},
                 const Progress& progress = {});

/// Infinity-safe formatting of a dB value ("exact" for +inf).
std::string format_db(double db);

}  // namespace octet::analysis
