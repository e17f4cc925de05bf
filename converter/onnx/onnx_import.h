// SPDX-License-Identifier: Apache-2.0
//
// ONNX import: an ONNX model (parsed with libonnx's protobuf classes) becomes
// an fp32 .octet model. Pipeline: load (initializers, Constant nodes, fixed
// input shapes) -> shape inference with constant folding -> Identity/Dropout
// removal -> HardSwish recognition -> BatchNormalization folding ->
// activation fusion -> dead-code removal -> emission through
// octet::ModelBuilder, NHWC inside, with a TRANSPOSE only where an operator
// needs the NCHW order. docs/onnx-support.md lists what is supported.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace octet::onnx_import {

/// Any failure to convert; the message names the culprit.
class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The model uses nodes Octet cannot run. The message lists every one of them
/// (name, op type, opset, reason), not just the first.
class UnsupportedModelError : public ImportError {
 public:
  struct Node {
    std::string name, op_type, reason;
    int64_t opset = 0;
  };
  UnsupportedModelError(const std::string& what, std::vector<Node> nodes)
      : ImportError(what), nodes(std::move(nodes)) {}
  std::vector<Node> nodes;
};

/// Graph inputs that must be constants for the model to convert (e.g. the
/// scales of QLinearConv, the shape of a Reshape). Tools that know their
/// values (the conformance runner) bind them with ImportOptions::bind.
class NeedsConstantError : public ImportError {
 public:
  NeedsConstantError(const std::string& what, std::vector<std::string> inputs)
      : ImportError(what), inputs(std::move(inputs)) {}
  std::vector<std::string> inputs;
};

struct ImportOptions {
  /// Fixes the shape of graph inputs (replaces every dimension).
  std::map<std::string, std::vector<int64_t>> input_shapes;
  /// Graph inputs given a fixed value: they become initializers.
  std::map<std::string, onnx::TensorProto> bind;
  /// Recorded in the .octet file as its source.
  std::string source_name;
};

/// What the conversion did (for tools and tests).
struct ImportReport {
  int64_t ir_version = 0, opset = 0;
  int32_t onnx_nodes = 0;                    ///< nodes in the ONNX graph
  int32_t octet_operators = 0;               ///< operators written
  int32_t transposes = 0;                    ///< layout TRANSPOSEs inserted
  int32_t folded_nodes = 0;                  ///< nodes removed by constant folding
  int32_t fused_nodes = 0;                   ///< BN / activation / HardSwish nodes fused away
  std::vector<std::string> inputs, outputs;  ///< .octet I/O names, in order
};

/// Converts a parsed model. Throws ImportError (or a subclass).
std::vector<uint8_t> convert(const onnx::ModelProto& model, const ImportOptions& options,
                             ImportReport* report = nullptr);

/// Reads and parses an .onnx file (ImportError if unreadable).
onnx::ModelProto load_model_file(const std::string& path);

/// Reads a serialized onnx TensorProto (.pb, as in the ONNX backend tests).
onnx::TensorProto load_tensor_file(const std::string& path);

/// Parses "NAME=1,3,224,224" (ImportError on bad syntax).
std::pair<std::string, std::vector<int64_t>> parse_input_shape(const std::string& spec);

}  // namespace octet::onnx_import
