// SPDX-License-Identifier: Apache-2.0
//
// octet::ModelBuilder: writes valid .octet models from C++ (host side: tests,
// tools and the converter use it; applications usually do not link it).
//
// Tensors are added as graph inputs, constants or operator outputs; each
// operator method infers its output shape, names it, and returns its id.
// finish() computes every integer parameter of the quantized operators
// (multipliers, shifts, clamps, lookup tables — docs/quantization.md) from
// the tensors' scales, so the runtime needs no floating point for them.
// Misuse (unknown tensor, impossible shape) throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace octet {

/// Element types (values match the model format and octet_dtype).
enum class DType : int8_t { kFloat32 = 0, kInt8 = 1, kUint8 = 2, kInt16 = 3, kInt32 = 4, kInt64 = 5 };

/// real = scale · (q − zero_point); per tensor (axis −1) or per channel.
struct Quant {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int32_t axis = -1;

  static Quant per_tensor(float scale, int64_t zero_point = 0) {
    return Quant{{scale}, {zero_point}, -1};
  }
  static Quant per_channel(std::vector<float> scales, int32_t axis) {
    return Quant{std::move(scales), {}, axis};
  }
  bool empty() const { return scale.empty(); }
};

/// Activation fused into an operator's output (a clamp of its range).
struct Activation {
  enum Kind : int8_t { kNone = 0, kRelu = 1, kRelu6 = 2, kClamp = 3 } kind = kNone;
  float min = 0;
  float max = 0;

  static Activation none() { return {}; }
  static Activation relu() { return {kRelu, 0, 0}; }
  static Activation relu6() { return {kRelu6, 0, 6}; }
  static Activation clamp(float lo, float hi) { return {kClamp, lo, hi}; }
};

struct Conv2DOptions {
  int32_t stride_h = 1, stride_w = 1;
  int32_t dilation_h = 1, dilation_w = 1;
  int32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int32_t groups = 1;
  /// ConvTranspose only: extra rows/columns at the bottom/right, each below
  /// max(stride, dilation) of its axis.
  int32_t output_padding_h = 0, output_padding_w = 0;
};

struct Pool2DOptions {
  int32_t kernel_h = 1, kernel_w = 1;
  int32_t stride_h = 1, stride_w = 1;
  int32_t dilation_h = 1, dilation_w = 1;
  int32_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool count_include_pad = false;
  bool ceil_mode = false;
};

enum class PadMode : int8_t { kConstant = 0, kReflect = 1, kEdge = 2 };
enum class ResizeMode : int8_t { kNearest = 0, kBilinear = 1 };
enum class CoordinateTransform : int8_t {
  kHalfPixel = 0,
  kAlignCorners = 1,
  kAsymmetric = 2,
  kPytorchHalfPixel = 3
};
enum class NearestRounding : int8_t {
  kRoundPreferFloor = 0,
  kRoundPreferCeil = 1,
  kFloor = 2,
  kCeil = 3
};

struct ResizeOptions {
  ResizeMode mode = ResizeMode::kNearest;
  CoordinateTransform coordinate_transform = CoordinateTransform::kHalfPixel;
  NearestRounding nearest_rounding = NearestRounding::kRoundPreferFloor;
  /// Scale factors as the source model gave them (0: out/in).
  float scale_h = 0, scale_w = 0;
};

/// Writes the whole-file CRC-32C into a serialized model (which must carry
/// the checksum field, as every file ModelBuilder writes does). Tools that
/// edit a model's bytes call it afterwards. Throws std::invalid_argument if
/// `bytes` is not a model with a checksum field.
void seal_model(std::vector<uint8_t>& bytes);

/// Builds one model. Not thread-safe; cheap to create.
class ModelBuilder {
 public:
  using Id = int32_t;
  static constexpr Id kNone = -1;

  ModelBuilder();
  ~ModelBuilder();
  ModelBuilder(const ModelBuilder&) = delete;
  ModelBuilder& operator=(const ModelBuilder&) = delete;

  // ---- tensors
  Id input(const std::string& name, DType dtype, std::vector<int32_t> shape, Quant quant = {});
  Id constant(const std::string& name, DType dtype, std::vector<int32_t> shape, const void* data,
              size_t bytes, Quant quant = {});
  Id constant_f32(const std::string& name, std::vector<int32_t> shape,
                  const std::vector<float>& values);
  Id constant_i8(const std::string& name, std::vector<int32_t> shape,
                 const std::vector<int8_t>& values, Quant quant);
  Id constant_i32(const std::string& name, std::vector<int32_t> shape,
                  const std::vector<int32_t>& values, Quant quant = {});
  void output(Id tensor);

  /// Shape/dtype/quantization of a tensor added so far.
  const std::vector<int32_t>& shape(Id tensor) const;
  DType dtype(Id tensor) const;
  const Quant& quant(Id tensor) const;
  /// Renames a tensor (e.g. to give a graph output a stable name).
  void rename(Id tensor, const std::string& name);
  /// Records the calibrated real range a quantized tensor's parameters came
  /// from and how it was chosen ("minmax", "percentile:99.99", ...): the
  /// informative Tensor.quantization min/max/method fields. Throws if the
  /// tensor has no quantization.
  void set_calibration(Id tensor, std::vector<float> min, std::vector<float> max,
                       const std::string& method);

  // ---- operators. `out` is the output quantization (int8 ops); empty for
  // fp32 and for ops whose output must keep the input's quantization (then
  // it is copied). `name` names the operator and its output tensor.
  Id conv2d(Id x, Id w, Id bias, const Conv2DOptions& o, Activation act, const std::string& name,
            Quant out = {});
  Id conv_transpose2d(Id x, Id w, Id bias, const Conv2DOptions& o, Activation act,
                      const std::string& name, Quant out = {});
  Id fully_connected(Id x, Id w, Id bias, Activation act, const std::string& name, Quant out = {});
  Id matmul(Id a, Id b, const std::string& name, Quant out = {});
  Id add(Id a, Id b, Activation act, const std::string& name, Quant out = {});
  Id sub(Id a, Id b, Activation act, const std::string& name, Quant out = {});
  Id mul(Id a, Id b, Activation act, const std::string& name, Quant out = {});
  Id div(Id a, Id b, Activation act, const std::string& name);
  Id clamp(Id x, Activation act, const std::string& name, Quant out = {});
  Id hard_swish(Id x, const std::string& name, Quant out = {});
  Id hard_sigmoid(Id x, float alpha, float beta, const std::string& name, Quant out = {});
  Id sigmoid(Id x, const std::string& name, Quant out = {});
  Id tanh(Id x, const std::string& name, Quant out = {});
  Id leaky_relu(Id x, float alpha, const std::string& name, Quant out = {});
  Id prelu(Id x, Id slope, const std::string& name, Quant out = {});
  Id max_pool2d(Id x, const Pool2DOptions& o, const std::string& name);
  Id average_pool2d(Id x, const Pool2DOptions& o, const std::string& name, Quant out = {});
  Id mean(Id x, std::vector<int32_t> axes, bool keep_dims, const std::string& name,
          Quant out = {});
  Id concat(const std::vector<Id>& xs, int32_t axis, const std::string& name, Quant out = {});
  std::vector<Id> split(Id x, int32_t axis, const std::vector<int32_t>& sizes,
                        const std::string& name);
  /// begin/end/step per dimension with Python/ONNX semantics (negative
  /// indices count from the end; clamped).
  Id slice(Id x, std::vector<int32_t> begin, std::vector<int32_t> end, std::vector<int32_t> step,
           const std::string& name);
  Id reshape(Id x, std::vector<int32_t> shape, const std::string& name);
  Id transpose(Id x, std::vector<int32_t> perm, const std::string& name);
  /// pads in ONNX order: before_0..before_{r-1}, after_0..after_{r-1}.
  Id pad(Id x, std::vector<int32_t> pads, PadMode mode, float value, const std::string& name);
  Id resize(Id x, int32_t out_h, int32_t out_w, const ResizeOptions& o, const std::string& name,
            Quant out = {});
  Id softmax(Id x, float beta, const std::string& name, Quant out = {});
  Id quantize(Id x, DType dtype, Quant out, const std::string& name);
  Id dequantize(Id x, const std::string& name);

  /// Records the source-model nodes an operator came from (defaults to its name).
  void set_source_nodes(const std::string& op_name, std::vector<std::string> nodes);

  // ---- model-level
  void set_description(const std::string& producer, const std::string& source,
                       const std::string& description);
  void add_metadata(const std::string& key, const std::string& value);

  /// Serializes the model; throws std::invalid_argument if a quantized
  /// operator's parameters cannot be represented.
  std::vector<uint8_t> finish();
  /// finish() and write to `path` (throws std::runtime_error on I/O errors).
  void save(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace octet
