// SPDX-License-Identifier: Apache-2.0
//
// Post-training quantization: an fp32 .octet model (the converter's IR, as
// `octet convert` writes it) and calibration data in, an int8 .octet model
// out (docs/quantization.md defines the numbers, docs/ptq.md the flow).
//
//   1. calibrate(): run the fp32 model with Octet's own executor, an
//      observer reading every float activation after the operator that
//      produced it, one streaming pass into bounded-memory histograms
//      (converter/ptq/histogram.h).
//   2. choose_ranges(): a real range per tensor by the chosen method,
//      narrowed to what a fused activation can output.
//   3. quantize_model(): emit the model again through octet::ModelBuilder —
//      weights int8 symmetric per output channel (or per tensor), bias int32
//      at s_in·s_w[c], activations int8 asymmetric, operators kept in fp32
//      where asked (mixed precision) with QUANTIZE / DEQUANTIZE inserted at
//      every precision boundary and at the float graph inputs/outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "converter/ptq/data.h"
#include "converter/ptq/histogram.h"
#include "converter/ptq/io_types.h"

namespace octet::ptq {

/// Any failure to quantize; the message names the culprit.
class QuantizeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Precision { kInt8, kInt16, kFp32 };
const char* precision_name(Precision p);
/// "int8", "int16", "fp32"/"float32"/"float" (QuantizeError otherwise).
Precision parse_precision(const std::string& s);

/// Called as calibration proceeds: (samples done, total).
using Progress = std::function<void(size_t, size_t)>;

/// Statistics of every float tensor of the fp32 model, by tensor name.
struct Calibration {
  std::map<std::string, Histogram> tensors;
  /// Mean of every channel (last dimension) of every float activation.
  std::map<std::string, std::vector<double>> channel_means;
  size_t samples = 0;
  std::string data;  ///< description of the data set
};

/// Runs the fp32 model on every sample of `data`. Throws QuantizeError.
Calibration calibrate(const std::vector<uint8_t>& fp32_model, const Dataset& data,
                      const Progress& progress = {});

/// A calibrated real range.
struct TensorRange {
  float min = 0, max = 0;
  std::string method;
};

struct QuantizeOptions {
  /// Default range method for activations. The default is the measured best
  /// on the Fashion-MNIST benchmark (docs/accuracy.md).
  RangeMethod method = parse_range_method("percentile:99.99");
  /// Weights: symmetric int8 per output channel (true) or per tensor.
  bool per_channel = true;
  /// Per-node precision: key = operator name or any of its source (ONNX)
  /// node names. Unknown keys are an error.
  std::map<std::string, Precision> precision;
  /// Per-tensor ranges that win over calibration (from a config file).
  std::map<std::string, TensorRange> ranges;
  /// Bias correction: fold the expected error of the quantized weights,
  /// Σ_k (W_q − W)[c,k] · E[x_k], into each CONV/FC bias, using these input
  /// channel means (Calibration::channel_means); null = off.
  const std::map<std::string, std::vector<double>>* bias_correction = nullptr;
  /// Given per-output-channel weight scales by weight tensor name (a
  /// pre-quantized QDQ model's own, converter/ptq/qdq.h): used instead of
  /// max|w|/127, codes clamped to [-128, 127]. Null = none.
  const std::map<std::string, std::vector<float>>* weight_scales = nullptr;
  /// Recorded in metadata "quant.calibration".
  std::string calibration_note;
  /// Device I/O: input/output types, input layout, folded normalization
  /// (converter/ptq/io_types.h). Default: float32 in and out, as imported.
  IoOptions io;
};

/// One quantizable operator as the config file lists it.
struct NodeReport {
  std::string name, opcode;
  std::vector<std::string> source_nodes;
  Precision precision = Precision::kInt8;
  std::vector<std::string> outputs;  ///< fp32-model tensor names
};

struct QuantizeReport {
  std::vector<NodeReport> nodes;
  std::map<std::string, TensorRange> ranges;  ///< every range used
  int32_t int8_ops = 0, fp32_ops = 0, quantize_ops = 0, dequantize_ops = 0;
  int32_t int16_ops = 0;  ///< int16 × int8 operators (docs/quantization.md §6)
  std::vector<std::string> io_notes;  ///< device I/O decisions (io_types.h)
};

/// Ranges for every calibrated tensor by `method` (no narrowing yet).
std::map<std::string, TensorRange> choose_ranges(const Calibration& cal, const RangeMethod& method);

/// fp32 .octet bytes + ranges (from choose_ranges and/or options.ranges) →
/// int8 .octet bytes. Throws QuantizeError.
std::vector<uint8_t> quantize_model(const std::vector<uint8_t>& fp32_model,
                                    const std::map<std::string, TensorRange>& ranges,
                                    const QuantizeOptions& options,
                                    QuantizeReport* report = nullptr);

/// The config file (JSON): settings, every quantizable node with its
/// precision, and every activation range. Edit and pass back (--config).
std::string write_config(const QuantizeOptions& options, const QuantizeReport& report);
/// Reads a config into `options` (precision overrides and ranges; method
/// and weight granularity too). Throws QuantizeError with the file name.
void read_config(const std::string& json_text, const std::string& source, QuantizeOptions* options);

/// One step of automatic mixed precision.
struct PrecisionStep {
  std::string node;     ///< operator raised to int16 or fp32
  std::string opcode;
  double before = 0, after = 0;  ///< top-1 disagreement with fp32, %
  double mse_after = 0;          ///< mean squared output error
  /// Precision it was raised to (int16 is preferred when it meets the budget).
  Precision to = Precision::kFp32;
};

/// `--max-drop X`: quantizes, then, while more than `max_drop` % of the
/// samples of `data` get a different top-1 (output 0) than the fp32 model —
/// an upper bound of the accuracy drop that needs no labels — raises to
/// fp32 the one int8 operator whose raise helps most (each candidate is
/// measured, ties broken by the output MSE). Updates options->precision and
/// returns the final model; `steps` says what changed and why.
std::vector<uint8_t> auto_mixed_precision(const std::vector<uint8_t>& fp32_model,
                                          const std::map<std::string, TensorRange>& ranges,
                                          QuantizeOptions* options, const Dataset& data,
                                          double max_drop, std::vector<PrecisionStep>* steps,
                                          double* initial_disagreement = nullptr);

/// `--dynamic`: int8 symmetric per-channel weights for every
/// FULLY_CONNECTED with constant float weights, and every MATMUL by a
/// constant 2-D matrix (rewritten as a FULLY_CONNECTED), everything else fp32; the
/// runtime quantizes the FC inputs per inference from their actual range
/// (docs/quantization.md §7). Needs no calibration data. `dynamic_ops`
/// receives the number of operators converted. Throws QuantizeError.
std::vector<uint8_t> quantize_dynamic(const std::vector<uint8_t>& fp32_model,
                                      const QuantizeOptions& options,
                                      int32_t* dynamic_ops = nullptr);

/// Top-1/top-5 of a classifier over a data set.
struct EvalResult {
  size_t samples = 0, top1 = 0, top5 = 0;
  std::vector<int32_t> predictions;  ///< argmax per sample
  double micros_per_sample = 0;
};
/// Runs `model` (any precision; output 0 = class scores) over `data`.
EvalResult evaluate(const std::vector<uint8_t>& model, const Dataset& data,
                    const std::vector<int64_t>& labels, const Progress& progress = {});

/// Shape of the model's single input (QuantizeError if not exactly one).
std::vector<int32_t> model_input_shape(const std::vector<uint8_t>& model);

/// Reads a model file: .octet bytes as they are, .onnx through the ONNX
/// importer (fp32).
std::vector<uint8_t> load_model_any(const std::string& path);

}  // namespace octet::ptq
