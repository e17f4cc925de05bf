// SPDX-License-Identifier: Apache-2.0
//
// ModelBuilder: the schema's object API plus shape inference and the
// conversion-time integer parameters of quantized operators.
#include "octet/builder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

#include "converter/quant/lut.h"
#include "converter/quant/quant_math.h"
#include "runtime/crc32c.h"
#include "runtime/model.h"
#include "schema/octet_generated.h"

namespace octet {

namespace fb = octet::schema;
using kernels::Multiplier;

namespace {

constexpr uint32_t kFormatVersion = 1;

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument(what); }

size_t dtype_size(DType d) {
  switch (d) {
    case DType::kFloat32: return 4;
    case DType::kInt8: return 1;
    case DType::kUint8: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: return 4;
    case DType::kInt64: return 8;
  }
  return 0;
}

std::string shape_str(const std::vector<int32_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t num_elements(const std::vector<int32_t>& s) {
  int64_t n = 1;
  for (int32_t d : s) n *= d;
  return n;
}

int32_t conv_out(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t p0, int32_t p1,
                 bool ceil_mode = false) {
  const int32_t eff = dil * (k - 1) + 1;
  const int32_t span = in + p0 + p1 - eff;
  if (span < 0) return 0;
  int32_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // ONNX/PyTorch: the last window must start inside the input or left padding.
  if (ceil_mode && (out - 1) * stride >= in + p0) --out;
  return out;
}

void int_range(DType d, int32_t* lo, int32_t* hi) {
  switch (d) {
    case DType::kInt8: *lo = -128; *hi = 127; return;
    case DType::kUint8: *lo = 0; *hi = 255; return;
    case DType::kInt16: *lo = -32767; *hi = 32767; return;
    default: *lo = std::numeric_limits<int32_t>::min(); *hi = std::numeric_limits<int32_t>::max();
  }
}

bool is_quantized_type(DType d) {
  return d == DType::kInt8 || d == DType::kUint8 || d == DType::kInt16;
}

}  // namespace

struct ModelBuilder::Impl {
  fb::ModelT model;
  std::vector<Quant> quants;  // builder view of each tensor's quantization
  std::map<std::string, size_t> op_by_name;

  Impl() {
    model.version = kFormatVersion;
    model.producer = "octet-builder 0.1.0";
    model.buffers.push_back(std::make_unique<fb::BufferT>());  // sentinel
  }

  void check(Id t) const {
    if (t < 0 || static_cast<size_t>(t) >= model.tensors.size()) {
      bad("unknown tensor id " + std::to_string(t));
    }
  }
  fb::TensorT& tensor(Id t) {
    check(t);
    return *model.tensors[t];
  }
  const fb::TensorT& tensor(Id t) const {
    check(t);
    return *model.tensors[t];
  }
  DType dtype(Id t) const { return static_cast<DType>(tensor(t).dtype); }

  Id add_tensor(const std::string& name, DType dtype, std::vector<int32_t> shape, Quant q) {
    for (int32_t d : shape) {
      if (d <= 0) bad("tensor '" + name + "': non-positive dimension in " + shape_str(shape));
    }
    auto t = std::make_unique<fb::TensorT>();
    t->name = name;
    t->dtype = static_cast<fb::DType>(dtype);
    t->shape = std::move(shape);
    if (!q.empty()) {
      auto fq = std::make_unique<fb::QuantizationT>();
      fq->scale = q.scale;
      fq->zero_point = q.zero_point;
      fq->axis = q.axis;
      t->quantization = std::move(fq);
    }
    model.tensors.push_back(std::move(t));
    quants.push_back(std::move(q));
    return static_cast<Id>(model.tensors.size() - 1);
  }

  fb::OperatorT& add_op(fb::OpCode code, const std::string& name, std::vector<int32_t> inputs,
                        std::vector<int32_t> outputs, Activation act = {}) {
    for (int32_t t : inputs) {
      if (t != kNone) check(t);
    }
    auto op = std::make_unique<fb::OperatorT>();
    op->opcode = code;
    op->name = name;
    op->source_nodes = {name};
    op->inputs = std::move(inputs);
    op->outputs = std::move(outputs);
    op->activation = static_cast<fb::Activation>(act.kind);
    switch (act.kind) {
      case Activation::kNone: break;
      case Activation::kRelu: op->act_min = 0; break;
      case Activation::kRelu6: op->act_min = 0; op->act_max = 6; break;
      case Activation::kClamp: op->act_min = act.min; op->act_max = act.max; break;
    }
    op_by_name[name] = model.operators.size();
    model.operators.push_back(std::move(op));
    return *model.operators.back();
  }

  // Output of a unary-shaped op: same dtype as x; quant = `out` or x's.
  Id like(Id x, const std::vector<int32_t>& shape, const std::string& name, Quant out) {
    const DType d = dtype(x);
    if (is_quantized_type(d) && out.empty()) out = quants[x];
    if (!is_quantized_type(d)) out = {};
    return add_tensor(name, d, shape, std::move(out));
  }

  Id binary(fb::OpCode code, Id a, Id b, Activation act, const std::string& name, Quant out) {
    const auto& sa = tensor(a).shape;
    const auto& sb = tensor(b).shape;
    if (dtype(a) != dtype(b)) bad(name + ": operands of different dtypes");
    const size_t r = std::max(sa.size(), sb.size());
    std::vector<int32_t> so(r);
    for (size_t i = 0; i < r; ++i) {
      const int32_t da = i < r - sa.size() ? 1 : sa[i - (r - sa.size())];
      const int32_t db = i < r - sb.size() ? 1 : sb[i - (r - sb.size())];
      if (da != db && da != 1 && db != 1) {
        bad(name + ": shapes " + shape_str(sa) + " and " + shape_str(sb) + " do not broadcast");
      }
      so[i] = std::max(da, db);
    }
    const Id y = like(a, so, name, std::move(out));
    auto& op = add_op(code, name, {a, b}, {y}, act);
    op.options.Set(fb::BinaryOptionsT());
    return y;
  }
};

ModelBuilder::ModelBuilder() : impl_(std::make_unique<Impl>()) {}
ModelBuilder::~ModelBuilder() = default;

ModelBuilder::Id ModelBuilder::input(const std::string& name, DType dtype,
                                     std::vector<int32_t> shape, Quant quant) {
  const Id t = impl_->add_tensor(name, dtype, std::move(shape), std::move(quant));
  impl_->model.inputs.push_back(t);
  return t;
}

ModelBuilder::Id ModelBuilder::constant(const std::string& name, DType dtype,
                                        std::vector<int32_t> shape, const void* data,
                                        size_t bytes, Quant quant) {
  const size_t want = static_cast<size_t>(num_elements(shape)) * dtype_size(dtype);
  if (bytes != want) {
    bad("constant '" + name + "': " + std::to_string(bytes) + " bytes for shape " +
        shape_str(shape) + " (needs " + std::to_string(want) + ")");
  }
  const Id t = impl_->add_tensor(name, dtype, std::move(shape), std::move(quant));
  auto buf = std::make_unique<fb::BufferT>();
  buf->data.resize(bytes);
  if (bytes) memcpy(buf->data.data(), data, bytes);
  impl_->model.buffers.push_back(std::move(buf));
  impl_->model.tensors[t]->buffer = static_cast<uint32_t>(impl_->model.buffers.size() - 1);
  return t;
}

ModelBuilder::Id ModelBuilder::constant_f32(const std::string& name, std::vector<int32_t> shape,
                                            const std::vector<float>& v) {
  return constant(name, DType::kFloat32, std::move(shape), v.data(), v.size() * sizeof(float));
}

ModelBuilder::Id ModelBuilder::constant_i8(const std::string& name, std::vector<int32_t> shape,
                                           const std::vector<int8_t>& v, Quant q) {
  return constant(name, DType::kInt8, std::move(shape), v.data(), v.size(), std::move(q));
}

ModelBuilder::Id ModelBuilder::constant_i32(const std::string& name, std::vector<int32_t> shape,
                                            const std::vector<int32_t>& v, Quant q) {
  return constant(name, DType::kInt32, std::move(shape), v.data(), v.size() * 4, std::move(q));
}

void ModelBuilder::output(Id t) {
  impl_->check(t);
  impl_->model.outputs.push_back(t);
}

const std::vector<int32_t>& ModelBuilder::shape(Id t) const { return impl_->tensor(t).shape; }
DType ModelBuilder::dtype(Id t) const { return impl_->dtype(t); }
const Quant& ModelBuilder::quant(Id t) const {
  impl_->check(t);
  return impl_->quants[t];
}
void ModelBuilder::rename(Id t, const std::string& name) { impl_->tensor(t).name = name; }

void ModelBuilder::set_calibration(Id t, std::vector<float> min, std::vector<float> max,
                                   const std::string& method) {
  auto& q = impl_->tensor(t).quantization;
  if (!q) bad("set_calibration: tensor '" + impl_->tensor(t).name + "' is not quantized");
  q->min = std::move(min);
  q->max = std::move(max);
  q->method = method;
}

// ---------------------------------------------------------------- conv family

ModelBuilder::Id ModelBuilder::conv2d(Id x, Id w, Id bias, const Conv2DOptions& o, Activation act,
                                      const std::string& name, Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  const auto& ws = impl_->tensor(w).shape;
  if (xs.size() != 4 || ws.size() != 4) bad(name + ": conv2d needs NHWC input and OHWI weights");
  if (o.groups < 1 || xs[3] % o.groups != 0 || ws[0] % o.groups != 0 ||
      ws[3] * o.groups != xs[3]) {
    bad(name + ": weights " + shape_str(ws) + " do not match input " + shape_str(xs) +
        " with groups=" + std::to_string(o.groups));
  }
  const int32_t oh = conv_out(xs[1], ws[1], o.stride_h, o.dilation_h, o.pad_top, o.pad_bottom);
  const int32_t ow = conv_out(xs[2], ws[2], o.stride_w, o.dilation_w, o.pad_left, o.pad_right);
  if (oh <= 0 || ow <= 0) bad(name + ": kernel larger than the padded input");
  const Id y = impl_->like(x, {xs[0], oh, ow, ws[0]}, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::CONV_2D, name, {x, w, bias}, {y}, act);
  fb::Conv2DOptionsT opt;
  opt.padding = {o.pad_top, o.pad_left, o.pad_bottom, o.pad_right};
  opt.stride_h = o.stride_h;
  opt.stride_w = o.stride_w;
  opt.dilation_h = o.dilation_h;
  opt.dilation_w = o.dilation_w;
  opt.groups = o.groups;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::conv_transpose2d(Id x, Id w, Id bias, const Conv2DOptions& o,
                                                Activation act, const std::string& name,
                                                Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  const auto& ws = impl_->tensor(w).shape;
  if (xs.size() != 4 || ws.size() != 4) bad(name + ": conv_transpose2d needs NHWC / OHWI");
  if (o.groups < 1 || xs[3] % o.groups != 0 || ws[0] % o.groups != 0 ||
      ws[3] * o.groups != xs[3]) {
    bad(name + ": weights " + shape_str(ws) + " do not match input " + shape_str(xs));
  }
  // PyTorch / ONNX: output padding below the stride or the dilation (the
  // runtime rejects anything else).
  if (o.output_padding_h < 0 || o.output_padding_h >= std::max(o.stride_h, o.dilation_h) ||
      o.output_padding_w < 0 || o.output_padding_w >= std::max(o.stride_w, o.dilation_w)) {
    bad(name + ": output padding " + std::to_string(o.output_padding_h) + "x" +
        std::to_string(o.output_padding_w) + " must be below max(stride, dilation)");
  }
  const int32_t oh = o.stride_h * (xs[1] - 1) + o.output_padding_h +
                     ((ws[1] - 1) * o.dilation_h + 1) - o.pad_top - o.pad_bottom;
  const int32_t ow = o.stride_w * (xs[2] - 1) + o.output_padding_w +
                     ((ws[2] - 1) * o.dilation_w + 1) - o.pad_left - o.pad_right;
  if (oh <= 0 || ow <= 0) bad(name + ": empty output");
  const Id y = impl_->like(x, {xs[0], oh, ow, ws[0]}, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::CONV_TRANSPOSE_2D, name, {x, w, bias}, {y}, act);
  fb::ConvTranspose2DOptionsT opt;
  opt.padding = {o.pad_top, o.pad_left, o.pad_bottom, o.pad_right};
  opt.stride_h = o.stride_h;
  opt.stride_w = o.stride_w;
  opt.dilation_h = o.dilation_h;
  opt.dilation_w = o.dilation_w;
  opt.groups = o.groups;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::fully_connected(Id x, Id w, Id bias, Activation act,
                                               const std::string& name, Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  const auto& ws = impl_->tensor(w).shape;
  if (xs.empty() || ws.size() != 2 || xs.back() != ws[1]) {
    bad(name + ": fully_connected input " + shape_str(xs) + " does not match weights " +
        shape_str(ws) + " ([N, K])");
  }
  std::vector<int32_t> ys = xs;
  ys.back() = ws[0];
  const Id y = impl_->like(x, ys, name, std::move(out));
  impl_->add_op(fb::OpCode::FULLY_CONNECTED, name, {x, w, bias}, {y}, act);
  return y;
}

ModelBuilder::Id ModelBuilder::matmul(Id a, Id b, const std::string& name, Quant out) {
  const auto& as = impl_->tensor(a).shape;
  const auto& bs = impl_->tensor(b).shape;
  if (as.size() < 2 || bs.size() < 2 || as.back() != bs[bs.size() - 2]) {
    bad(name + ": matmul shapes " + shape_str(as) + " x " + shape_str(bs));
  }
  const size_t r = std::max(as.size(), bs.size());
  std::vector<int32_t> ys(r);
  for (size_t i = 0; i + 2 < r; ++i) {
    const size_t ia = i + as.size(), ib = i + bs.size();
    const int32_t da = ia >= r ? as[ia - r] : 1;
    const int32_t db = ib >= r ? bs[ib - r] : 1;
    if (da != db && da != 1 && db != 1) bad(name + ": matmul batch dims do not broadcast");
    ys[i] = std::max(da, db);
  }
  ys[r - 2] = as[as.size() - 2];
  ys[r - 1] = bs.back();
  const Id y = impl_->like(a, ys, name, std::move(out));
  impl_->add_op(fb::OpCode::MATMUL, name, {a, b}, {y});
  return y;
}

// ------------------------------------------------------------------ elementwise

ModelBuilder::Id ModelBuilder::add(Id a, Id b, Activation act, const std::string& name, Quant out) {
  return impl_->binary(fb::OpCode::ADD, a, b, act, name, std::move(out));
}
ModelBuilder::Id ModelBuilder::sub(Id a, Id b, Activation act, const std::string& name, Quant out) {
  return impl_->binary(fb::OpCode::SUB, a, b, act, name, std::move(out));
}
ModelBuilder::Id ModelBuilder::mul(Id a, Id b, Activation act, const std::string& name, Quant out) {
  return impl_->binary(fb::OpCode::MUL, a, b, act, name, std::move(out));
}
ModelBuilder::Id ModelBuilder::div(Id a, Id b, Activation act, const std::string& name) {
  if (impl_->dtype(a) != DType::kFloat32) {
    bad(name + ": DIV is fp32 only (divide by a constant is MUL by its reciprocal)");
  }
  return impl_->binary(fb::OpCode::DIV, a, b, act, name, {});
}

ModelBuilder::Id ModelBuilder::clamp(Id x, Activation act, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  impl_->add_op(fb::OpCode::CLAMP, name, {x}, {y}, act);
  return y;
}

ModelBuilder::Id ModelBuilder::hard_swish(Id x, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  impl_->add_op(fb::OpCode::HARD_SWISH, name, {x}, {y});
  return y;
}

ModelBuilder::Id ModelBuilder::hard_sigmoid(Id x, float alpha, float beta, const std::string& name,
                                            Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::HARD_SIGMOID, name, {x}, {y});
  fb::HardSigmoidOptionsT opt;
  opt.alpha = alpha;
  opt.beta = beta;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::sigmoid(Id x, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  impl_->add_op(fb::OpCode::SIGMOID, name, {x}, {y});
  return y;
}

ModelBuilder::Id ModelBuilder::tanh(Id x, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  impl_->add_op(fb::OpCode::TANH, name, {x}, {y});
  return y;
}

ModelBuilder::Id ModelBuilder::leaky_relu(Id x, float alpha, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::LEAKY_RELU, name, {x}, {y});
  fb::LeakyReluOptionsT opt;
  opt.alpha = alpha;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::prelu(Id x, Id slope, const std::string& name, Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  const auto& ss = impl_->tensor(slope).shape;
  if (xs.empty() || (num_elements(ss) != 1 && num_elements(ss) != xs.back())) {
    bad(name + ": prelu slope " + shape_str(ss) + " must have 1 or C=" +
        std::to_string(xs.empty() ? 0 : xs.back()) + " elements");
  }
  if (impl_->quants[slope].scale.size() > 1) {
    bad(name + ": an int8 prelu slope takes one scale (per-tensor quantization)");
  }
  const Id y = impl_->like(x, xs, name, std::move(out));
  impl_->add_op(fb::OpCode::PRELU, name, {x, slope}, {y});
  return y;
}

// ------------------------------------------------------------------ pooling

namespace {
fb::Pool2DOptionsT pool_options(const Pool2DOptions& o) {
  fb::Pool2DOptionsT p;
  p.kernel_h = o.kernel_h;
  p.kernel_w = o.kernel_w;
  p.stride_h = o.stride_h;
  p.stride_w = o.stride_w;
  p.dilation_h = o.dilation_h;
  p.dilation_w = o.dilation_w;
  p.padding = {o.pad_top, o.pad_left, o.pad_bottom, o.pad_right};
  p.count_include_pad = o.count_include_pad;
  return p;
}
}  // namespace

ModelBuilder::Id ModelBuilder::max_pool2d(Id x, const Pool2DOptions& o, const std::string& name) {
  const auto& xs = impl_->tensor(x).shape;
  if (xs.size() != 4) bad(name + ": max_pool2d needs NHWC input");
  const int32_t oh =
      conv_out(xs[1], o.kernel_h, o.stride_h, o.dilation_h, o.pad_top, o.pad_bottom, o.ceil_mode);
  const int32_t ow = conv_out(xs[2], o.kernel_w, o.stride_w, o.dilation_w, o.pad_left,
                              o.pad_right, o.ceil_mode);
  if (oh <= 0 || ow <= 0) bad(name + ": pooling window larger than the padded input");
  const Id y = impl_->like(x, {xs[0], oh, ow, xs[3]}, name, {});
  auto& op = impl_->add_op(fb::OpCode::MAX_POOL_2D, name, {x}, {y});
  op.options.Set(pool_options(o));
  return y;
}

ModelBuilder::Id ModelBuilder::average_pool2d(Id x, const Pool2DOptions& o,
                                              const std::string& name, Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  if (xs.size() != 4) bad(name + ": average_pool2d needs NHWC input");
  const int32_t oh =
      conv_out(xs[1], o.kernel_h, o.stride_h, o.dilation_h, o.pad_top, o.pad_bottom, o.ceil_mode);
  const int32_t ow = conv_out(xs[2], o.kernel_w, o.stride_w, o.dilation_w, o.pad_left,
                              o.pad_right, o.ceil_mode);
  if (oh <= 0 || ow <= 0) bad(name + ": pooling window larger than the padded input");
  const Id y = impl_->like(x, {xs[0], oh, ow, xs[3]}, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::AVERAGE_POOL_2D, name, {x}, {y});
  op.options.Set(pool_options(o));
  return y;
}

ModelBuilder::Id ModelBuilder::mean(Id x, std::vector<int32_t> axes, bool keep_dims,
                                    const std::string& name, Quant out) {
  const auto& xs = impl_->tensor(x).shape;
  const int32_t r = static_cast<int32_t>(xs.size());
  std::vector<bool> reduce(r, false);
  for (int32_t& a : axes) {
    if (a < 0) a += r;
    if (a < 0 || a >= r || reduce[a]) bad(name + ": bad or repeated mean axis");
    reduce[a] = true;
  }
  std::sort(axes.begin(), axes.end());
  std::vector<int32_t> ys;
  for (int32_t i = 0; i < r; ++i) {
    if (!reduce[i]) ys.push_back(xs[i]);
    else if (keep_dims) ys.push_back(1);
  }
  const Id y = impl_->like(x, ys, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::MEAN, name, {x}, {y});
  fb::MeanOptionsT opt;
  opt.axes = axes;
  opt.keep_dims = keep_dims;
  op.options.Set(std::move(opt));
  return y;
}

// ------------------------------------------------------------- data movement

ModelBuilder::Id ModelBuilder::concat(const std::vector<Id>& xs, int32_t axis,
                                      const std::string& name, Quant out) {
  if (xs.empty()) bad(name + ": concat of nothing");
  std::vector<int32_t> ys = impl_->tensor(xs[0]).shape;
  const int32_t r = static_cast<int32_t>(ys.size());
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) bad(name + ": concat axis out of range");
  for (size_t k = 1; k < xs.size(); ++k) {
    const auto& s = impl_->tensor(xs[k]).shape;
    if (static_cast<int32_t>(s.size()) != r || impl_->dtype(xs[k]) != impl_->dtype(xs[0])) {
      bad(name + ": concat inputs differ in rank or dtype");
    }
    for (int32_t i = 0; i < r; ++i) {
      if (i != axis && s[i] != ys[i]) bad(name + ": concat inputs differ off the axis");
    }
    ys[axis] += s[axis];
  }
  const Id y = impl_->like(xs[0], ys, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::CONCAT, name, xs, {y});
  fb::ConcatOptionsT opt;
  opt.axis = axis;
  op.options.Set(std::move(opt));
  return y;
}

std::vector<ModelBuilder::Id> ModelBuilder::split(Id x, int32_t axis,
                                                  const std::vector<int32_t>& sizes,
                                                  const std::string& name) {
  const auto xs = impl_->tensor(x).shape;
  const int32_t r = static_cast<int32_t>(xs.size());
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) bad(name + ": split axis out of range");
  int32_t total = 0;
  for (int32_t s : sizes) total += s;
  if (total != xs[axis] || sizes.empty()) bad(name + ": split sizes do not add up to the axis");
  std::vector<Id> ys;
  for (size_t k = 0; k < sizes.size(); ++k) {
    std::vector<int32_t> s = xs;
    s[axis] = sizes[k];
    ys.push_back(impl_->like(x, s, name + ":" + std::to_string(k), {}));
  }
  auto& op = impl_->add_op(fb::OpCode::SPLIT, name, {x}, ys);
  fb::SplitOptionsT opt;
  opt.axis = axis;
  op.options.Set(std::move(opt));
  return ys;
}

ModelBuilder::Id ModelBuilder::slice(Id x, std::vector<int32_t> begin, std::vector<int32_t> end,
                                     std::vector<int32_t> step, const std::string& name) {
  const auto xs = impl_->tensor(x).shape;
  const size_t r = xs.size();
  if (begin.size() != r || end.size() != r || step.size() != r) {
    bad(name + ": slice needs begin/end/step for every dimension");
  }
  std::vector<int32_t> ys(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t n = xs[i];
    const int64_t s = step[i];
    if (s == 0) bad(name + ": slice step 0");
    int64_t b = begin[i], e = end[i];
    if (b < 0) b += n;
    if (e < 0) e += n;
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      ys[i] = static_cast<int32_t>(e > b ? (e - b + s - 1) / s : 0);
    } else {
      b = std::clamp<int64_t>(b, -1, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      ys[i] = static_cast<int32_t>(b > e ? (b - e + (-s) - 1) / (-s) : 0);
    }
    if (ys[i] <= 0) bad(name + ": slice produces an empty dimension");
    begin[i] = static_cast<int32_t>(b);
  }
  const Id y = impl_->like(x, ys, name, {});
  auto& op = impl_->add_op(fb::OpCode::SLICE, name, {x}, {y});
  fb::SliceOptionsT opt;
  opt.begin = begin;
  opt.step = step;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::reshape(Id x, std::vector<int32_t> shape, const std::string& name) {
  const auto& xs = impl_->tensor(x).shape;
  int64_t known = 1;
  int32_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && i < xs.size()) shape[i] = xs[i];  // ONNX: 0 copies the input dim
    if (shape[i] == -1) {
      if (infer >= 0) bad(name + ": more than one -1 in reshape");
      infer = static_cast<int32_t>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0 && known > 0) shape[infer] = static_cast<int32_t>(num_elements(xs) / known);
  if (num_elements(shape) != num_elements(xs)) {
    bad(name + ": cannot reshape " + shape_str(xs) + " into " + shape_str(shape));
  }
  const Id y = impl_->like(x, shape, name, {});
  impl_->add_op(fb::OpCode::RESHAPE, name, {x}, {y});
  return y;
}

ModelBuilder::Id ModelBuilder::transpose(Id x, std::vector<int32_t> perm, const std::string& name) {
  const auto xs = impl_->tensor(x).shape;
  if (perm.size() != xs.size()) bad(name + ": transpose perm has the wrong length");
  std::vector<int32_t> ys(xs.size());
  std::vector<bool> seen(xs.size(), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<int32_t>(xs.size()) || seen[perm[i]]) {
      bad(name + ": transpose perm is not a permutation");
    }
    seen[perm[i]] = true;
    ys[i] = xs[perm[i]];
  }
  const Id y = impl_->like(x, ys, name, {});
  auto& op = impl_->add_op(fb::OpCode::TRANSPOSE, name, {x}, {y});
  fb::TransposeOptionsT opt;
  opt.perm = perm;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::pad(Id x, std::vector<int32_t> pads, PadMode mode, float value,
                                   const std::string& name) {
  const auto xs = impl_->tensor(x).shape;
  const size_t r = xs.size();
  if (pads.size() != 2 * r) bad(name + ": pad needs 2·rank entries");
  std::vector<int32_t> ys(r);
  for (size_t i = 0; i < r; ++i) {
    if (pads[i] < 0 || pads[i + r] < 0) bad(name + ": negative pads are not supported");
    if (mode == PadMode::kReflect && (pads[i] >= xs[i] || pads[i + r] >= xs[i])) {
      bad(name + ": reflect padding must be smaller than the dimension");
    }
    ys[i] = xs[i] + pads[i] + pads[i + r];
  }
  const Id y = impl_->like(x, ys, name, {});
  auto& op = impl_->add_op(fb::OpCode::PAD, name, {x}, {y});
  fb::PadOptionsT opt;
  opt.pads = pads;
  opt.mode = static_cast<fb::PadMode>(mode);
  opt.value = value;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::resize(Id x, int32_t out_h, int32_t out_w, const ResizeOptions& o,
                                      const std::string& name, Quant out) {
  const auto xs = impl_->tensor(x).shape;
  if (xs.size() != 4 || out_h <= 0 || out_w <= 0) bad(name + ": resize needs NHWC and sizes > 0");
  if (o.mode == ResizeMode::kNearest) {
    // Nearest moves codes: the output keeps the input's quantization.
    if (!out.empty() && (out.scale != impl_->quants[x].scale ||
                         out.zero_point != impl_->quants[x].zero_point)) {
      bad(name + ": nearest resize cannot change the quantization (it copies codes)");
    }
    out = {};
  }
  const Id y = impl_->like(x, {xs[0], out_h, out_w, xs[3]}, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::RESIZE, name, {x}, {y});
  fb::ResizeOptionsT opt;
  opt.mode = static_cast<fb::ResizeMode>(o.mode);
  opt.coordinate_transform = static_cast<fb::CoordinateTransform>(o.coordinate_transform);
  opt.nearest_rounding = static_cast<fb::NearestRounding>(o.nearest_rounding);
  opt.scale_h = o.scale_h;
  opt.scale_w = o.scale_w;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::softmax(Id x, float beta, const std::string& name, Quant out) {
  const Id y = impl_->like(x, impl_->tensor(x).shape, name, std::move(out));
  auto& op = impl_->add_op(fb::OpCode::SOFTMAX, name, {x}, {y});
  fb::SoftmaxOptionsT opt;
  opt.axis = -1;
  opt.beta = beta;
  op.options.Set(std::move(opt));
  return y;
}

ModelBuilder::Id ModelBuilder::quantize(Id x, DType dtype, Quant out, const std::string& name) {
  const bool f32_to_i32 = dtype == DType::kInt32 && this->dtype(x) == DType::kFloat32;
  if ((!is_quantized_type(dtype) && !f32_to_i32) || out.scale.size() != 1) {
    bad(name + ": quantize needs an int8/uint8/int16 type (int32 from float32) and per-tensor "
        "parameters");
  }
  const Id y = impl_->add_tensor(name, dtype, impl_->tensor(x).shape, std::move(out));
  impl_->add_op(fb::OpCode::QUANTIZE, name, {x}, {y});
  return y;
}

ModelBuilder::Id ModelBuilder::dequantize(Id x, const std::string& name) {
  const Id y = impl_->add_tensor(name, DType::kFloat32, impl_->tensor(x).shape, {});
  impl_->add_op(fb::OpCode::DEQUANTIZE, name, {x}, {y});
  return y;
}

void ModelBuilder::set_source_nodes(const std::string& op_name, std::vector<std::string> nodes) {
  auto it = impl_->op_by_name.find(op_name);
  if (it == impl_->op_by_name.end()) bad("no operator named '" + op_name + "'");
  impl_->model.operators[it->second]->source_nodes = std::move(nodes);
}

void ModelBuilder::set_description(const std::string& producer, const std::string& source,
                                   const std::string& description) {
  if (!producer.empty()) impl_->model.producer = producer;
  impl_->model.source = source;
  impl_->model.description = description;
}

void ModelBuilder::add_metadata(const std::string& key, const std::string& value) {
  auto m = std::make_unique<fb::MetadataT>();
  m->key = key;
  m->value = value;
  impl_->model.metadata.push_back(std::move(m));
}

// ------------------------------------------------- integer parameters (finish)

namespace {

struct IntParamsWriter {
  const fb::ModelT& model;
  const std::vector<Quant>& quants;
  fb::OperatorT& op;

  const std::string& name() const { return op.name; }
  float scale(int32_t t, size_t i = 0) const {
    const Quant& q = quants.at(t);
    if (q.scale.empty()) bad(op.name + ": tensor '" + model.tensors[t]->name + "' has no scale");
    return q.scale[q.scale.size() == 1 ? 0 : i];
  }
  int32_t zero_point(int32_t t) const {
    const Quant& q = quants.at(t);
    return q.zero_point.empty() ? 0 : static_cast<int32_t>(q.zero_point[0]);
  }
  fb::IntegerParamsT& params() {
    if (!op.int_params) op.int_params = std::make_unique<fb::IntegerParamsT>();
    return *op.int_params;
  }
  void push(double real) {
    Multiplier m{};
    if (!quant::quantize_multiplier(real, &m)) {
      bad(op.name + ": requantization multiplier " + std::to_string(real) +
          " is not representable");
    }
    push(m);
  }
  void push(const Multiplier& m) {
    params().multiplier.push_back(m.multiplier);
    params().rshift.push_back(static_cast<uint8_t>(m.rshift));
  }
  // Output clamp: the dtype range intersected with the fused activation.
  void clamp(int32_t y) {
    int32_t lo = 0, hi = 0;
    int_range(static_cast<DType>(model.tensors[y]->dtype), &lo, &hi);
    const double s = scale(y);
    const int32_t z = zero_point(y);
    auto q = [&](double real) {
      const double v = std::nearbyint(real / s) + z;
      return static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
    };
    double amin = -INFINITY, amax = INFINITY;
    switch (op.activation) {
      case fb::Activation::NONE: break;
      case fb::Activation::RELU: amin = 0; break;
      case fb::Activation::RELU6: amin = 0; amax = 6; break;
      case fb::Activation::CLAMP: amin = op.act_min; amax = op.act_max; break;
    }
    if (std::isfinite(amin)) lo = std::max(lo, q(amin));
    if (std::isfinite(amax)) hi = std::min(hi, q(amax));
    if (lo > hi) bad(op.name + ": fused activation range is empty at this output scale");
    params().qmin = lo;
    params().qmax = hi;
  }
  void lut(quant::LutFunction f, float alpha, float beta, int32_t x, int32_t y) {
    clamp(y);
    int8_t table[256];
    if (!quant::build_lut_qs8(f, alpha, beta, scale(x), zero_point(x), scale(y), zero_point(y),
                              params().qmin, params().qmax, table)) {
      bad(op.name + ": cannot build the lookup table");
    }
    params().lut.assign(reinterpret_cast<uint8_t*>(table), reinterpret_cast<uint8_t*>(table) + 256);
  }
};

void compute_int_params(const fb::ModelT& model, const std::vector<Quant>& quants,
                        fb::OperatorT& op) {
  if (op.outputs.empty()) return;
  const int32_t y = op.outputs[0];
  const auto ydt = static_cast<DType>(model.tensors[y]->dtype);
  const int32_t x = op.inputs.empty() ? -1 : op.inputs[0];
  const auto xdt = x >= 0 ? static_cast<DType>(model.tensors[x]->dtype) : DType::kFloat32;
  if (op.opcode == fb::OpCode::DEQUANTIZE) return;
  if (op.opcode == fb::OpCode::QUANTIZE && xdt == DType::kFloat32) return;
  if (!is_quantized_type(ydt)) return;
  IntParamsWriter w{model, quants, op};
  switch (op.opcode) {
    case fb::OpCode::CONV_2D:
    case fb::OpCode::CONV_TRANSPOSE_2D:
    case fb::OpCode::FULLY_CONNECTED: {
      const int32_t wt = op.inputs[1];
      const size_t n = quants.at(wt).scale.size();
      for (size_t c = 0; c < n; ++c) w.push(double(w.scale(x)) * w.scale(wt, c) / w.scale(y));
      w.clamp(y);
      break;
    }
    case fb::OpCode::MATMUL:
      w.push(double(w.scale(x)) * w.scale(op.inputs[1]) / w.scale(y));
      w.clamp(y);
      break;
    case fb::OpCode::ADD:
    case fb::OpCode::SUB: {
      Multiplier m[3];
      if (!quant::add_sub_multipliers(w.scale(x), w.scale(op.inputs[1]), w.scale(y), m)) {
        bad(op.name + ": add/sub multipliers not representable");
      }
      for (const auto& k : m) w.push(k);
      w.clamp(y);
      break;
    }
    case fb::OpCode::MUL: {
      Multiplier m{};
      if (!quant::mul_multiplier(w.scale(x), w.scale(op.inputs[1]), w.scale(y), &m)) {
        bad(op.name + ": mul multiplier not representable");
      }
      w.push(m);
      w.clamp(y);
      break;
    }
    case fb::OpCode::CLAMP:
    case fb::OpCode::AVERAGE_POOL_2D:
    case fb::OpCode::MEAN:
    case fb::OpCode::QUANTIZE:
      w.push(double(w.scale(x)) / w.scale(y));
      w.clamp(y);
      break;
    case fb::OpCode::RESIZE:
      if (op.options.AsResizeOptions()->mode == fb::ResizeMode::BILINEAR) {
        w.push(double(w.scale(x)) / w.scale(y));
      }
      w.clamp(y);
      break;
    case fb::OpCode::HARD_SWISH: w.lut(quant::kHardSwish, 0, 0, x, y); break;
    case fb::OpCode::SIGMOID: w.lut(quant::kSigmoid, 0, 0, x, y); break;
    case fb::OpCode::TANH: w.lut(quant::kTanh, 0, 0, x, y); break;
    case fb::OpCode::HARD_SIGMOID: {
      const auto* o = op.options.AsHardSigmoidOptions();
      w.lut(quant::kHardSigmoid, o->alpha, o->beta, x, y);
      break;
    }
    case fb::OpCode::LEAKY_RELU:
      w.lut(quant::kLeakyRelu, op.options.AsLeakyReluOptions()->alpha, 0, x, y);
      break;
    case fb::OpCode::PRELU: {
      Multiplier m[2];
      if (!quant::prelu_multipliers(w.scale(x), w.scale(op.inputs[1]), w.scale(y), m)) {
        bad(op.name + ": prelu multipliers not representable");
      }
      w.push(m[0]);
      w.push(m[1]);
      w.clamp(y);
      break;
    }
    case fb::OpCode::SOFTMAX: {
      Multiplier m{};
      if (!quant::softmax_output_multiplier(w.scale(y), &m)) {
        bad(op.name + ": softmax output scale not representable");
      }
      w.push(m);
      w.clamp(y);
      int32_t table[256];
      quant::build_softmax_exp_table(op.options.AsSoftmaxOptions()->beta, w.scale(x), table);
      auto& lut = w.params().lut;
      lut.resize(1024);
      for (int i = 0; i < 256; ++i) {  // little-endian int32 (docs/model-format.md)
        const uint32_t v = static_cast<uint32_t>(table[i]);
        for (int b = 0; b < 4; ++b) lut[4 * i + b] = static_cast<uint8_t>(v >> (8 * b));
      }
      break;
    }
    case fb::OpCode::CONCAT: {
      for (int32_t in : op.inputs) {
        const bool same = quants.at(in).scale == quants.at(y).scale &&
                          w.zero_point(in) == w.zero_point(y);
        if (same) {
          w.push(Multiplier{0, 1});  // verbatim copy
        } else {
          // M = 0 is reserved for "verbatim", so a rescale must not round to 0.
          Multiplier m{};
          if (!quant::quantize_multiplier(double(w.scale(in)) / w.scale(y), &m) ||
              m.multiplier == 0) {
            bad(op.name + ": concat input scale is not representable relative to the output");
          }
          w.push(m);
        }
      }
      w.clamp(y);
      break;
    }
    case fb::OpCode::PAD: {
      const auto* o = op.options.AsPadOptions();
      w.clamp(y);
      const double q = std::nearbyint(o->value / w.scale(x)) + w.zero_point(x);
      w.params().pad_value =
          static_cast<int32_t>(std::clamp<double>(q, w.params().qmin, w.params().qmax));
      break;
    }
    case fb::OpCode::MAX_POOL_2D:
    case fb::OpCode::SPLIT:
    case fb::OpCode::SLICE:
    case fb::OpCode::RESHAPE:
    case fb::OpCode::TRANSPOSE:
      w.clamp(y);
      break;
    case fb::OpCode::DIV:
    case fb::OpCode::DEQUANTIZE:
      break;
  }
}

}  // namespace

void seal_model(std::vector<uint8_t>& bytes) {
  flatbuffers::Verifier v(bytes.data(), bytes.size());
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data()) ||
      !fb::VerifyModelBuffer(v)) {
    bad("seal_model: not a valid .octet model");
  }
  const fb::Model* m = fb::GetModel(bytes.data());
  const size_t at = rt::checksum_field_offset(m, bytes.data());
  if (at == SIZE_MAX) bad("seal_model: the model has no checksum field");
  const uint32_t crc = rt::model_checksum(bytes.data(), bytes.size(), at);
  for (int b = 0; b < 4; ++b) bytes[at + b] = static_cast<uint8_t>(crc >> (8 * b));
}

std::vector<uint8_t> ModelBuilder::finish() {
  for (auto& op : impl_->model.operators) {
    op->int_params.reset();
    compute_int_params(impl_->model, impl_->quants, *op);
  }
  // A non-default placeholder makes FlatBuffers store the field; seal_model
  // then overwrites it in place.
  impl_->model.checksum = 0xFFFFFFFFu;
  // Constant buffers are 64-byte aligned (force_align), which the builder
  // only accepts with a matching minimum alignment.
  flatbuffers::FlatBufferBuilder fbb(1 << 16, nullptr, false, 64);
  fbb.Finish(fb::Model::Pack(fbb, &impl_->model), fb::ModelIdentifier());
  std::vector<uint8_t> bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  seal_model(bytes);
  return bytes;
}

void ModelBuilder::save(const std::string& path) {
  const std::vector<uint8_t> bytes = finish();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot write '" + path + "'");
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("error writing '" + path + "'");
}

}  // namespace octet
