// SPDX-License-Identifier: Apache-2.0
//
// Device I/O of a quantized model (issue 10): the element type of each graph
// input and output (float32, uint8, int8), the device-side layout of image
// inputs (NHWC, NCHW), and the preprocessing x = (v·scale − mean[c]) / std[c]
// folded into an integer input so raw 8-bit pixels go in (docs/ptq.md,
// "Device I/O").
//
// quantize_model() calls prepare_io() on the fp32 graph before it emits the
// int8 model: that rewrites the input layout and folds the normalization
// (into the input's quantization parameters where they can express it
// exactly, into the first CONV_2D / FULLY_CONNECTED weights and bias where
// they cannot). The emitter then asks emit_input() / emit_output() for the
// boundary tensors.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "octet/builder.hpp"
#include "octet/octet.h"

namespace octet::schema {
struct ModelT;
}

namespace octet::ptq {

struct TensorRange;

/// Element type of a graph input or output on the device side.
enum class IoType { kFloat32, kUint8, kInt8 };
/// "float32", "uint8", "int8".
const char* io_type_name(IoType t);
/// "float32"/"float"/"fp32", "uint8", "int8" (QuantizeError otherwise).
IoType parse_io_type(const std::string& s);

/// Memory order of a rank-4 image input on the device side.
enum class IoLayout { kAsIs, kNHWC, kNCHW };
const char* io_layout_name(IoLayout l);  ///< "NHWC", "NCHW", "as-is"
/// "NHWC"/"nhwc", "NCHW"/"nchw" (QuantizeError otherwise).
IoLayout parse_io_layout(const std::string& s);

struct IoOptions {
  /// Per input/output name; the key "" applies to every one not named.
  std::map<std::string, IoType> input_types, output_types;
  std::map<std::string, IoLayout> input_layouts;
  /// Fold x = (v·scale − mean[c]) / std[c] into every integer input, v
  /// being the raw unsigned 8-bit value (uint8 input: v itself; int8 input:
  /// v − 128). mean/std: one value or one per channel.
  bool fold = false;
  float scale = 1.0f;
  std::vector<float> mean{0.0f}, std{1.0f};
};

/// Adds "TYPE" (key "") or "NAME=TYPE" to `map` for option `option`
/// (QuantizeError naming the option on a bad type).
void add_io_type_spec(const std::string& option, const std::string& spec,
                      std::map<std::string, IoType>* map);
/// Same for "--input-layout": "NHWC" or "NAME=NCHW".
void add_io_layout_spec(const std::string& spec, std::map<std::string, IoLayout>* map);

/// What prepare_io() decided for one graph input.
struct IoInput {
  IoType type = IoType::kFloat32;
  IoLayout layout = IoLayout::kAsIs;
  /// Integer inputs whose parameters the device fixes (folded
  /// normalization): the int8 parameters inside the graph (the device's
  /// uint8 zero point is 128 above). Empty = from calibration.
  Quant internal;
};

struct IoPlan {
  std::map<std::string, IoInput> inputs;
  std::map<std::string, IoType> outputs;
  /// Tensors whose consumers got folded weights: their calibrated channel
  /// means (bias correction) no longer describe those layers' inputs.
  std::set<std::string> folded_inputs;
  /// Human-readable notes: layout rewrites, folds, what is exact.
  std::vector<std::string> notes;
};

/// Rewrites the fp32 graph `m` for the requested device I/O: input layout
/// (drops the NCHW→NHWC transpose an ONNX import inserted when the device
/// layout is NHWC, adds one when an NHWC model is asked for NCHW input) and
/// the folded normalization (first-layer weights/bias). Updates `ranges` for
/// renamed/added tensors. Throws QuantizeError for unknown names, a fold
/// that cannot be expressed, or a layout on a non-image input.
IoPlan prepare_io(schema::ModelT* m, const IoOptions& o,
                  std::map<std::string, TensorRange>* ranges);

/// Emits graph input `name` of `in.type` (integer) whose int8 tensor inside
/// the graph has parameters `internal` (from calibration, or in.internal).
/// Returns the int8 tensor the graph computes with: the input itself (int8)
/// or a QUANTIZE uint8→int8 (same scale: q_s8 = q_u8 − 128). `*quantize_ops`
/// is incremented for an inserted step.
ModelBuilder::Id emit_input(ModelBuilder* b, const std::string& name, const IoInput& in,
                            const std::vector<int32_t>& shape, const Quant& internal,
                            int32_t* quantize_ops);

/// The graph output tensor for an int8 tensor `q` of output `name` with
/// device type `type` (int8: `q` itself; uint8: a QUANTIZE int8→uint8, a
/// shift by 128). Not for float32.
ModelBuilder::Id emit_output(ModelBuilder* b, const std::string& name, IoType type,
                             ModelBuilder::Id q, int32_t* quantize_ops);

/// How tools feed float samples to a model input: float32 as is; an
/// integer input with folded normalization (metadata "io.raw.NAME") gets
/// the raw 8-bit values (the data loaded with scale 1, no mean/std), as
/// they are (uint8) or − 128 (int8); any other integer input gets the
/// samples quantized with its scale and zero point, as QUANTIZE would.
struct InputFeed {
  int dtype = 0;  ///< octet_dtype
  bool raw = false, shift = false;
  float scale = 1;
  int32_t zero_point = 0;
  std::string name;
};
InputFeed input_feed(const octet_model* m, int32_t index);
/// Writes `n` samples into `dst` (the input's buffer). QuantizeError when a
/// raw value is not an integer of the input's range (naming it).
void feed_input(const InputFeed& f, const float* x, size_t n, void* dst);

}  // namespace octet::ptq
