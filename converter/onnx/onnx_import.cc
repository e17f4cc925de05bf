// SPDX-License-Identifier: Apache-2.0
//
// ONNX -> .octet. The IR keeps ONNX's logical (NCHW) shapes; the physical
// layout is decided at emission: NHWC-native operators (Conv, pools, Resize)
// produce NHWC tensors, elementwise operators follow their input's layout,
// axis-taking operators (Concat, Split, Slice, Pad, Softmax, ReduceMean) have
// their axes remapped, and anything that depends on the NCHW memory order
// (Reshape, Flatten, Gemm, ...) gets a TRANSPOSE back first — or a RESHAPE
// when H·W = 1 or C = 1, where both orders are the same bytes.
#include "converter/onnx/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "octet/builder.hpp"

namespace octet::onnx_import {
namespace {

using TP = onnx::TensorProto;
using Shape = std::vector<int64_t>;

[[noreturn]] void fail(const std::string& what) { throw ImportError(what); }

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

// Element count with the overflow a hostile file could cause turned into an
// error (found by fuzz_onnx): no tensor this importer can emit has 2^40
// elements, so anything larger is rejected by name.
int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) fail("negative dimension in shape " + shape_str(s));
    if (__builtin_mul_overflow(n, d, &n) || n > (int64_t{1} << 40)) {
      fail("shape " + shape_str(s) + " has too many elements");
    }
  }
  return n;
}

// Constant folding materialises its results: a graph asking to fold a
// tensor larger than this (2^26 elements, 256 MiB of float) is refused rather
// than allowed to exhaust memory. Real models fold shape arithmetic and small
// tables, nowhere near it.
constexpr int64_t kMaxFoldedElements = int64_t{1} << 26;

int64_t folded_numel(const Shape& s, const std::string& node) {
  const int64_t n = numel(s);
  if (n > kMaxFoldedElements) {
    fail(node + ": constant-folded result " + shape_str(s) + " has " + std::to_string(n) +
         " elements (limit " + std::to_string(kMaxFoldedElements) + ")");
  }
  return n;
}

bool is_float_type(int t) {
  return t == TP::FLOAT || t == TP::DOUBLE || t == TP::FLOAT16 || t == TP::BFLOAT16;
}

const char* type_name(int t) { return TP::DataType_Name(static_cast<TP::DataType>(t)).c_str(); }

// ---------------------------------------------------------------- constants

/// A constant tensor: floating types in `f`, integer and bool types in `i`.
struct Const {
  int type = TP::FLOAT;
  Shape dims;
  std::vector<float> f;
  std::vector<int64_t> i;

  bool is_float() const { return is_float_type(type); }
  int64_t size() const { return numel(dims); }
  double at(int64_t k) const { return is_float() ? double(f[k]) : double(i[k]); }
  int64_t int_at(int64_t k) const { return is_float() ? int64_t(f[k]) : i[k]; }
  std::vector<int64_t> ints() const {
    std::vector<int64_t> r(size());
    for (int64_t k = 0; k < size(); ++k) r[k] = int_at(k);
    return r;
  }
  std::vector<float> floats() const {
    std::vector<float> r(size());
    for (int64_t k = 0; k < size(); ++k) r[k] = static_cast<float>(at(k));
    return r;
  }
  static Const of_floats(Shape d, std::vector<float> v) {
    Const c;
    c.type = TP::FLOAT;
    c.dims = std::move(d);
    c.f = std::move(v);
    return c;
  }
  static Const of_ints(int type, Shape d, std::vector<int64_t> v) {
    Const c;
    c.type = type;
    c.dims = std::move(d);
    c.i = std::move(v);
    return c;
  }
};

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

Const from_tensor_proto(const TP& t) {
  Const c;
  c.type = t.data_type();
  for (int64_t d : t.dims()) c.dims.push_back(d);
  const int64_t n = numel(c.dims);
  if (t.data_location() == TP::EXTERNAL) fail("tensor '" + t.name() + "': external data");
  const std::string& raw = t.raw_data();
  const bool has_raw = t.has_raw_data();
  auto raw_at = [&](size_t bytes) {
    if (raw.size() != static_cast<size_t>(n) * bytes) {
      fail("tensor '" + t.name() + "': raw data size does not match its shape");
    }
    return reinterpret_cast<const uint8_t*>(raw.data());
  };
  auto need = [&](int64_t have) {
    if (have != n) fail("tensor '" + t.name() + "': element count does not match its shape");
  };
  switch (c.type) {
    case TP::FLOAT:
      if (has_raw) {
        const uint8_t* p = raw_at(4);
        c.f.resize(n);
        if (n) memcpy(c.f.data(), p, n * 4);
      } else {
        need(t.float_data_size());
        c.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case TP::DOUBLE:
      if (has_raw) {
        const uint8_t* p = raw_at(8);
        c.f.resize(n);
        for (int64_t k = 0; k < n; ++k) {
          double d;
          memcpy(&d, p + 8 * k, 8);
          c.f[k] = static_cast<float>(d);
        }
      } else {
        need(t.double_data_size());
        for (double d : t.double_data()) c.f.push_back(static_cast<float>(d));
      }
      break;
    case TP::FLOAT16:
      // Sizes are checked before anything is allocated: a tensor claiming
      // billions of elements with no data behind it is an error, not an OOM.
      if (has_raw) {
        const uint8_t* p = raw_at(2);
        c.f.resize(n);
        for (int64_t k = 0; k < n; ++k)
          c.f[k] = half_to_float(uint16_t(p[2 * k] | p[2 * k + 1] << 8));
      } else {
        need(t.int32_data_size());
        c.f.resize(n);
        for (int64_t k = 0; k < n; ++k) c.f[k] = half_to_float(uint16_t(t.int32_data(k)));
      }
      break;
    case TP::INT8:
    case TP::UINT8:
    case TP::INT16:
    case TP::UINT16:
    case TP::INT32:
    case TP::BOOL: {
      size_t bytes = c.type == TP::INT32                             ? 4
                     : (c.type == TP::INT16 || c.type == TP::UINT16) ? 2
                                                                     : 1;
      if (has_raw) {
        const uint8_t* p = raw_at(bytes);
        c.i.resize(n);
        for (int64_t k = 0; k < n; ++k) {
          switch (c.type) {
            case TP::INT8:
              c.i[k] = static_cast<int8_t>(p[k]);
              break;
            case TP::UINT8:
            case TP::BOOL:
              c.i[k] = p[k];
              break;
            case TP::INT16:
              c.i[k] = static_cast<int16_t>(p[2 * k] | p[2 * k + 1] << 8);
              break;
            case TP::UINT16:
              c.i[k] = static_cast<uint16_t>(p[2 * k] | p[2 * k + 1] << 8);
              break;
            default: {
              int32_t v;
              memcpy(&v, p + 4 * k, 4);
              c.i[k] = v;
            }
          }
        }
      } else {
        need(t.int32_data_size());
        c.i.resize(n);
        for (int64_t k = 0; k < n; ++k) c.i[k] = t.int32_data(k);
      }
      break;
    }
    case TP::INT64:
      if (has_raw) {
        const uint8_t* p = raw_at(8);
        c.i.resize(n);
        if (n) memcpy(c.i.data(), p, n * 8);
      } else {
        need(t.int64_data_size());
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case TP::UINT32:
    case TP::UINT64:
      if (has_raw) {
        const uint8_t* p = raw_at(c.type == TP::UINT32 ? 4 : 8);
        c.i.resize(n);
        for (int64_t k = 0; k < n; ++k) {
          if (c.type == TP::UINT32) {
            uint32_t v;
            memcpy(&v, p + 4 * k, 4);
            c.i[k] = v;
          } else {
            uint64_t v;
            memcpy(&v, p + 8 * k, 8);
            c.i[k] = static_cast<int64_t>(v);
          }
        }
      } else {
        need(t.uint64_data_size());
        for (uint64_t v : t.uint64_data()) c.i.push_back(static_cast<int64_t>(v));
      }
      break;
    default:
      fail("tensor '" + t.name() + "': element type " + type_name(c.type) + " is not supported");
  }
  return c;
}

// ---------------------------------------------------------------------- IR

struct Attr {
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  bool has_t = false;
  Const t;
};

struct Value {
  std::string name;
  int type = TP::FLOAT;
  Shape shape;
  bool shape_known = false;
  std::shared_ptr<Const> c;  // set when constant
  bool graph_input = false;
};

struct Node {
  std::string name, op, domain;
  std::vector<std::string> in, out;
  std::map<std::string, Attr> attrs;
  std::vector<std::string> sources;
  octet::Activation act;
  bool dead = false;

  bool has(const std::string& a) const { return attrs.count(a) != 0; }
  int64_t geti(const std::string& a, int64_t d) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? d : it->second.i;
  }
  float getf(const std::string& a, float d) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? d : it->second.f;
  }
  std::string gets(const std::string& a, const std::string& d) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? d : it->second.s;
  }
  std::vector<int64_t> getints(const std::string& a, std::vector<int64_t> d = {}) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? d : it->second.ints;
  }
  const std::string& input(size_t k) const {
    static const std::string kEmpty;
    return k < in.size() ? in[k] : kEmpty;
  }
};

struct Graph {
  std::map<std::string, Value> values;
  std::vector<Node> nodes;
  std::vector<std::string> inputs, outputs;
  int64_t opset = 0, ir_version = 0;

  Value& value(const std::string& n) {
    auto it = values.find(n);
    if (it == values.end()) {
      Value v;
      v.name = n;
      it = values.emplace(n, v).first;
    }
    return it->second;
  }
  bool is_const(const std::string& n) const {
    auto it = values.find(n);
    return !n.empty() && it != values.end() && it->second.c != nullptr;
  }
  const Const& cst(const std::string& n) const { return *values.at(n).c; }
  void set_const(const std::string& n, Const c) {
    Value& v = value(n);
    v.type = c.type;
    v.shape = c.dims;
    v.shape_known = true;
    v.c = std::make_shared<Const>(std::move(c));
  }
  // Consumers of each value among live nodes (graph outputs count as one).
  std::map<std::string, int> use_counts() const {
    std::map<std::string, int> u;
    for (const Node& n : nodes) {
      if (n.dead) continue;
      for (const auto& i : n.in) {
        if (!i.empty()) ++u[i];
      }
    }
    for (const auto& o : outputs) ++u[o];
    return u;
  }
  Node* producer(const std::string& v) {
    for (Node& n : nodes) {
      if (n.dead) continue;
      for (const auto& o : n.out) {
        if (o == v) return &n;
      }
    }
    return nullptr;
  }
  void replace_uses(const std::string& from, const std::string& to) {
    for (Node& n : nodes) {
      for (auto& i : n.in) {
        if (i == from) i = to;
      }
    }
  }
};

Attr convert_attr(const onnx::AttributeProto& a) {
  Attr r;
  r.i = a.i();
  r.f = a.f();
  r.s = a.s();
  r.ints.assign(a.ints().begin(), a.ints().end());
  r.floats.assign(a.floats().begin(), a.floats().end());
  if (a.has_t()) {
    r.has_t = true;
    r.t = from_tensor_proto(a.t());
  }
  return r;
}

Graph load_graph(const onnx::ModelProto& m, const ImportOptions& opt) {
  // An empty file parses as an empty ModelProto; a model without a graph or
  // without outputs computes nothing and is almost surely not what was meant.
  if (!m.has_graph()) fail("the model has no graph (empty or truncated file?)");
  if (m.graph().output_size() == 0) fail("the model's graph has no outputs");
  Graph g;
  g.ir_version = m.ir_version();
  for (const auto& os : m.opset_import()) {
    if (os.domain().empty() || os.domain() == "ai.onnx") g.opset = os.version();
  }
  if (g.opset == 0) g.opset = 1;
  const onnx::GraphProto& gp = m.graph();
  std::set<std::string> initializers;
  for (const auto& t : gp.initializer()) {
    g.set_const(t.name(), from_tensor_proto(t));
    initializers.insert(t.name());
  }
  for (const auto& [name, t] : opt.bind) {
    g.set_const(name, from_tensor_proto(t));
    initializers.insert(name);
  }
  for (const auto& vi : gp.input()) {
    // IR < 4 lists initializers as graph inputs too: they are constants.
    if (initializers.count(vi.name())) continue;
    if (!vi.type().has_tensor_type()) {
      throw UnsupportedModelError(
          "input '" + vi.name() +
              "' is not a tensor (sequences, maps and optionals are not supported)",
          {{vi.name(), "(graph input)", "not a tensor", g.opset}});
    }
    Value& v = g.value(vi.name());
    v.graph_input = true;
    const auto& tt = vi.type().tensor_type();
    v.type = tt.elem_type();
    auto it = opt.input_shapes.find(vi.name());
    if (it != opt.input_shapes.end()) {
      v.shape = it->second;
    } else {
      if (!tt.has_shape()) fail("input '" + vi.name() + "' has no shape; give --input-shape");
      for (int k = 0; k < tt.shape().dim_size(); ++k) {
        const auto& d = tt.shape().dim(k);
        if (!d.has_dim_value() || d.dim_value() <= 0) {
          fail("input '" + vi.name() + "': dimension " + std::to_string(k) + " is unknown (" +
               (d.has_dim_param() ? "'" + d.dim_param() + "'" : std::string("no value")) +
               "); fix it with --input-shape " + vi.name() + "=...");
        }
        v.shape.push_back(d.dim_value());
      }
    }
    for (int64_t d : v.shape) {
      if (d <= 0) {
        throw UnsupportedModelError("input '" + vi.name() + "': empty tensor " + shape_str(v.shape),
                                    {{vi.name(), "(graph input)", "empty tensor", g.opset}});
      }
    }
    v.shape_known = true;
    g.inputs.push_back(vi.name());
  }
  for (const auto& name : opt.input_shapes) {
    if (!g.values.count(name.first) || !g.values[name.first].graph_input) {
      fail("--input-shape names '" + name.first + "', which is not a graph input");
    }
  }
  for (const auto& vo : gp.output()) g.outputs.push_back(vo.name());
  std::map<std::string, int> names;
  for (const auto& np : gp.node()) {
    Node n;
    n.op = np.op_type();
    n.domain = np.domain();
    n.name = np.name().empty() ? n.op + "_" + std::to_string(g.nodes.size()) : np.name();
    n.in.assign(np.input().begin(), np.input().end());
    n.out.assign(np.output().begin(), np.output().end());
    for (const auto& a : np.attribute()) n.attrs[a.name()] = convert_attr(a);
    n.sources = {n.name};
    g.nodes.push_back(std::move(n));
  }
  return g;
}

// ----------------------------------------------------- support declaration

struct OpSupport {
  int64_t min_opset, max_opset;
};

// Ops the converter handles, with the opset range their semantics were
// checked for (7-17; older pytorch-converted tests use opset 6 where the
// semantics are the same).
const std::map<std::string, OpSupport>& supported_ops() {
  static const std::map<std::string, OpSupport> ops = {
      {"Conv", {1, 17}},
      {"ConvTranspose", {1, 17}},
      {"Gemm", {6, 17}},
      {"MatMul", {1, 17}},
      {"Add", {6, 17}},
      {"Sub", {6, 17}},
      {"Mul", {6, 17}},
      {"Div", {6, 17}},
      {"Relu", {6, 17}},
      {"Clip", {6, 17}},
      {"LeakyRelu", {6, 17}},
      {"Sigmoid", {6, 17}},
      {"Tanh", {6, 17}},
      {"HardSigmoid", {6, 17}},
      {"HardSwish", {14, 17}},
      {"PRelu", {6, 17}},
      {"MaxPool", {1, 17}},
      {"AveragePool", {1, 17}},
      {"GlobalAveragePool", {1, 17}},
      {"GlobalMaxPool", {1, 17}},
      {"ReduceMean", {1, 17}},
      {"Concat", {4, 17}},
      {"Split", {2, 17}},
      {"Slice", {1, 17}},
      {"Reshape", {5, 17}},
      {"Flatten", {1, 17}},
      {"Squeeze", {1, 17}},
      {"Unsqueeze", {1, 17}},
      {"Transpose", {1, 17}},
      {"Pad", {2, 17}},
      {"Resize", {10, 17}},
      {"Upsample", {7, 9}},
      {"Softmax", {1, 17}},
      {"BatchNormalization", {6, 17}},
      {"Identity", {1, 17}},
      {"Dropout", {6, 17}},
      {"Constant", {1, 17}},
      {"Shape", {1, 17}},
      {"Gather", {1, 17}},
      {"Cast", {6, 17}},
      {"ConstantOfShape", {9, 17}},
      {"Range", {11, 17}},
      {"QuantizeLinear", {10, 17}},
      {"DequantizeLinear", {10, 17}},
      {"QLinearConv", {10, 17}},
      {"QLinearMatMul", {10, 17}},
      {"ConvInteger", {10, 17}},
      {"MatMulInteger", {10, 17}},
  };
  return ops;
}

// Ops that exist only as constant computations (shape arithmetic).
bool fold_only(const std::string& op) {
  return op == "Shape" || op == "Gather" || op == "Cast" || op == "ConstantOfShape" ||
         op == "Range" || op == "Constant";
}

// --------------------------------------------------------- shape helpers

int64_t norm_axis(int64_t a, int64_t rank) { return a < 0 ? a + rank : a; }

bool broadcast(const Shape& a, const Shape& b, Shape* out) {
  const size_t r = std::max(a.size(), b.size());
  out->assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    (*out)[i] = std::max(da, db);
  }
  return true;
}

Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (int64_t i = static_cast<int64_t>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

// Calls f(out_index, in_index_a, in_index_b) for a broadcast binary op.
void for_broadcast(const Shape& a, const Shape& b, const Shape& o,
                   const std::function<void(int64_t, int64_t, int64_t)>& f) {
  const size_t r = o.size();
  Shape ap(r, 1), bp(r, 1);
  for (size_t i = 0; i < a.size(); ++i) ap[r - a.size() + i] = a[i];
  for (size_t i = 0; i < b.size(); ++i) bp[r - b.size() + i] = b[i];
  const Shape as = strides_of(ap), bs = strides_of(bp);
  Shape idx(r, 0);
  const int64_t n = numel(o);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = 0, ib = 0;
    for (size_t d = 0; d < r; ++d) {
      if (ap[d] != 1) ia += idx[d] * as[d];
      if (bp[d] != 1) ib += idx[d] * bs[d];
    }
    f(k, ia, ib);
    for (int64_t d = static_cast<int64_t>(r) - 1; d >= 0; --d) {
      if (++idx[d] < o[d]) break;
      idx[d] = 0;
    }
  }
}

// Gathers elements of a constant by a per-output-element source index.
Const gather_elements(const Const& x, const Shape& out_dims,
                      const std::function<int64_t(const Shape&)>& src) {
  Const r;
  r.type = x.type;
  r.dims = out_dims;
  const int64_t n = folded_numel(out_dims, "constant folding");
  Shape idx(out_dims.size(), 0);
  if (x.is_float())
    r.f.resize(n);
  else
    r.i.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t s = src(idx);
    if (x.is_float())
      r.f[k] = x.f[s];
    else
      r.i[k] = x.i[s];
    for (int64_t d = static_cast<int64_t>(out_dims.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out_dims[d]) break;
      idx[d] = 0;
    }
  }
  return r;
}

Const transpose_const(const Const& x, const std::vector<int64_t>& perm) {
  Shape od(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) od[i] = x.dims[perm[i]];
  const Shape st = strides_of(x.dims);
  return gather_elements(x, od, [&](const Shape& idx) {
    int64_t s = 0;
    for (size_t i = 0; i < perm.size(); ++i) s += idx[i] * st[perm[i]];
    return s;
  });
}

Const cast_const(const Const& x, int to) {
  Const r;
  r.type = to;
  r.dims = x.dims;
  if (is_float_type(to)) {
    r.f = x.floats();
  } else {
    r.i.resize(x.size());
    for (int64_t k = 0; k < x.size(); ++k) {
      const double v = x.at(k);
      r.i[k] = x.is_float() ? static_cast<int64_t>(std::trunc(v)) : x.i[k];
      if (to == TP::BOOL) r.i[k] = v != 0;
    }
  }
  return r;
}

struct SliceSpec {
  Shape begin, step, count;  // per dimension, normalized
};

// ONNX Slice semantics (clamping, negative steps) per dimension.
SliceSpec slice_spec(const Shape& dims, const std::vector<int64_t>& starts,
                     const std::vector<int64_t>& ends, std::vector<int64_t> axes,
                     std::vector<int64_t> steps) {
  const int64_t r = static_cast<int64_t>(dims.size());
  SliceSpec s;
  s.begin.assign(r, 0);
  s.step.assign(r, 1);
  s.count = dims;
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    fail("Slice: starts/ends/axes/steps differ in length");
  }
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t a = norm_axis(axes[k], r);
    if (a < 0 || a >= r) fail("Slice: axis out of range");
    const int64_t n = dims[a], st = steps[k];
    if (st == 0) fail("Slice: step 0");
    int64_t b = starts[k], e = ends[k];
    if (b < 0) b += n;
    if (e < 0) e += n;
    int64_t cnt;
    if (st > 0) {
      b = std::clamp<int64_t>(b, 0, n);
      e = std::clamp<int64_t>(e, 0, n);
      cnt = e > b ? (e - b + st - 1) / st : 0;
    } else {
      b = std::clamp<int64_t>(b, -1, n - 1);
      e = std::clamp<int64_t>(e, -1, n - 1);
      cnt = b > e ? (b - e + (-st) - 1) / (-st) : 0;
    }
    s.begin[a] = b;
    s.step[a] = st;
    s.count[a] = cnt;
  }
  return s;
}

int32_t to_i32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

std::vector<int32_t> to_i32(const Shape& s) {
  std::vector<int32_t> r;
  for (int64_t d : s) r.push_back(to_i32(d));
  return r;
}

// Conv/pool padding [top, left, bottom, right] from pads / auto_pad.
struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
};

bool window_from(const Node& n, const Shape& x, int64_t kh, int64_t kw, Window* w,
                 std::string* why) {
  w->kh = kh;
  w->kw = kw;
  const auto strides = n.getints("strides", {1, 1});
  const auto dil = n.getints("dilations", {1, 1});
  if (strides.size() != 2 || dil.size() != 2) {
    *why = "only 2-D windows are supported";
    return false;
  }
  w->sh = strides[0], w->sw = strides[1], w->dh = dil[0], w->dw = dil[1];
  // Bounds keep every later product (k·d, out·s, in + pads) far from
  // overflow; a zero stride or dilation would divide by zero.
  constexpr int64_t kMaxWindow = int64_t{1} << 20;
  for (const int64_t v : {w->sh, w->sw, w->dh, w->dw}) {
    if (v < 1 || v > kMaxWindow) {
      *why = "strides and dilations must be in [1, 2^20], got " + std::to_string(v);
      return false;
    }
  }
  if (kh < 1 || kw < 1 || kh > kMaxWindow || kw > kMaxWindow) {
    *why = "kernel size must be in [1, 2^20], got " + std::to_string(kh) + "x" + std::to_string(kw);
    return false;
  }
  const std::string ap = n.gets("auto_pad", "NOTSET");
  if (ap == "NOTSET") {
    const auto pads = n.getints("pads", {0, 0, 0, 0});
    if (pads.size() != 4) {
      *why = "pads must have 4 entries (2-D)";
      return false;
    }
    w->pt = pads[0], w->pl = pads[1], w->pb = pads[2], w->pr = pads[3];
    for (const int64_t v : pads) {
      if (v < 0 || v > kMaxWindow) {
        *why = "pads must be in [0, 2^20], got " + std::to_string(v);
        return false;
      }
    }
  } else if (ap == "VALID") {
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t* p0, int64_t* p1) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
      *p0 = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      *p1 = total - *p0;
    };
    same(x[2], kh, w->sh, w->dh, &w->pt, &w->pb);
    same(x[3], kw, w->sw, w->dw, &w->pl, &w->pr);
  } else {
    *why = "auto_pad " + ap;
    return false;
  }
  return true;
}

int64_t window_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1,
                   bool ceil_mode) {
  const int64_t span = in + p0 + p1 - ((k - 1) * d + 1);
  if (span < 0) return 0;
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p0) --out;
  return out;
}

// ------------------------------------------------ inference and folding

struct ConvTParams {
  Window w;
  int64_t out_h = 0, out_w = 0, op_h = 0, op_w = 0;
};

class Importer {
 public:
  Importer(Graph& g, ImportReport& rep) : g_(g), rep_(rep) {}

  void infer_all();
  void remove_identities();
  void recognize_hard_swish();
  void fold_batch_norm();
  void fuse_activations();
  void remove_dead();
  std::vector<uint8_t> emit(const ImportOptions& opt);

 private:
  Graph& g_;
  ImportReport& rep_;
  std::vector<UnsupportedModelError::Node> unsupported_;
  std::vector<std::string> needs_const_;

  // ---- inference helpers
  Value& in(const Node& n, size_t k) { return g_.value(n.in.at(k)); }
  bool has_in(const Node& n, size_t k) const { return k < n.in.size() && !n.in[k].empty(); }
  void set_out(const Node& n, size_t k, int type, Shape s) {
    Value& v = g_.value(n.out.at(k));
    v.type = type;
    v.shape = std::move(s);
    v.shape_known = true;
  }
  // A constant input, or nullptr (recording graph inputs that must be bound).
  const Const* need_const(const Node& n, size_t k, std::string* why, const char* what) {
    if (!has_in(n, k)) return nullptr;
    const Value& v = g_.value(n.in[k]);
    if (v.c) return v.c.get();
    if (v.graph_input) {
      if (std::find(needs_const_.begin(), needs_const_.end(), v.name) == needs_const_.end()) {
        needs_const_.push_back(v.name);
      }
      *why = "";  // reported as NeedsConstantError
    } else {
      *why = std::string(what) + " must be a constant";
    }
    return nullptr;
  }
  bool fold(Node& n);
  std::string infer(Node& n);
  ConvTParams convt_params(const Node& n, const Shape& x, const Shape& w);
  bool resize_params(const Node& n, std::string* why, int64_t* oh, int64_t* ow, float* sh,
                     float* sw, octet::ResizeOptions* ro);

  friend class Emitter;
};

ConvTParams Importer::convt_params(const Node& n, const Shape& x, const Shape& w) {
  ConvTParams p;
  std::string why;
  Node tmp = n;
  tmp.attrs.erase("auto_pad");  // handled below
  const auto ks = n.getints("kernel_shape", {w[2], w[3]});
  window_from(tmp, x, ks[0], ks[1], &p.w, &why);
  const auto op = n.getints("output_padding", {0, 0});
  p.op_h = op.size() == 2 ? op[0] : 0;
  p.op_w = op.size() == 2 ? op[1] : 0;
  const std::string ap = n.gets("auto_pad", "NOTSET");
  auto base = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t opad) {
    return s * (in - 1) + opad + (k - 1) * d + 1;
  };
  const auto os = n.getints("output_shape");
  auto split = [&](int64_t total, int64_t* p0, int64_t* p1, int64_t* opad) {
    if (total < 0) {  // output larger than the full result: extra rows at the end
      *opad += -total;
      *p0 = *p1 = 0;
    } else if (ap == "SAME_UPPER") {
      *p0 = total / 2;
      *p1 = total - total / 2;
    } else {
      *p0 = total - total / 2;
      *p1 = total / 2;
    }
  };
  if (os.size() >= 2 || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    const int64_t th = os.size() >= 2 ? os[os.size() - 2] : x[2] * p.w.sh;
    const int64_t tw = os.size() >= 2 ? os[os.size() - 1] : x[3] * p.w.sw;
    split(base(x[2], ks[0], p.w.sh, p.w.dh, p.op_h) - th, &p.w.pt, &p.w.pb, &p.op_h);
    split(base(x[3], ks[1], p.w.sw, p.w.dw, p.op_w) - tw, &p.w.pl, &p.w.pr, &p.op_w);
  }
  p.out_h = base(x[2], ks[0], p.w.sh, p.w.dh, p.op_h) - p.w.pt - p.w.pb;
  p.out_w = base(x[3], ks[1], p.w.sw, p.w.dw, p.op_w) - p.w.pl - p.w.pr;
  return p;
}

bool Importer::resize_params(const Node& n, std::string* why, int64_t* oh, int64_t* ow, float* sh,
                             float* sw, octet::ResizeOptions* ro) {
  const Shape& x = g_.value(n.in[0]).shape;
  if (x.size() != 4) {
    *why = "only 4-D (NCHW) inputs";
    return false;
  }
  const bool upsample = n.op == "Upsample";
  const int64_t opset = g_.opset;
  std::string mode = n.gets("mode", "nearest");
  std::string ct = upsample || opset < 11 ? "asymmetric"
                                          : n.gets("coordinate_transformation_mode", "half_pixel");
  std::string nm = upsample || opset < 11 ? "floor" : n.gets("nearest_mode", "round_prefer_floor");
  if (upsample && opset < 11 && mode == "nearest") nm = "floor";
  if (mode == "linear" || mode == "bilinear") {
    ro->mode = octet::ResizeMode::kBilinear;
  } else if (mode == "nearest") {
    ro->mode = octet::ResizeMode::kNearest;
  } else {
    *why = "mode '" + mode + "'";
    return false;
  }
  if (ct == "half_pixel")
    ro->coordinate_transform = octet::CoordinateTransform::kHalfPixel;
  else if (ct == "align_corners")
    ro->coordinate_transform = octet::CoordinateTransform::kAlignCorners;
  else if (ct == "asymmetric")
    ro->coordinate_transform = octet::CoordinateTransform::kAsymmetric;
  else if (ct == "pytorch_half_pixel")
    ro->coordinate_transform = octet::CoordinateTransform::kPytorchHalfPixel;
  else {
    *why = "coordinate_transformation_mode '" + ct + "'";
    return false;
  }
  if (nm == "round_prefer_floor")
    ro->nearest_rounding = octet::NearestRounding::kRoundPreferFloor;
  else if (nm == "round_prefer_ceil")
    ro->nearest_rounding = octet::NearestRounding::kRoundPreferCeil;
  else if (nm == "floor")
    ro->nearest_rounding = octet::NearestRounding::kFloor;
  else if (nm == "ceil")
    ro->nearest_rounding = octet::NearestRounding::kCeil;
  else {
    *why = "nearest_mode '" + nm + "'";
    return false;
  }
  std::vector<float> scales;
  const Const* sizes = nullptr;
  if (upsample && opset < 9) {
    scales = n.attrs.count("scales") ? n.attrs.at("scales").floats : std::vector<float>{};
  } else {
    const size_t si = upsample || opset < 11 ? 1 : 2;
    const bool has_scales =
        has_in(n, si) && !(g_.is_const(n.in[si]) && g_.cst(n.in[si]).size() == 0);
    if (has_scales) {
      const Const* c = need_const(n, si, why, "scales");
      if (!c) return false;
      scales = c->floats();
    } else if (!upsample && opset >= 11 && has_in(n, 3)) {
      sizes = need_const(n, 3, why, "sizes");
      if (!sizes) return false;
    }
  }
  if (sizes) {
    if (sizes->size() != 4) {
      *why = "sizes must have 4 entries";
      return false;
    }
    if (sizes->int_at(0) != x[0] || sizes->int_at(1) != x[1]) {
      *why = "only H and W may be resized";
      return false;
    }
    *oh = sizes->int_at(2);
    *ow = sizes->int_at(3);
    *sh = *sw = 0;
  } else {
    if (scales.size() != 4) {
      *why = "scales must have 4 entries";
      return false;
    }
    if (scales[0] != 1.0f || scales[1] != 1.0f) {
      *why = "only H and W may be resized";
      return false;
    }
    *sh = scales[2];
    *sw = scales[3];
    *oh = static_cast<int64_t>(std::floor(x[2] * double(scales[2])));
    *ow = static_cast<int64_t>(std::floor(x[3] * double(scales[3])));
  }
  ro->scale_h = *sh;
  ro->scale_w = *sw;
  if (*oh <= 0 || *ow <= 0) {
    *why = "empty output";
    return false;
  }
  return true;
}

// Evaluates a node whose inputs are all constant (shape arithmetic and
// constant subgraphs). Returns false if the op is not evaluated here.
bool Importer::fold(Node& n) {
  const std::string& op = n.op;
  auto c = [&](size_t k) -> const Const& { return g_.cst(n.in[k]); };
  if (op == "Constant") {
    if (n.has("value")) {
      g_.set_const(n.out[0], n.attrs.at("value").t);
    } else if (n.has("value_float")) {
      g_.set_const(n.out[0], Const::of_floats({}, {n.getf("value_float", 0)}));
    } else if (n.has("value_floats")) {
      const auto& v = n.attrs.at("value_floats").floats;
      g_.set_const(n.out[0], Const::of_floats({int64_t(v.size())}, v));
    } else if (n.has("value_int")) {
      g_.set_const(n.out[0], Const::of_ints(TP::INT64, {}, {n.geti("value_int", 0)}));
    } else if (n.has("value_ints")) {
      const auto v = n.getints("value_ints");
      g_.set_const(n.out[0], Const::of_ints(TP::INT64, {int64_t(v.size())}, v));
    } else {
      return false;
    }
    return true;
  }
  if (op == "Shape") {
    const Shape& s = g_.value(n.in[0]).shape;
    const int64_t r = static_cast<int64_t>(s.size());
    int64_t b = std::clamp<int64_t>(norm_axis(n.geti("start", 0), r), 0, r);
    int64_t e = std::clamp<int64_t>(norm_axis(n.geti("end", r), r), 0, r);
    std::vector<int64_t> v;
    for (int64_t i = b; i < e; ++i) v.push_back(s[i]);
    g_.set_const(n.out[0], Const::of_ints(TP::INT64, {int64_t(v.size())}, v));
    return true;
  }
  for (const auto& i : n.in) {
    if (!i.empty() && !g_.is_const(i)) return false;
  }
  if (op == "Identity" || (op == "Dropout" && n.out.size() == 1)) {
    g_.set_const(n.out[0], c(0));
  } else if (op == "Cast") {
    g_.set_const(n.out[0], cast_const(c(0), static_cast<int>(n.geti("to", TP::FLOAT))));
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const Const &a = c(0), &b = c(1);
    Shape o;
    if (!broadcast(a.dims, b.dims, &o)) fail(n.name + ": shapes do not broadcast");
    Const r;
    r.type = a.type;
    r.dims = o;
    const bool fl = a.is_float();
    const int64_t cnt = folded_numel(o, n.name);
    if (fl)
      r.f.resize(cnt);
    else
      r.i.resize(cnt);
    for_broadcast(a.dims, b.dims, o, [&](int64_t k, int64_t ia, int64_t ib) {
      if (fl) {
        const float x = a.f[ia], y = static_cast<float>(b.at(ib));
        r.f[k] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      } else {
        const int64_t x = a.i[ia], y = b.int_at(ib);
        r.i[k] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : (y ? x / y : 0);
      }
    });
    g_.set_const(n.out[0], std::move(r));
  } else if (op == "Unsqueeze" || op == "Squeeze" || op == "Reshape" || op == "Flatten") {
    if (!infer(n).empty()) return false;
    Const r = c(0);
    r.dims = g_.value(n.out[0]).shape;
    g_.set_const(n.out[0], std::move(r));
  } else if (op == "Concat") {
    std::vector<const Const*> xs;
    for (size_t k = 0; k < n.in.size(); ++k) xs.push_back(&c(k));
    const int64_t r = static_cast<int64_t>(xs[0]->dims.size());
    const int64_t axis = norm_axis(n.geti("axis", 0), r);
    Shape od = xs[0]->dims;
    od[axis] = 0;
    for (auto* x : xs) od[axis] += x->dims[axis];
    Const out;
    out.type = xs[0]->type;
    out.dims = od;
    const int64_t outer = numel(Shape(od.begin(), od.begin() + axis));
    for (int64_t o = 0; o < outer; ++o) {
      for (auto* x : xs) {
        const int64_t inner = numel(Shape(x->dims.begin() + axis, x->dims.end()));
        for (int64_t k = 0; k < inner; ++k) {
          if (out.is_float())
            out.f.push_back(static_cast<float>(x->at(o * inner + k)));
          else
            out.i.push_back(x->int_at(o * inner + k));
        }
      }
    }
    g_.set_const(n.out[0], std::move(out));
  } else if (op == "Gather") {
    const Const &x = c(0), &idx = c(1);
    const int64_t r = static_cast<int64_t>(x.dims.size());
    const int64_t axis = norm_axis(n.geti("axis", 0), r);
    Shape od(x.dims.begin(), x.dims.begin() + axis);
    for (int64_t d : idx.dims) od.push_back(d);
    for (int64_t i = axis + 1; i < r; ++i) od.push_back(x.dims[i]);
    const Shape xs = strides_of(x.dims);
    const int64_t ir = static_cast<int64_t>(idx.dims.size());
    const Shape is = strides_of(idx.dims);
    g_.set_const(n.out[0], gather_elements(x, od, [&](const Shape& o) {
                   int64_t s = 0, ii = 0;
                   for (int64_t i = 0; i < axis; ++i) s += o[i] * xs[i];
                   for (int64_t i = 0; i < ir; ++i) ii += o[axis + i] * is[i];
                   int64_t j = idx.int_at(ii);
                   if (j < 0) j += x.dims[axis];
                   s += j * xs[axis];
                   for (int64_t i = axis + 1; i < r; ++i) s += o[ir + i - 1] * xs[i];
                   return s;
                 }));
  } else if (op == "Slice") {
    const Const& x = c(0);
    SliceSpec sp;
    if (g_.opset < 10) {
      sp = slice_spec(x.dims, n.getints("starts"), n.getints("ends"), n.getints("axes"), {});
    } else {
      sp = slice_spec(x.dims, c(1).ints(), c(2).ints(), has_in(n, 3) ? c(3).ints() : Shape{},
                      has_in(n, 4) ? c(4).ints() : Shape{});
    }
    const Shape xs = strides_of(x.dims);
    g_.set_const(n.out[0], gather_elements(x, sp.count, [&](const Shape& o) {
                   int64_t s = 0;
                   for (size_t i = 0; i < o.size(); ++i)
                     s += (sp.begin[i] + o[i] * sp.step[i]) * xs[i];
                   return s;
                 }));
  } else if (op == "Transpose") {
    const Const& x = c(0);
    std::vector<int64_t> perm = n.getints("perm");
    if (perm.empty()) {
      for (int64_t i = static_cast<int64_t>(x.dims.size()) - 1; i >= 0; --i) perm.push_back(i);
    }
    g_.set_const(n.out[0], transpose_const(x, perm));
  } else if (op == "ConstantOfShape") {
    const Shape d = c(0).ints();
    Const v = n.has("value") ? n.attrs.at("value").t : Const::of_floats({1}, {0.0f});
    if (v.size() != 1) fail(n.name + ": ConstantOfShape 'value' must hold exactly one element");
    Const r;
    r.type = v.type;
    r.dims = d;
    const int64_t cnt = folded_numel(d, n.name);
    if (r.is_float())
      r.f.assign(cnt, static_cast<float>(v.at(0)));
    else
      r.i.assign(cnt, v.int_at(0));
    g_.set_const(n.out[0], std::move(r));
  } else if (op == "Range") {
    const Const& s = c(0);
    Const r;
    r.type = s.type;
    if (s.size() != 1 || c(1).size() != 1 || c(2).size() != 1) {
      fail(n.name + ": Range start, limit and delta must be scalars");
    }
    const double start = s.at(0), limit = c(1).at(0), delta = c(2).at(0);
    if (!std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta) || delta == 0) {
      fail(n.name + ": Range needs finite start/limit and a non-zero delta");
    }
    const double span = std::ceil((limit - start) / delta);
    if (span > static_cast<double>(kMaxFoldedElements)) {
      fail(n.name + ": Range would produce more than " + std::to_string(kMaxFoldedElements) +
           " elements");
    }
    const int64_t cnt = std::max<int64_t>(0, static_cast<int64_t>(span));
    r.dims = {cnt};
    for (int64_t k = 0; k < cnt; ++k) {
      if (r.is_float())
        r.f.push_back(static_cast<float>(start + k * delta));
      else
        r.i.push_back(static_cast<int64_t>(start) + k * static_cast<int64_t>(delta));
    }
    g_.set_const(n.out[0], std::move(r));
  } else if (op == "DequantizeLinear") {
    const Const& x = c(0);
    const Const& s = c(1);
    // Per-axis (opset 13, `axis`): one scale and zero point per slice of
    // that dimension, as PyTorch's per-channel weights and int32 biases.
    int64_t axis = n.geti("axis", 1);
    const int64_t r = int64_t(x.dims.size());
    if (axis < 0) axis += r;
    int64_t inner = 1;
    if (s.size() != 1) {
      if (axis < 0 || axis >= r || s.size() != x.dims[axis]) return false;
      if (has_in(n, 2) && c(2).size() != s.size()) return false;
      inner = numel(Shape(x.dims.begin() + axis + 1, x.dims.end()));
    }
    std::vector<float> v(x.size());
    for (int64_t k = 0; k < x.size(); ++k) {
      const int64_t ch = s.size() == 1 ? 0 : (k / inner) % s.size();
      const int64_t zp = has_in(n, 2) ? c(2).int_at(ch) : 0;
      v[k] = static_cast<float>(x.int_at(k) - zp) * static_cast<float>(s.at(ch));
    }
    g_.set_const(n.out[0], Const::of_floats(x.dims, v));
  } else {
    return false;
  }
  return true;
}

// Infers output shapes and checks what the emitter supports. Returns "" or
// the reason the node is unsupported.
std::string Importer::infer(Node& n) {
  const std::string& op = n.op;
  std::string why;
  auto float_in = [&](size_t k) { return g_.value(n.in[k]).type == TP::FLOAT; };
  auto need_float = [&](size_t k) -> std::string {
    if (!float_in(k)) {
      return std::string("input '") + n.in[k] + "' is " + type_name(g_.value(n.in[k]).type) +
             " (float32 only)";
    }
    return "";
  };
  Shape x = n.in.empty() || n.in[0].empty() ? Shape{} : g_.value(n.in[0]).shape;
  const int xt = n.in.empty() || n.in[0].empty() ? TP::FLOAT : g_.value(n.in[0]).type;
  if (x.size() == 3 &&
      (op == "Conv" || op == "ConvTranspose" || op == "MaxPool" || op == "AveragePool")) {
    // 1-D: a 2-D window of height 1 over [N, C, 1, L].
    if (!n.has("_1d")) {
      auto widen = [&](const char* a, int64_t fill, bool pads) {
        if (!n.has(a)) return;
        auto& v = n.attrs[a].ints;
        if (pads && v.size() == 2)
          v = {fill, v[0], fill, v[1]};
        else if (!pads && v.size() == 1)
          v = {fill, v[0]};
      };
      widen("kernel_shape", 1, false);
      widen("strides", 1, false);
      widen("dilations", 1, false);
      widen("output_padding", 0, false);
      widen("output_shape", 1, false);
      widen("pads", 0, true);
      if (op == "Conv" || op == "ConvTranspose") {
        std::string whyw;
        const Const* wc = need_const(n, 1, &whyw, "1-D convolution weights");
        if (!wc) return whyw;
        Const w = *wc;
        if (w.dims.size() != 3) return "weights must be 3-D";
        w.dims.insert(w.dims.begin() + 2, 1);
        n.in[1] += "/2d";
        g_.set_const(n.in[1], w);
      }
      n.attrs["_1d"].i = 1;
    }
    x.insert(x.begin() + 2, 1);
  }
  const int64_t r = static_cast<int64_t>(x.size());

  if (op == "Identity" || op == "Dropout") {
    if (op == "Dropout") {
      if (n.out.size() > 1 && !n.out[1].empty()) {
        for (const Node& m : g_.nodes) {
          for (const auto& i : m.in) {
            if (i == n.out[1]) return "the dropout mask is used";
          }
        }
        if (std::count(g_.outputs.begin(), g_.outputs.end(), n.out[1]))
          return "the dropout mask is a graph output";
      }
      if (has_in(n, 2)) {
        const Const* t = need_const(n, 2, &why, "training_mode");
        if (!t) return why;
        if (t->int_at(0)) return "training mode";
      }
    }
    set_out(n, 0, xt, x);
    return "";
  }
  if (op == "Cast") {
    if (n.geti("to", 0) != xt) return "casts run-time data (only constant casts are folded)";
    set_out(n, 0, xt, x);
    return "";
  }
  if (fold_only(op)) return "computes on run-time data (only constant shape arithmetic is folded)";

  if (op == "Conv" || op == "QLinearConv" || op == "ConvInteger") {
    const bool ql = op == "QLinearConv";
    const size_t wi = ql ? 3 : 1;
    if (!ql && op == "Conv" && !(why = need_float(0)).empty()) return why;
    if (r != 4) return "only 2-D convolutions (input rank " + std::to_string(r) + ")";
    const Shape& w = g_.value(n.in[wi]).shape;
    if (w.size() != 4) return "weights must be 4-D";
    const int64_t group = n.geti("group", 1);
    if (group < 1 || x[1] % group || w[0] % group || w[1] * group != x[1]) {
      return "weights " + shape_str(w) + " do not match input " + shape_str(x);
    }
    const auto ks = n.getints("kernel_shape", {w[2], w[3]});
    if (ks.size() != 2 || ks[0] != w[2] || ks[1] != w[3]) return "kernel_shape disagrees with W";
    Window win;
    if (!window_from(n, x, w[2], w[3], &win, &why)) return why;
    const int64_t oh = window_out(x[2], w[2], win.sh, win.dh, win.pt, win.pb, false);
    const int64_t ow = window_out(x[3], w[3], win.sw, win.dw, win.pl, win.pr, false);
    if (oh <= 0 || ow <= 0) return "empty output";
    int ot = TP::FLOAT;
    if (ql) {
      for (size_t k : {1, 2, 3, 4, 5, 6, 7}) {
        if (!need_const(n, k, &why, "quantization parameters and weights")) return why;
      }
      if (has_in(n, 8) && !need_const(n, 8, &why, "bias")) return why;
      if (g_.cst(n.in[1]).size() != 1 || g_.cst(n.in[6]).size() != 1) {
        return "per-axis activation scales";
      }
      ot = g_.cst(n.in[7]).type;
    } else if (op == "ConvInteger") {
      if (!need_const(n, 1, &why, "weights")) return why;
      for (size_t k : {2, 3}) {
        if (has_in(n, k) && !need_const(n, k, &why, "zero points")) return why;
      }
      ot = TP::INT32;
    } else if (has_in(n, 2) && !float_in(2)) {
      return "bias must be float32";
    }
    set_out(n, 0, ot, {x[0], w[0], oh, ow});
    return "";
  }
  if (op == "ConvTranspose") {
    if (!(why = need_float(0)).empty()) return why;
    if (r != 4) return "only 2-D transposed convolutions (input rank " + std::to_string(r) + ")";
    const Shape& w = g_.value(n.in[1]).shape;
    const int64_t group = n.geti("group", 1);
    if (w.size() != 4 || w[0] != x[1] || x[1] % group) return "weights do not match the input";
    if (group != 1 && !g_.is_const(n.in[1])) return "grouped with run-time weights";
    const auto ks = n.getints("kernel_shape", {w[2], w[3]});
    if (ks.size() != 2 || ks[0] != w[2] || ks[1] != w[3]) return "kernel_shape disagrees with W";
    const std::string ap = n.gets("auto_pad", "NOTSET");
    if (ap != "NOTSET" && ap != "VALID" && ap != "SAME_UPPER" && ap != "SAME_LOWER")
      return "auto_pad " + ap;
    const ConvTParams p = convt_params(n, x, w);
    if (p.w.pt < 0 || p.w.pl < 0 || p.w.pb < 0 || p.w.pr < 0) return "negative padding";
    if (p.op_h >= p.w.sh || p.op_w >= p.w.sw) return "output padding must be below the stride";
    if (p.out_h <= 0 || p.out_w <= 0) return "empty output";
    set_out(n, 0, TP::FLOAT, {x[0], w[1] * group, p.out_h, p.out_w});
    return "";
  }
  if (op == "Gemm") {
    if (!(why = need_float(0)).empty() || !(why = need_float(1)).empty()) return why;
    const Shape& b = g_.value(n.in[1]).shape;
    if (x.size() != 2 || b.size() != 2) return "Gemm operands must be 2-D";
    const int64_t m = n.geti("transA", 0) ? x[1] : x[0];
    const int64_t k = n.geti("transA", 0) ? x[0] : x[1];
    const int64_t kb = n.geti("transB", 0) ? b[1] : b[0];
    const int64_t nn = n.geti("transB", 0) ? b[0] : b[1];
    if (k != kb) return "inner dimensions differ";
    Shape o;
    if (has_in(n, 2) && !broadcast(g_.value(n.in[2]).shape, {m, nn}, &o))
      return "C does not broadcast";
    set_out(n, 0, TP::FLOAT, {m, nn});
    return "";
  }
  if (op == "MatMul" || op == "QLinearMatMul" || op == "MatMulInteger") {
    const bool ql = op == "QLinearMatMul";
    const size_t bi = ql ? 3 : 1;
    if (op == "MatMul" && (!(why = need_float(0)).empty() || !(why = need_float(1)).empty()))
      return why;
    Shape a = x, b = g_.value(n.in[bi]).shape;
    if (a.empty() || b.empty()) return "scalar operands";
    const bool a1 = a.size() == 1, b1 = b.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (b1) b.push_back(1);
    if (a.back() != b[b.size() - 2]) return "inner dimensions differ";
    Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2), o;
    if (!broadcast(ba, bb, &o)) return "batch dimensions do not broadcast";
    if (!a1) o.push_back(a[a.size() - 2]);
    if (!b1) o.push_back(b.back());
    int ot = TP::FLOAT;
    if (ql) {
      for (size_t k : {1, 2, 4, 5, 6, 7}) {
        if (!need_const(n, k, &why, "quantization parameters")) return why;
        if (g_.cst(n.in[k]).size() != 1) return "per-axis quantization";
      }
      ot = g_.cst(n.in[7]).type;
      if (a1 || b1) return "1-D operands";
    } else if (op == "MatMulInteger") {
      for (size_t k : {2, 3}) {
        if (has_in(n, k) && !need_const(n, k, &why, "zero points")) return why;
        if (has_in(n, k) && g_.cst(n.in[k]).size() != 1) return "per-axis zero points";
      }
      ot = TP::INT32;
    }
    set_out(n, 0, ot, o);
    return "";
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    if (!(why = need_float(0)).empty() || !(why = need_float(1)).empty()) return why;
    Shape o;
    if (!broadcast(x, g_.value(n.in[1]).shape, &o)) return "shapes do not broadcast";
    if (o.size() > 6) return "rank above 6";
    set_out(n, 0, TP::FLOAT, o);
    return "";
  }
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" || op == "HardSigmoid" ||
      op == "HardSwish" || op == "Clip") {
    if (!(why = need_float(0)).empty()) return why;
    if (op == "Clip" && g_.opset >= 11) {
      for (size_t k : {1, 2}) {
        if (has_in(n, k) && !need_const(n, k, &why, "min/max")) return why;
      }
    }
    set_out(n, 0, TP::FLOAT, x);
    return "";
  }
  if (op == "PRelu") {
    if (!(why = need_float(0)).empty() || !(why = need_float(1)).empty()) return why;
    if (g_.opset < 7 && r >= 2 && g_.value(n.in[1]).shape == Shape{x[1]} && x[1] != 1) {
      // Opset 6 slopes are per channel (axis 1), not numpy-broadcast.
      if (!g_.is_const(n.in[1])) return "a run-time per-channel slope (opset < 7)";
      Const c = g_.cst(n.in[1]);
      c.dims.assign(r - 1, 1);
      c.dims[0] = x[1];
      n.in[1] += "/per_channel";
      g_.set_const(n.in[1], c);
    }
    const Shape& s = g_.value(n.in[1]).shape;
    if (numel(s) != 1) {
      if (s.size() > x.size()) return "slope rank above the input's";
      int axis = -1;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != 1) {
          if (axis >= 0) return "slope varies along more than one axis";
          axis = static_cast<int>(x.size() - s.size() + i);
        }
      }
      if (axis >= 0 && s[axis - (x.size() - s.size())] != x[axis]) return "slope does not match";
      if (!(axis == r - 1 || (r == 4 && axis == 1))) {
        return "slope must be per channel (axis 1 of a 4-D input) or along the last axis";
      }
    }
    set_out(n, 0, TP::FLOAT, x);
    return "";
  }
  if (op == "MaxPool" || op == "AveragePool") {
    if (!(why = need_float(0)).empty()) return why;
    if (r != 4) return "only 2-D pooling (input rank " + std::to_string(r) + ")";
    if (n.out.size() > 1 && !n.out[1].empty()) return "the Indices output";
    const auto ks = n.getints("kernel_shape");
    if (ks.size() != 2) return "kernel_shape must have 2 entries";
    Window w;
    if (!window_from(n, x, ks[0], ks[1], &w, &why)) return why;
    if (op == "MaxPool" && n.geti("storage_order", 0) != 0) return "storage_order 1";
    const bool ceil = n.geti("ceil_mode", 0) != 0;
    const int64_t oh = window_out(x[2], ks[0], w.sh, w.dh, w.pt, w.pb, ceil);
    const int64_t ow = window_out(x[3], ks[1], w.sw, w.dw, w.pl, w.pr, ceil);
    if (oh <= 0 || ow <= 0) return "empty output";
    set_out(n, 0, TP::FLOAT, {x[0], x[1], oh, ow});
    return "";
  }
  if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
    if (!(why = need_float(0)).empty()) return why;
    if (r != 4) return "only 4-D inputs";
    set_out(n, 0, TP::FLOAT, {x[0], x[1], 1, 1});
    return "";
  }
  if (op == "ReduceMean") {
    if (!(why = need_float(0)).empty()) return why;
    std::vector<int64_t> axes = n.getints("axes");
    if (axes.empty()) {
      for (int64_t i = 0; i < r; ++i) axes.push_back(i);
    }
    const bool keep = n.geti("keepdims", 1) != 0;
    std::vector<bool> red(r, false);
    for (int64_t a : axes) {
      a = norm_axis(a, r);
      if (a < 0 || a >= r) return "axis out of range";
      red[a] = true;
    }
    Shape o;
    for (int64_t i = 0; i < r; ++i) {
      if (!red[i])
        o.push_back(x[i]);
      else if (keep)
        o.push_back(1);
    }
    set_out(n, 0, TP::FLOAT, o);
    return "";
  }
  if (op == "Concat") {
    const int64_t axis = norm_axis(n.geti("axis", 0), r);
    if (axis < 0 || axis >= r) return "axis out of range";
    Shape o = x;
    o[axis] = 0;
    for (size_t k = 0; k < n.in.size(); ++k) {
      const Value& v = g_.value(n.in[k]);
      if (v.shape.size() != x.size() || v.type != xt) return "inputs differ in rank or type";
      o[axis] += v.shape[axis];
    }
    set_out(n, 0, xt, o);
    return "";
  }
  if (op == "Split") {
    const int64_t axis = norm_axis(n.geti("axis", 0), r);
    if (axis < 0 || axis >= r) return "axis out of range";
    std::vector<int64_t> sizes;
    if (g_.opset >= 13 && has_in(n, 1)) {
      const Const* c = need_const(n, 1, &why, "split");
      if (!c) return why;
      sizes = c->ints();
    } else {
      sizes = n.getints("split");
    }
    if (sizes.empty()) {
      const int64_t k = static_cast<int64_t>(n.out.size());
      if (x[axis] % k) return "uneven split";
      sizes.assign(k, x[axis] / k);
    }
    if (sizes.size() != n.out.size()) return "split sizes do not match the outputs";
    int64_t total = 0;
    for (int64_t s : sizes) {
      if (s <= 0) return "empty split";
      total += s;
    }
    if (total != x[axis]) return "split sizes do not add up";
    for (size_t k = 0; k < sizes.size(); ++k) {
      Shape o = x;
      o[axis] = sizes[k];
      set_out(n, k, xt, o);
    }
    n.attrs["split"].ints = sizes;  // resolved for the emitter
    return "";
  }
  if (op == "Slice") {
    SliceSpec sp;
    if (g_.opset < 10) {
      sp = slice_spec(x, n.getints("starts"), n.getints("ends"), n.getints("axes"), {});
    } else {
      const Const *s = need_const(n, 1, &why, "starts"), *e = need_const(n, 2, &why, "ends");
      const Const* a = has_in(n, 3) ? need_const(n, 3, &why, "axes") : nullptr;
      const Const* st = has_in(n, 4) ? need_const(n, 4, &why, "steps") : nullptr;
      if (!s || !e || (has_in(n, 3) && !a) || (has_in(n, 4) && !st)) return why;
      sp = slice_spec(x, s->ints(), e->ints(), a ? a->ints() : Shape{}, st ? st->ints() : Shape{});
    }
    for (int64_t c : sp.count) {
      if (c <= 0) return "empty result";
    }
    set_out(n, 0, xt, sp.count);
    n.attrs["_begin"].ints = sp.begin;
    n.attrs["_step"].ints = sp.step;
    return "";
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
    Shape o;
    if (op == "Reshape") {
      const Const* s = need_const(n, 1, &why, "shape");
      if (!s) return why;
      o = s->ints();
      int64_t known = 1, infer_at = -1;
      for (size_t i = 0; i < o.size(); ++i) {
        if (o[i] == 0 && !n.geti("allowzero", 0)) {
          if (i >= x.size()) return "0 beyond the input rank";
          o[i] = x[i];
        }
        if (o[i] == -1) {
          if (infer_at >= 0) return "more than one -1";
          infer_at = static_cast<int64_t>(i);
        } else {
          known *= o[i];
        }
      }
      if (infer_at >= 0) o[infer_at] = known ? numel(x) / known : 0;
    } else if (op == "Flatten") {
      const int64_t a = norm_axis(n.geti("axis", 1), r);
      if (a < 0 || a > r) return "axis out of range";
      o = {numel(Shape(x.begin(), x.begin() + a)), numel(Shape(x.begin() + a, x.end()))};
    } else {
      std::vector<int64_t> axes;
      if (g_.opset >= 13) {
        if (has_in(n, 1)) {
          const Const* c = need_const(n, 1, &why, "axes");
          if (!c) return why;
          axes = c->ints();
        }
      } else {
        axes = n.getints("axes");
      }
      if (op == "Squeeze") {
        std::vector<bool> drop(r, false);
        for (int64_t a : axes) {
          a = norm_axis(a, r);
          if (a < 0 || a >= r || x[a] != 1) return "squeezed axis is not 1";
          drop[a] = true;
        }
        for (int64_t i = 0; i < r; ++i) {
          if (axes.empty() ? x[i] != 1 : !drop[i]) o.push_back(x[i]);
        }
      } else {
        const int64_t orank = r + static_cast<int64_t>(axes.size());
        std::vector<bool> ins(orank, false);
        for (int64_t a : axes) {
          a = norm_axis(a, orank);
          if (a < 0 || a >= orank || ins[a]) return "bad axes";
          ins[a] = true;
        }
        size_t k = 0;
        for (int64_t i = 0; i < orank; ++i) o.push_back(ins[i] ? 1 : x[k++]);
      }
    }
    if (numel(o) != numel(x)) return "cannot reshape " + shape_str(x) + " into " + shape_str(o);
    if (o.size() > 6) return "rank above 6";
    set_out(n, 0, xt, o);
    return "";
  }
  if (op == "Transpose") {
    std::vector<int64_t> perm = n.getints("perm");
    if (perm.empty()) {
      for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
    }
    if (static_cast<int64_t>(perm.size()) != r) return "perm length";
    Shape o;
    for (int64_t p : perm) o.push_back(x.at(p));
    n.attrs["perm"].ints = perm;
    set_out(n, 0, xt, o);
    return "";
  }
  if (op == "Pad") {
    std::vector<int64_t> pads;
    float value = 0;
    if (g_.opset < 11) {
      pads = n.getints("pads");
      value = n.getf("value", 0);
    } else {
      const Const* p = need_const(n, 1, &why, "pads");
      if (!p) return why;
      pads = p->ints();
      if (has_in(n, 2)) {
        const Const* v = need_const(n, 2, &why, "constant_value");
        if (!v) return why;
        value = static_cast<float>(v->at(0));
      }
      if (has_in(n, 3)) return "axes input";
    }
    const std::string mode = n.gets("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge") return "mode '" + mode + "'";
    if (static_cast<int64_t>(pads.size()) != 2 * r) return "pads must have 2·rank entries";
    Shape o = x;
    for (int64_t i = 0; i < r; ++i) {
      if (pads[i] < 0 || pads[i + r] < 0) return "negative pads";
      if (mode == "reflect" && (pads[i] >= x[i] || pads[i + r] >= x[i]))
        return "reflect pad too large";
      o[i] += pads[i] + pads[i + r];
    }
    n.attrs["pads"].ints = pads;
    n.attrs["_value"].f = value;
    set_out(n, 0, xt, o);
    return "";
  }
  if (op == "Resize" || op == "Upsample") {
    if (!(why = need_float(0)).empty()) return why;
    int64_t oh, ow;
    float sh, sw;
    octet::ResizeOptions ro;
    if (!resize_params(n, &why, &oh, &ow, &sh, &sw, &ro)) return why;
    set_out(n, 0, TP::FLOAT, {x[0], x[1], oh, ow});
    return "";
  }
  if (op == "Softmax") {
    if (!(why = need_float(0)).empty()) return why;
    const int64_t axis = norm_axis(n.geti("axis", g_.opset >= 13 ? -1 : 1), r);
    if (axis < 0 || axis >= std::max<int64_t>(r, 1)) return "axis out of range";
    set_out(n, 0, TP::FLOAT, x);
    return "";
  }
  if (op == "BatchNormalization") {
    if (!(why = need_float(0)).empty()) return why;
    if (n.geti("training_mode", 0)) return "training mode";
    for (size_t k = 1; k < n.out.size(); ++k) {
      if (!n.out[k].empty()) return "training outputs (mean/var)";
    }
    for (size_t k : {1, 2, 3, 4}) {
      if (!need_const(n, k, &why, "scale, bias, mean and variance")) return why;
      if (g_.cst(n.in[k]).size() != x.at(1)) return "parameters do not match the channels";
    }
    if (r < 2) return "input rank below 2";
    set_out(n, 0, TP::FLOAT, x);
    return "";
  }
  if (op == "QuantizeLinear" || op == "DequantizeLinear") {
    const bool q = op == "QuantizeLinear";
    if (q && !(why = need_float(0)).empty()) return why;
    if (!q && xt != TP::UINT8 && xt != TP::INT8 && xt != TP::INT32) {
      return std::string("input type ") + type_name(xt);
    }
    if (!need_const(n, 1, &why, "scale")) return why;
    if (has_in(n, 2) && !need_const(n, 2, &why, "zero point")) return why;
    if (g_.cst(n.in[1]).size() != 1) return "per-axis quantization";
    int ot = TP::FLOAT;
    if (q) ot = has_in(n, 2) ? g_.cst(n.in[2]).type : TP::UINT8;
    if (q && ot != TP::UINT8 && ot != TP::INT8) return std::string("output type ") + type_name(ot);
    set_out(n, 0, ot, x);
    return "";
  }
  return "not handled";
}

// Inputs an op cannot do without (a malformed model must not reach the
// handlers, which index their inputs).
size_t min_inputs(const std::string& op) {
  static const std::map<std::string, size_t> m = {{"Conv", 2},
                                                  {"ConvTranspose", 2},
                                                  {"Gemm", 2},
                                                  {"MatMul", 2},
                                                  {"Add", 2},
                                                  {"Sub", 2},
                                                  {"Mul", 2},
                                                  {"Div", 2},
                                                  {"PRelu", 2},
                                                  {"BatchNormalization", 5},
                                                  {"QLinearConv", 8},
                                                  {"QLinearMatMul", 8},
                                                  {"ConvInteger", 2},
                                                  {"MatMulInteger", 2},
                                                  {"QuantizeLinear", 2},
                                                  {"DequantizeLinear", 2},
                                                  {"Reshape", 2},
                                                  {"Gather", 2},
                                                  {"Constant", 0},
                                                  {"Range", 3}};
  auto it = m.find(op);
  return it == m.end() ? 1 : it->second;
}

void Importer::infer_all() {
  const auto& ops = supported_ops();
  std::set<std::string> defined(g_.inputs.begin(), g_.inputs.end());
  for (const auto& [name, v] : g_.values) {
    if (v.c) defined.insert(name);
  }
  for (Node& n : g_.nodes) {
    if (n.dead) continue;
    bool known = true;
    std::string undefined;
    for (const auto& i : n.in) {
      if (i.empty()) continue;
      if (!defined.count(i)) undefined = i;
      if (!g_.value(i).shape_known) known = false;
    }
    for (const auto& o : n.out) defined.insert(o);
    auto it = ops.find(n.op);
    std::string why;
    if (!undefined.empty()) {
      why = "input '" + undefined + "' is not defined earlier in the graph";
    } else if ((!n.domain.empty() && n.domain != "ai.onnx") || it == ops.end()) {
      why = "no converter for this op";
    } else if (n.out.empty() || n.out[0].empty() || n.in.size() < min_inputs(n.op) ||
               std::any_of(n.in.begin(), n.in.begin() + std::min(n.in.size(), min_inputs(n.op)),
                           [](const std::string& i) { return i.empty(); })) {
      why = "missing inputs or outputs";
    } else if (g_.opset < it->second.min_opset || g_.opset > it->second.max_opset) {
      why = "opset " + std::to_string(g_.opset) + " is outside the supported range " +
            std::to_string(it->second.min_opset) + "-" + std::to_string(it->second.max_opset);
    } else if (!known) {
      continue;  // downstream of an unsupported node: reported there
    } else {
      try {
        if (fold(n)) {
          n.dead = true;
          ++rep_.folded_nodes;
          continue;
        }
        why = infer(n);
        if (why.empty() && n.geti("_1d", 0)) {
          Value& o = g_.value(n.out[0]);
          o.shape.erase(o.shape.begin() + 2);
        }
      } catch (const ImportError& e) {
        why = e.what();
      }
      if (why.empty() && !needs_const_.empty()) {
        // fine; the error comes at the end
      }
    }
    if (!why.empty()) {
      unsupported_.push_back({n.name, n.op, why, g_.opset});
    }
    if (!why.empty() || std::any_of(n.out.begin(), n.out.end(), [&](const std::string& o) {
          return !o.empty() && !g_.value(o).shape_known;
        })) {
      for (const auto& o : n.out) {
        if (!o.empty()) g_.value(o).shape_known = g_.value(o).shape_known && why.empty();
      }
    }
  }
  if (!needs_const_.empty()) {
    std::string m = "these graph inputs must be constants (initializers):";
    for (const auto& s : needs_const_) m += " '" + s + "'";
    throw NeedsConstantError(m, needs_const_);
  }
  for (const auto& o : g_.outputs) {
    const Value& v = g_.value(o);
    if (v.c && unsupported_.empty()) {
      unsupported_.push_back({o, "(graph output)", "the output is a constant", g_.opset});
    }
  }
  if (!unsupported_.empty()) {
    std::ostringstream m;
    m << unsupported_.size() << " unsupported node" << (unsupported_.size() > 1 ? "s" : "")
      << " (opset " << g_.opset << "):";
    for (const auto& u : unsupported_) {
      m << "\n  " << u.name << " (" << u.op_type << ", opset " << u.opset << "): " << u.reason;
    }
    throw UnsupportedModelError(m.str(), unsupported_);
  }
}

// ------------------------------------------------------------------ passes

void Importer::remove_identities() {
  const std::set<std::string> outs(g_.outputs.begin(), g_.outputs.end());
  const std::set<std::string> ins(g_.inputs.begin(), g_.inputs.end());
  for (Node& n : g_.nodes) {
    if (n.dead) continue;
    if (!(n.op == "Identity" || n.op == "Dropout" || n.op == "Cast")) continue;
    const std::string src = n.in[0], dst = n.out[0];
    if (!outs.count(dst)) {
      g_.replace_uses(dst, src);
      n.dead = true;
      ++rep_.fused_nodes;
      continue;
    }
    // dst is a graph output: let src's producer write dst directly.
    Node* p = g_.producer(src);
    if (p == nullptr || outs.count(src) || ins.count(src)) continue;  // kept as a copy
    for (auto& o : p->out) {
      if (o == src) o = dst;
    }
    g_.replace_uses(src, dst);
    n.dead = true;
    ++rep_.fused_nodes;
  }
}

namespace {

bool is_scalar_const(const Graph& g, const std::string& v, double want, double tol = 1e-6) {
  if (!g.is_const(v)) return false;
  const Const& c = g.cst(v);
  return c.size() == 1 && c.is_float() &&
         std::fabs(c.at(0) - want) <= tol * std::max(1.0, std::fabs(want));
}

// Clip bounds (attributes before opset 11, constant inputs after).
bool clip_bounds(const Graph& g, const Node& n, float* lo, float* hi) {
  *lo = -INFINITY;
  *hi = INFINITY;
  if (n.op == "Relu") {
    *lo = 0;
    return true;
  }
  if (n.op != "Clip") return false;
  if (g.opset < 11) {
    *lo = n.getf("min", -INFINITY);
    *hi = n.getf("max", INFINITY);
    if (*lo <= -std::numeric_limits<float>::max()) *lo = -INFINITY;
    if (*hi >= std::numeric_limits<float>::max()) *hi = INFINITY;
    return true;
  }
  for (size_t k : {1, 2}) {
    if (k < n.in.size() && !n.in[k].empty()) {
      if (!g.is_const(n.in[k])) return false;
      (k == 1 ? *lo : *hi) = static_cast<float>(g.cst(n.in[k]).at(0));
    }
  }
  return true;
}

octet::Activation to_activation(float lo, float hi) {
  if (lo == 0 && std::isinf(hi)) return octet::Activation::relu();
  if (lo == 0 && hi == 6) return octet::Activation::relu6();
  return octet::Activation::clamp(lo, hi);
}

}  // namespace

void Importer::recognize_hard_swish() {
  auto uses = g_.use_counts();
  auto single = [&](const std::string& v) { return uses[v] == 1; };
  // x·Clip(x+3, 0, 6): returns the Clip node's producer chain if it matches.
  auto relu6_plus3 = [&](const std::string& v, const std::string& x,
                         std::vector<Node*>* chain) -> bool {
    Node* clip = g_.producer(v);
    float lo, hi;
    if (!clip || clip->op != "Clip" || !single(v) || !clip_bounds(g_, *clip, &lo, &hi) || lo != 0 ||
        hi != 6) {
      return false;
    }
    Node* add = g_.producer(clip->in[0]);
    if (!add || add->op != "Add" || !single(clip->in[0])) return false;
    const bool ok = (add->in[0] == x && is_scalar_const(g_, add->in[1], 3)) ||
                    (add->in[1] == x && is_scalar_const(g_, add->in[0], 3));
    if (!ok) return false;
    chain->push_back(clip);
    chain->push_back(add);
    return true;
  };
  auto by6 = [&](Node* n, std::string* rest) -> bool {  // n = rest/6 or rest·(1/6)
    if (n->op == "Div" && is_scalar_const(g_, n->in[1], 6)) {
      *rest = n->in[0];
      return true;
    }
    if (n->op == "Mul") {
      for (int k = 0; k < 2; ++k) {
        if (is_scalar_const(g_, n->in[1 - k], 1.0 / 6, 1e-5)) {
          *rest = n->in[k];
          return true;
        }
      }
    }
    return false;
  };
  auto make = [&](Node& top, const std::string& x, std::vector<Node*> chain) {
    // Graph order (the nodes live in one vector).
    std::sort(chain.begin(), chain.end());
    std::vector<std::string> src;
    for (Node* c : chain) {
      for (const auto& s : c->sources) src.push_back(s);
      c->dead = true;
      ++rep_.fused_nodes;
    }
    for (const auto& s : top.sources) src.push_back(s);
    top.op = "HardSwish";
    top.in = {x};
    top.attrs.clear();
    top.sources = src;
  };
  for (Node& n : g_.nodes) {
    if (n.dead || (n.op != "Mul" && n.op != "Div")) continue;
    std::vector<Node*> chain;
    std::string inner;
    // (x · Clip(x+3,0,6)) / 6  or  (x · Clip(..)) · 1/6
    if (by6(&n, &inner)) {
      Node* m = g_.producer(inner);
      if (m && m->op == "Mul" && single(inner)) {
        for (int k = 0; k < 2; ++k) {
          chain.clear();
          if (relu6_plus3(m->in[1 - k], m->in[k], &chain)) {
            const std::string x = m->in[k];
            chain.push_back(m);
            make(n, x, chain);
            uses = g_.use_counts();
            break;
          }
        }
      }
      if (n.op == "HardSwish") continue;
    }
    if (n.op != "Mul") continue;
    for (int k = 0; k < 2 && n.op == "Mul"; ++k) {
      const std::string x = n.in[k], other = n.in[1 - k];
      Node* p = g_.producer(other);
      if (!p || !single(other)) continue;
      chain.clear();
      // x · HardSigmoid(x) with alpha = 1/6, beta = 1/2
      if (p->op == "HardSigmoid" && p->in[0] == x &&
          std::fabs(p->getf("alpha", 0.2f) - 1.0f / 6) < 1e-6 &&
          std::fabs(p->getf("beta", 0.5f) - 0.5f) < 1e-6) {
        chain.push_back(p);
        make(n, x, chain);
      } else if (by6(p, &inner) && relu6_plus3(inner, x, &chain)) {  // x · (Clip(..)/6)
        chain.insert(chain.begin(), p);
        make(n, x, chain);
      }
      if (n.op == "HardSwish") uses = g_.use_counts();
    }
  }
}

void Importer::fold_batch_norm() {
  auto uses = g_.use_counts();
  const std::set<std::string> outs(g_.outputs.begin(), g_.outputs.end());
  std::vector<Node> result;
  int counter = 0;
  for (Node& bn : g_.nodes) {
    if (bn.dead || bn.op != "BatchNormalization") {
      result.push_back(bn);
      continue;
    }
    const std::vector<float> gamma = g_.cst(bn.in[1]).floats(), beta = g_.cst(bn.in[2]).floats(),
                             mean = g_.cst(bn.in[3]).floats(), var = g_.cst(bn.in[4]).floats();
    const float eps = bn.getf("epsilon", 1e-5f);
    const size_t C = gamma.size();
    std::vector<float> s(C), t(C);
    for (size_t c = 0; c < C; ++c) {
      s[c] = gamma[c] / std::sqrt(var[c] + eps);
      t[c] = beta[c] - mean[c] * s[c];
    }
    const std::string x = bn.in[0];
    Node* p = nullptr;
    for (auto it = result.rbegin(); it != result.rend(); ++it) {
      if (!it->dead && std::find(it->out.begin(), it->out.end(), x) != it->out.end()) {
        p = &*it;
        break;
      }
    }
    const std::string tag = bn.name + "/folded" + std::to_string(counter++);
    bool folded = false;
    if (p && uses[x] == 1 && !outs.count(x) && p->act.kind == octet::Activation::kNone &&
        (p->op == "Conv" || p->op == "ConvTranspose" || p->op == "Gemm") && g_.is_const(p->in[1]) &&
        (p->in.size() < 3 || p->in[2].empty() || g_.is_const(p->in[2]))) {
      Const w = g_.cst(p->in[1]);
      const bool has_b = p->in.size() >= 3 && !p->in[2].empty();
      std::vector<float> b;
      bool ok = w.is_float();
      if (p->op == "Conv") {
        const int64_t per = w.size() / w.dims[0];
        for (int64_t k = 0; k < w.size(); ++k) w.f[k] *= s[k / per];
        b = has_b ? g_.cst(p->in[2]).floats() : std::vector<float>(C, 0.0f);
        ok = ok && b.size() == C;
      } else if (p->op == "ConvTranspose") {
        const int64_t group = p->geti("group", 1), cin = w.dims[0], coutg = w.dims[1];
        const int64_t hw = w.dims[2] * w.dims[3];
        for (int64_t k = 0; k < w.size(); ++k) {
          const int64_t ci = k / (coutg * hw), j = (k / hw) % coutg;
          w.f[k] *= s[(ci / (cin / group)) * coutg + j];
        }
        b = has_b ? g_.cst(p->in[2]).floats() : std::vector<float>(C, 0.0f);
        ok = ok && b.size() == C;
      } else {  // Gemm: y[m, n]; B is [K, N] or (transB) [N, K]
        const bool tb = p->geti("transB", 0) != 0;
        const int64_t N = tb ? w.dims[0] : w.dims[1];
        for (int64_t k = 0; k < w.size(); ++k) w.f[k] *= s[tb ? k / w.dims[1] : k % N];
        const float gb = p->getf("beta", 1.0f);
        if (has_b) {
          const Const& cc = g_.cst(p->in[2]);
          ok = ok && (cc.size() == 1 || (cc.size() == static_cast<int64_t>(C) &&
                                         cc.dims.back() == static_cast<int64_t>(C)));
          for (size_t c = 0; ok && c < C; ++c)
            b.push_back(gb * static_cast<float>(cc.at(cc.size() == 1 ? 0 : c)));
        } else {
          b.assign(C, 0.0f);
        }
        p->attrs["beta"].f = 1.0f;
        ok = ok && N == static_cast<int64_t>(C);
      }
      if (ok) {
        for (size_t c = 0; c < C; ++c) b[c] = b[c] * s[c] + t[c];
        g_.set_const(tag + "_w", w);
        g_.set_const(tag + "_b", Const::of_floats({int64_t(C)}, b));
        p->in.resize(3);
        p->in[1] = tag + "_w";
        p->in[2] = tag + "_b";
        p->out[0] = bn.out[0];
        for (const auto& src : bn.sources) p->sources.push_back(src);
        ++rep_.fused_nodes;
        folded = true;
      }
    }
    if (folded) continue;
    // Standalone: y = x·s + t with per-channel constants on axis 1.
    const Shape& xs = g_.value(x).shape;
    Shape cs(xs.size() - 1, 1);
    cs[0] = static_cast<int64_t>(C);
    g_.set_const(tag + "_scale", Const::of_floats(cs, s));
    g_.set_const(tag + "_shift", Const::of_floats(cs, t));
    Node mul = bn;
    mul.op = "Mul";
    mul.attrs.clear();
    mul.in = {x, tag + "_scale"};
    mul.out = {tag + "_scaled"};
    mul.name = bn.name + "/scale";
    Value& mv = g_.value(tag + "_scaled");
    mv.type = TP::FLOAT;
    mv.shape = xs;
    mv.shape_known = true;
    Node add = bn;
    add.op = "Add";
    add.attrs.clear();
    add.in = {tag + "_scaled", tag + "_shift"};
    add.out = {bn.out[0]};
    result.push_back(mul);
    result.push_back(add);
  }
  g_.nodes = std::move(result);
}

void Importer::fuse_activations() {
  auto uses = g_.use_counts();
  const std::set<std::string> outs(g_.outputs.begin(), g_.outputs.end());
  for (Node& a : g_.nodes) {
    if (a.dead || (a.op != "Relu" && a.op != "Clip")) continue;
    float lo, hi;
    if (!clip_bounds(g_, a, &lo, &hi)) continue;
    const std::string x = a.in[0];
    Node* p = g_.producer(x);
    if (!p || uses[x] != 1 || outs.count(x) || p->act.kind != octet::Activation::kNone) continue;
    static const std::set<std::string> fusable = {"Conv", "ConvTranspose", "Gemm", "MatMul",
                                                  "Add",  "Sub",           "Mul",  "Div"};
    if (!fusable.count(p->op)) continue;
    p->act = to_activation(lo, hi);
    p->out[0] = a.out[0];
    for (const auto& s : a.sources) p->sources.push_back(s);
    a.dead = true;
    ++rep_.fused_nodes;
  }
}

void Importer::remove_dead() {
  std::set<std::string> live(g_.outputs.begin(), g_.outputs.end());
  for (auto it = g_.nodes.rbegin(); it != g_.nodes.rend(); ++it) {
    if (it->dead) continue;
    const bool needed = std::any_of(it->out.begin(), it->out.end(),
                                    [&](const std::string& o) { return live.count(o) != 0; });
    if (!needed) {
      it->dead = true;
      continue;
    }
    for (const auto& i : it->in) {
      if (!i.empty()) live.insert(i);
    }
  }
}

// ---------------------------------------------------------------- emission

enum class Layout { kAsIs, kNhwc };

// Logical NCHW axis -> physical NHWC position, and back.
constexpr int kToNhwc[4] = {0, 3, 1, 2};
constexpr int kToNchw[4] = {0, 2, 3, 1};

octet::DType to_dtype(int t) {
  switch (t) {
    case TP::FLOAT:
      return octet::DType::kFloat32;
    case TP::INT8:
      return octet::DType::kInt8;
    case TP::UINT8:
      return octet::DType::kUint8;
    case TP::INT16:
      return octet::DType::kInt16;
    case TP::INT32:
      return octet::DType::kInt32;
    case TP::INT64:
      return octet::DType::kInt64;
    case TP::BOOL:
      return octet::DType::kUint8;
    default:
      fail(std::string("element type ") + type_name(t) + " has no Octet equivalent");
  }
}

class Emitter {
 public:
  using Id = octet::ModelBuilder::Id;
  Emitter(Importer& im) : im_(im), g_(im.g_) {}

  std::vector<uint8_t> run(const ImportOptions& opt);

 private:
  Importer& im_;
  Graph& g_;
  octet::ModelBuilder b_;
  struct Emitted {
    Id id;
    Layout layout;
  };
  std::map<std::string, Emitted> native_;
  std::map<std::pair<std::string, int>, Id> cache_;
  std::set<std::string> names_;
  std::vector<std::string> node_ops_;  // ops written for the current node
  std::map<std::string, octet::Quant> input_quant_;
  int32_t ops_ = 0;

  std::string uniq(std::string base) {
    if (base.empty()) base = "t";
    std::string s = base;
    for (int k = 1; names_.count(s); ++k) s = base + "_" + std::to_string(k);
    names_.insert(s);
    return s;
  }
  // Name for an operator of the current node.
  std::string op_name(const Node& n, const std::string& suffix = "") {
    const std::string s = uniq(suffix.empty() ? n.name : n.name + "/" + suffix);
    node_ops_.push_back(s);
    ++ops_;
    return s;
  }
  const Shape& shape(const std::string& v) { return g_.value(v).shape; }
  Layout layout(const std::string& v) {
    if (g_.is_const(v)) return Layout::kAsIs;
    return native_.at(v).layout;
  }
  void set(const std::string& v, Id id, Layout l) { native_[v] = {id, l}; }

  Id make_const(const std::string& name, const Const& c, const Shape& dims) {
    const std::string nm = uniq(name);
    const auto d32 = to_i32(dims);
    switch (c.type) {
      case TP::FLOAT:
      case TP::DOUBLE:
      case TP::FLOAT16:
        return b_.constant_f32(nm, d32, c.floats());
      case TP::INT64:
        return b_.constant(nm, octet::DType::kInt64, d32, c.i.data(), c.i.size() * 8);
      case TP::INT32: {
        std::vector<int32_t> v(c.i.begin(), c.i.end());
        return b_.constant_i32(nm, d32, v);
      }
      case TP::INT8:
      case TP::UINT8:
      case TP::BOOL: {
        std::vector<uint8_t> v(c.i.size());
        for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<uint8_t>(c.i[k]);
        return b_.constant(nm, to_dtype(c.type), d32, v.data(), v.size());
      }
      default:
        fail("constant '" + name + "' of type " + type_name(c.type));
    }
  }

  // A constant in the requested layout. NHWC constants are broadcast
  // operands of 4-D tensors: padded to rank 4, then permuted.
  Id constant(const std::string& v, Layout l) {
    auto key = std::make_pair(v, static_cast<int>(l));
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const Const& c = g_.cst(v);
    Id id;
    if (l == Layout::kNhwc && c.size() != 1) {
      Const p = c;
      while (p.dims.size() < 4) p.dims.insert(p.dims.begin(), 1);
      if (p.dims.size() != 4) fail("constant '" + v + "' cannot follow an NHWC tensor");
      p = transpose_const(p, {0, 2, 3, 1});
      id = make_const(v + "/nhwc", p, p.dims);
    } else {
      id = make_const(v, c, c.dims);
    }
    cache_[key] = id;
    return id;
  }

  // Value `v` in layout `l`, converting (and caching) if needed.
  Id get(const std::string& v, Layout l) {
    if (g_.is_const(v)) return constant(v, l);
    const Emitted& e = native_.at(v);
    if (e.layout == l) return e.id;
    auto key = std::make_pair(v, static_cast<int>(l));
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const Shape& s = shape(v);  // logical NCHW
    if (s.size() != 4) fail("layout change of a rank-" + std::to_string(s.size()) + " tensor");
    const bool same_bytes = s[1] == 1 || s[2] * s[3] == 1;
    const std::string base = v + (l == Layout::kNhwc ? "/nhwc" : "/nchw");
    const std::string nm = uniq(base);
    node_ops_.push_back(nm);
    ++ops_;
    Id id;
    if (same_bytes) {
      const Shape t = l == Layout::kNhwc ? Shape{s[0], s[2], s[3], s[1]} : s;
      id = b_.reshape(e.id, to_i32(t), nm);
    } else {
      id = b_.transpose(
          e.id,
          l == Layout::kNhwc ? std::vector<int32_t>{0, 2, 3, 1} : std::vector<int32_t>{0, 3, 1, 2},
          nm);
      ++im_.rep_.transposes;
    }
    cache_[key] = id;
    return id;
  }

  Id apply_act(Id y, const Node& n) {
    if (n.act.kind == octet::Activation::kNone) return y;
    return b_.clamp(y, n.act, op_name(n, "act"));
  }

  octet::Quant quant_of(const std::string& scale, const std::string& zp) {
    const float s = static_cast<float>(g_.cst(scale).at(0));
    const int64_t z = zp.empty() ? 0 : g_.cst(zp).int_at(0);
    return octet::Quant::per_tensor(s, z);
  }
  Id to_s8(Id x, const Node& n) {
    if (b_.dtype(x) == octet::DType::kInt8) return x;
    if (b_.dtype(x) != octet::DType::kUint8) fail(n.name + ": expected a uint8 or int8 input");
    const octet::Quant& q = b_.quant(x);
    if (q.empty()) fail(n.name + ": uint8 input without quantization parameters");
    return b_.quantize(x, octet::DType::kInt8,
                       octet::Quant::per_tensor(q.scale[0], q.zero_point[0] - 128),
                       op_name(n, "to_s8"));
  }
  // The ONNX op's parameters define what the tensor's codes mean; Octet
  // tensors carry one quantization, so the two must agree.
  void check_quant(Id x, const octet::Quant& want, const Node& n, const std::string& what) {
    const octet::Quant& q = b_.quant(x);
    if (q.scale.size() != 1 || q.scale[0] != want.scale[0] ||
        q.zero_point[0] != want.zero_point[0]) {
      fail(n.name + ": " + what + " scale/zero point differ from the tensor's quantization");
    }
  }

  // 1-D windows run as 2-D ones of height 1: [N,C,L] -> NHWC [N,1,L,C].
  bool is1d(const Node& n) const { return n.geti("_1d", 0) != 0; }
  Shape in_shape4(const Node& n) {
    Shape s = shape(n.in[0]);
    if (is1d(n)) s.insert(s.begin() + 2, 1);
    return s;
  }
  Id input_nhwc(const Node& n) {
    if (!is1d(n)) return get(n.in[0], Layout::kNhwc);
    const Shape& s = shape(n.in[0]);
    Id a = b_.transpose(get(n.in[0], Layout::kAsIs), {0, 2, 1}, op_name(n, "nlc"));
    ++im_.rep_.transposes;
    return b_.reshape(a, {to_i32(s[0]), 1, to_i32(s[2]), to_i32(s[1])}, op_name(n, "nhwc"));
  }
  void set_window_out(const Node& n, Id y) {
    if (!is1d(n)) return set(n.out[0], y, Layout::kNhwc);
    const Shape& o = shape(n.out[0]);
    y = b_.reshape(y, {to_i32(o[0]), to_i32(o[2]), to_i32(o[1])}, op_name(n, "nlc_out"));
    ++im_.rep_.transposes;
    set(n.out[0], b_.transpose(y, {0, 2, 1}, op_name(n, "ncl")), Layout::kAsIs);
  }
  std::map<std::string, std::vector<const Node*>> consumers_;
  std::set<const Node*> done_;  // emitted together with an earlier node
  bool try_channel_shuffle(const Node& n);

  void scan_input_quant();
  void emit_node(const Node& n);
  void emit_conv(const Node& n);
  void emit_conv_transpose(const Node& n);
  void emit_gemm(const Node& n);
  void emit_matmul(const Node& n);
  void emit_qlinear(const Node& n);
  void emit_integer(const Node& n);
  void emit_softmax(const Node& n);
};

void Emitter::scan_input_quant() {
  auto note = [&](const std::string& v, const std::string& s, const std::string& z) {
    if (!g_.value(v).graph_input || input_quant_.count(v)) return;
    const float sc = s.empty() ? 1.0f : static_cast<float>(g_.cst(s).at(0));
    const int64_t zp = z.empty() ? 0 : g_.cst(z).int_at(0);
    input_quant_[v] = octet::Quant::per_tensor(sc, zp);
  };
  for (const Node& n : g_.nodes) {
    if (n.dead) continue;
    if (n.op == "DequantizeLinear") note(n.in[0], n.in[1], n.input(2));
    if (n.op == "QLinearConv") note(n.in[0], n.in[1], n.in[2]);
    if (n.op == "QLinearMatMul") {
      note(n.in[0], n.in[1], n.in[2]);
      note(n.in[3], n.in[4], n.in[5]);
    }
    if (n.op == "ConvInteger") note(n.in[0], "", n.input(2));
    if (n.op == "MatMulInteger") {
      note(n.in[0], "", n.input(2));
      note(n.in[1], "", n.input(3));
    }
  }
}

std::vector<uint8_t> Emitter::run(const ImportOptions& opt) {
  b_.set_description("octet convert 0.1.0", opt.source_name, "converted from ONNX");
  scan_input_quant();
  for (const auto& o : g_.outputs) names_.insert(o);
  for (const auto& i : g_.inputs) {
    const Value& v = g_.value(i);
    names_.insert(i);
    octet::Quant q;
    auto it = input_quant_.find(i);
    if (it != input_quant_.end() && v.type != TP::FLOAT) q = it->second;
    if (v.type == TP::INT32 && !q.empty() && q.zero_point[0] != 0) {
      fail("input '" + i + "': int32 with a non-zero zero point");
    }
    set(i, b_.input(i, to_dtype(v.type), to_i32(v.shape), q), Layout::kAsIs);
    im_.rep_.inputs.push_back(i);
  }
  for (const Node& n : g_.nodes) {
    if (n.dead) continue;
    for (const auto& i : n.in) consumers_[i].push_back(&n);
  }
  for (const Node& n : g_.nodes) {
    if (n.dead || done_.count(&n)) continue;
    node_ops_.clear();
    try {
      emit_node(n);
    } catch (const std::invalid_argument& e) {
      fail(n.name + " (" + n.op + "): " + e.what());
    }
    for (const auto& s : node_ops_) b_.set_source_nodes(s, n.sources);
  }
  std::set<Id> used_as_output;
  for (const auto& o : g_.outputs) {
    // A layout change for the output belongs to the node that produced it.
    node_ops_.clear();
    Id id = get(o, Layout::kAsIs);
    if (const Node* p = g_.producer(o)) {
      for (const auto& nm : node_ops_) b_.set_source_nodes(nm, p->sources);
    }
    const bool is_input = std::count(g_.inputs.begin(), g_.inputs.end(), o) > 0;
    if (is_input || used_as_output.count(id) || g_.is_const(o)) {
      const std::string nm = uniq(o + "/copy");
      ++ops_;
      id = b_.reshape(id, to_i32(shape(o)), nm);
    }
    used_as_output.insert(id);
    b_.rename(id, o);
    b_.output(id);
    im_.rep_.outputs.push_back(o);
  }
  im_.rep_.octet_operators = ops_;
  return b_.finish();
}

void Emitter::emit_node(const Node& n) {
  const std::string& op = n.op;
  if (op == "Conv") return emit_conv(n);
  if (op == "ConvTranspose") return emit_conv_transpose(n);
  if (op == "Gemm") return emit_gemm(n);
  if (op == "MatMul") return emit_matmul(n);
  if (op == "QLinearConv" || op == "QLinearMatMul") return emit_qlinear(n);
  if (op == "ConvInteger" || op == "MatMulInteger") return emit_integer(n);
  if (op == "Softmax") return emit_softmax(n);
  const std::string& xin = n.in.empty() ? std::string() : n.in[0];
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    Layout l = Layout::kAsIs;
    if (shape(n.out[0]).size() == 4) {
      bool any_nhwc = false, low_rank_activation = false;
      for (const auto& i : n.in) {
        if (g_.is_const(i)) continue;
        if (layout(i) == Layout::kNhwc) any_nhwc = true;
        if (shape(i).size() != 4) low_rank_activation = true;
      }
      if (any_nhwc && !low_rank_activation) l = Layout::kNhwc;
    }
    const Id a = get(n.in[0], l), c = get(n.in[1], l);
    const std::string nm = op_name(n);
    Id y;
    if (op == "Add")
      y = b_.add(a, c, n.act, nm);
    else if (op == "Sub")
      y = b_.sub(a, c, n.act, nm);
    else if (op == "Mul")
      y = b_.mul(a, c, n.act, nm);
    else
      y = b_.div(a, c, n.act, nm);
    return set(n.out[0], y, l);
  }
  if (op == "Relu" || op == "Clip" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish" ||
      op == "HardSigmoid" || op == "LeakyRelu" || op == "Identity" || op == "Dropout" ||
      op == "Cast") {
    const Layout l = layout(xin);
    const Id x = get(xin, l);
    Id y;
    if (op == "Relu" || op == "Clip") {
      float lo, hi;
      if (!clip_bounds(g_, n, &lo, &hi)) fail(n.name + ": Clip bounds must be constants");
      y = b_.clamp(x, to_activation(lo, hi), op_name(n));
    } else if (op == "Sigmoid") {
      y = b_.sigmoid(x, op_name(n));
    } else if (op == "Tanh") {
      y = b_.tanh(x, op_name(n));
    } else if (op == "HardSwish") {
      y = b_.hard_swish(x, op_name(n));
    } else if (op == "HardSigmoid") {
      y = b_.hard_sigmoid(x, n.getf("alpha", 0.2f), n.getf("beta", 0.5f), op_name(n));
    } else if (op == "LeakyRelu") {
      y = b_.leaky_relu(x, n.getf("alpha", 0.01f), op_name(n));
    } else {
      y = b_.reshape(x, b_.shape(x), op_name(n));  // a copy (graph output of an input)
    }
    return set(n.out[0], apply_act(y, n), l);
  }
  if (op == "PRelu") {
    const Shape& xs = shape(xin);
    const std::string& sv = n.in[1];
    const int64_t cnt = numel(shape(sv));
    Layout l = layout(xin);
    if (cnt != 1) {
      // Per-channel slope: runs along the last physical axis.
      const bool channel =
          xs.size() == 4 && cnt == xs[1] && (xs[1] != xs[3] || shape(sv).size() > 1);
      l = channel ? Layout::kNhwc : Layout::kAsIs;
    }
    const Id x = get(xin, l);
    Id s;
    if (g_.is_const(sv)) {
      s = make_const(sv, g_.cst(sv), {cnt});
    } else {
      s = b_.reshape(get(sv, Layout::kAsIs), {static_cast<int32_t>(cnt)}, op_name(n, "slope"));
    }
    return set(n.out[0], b_.prelu(x, s, op_name(n)), l);
  }
  if (op == "MaxPool" || op == "AveragePool") {
    const Id x = input_nhwc(n);
    const auto ks = n.getints("kernel_shape");
    Window w;
    std::string why;
    window_from(n, in_shape4(n), ks[0], ks[1], &w, &why);
    octet::Pool2DOptions o;
    o.kernel_h = to_i32(ks[0]), o.kernel_w = to_i32(ks[1]);
    o.stride_h = to_i32(w.sh), o.stride_w = to_i32(w.sw);
    o.dilation_h = to_i32(w.dh), o.dilation_w = to_i32(w.dw);
    o.pad_top = to_i32(w.pt), o.pad_left = to_i32(w.pl), o.pad_bottom = to_i32(w.pb),
    o.pad_right = to_i32(w.pr);
    o.ceil_mode = n.geti("ceil_mode", 0) != 0;
    o.count_include_pad = n.geti("count_include_pad", 0) != 0;
    const Id y =
        op == "MaxPool" ? b_.max_pool2d(x, o, op_name(n)) : b_.average_pool2d(x, o, op_name(n));
    return set_window_out(n, y);
  }
  if (op == "GlobalAveragePool") {
    return set(n.out[0], b_.mean(get(xin, Layout::kNhwc), {1, 2}, true, op_name(n)), Layout::kNhwc);
  }
  if (op == "GlobalMaxPool") {
    const Shape& xs = shape(xin);
    octet::Pool2DOptions o;
    o.kernel_h = to_i32(xs[2]), o.kernel_w = to_i32(xs[3]);
    return set(n.out[0], b_.max_pool2d(get(xin, Layout::kNhwc), o, op_name(n)), Layout::kNhwc);
  }
  if (op == "ReduceMean") {
    const Shape& xs = shape(xin);
    const int64_t r = static_cast<int64_t>(xs.size());
    std::vector<int64_t> axes = n.getints("axes");
    if (axes.empty()) {
      for (int64_t i = 0; i < r; ++i) axes.push_back(i);
    }
    for (auto& a : axes) a = norm_axis(a, r);
    const bool keep = n.geti("keepdims", 1) != 0;
    Layout l = layout(xin);
    if (l == Layout::kNhwc && !keep) {
      // Without keepdims the survivors must stay in NCHW order.
      std::vector<int> rest;
      for (int p = 0; p < 4; ++p) {
        if (!std::count(axes.begin(), axes.end(), kToNchw[p])) rest.push_back(kToNchw[p]);
      }
      if (!std::is_sorted(rest.begin(), rest.end())) l = Layout::kAsIs;
    }
    std::vector<int32_t> pa;
    for (int64_t a : axes) pa.push_back(l == Layout::kNhwc ? kToNhwc[a] : to_i32(a));
    const Id y = b_.mean(get(xin, l), pa, keep, op_name(n));
    return set(n.out[0], y, keep ? l : Layout::kAsIs);
  }
  if (op == "Concat") {
    const int64_t r = static_cast<int64_t>(shape(n.out[0]).size());
    Layout l = Layout::kAsIs;
    if (r == 4) {
      for (const auto& i : n.in) {
        if (!g_.is_const(i) && layout(i) == Layout::kNhwc) l = Layout::kNhwc;
      }
    }
    std::vector<Id> xs;
    for (const auto& i : n.in) {
      xs.push_back(g_.is_const(i) && l == Layout::kNhwc
                       ? make_const(i + "/nhwc", transpose_const(g_.cst(i), {0, 2, 3, 1}),
                                    transpose_const(g_.cst(i), {0, 2, 3, 1}).dims)
                       : get(i, l));
    }
    int64_t axis = norm_axis(n.geti("axis", 0), r);
    if (l == Layout::kNhwc) axis = kToNhwc[axis];
    return set(n.out[0], b_.concat(xs, to_i32(axis), op_name(n)), l);
  }
  if (op == "Split") {
    const Layout l = shape(xin).size() == 4 ? layout(xin) : Layout::kAsIs;
    int64_t axis = norm_axis(n.geti("axis", 0), static_cast<int64_t>(shape(xin).size()));
    if (l == Layout::kNhwc) axis = kToNhwc[axis];
    std::vector<int32_t> sizes = to_i32(n.getints("split"));
    const auto ys = b_.split(get(xin, l), to_i32(axis), sizes, op_name(n));
    for (size_t k = 0; k < ys.size(); ++k) {
      if (!n.out[k].empty()) set(n.out[k], ys[k], l);
    }
    return;
  }
  if (op == "Slice") {
    const Shape& xs = shape(xin);
    const Layout l = xs.size() == 4 ? layout(xin) : Layout::kAsIs;
    const auto begin = n.getints("_begin"), step = n.getints("_step");
    const Shape& cnt = shape(n.out[0]);
    const size_t r = xs.size();
    std::vector<int32_t> b(r), e(r), s(r);
    for (size_t p = 0; p < r; ++p) {
      const size_t i = l == Layout::kNhwc ? kToNchw[p] : p;
      b[p] = to_i32(begin[i]);
      s[p] = to_i32(step[i]);
      const int64_t end = begin[i] + cnt[i] * step[i];
      e[p] = end < 0 ? std::numeric_limits<int32_t>::min() : to_i32(end);
    }
    return set(n.out[0], b_.slice(get(xin, l), b, e, s, op_name(n)), l);
  }
  if (op == "Pad") {
    const Shape& xs = shape(xin);
    const Layout l = xs.size() == 4 ? layout(xin) : Layout::kAsIs;
    const auto pads = n.getints("pads");
    const size_t r = xs.size();
    std::vector<int32_t> p(2 * r);
    for (size_t k = 0; k < r; ++k) {
      const size_t i = l == Layout::kNhwc ? kToNchw[k] : k;
      p[k] = to_i32(pads[i]);
      p[k + r] = to_i32(pads[i + r]);
    }
    const std::string mode = n.gets("mode", "constant");
    const octet::PadMode m = mode == "reflect" ? octet::PadMode::kReflect
                             : mode == "edge"  ? octet::PadMode::kEdge
                                               : octet::PadMode::kConstant;
    return set(n.out[0], b_.pad(get(xin, l), p, m, n.getf("_value", 0), op_name(n)), l);
  }
  if (op == "Reshape" && try_channel_shuffle(n)) return;
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze") {
    return set(n.out[0], b_.reshape(get(xin, Layout::kAsIs), to_i32(shape(n.out[0])), op_name(n)),
               Layout::kAsIs);
  }
  if (op == "Transpose") {
    const auto perm = n.getints("perm");
    const Layout l = layout(xin);
    std::vector<int32_t> p;
    for (int64_t a : perm) p.push_back(l == Layout::kNhwc ? kToNhwc[a] : to_i32(a));
    return set(n.out[0], b_.transpose(get(xin, l), p, op_name(n)), Layout::kAsIs);
  }
  if (op == "Resize" || op == "Upsample") {
    int64_t oh, ow;
    float sh, sw;
    octet::ResizeOptions ro;
    std::string why;
    if (!im_.resize_params(n, &why, &oh, &ow, &sh, &sw, &ro)) fail(n.name + ": " + why);
    return set(n.out[0], b_.resize(get(xin, Layout::kNhwc), to_i32(oh), to_i32(ow), ro, op_name(n)),
               Layout::kNhwc);
  }
  if (op == "QuantizeLinear") {
    const Layout l = layout(xin);
    const int ot = g_.value(n.out[0]).type;
    const Id y = b_.quantize(get(xin, l), to_dtype(ot), quant_of(n.in[1], n.input(2)), op_name(n));
    return set(n.out[0], y, l);
  }
  if (op == "DequantizeLinear") {
    const Layout l = layout(xin);
    const Id x = get(xin, l);
    const octet::Quant want = quant_of(n.in[1], n.input(2));
    const octet::Quant& have = b_.quant(x);
    if (have.empty() || have.scale[0] != want.scale[0] ||
        have.zero_point[0] != want.zero_point[0]) {
      fail(n.name + ": the input's quantization differs from this DequantizeLinear's");
    }
    return set(n.out[0], b_.dequantize(x, op_name(n)), l);
  }
  fail(n.name + ": no emitter for " + op);
}

namespace {

octet::Conv2DOptions conv_options(const Window& w, int64_t group) {
  octet::Conv2DOptions o;
  o.stride_h = to_i32(w.sh), o.stride_w = to_i32(w.sw);
  o.dilation_h = to_i32(w.dh), o.dilation_w = to_i32(w.dw);
  o.pad_top = to_i32(w.pt), o.pad_left = to_i32(w.pl), o.pad_bottom = to_i32(w.pb),
  o.pad_right = to_i32(w.pr);
  o.groups = to_i32(group);
  return o;
}

}  // namespace

// Channel shuffle, Reshape [N,C,H,W] -> [N,g,C/g,H,W], Transpose(0,2,1,3,4),
// Reshape -> [N,C,H,W] (ShuffleNet): on an NHWC tensor the same permutation
// of channels is Reshape [N,H,W,g,C/g], Transpose(0,1,2,4,3), Reshape, so
// the tensor stays NHWC instead of going to NCHW and back.
bool Emitter::try_channel_shuffle(const Node& n) {
  const std::string& xin = n.in[0];
  if (g_.is_const(xin) || layout(xin) != Layout::kNhwc) return false;
  const Shape& x = shape(xin);
  const Shape& s5 = shape(n.out[0]);
  if (x.size() != 4 || s5.size() != 5 || s5[0] != x[0] || s5[1] * s5[2] != x[1] || s5[3] != x[2] ||
      s5[4] != x[3]) {
    return false;
  }
  auto only = [&](const std::string& v) -> const Node* {
    auto it = consumers_.find(v);
    if (it == consumers_.end() || it->second.size() != 1) return nullptr;
    if (std::count(g_.outputs.begin(), g_.outputs.end(), v)) return nullptr;
    return it->second[0];
  };
  const Node* t = only(n.out[0]);
  if (!t || t->op != "Transpose" || t->getints("perm") != std::vector<int64_t>{0, 2, 1, 3, 4}) {
    return false;
  }
  const Node* r = only(t->out[0]);
  if (!r || r->op != "Reshape" || shape(r->out[0]) != x ||
      r->act.kind != octet::Activation::kNone) {
    return false;
  }
  const int32_t N = to_i32(x[0]), H = to_i32(x[2]), W = to_i32(x[3]);
  const int32_t g = to_i32(s5[1]), c = to_i32(s5[2]);
  Id y = b_.reshape(get(xin, Layout::kNhwc), {N, H, W, g, c}, op_name(n));
  y = b_.transpose(y, {0, 1, 2, 4, 3}, op_name(*t));
  y = b_.reshape(y, {N, H, W, g * c}, op_name(*r));
  std::vector<std::string> src = n.sources;
  for (const Node* m : {t, r}) {
    src.insert(src.end(), m->sources.begin(), m->sources.end());
    done_.insert(m);
  }
  for (const auto& nm : node_ops_) b_.set_source_nodes(nm, src);
  node_ops_.clear();
  set(r->out[0], y, Layout::kNhwc);
  return true;
}

void Emitter::emit_conv(const Node& n) {
  const Shape& ws = shape(n.in[1]);
  Window w;
  std::string why;
  window_from(n, in_shape4(n), ws[2], ws[3], &w, &why);
  const Id x = input_nhwc(n);
  Id wt;
  if (g_.is_const(n.in[1])) {
    const Const ohwi = transpose_const(g_.cst(n.in[1]), {0, 2, 3, 1});
    wt = make_const(n.in[1], ohwi, ohwi.dims);
  } else {
    wt = b_.transpose(get(n.in[1], Layout::kAsIs), {0, 2, 3, 1}, op_name(n, "w_ohwi"));
  }
  Id bias = octet::ModelBuilder::kNone;
  if (n.in.size() > 2 && !n.in[2].empty()) bias = get(n.in[2], Layout::kAsIs);
  const Id y = b_.conv2d(x, wt, bias, conv_options(w, n.geti("group", 1)), n.act, op_name(n));
  set_window_out(n, y);
}

void Emitter::emit_conv_transpose(const Node& n) {
  const Shape& ws = shape(n.in[1]);  // [Cin, Cout/g, KH, KW]
  const int64_t group = n.geti("group", 1);
  const ConvTParams p = im_.convt_params(n, in_shape4(n), ws);
  const Id x = input_nhwc(n);
  Id wt;
  if (g_.is_const(n.in[1])) {
    // Octet: [Cout, KH, KW, Cin/g]; o = g·(Cout/g) + j reads W[g·(Cin/g) + ci, j].
    const Const& c = g_.cst(n.in[1]);
    const int64_t cin = ws[0], coutg = ws[1], kh = ws[2], kw = ws[3], cing = cin / group;
    std::vector<float> v(c.size());
    const std::vector<float> src = c.floats();
    for (int64_t o = 0; o < coutg * group; ++o) {
      const int64_t gi = o / coutg, j = o % coutg;
      for (int64_t y = 0; y < kh; ++y) {
        for (int64_t xx = 0; xx < kw; ++xx) {
          for (int64_t ci = 0; ci < cing; ++ci) {
            v[((o * kh + y) * kw + xx) * cing + ci] =
                src[(((gi * cing + ci) * coutg + j) * kh + y) * kw + xx];
          }
        }
      }
    }
    wt = b_.constant_f32(uniq(n.in[1]), to_i32(Shape{coutg * group, kh, kw, cing}), v);
  } else {
    wt = b_.transpose(get(n.in[1], Layout::kAsIs), {1, 2, 3, 0}, op_name(n, "w_ohwi"));
  }
  Id bias = octet::ModelBuilder::kNone;
  if (n.in.size() > 2 && !n.in[2].empty()) bias = get(n.in[2], Layout::kAsIs);
  octet::Conv2DOptions o = conv_options(p.w, group);
  o.output_padding_h = to_i32(p.op_h);
  o.output_padding_w = to_i32(p.op_w);
  set_window_out(n, b_.conv_transpose2d(x, wt, bias, o, n.act, op_name(n)));
}

void Emitter::emit_gemm(const Node& n) {
  const float alpha = n.getf("alpha", 1.0f), beta = n.getf("beta", 1.0f);
  const bool ta = n.geti("transA", 0) != 0, tb = n.geti("transB", 0) != 0;
  Id a = get(n.in[0], Layout::kAsIs);
  if (ta) a = b_.transpose(a, {1, 0}, op_name(n, "transA"));
  const Shape& out = shape(n.out[0]);
  const int64_t N = out[1];
  const bool has_c = n.in.size() > 2 && !n.in[2].empty();
  Id w;
  bool alpha_done = false;
  if (g_.is_const(n.in[1])) {
    Const bw = g_.cst(n.in[1]);
    if (!tb) bw = transpose_const(bw, {1, 0});
    for (auto& f : bw.f) f *= alpha;
    w = make_const(n.in[1] + (tb ? "" : "/t"), bw, bw.dims);
    alpha_done = true;
  } else {
    w = get(n.in[1], Layout::kAsIs);
    if (!tb) w = b_.transpose(w, {1, 0}, op_name(n, "transB"));
  }
  // A bias the FC can take: constant, one value per output column.
  if (has_c && alpha_done && g_.is_const(n.in[2])) {
    const Const& c = g_.cst(n.in[2]);
    const bool per_col = c.size() == 1 || (c.size() == N && c.dims.back() == N);
    if (per_col) {
      std::vector<float> bv(N);
      for (int64_t k = 0; k < N; ++k)
        bv[k] = beta * static_cast<float>(c.at(c.size() == 1 ? 0 : k));
      const Id bias = b_.constant_f32(uniq(n.in[2] + "/bias"), {to_i32(N)}, bv);
      set(n.out[0], b_.fully_connected(a, w, bias, n.act, op_name(n)), Layout::kAsIs);
      return;
    }
  }
  const bool last = !has_c && alpha_done;
  Id y = b_.fully_connected(a, w, octet::ModelBuilder::kNone,
                            last ? n.act : octet::Activation::none(), op_name(n));
  if (!alpha_done && alpha != 1.0f) {
    const Id al = b_.constant_f32(uniq(n.name + "/alpha"), {1}, {alpha});
    y = b_.mul(y, al, has_c ? octet::Activation::none() : n.act, op_name(n, "alpha"));
  } else if (!alpha_done && !has_c) {
    y = apply_act(y, n);
  }
  if (has_c) {
    Id c;
    if (g_.is_const(n.in[2])) {
      Const cc = g_.cst(n.in[2]);
      for (auto& f : cc.f) f *= beta;
      c = make_const(n.in[2], cc, cc.dims);
    } else {
      c = get(n.in[2], Layout::kAsIs);
      if (beta != 1.0f) {
        const Id be = b_.constant_f32(uniq(n.name + "/beta"), {1}, {beta});
        c = b_.mul(c, be, octet::Activation::none(), op_name(n, "beta"));
      }
    }
    y = b_.add(y, c, n.act, op_name(n, "bias"));
  }
  set(n.out[0], y, Layout::kAsIs);
}

void Emitter::emit_matmul(const Node& n) {
  const Shape& as = shape(n.in[0]);
  const Shape& bs = shape(n.in[1]);
  const Shape& out = shape(n.out[0]);
  if (g_.is_const(n.in[1]) && bs.size() == 2 && as.size() >= 2) {
    const Const w = transpose_const(g_.cst(n.in[1]), {1, 0});
    const Id wt = make_const(n.in[1] + "/t", w, w.dims);
    set(n.out[0],
        b_.fully_connected(get(n.in[0], Layout::kAsIs), wt, octet::ModelBuilder::kNone, n.act,
                           op_name(n)),
        Layout::kAsIs);
    return;
  }
  Id a = get(n.in[0], Layout::kAsIs), c = get(n.in[1], Layout::kAsIs);
  if (as.size() == 1) a = b_.reshape(a, {1, to_i32(as[0])}, op_name(n, "a2d"));
  if (bs.size() == 1) c = b_.reshape(c, {to_i32(bs[0]), 1}, op_name(n, "b2d"));
  Id y = b_.matmul(a, c, op_name(n));
  if (as.size() == 1 || bs.size() == 1) y = b_.reshape(y, to_i32(out), op_name(n, "squeeze"));
  set(n.out[0], apply_act(y, n), Layout::kAsIs);
}

void Emitter::emit_qlinear(const Node& n) {
  const bool conv = n.op == "QLinearConv";
  const std::string& xin = n.in[0];
  const int ot = g_.value(n.out[0]).type;
  const octet::Quant xq = quant_of(n.in[1], n.in[2]);
  const octet::Quant yq = quant_of(n.in[6], n.in[7]);
  const bool out_u8 = ot == TP::UINT8;
  const octet::Quant yq8 =
      octet::Quant::per_tensor(yq.scale[0], yq.zero_point[0] - (out_u8 ? 128 : 0));
  Id x = get(xin, conv ? Layout::kNhwc : Layout::kAsIs);
  check_quant(x, xq, n, "x");
  Id y;
  if (conv) {
    const Shape& ws = shape(n.in[3]);
    const Const& wc = g_.cst(n.in[3]);
    const Const& wsc = g_.cst(n.in[4]);
    const Const& wzc = g_.cst(n.in[5]);
    const int64_t O = ws[0], per = wc.size() / O;
    std::vector<int64_t> wi(wc.size());
    bool fits = true;
    for (int64_t k = 0; k < wc.size(); ++k) {
      wi[k] = wc.int_at(k) - wzc.int_at(wzc.size() == 1 ? 0 : k / per);
      fits = fits && wi[k] >= -128 && wi[k] <= 127;
    }
    Window win;
    std::string why;
    window_from(n, shape(xin), ws[2], ws[3], &win, &why);
    const octet::Conv2DOptions o = conv_options(win, n.geti("group", 1));
    std::vector<float> wscale = wsc.floats();
    const bool has_b = n.in.size() > 8 && !n.in[8].empty();
    if (fits) {
      // w − zw fits int8: exactly the symmetric int8 weights Octet runs.
      Const w8 = Const::of_ints(TP::INT8, ws, wi);
      w8 = transpose_const(w8, {0, 2, 3, 1});
      std::vector<int8_t> v(w8.i.begin(), w8.i.end());
      octet::Quant wq = wscale.size() == 1 ? octet::Quant::per_tensor(wscale[0], 0)
                                           : octet::Quant{wscale, std::vector<int64_t>(O, 0), 0};
      const Id wt = b_.constant_i8(uniq(n.in[3]), to_i32(w8.dims), v, wq);
      Id bias = octet::ModelBuilder::kNone;
      if (has_b) {
        const auto bv = g_.cst(n.in[8]).ints();
        bias =
            b_.constant_i32(uniq(n.in[8]), {to_i32(O)}, std::vector<int32_t>(bv.begin(), bv.end()));
      }
      y = b_.conv2d(to_s8(x, n), wt, bias, o, octet::Activation::none(), op_name(n), yq8);
      if (out_u8) y = b_.quantize(y, octet::DType::kUint8, yq, op_name(n, "to_u8"));
    } else {
      // Weights with a zero point that do not fit int8 after centring:
      // dequantize, convolve in fp32, quantize (docs/onnx-support.md).
      const Id xf = b_.dequantize(x, op_name(n, "dequantize"));
      std::vector<float> wf(wi.size());
      for (int64_t k = 0; k < wc.size(); ++k) {
        wf[k] = static_cast<float>(wi[k]) * wscale[wscale.size() == 1 ? 0 : k / per];
      }
      const Const wt = transpose_const(Const::of_floats(ws, wf), {0, 2, 3, 1});
      const Id w = b_.constant_f32(uniq(n.in[3]), to_i32(wt.dims), wt.f);
      Id bias = octet::ModelBuilder::kNone;
      if (has_b) {
        const auto bv = g_.cst(n.in[8]).ints();
        std::vector<float> bf(O);
        for (int64_t c = 0; c < O; ++c) {
          bf[c] = static_cast<float>(bv[c]) * xq.scale[0] * wscale[wscale.size() == 1 ? 0 : c];
        }
        bias = b_.constant_f32(uniq(n.in[8]), {to_i32(O)}, bf);
      }
      const Id yf = b_.conv2d(xf, w, bias, o, octet::Activation::none(), op_name(n));
      y = b_.quantize(yf, to_dtype(ot), yq, op_name(n, "quantize"));
    }
    set(n.out[0], y, Layout::kNhwc);
    return;
  }
  // QLinearMatMul: both operands are int8 activations for MATMUL.
  const octet::Quant bq = quant_of(n.in[4], n.in[5]);
  Id bb;
  if (g_.is_const(n.in[3])) {
    const Const& c = g_.cst(n.in[3]);
    const int shift = c.type == TP::UINT8 ? 128 : 0;
    std::vector<int8_t> v(c.size());
    for (int64_t k = 0; k < c.size(); ++k) v[k] = static_cast<int8_t>(c.int_at(k) - shift);
    bb = b_.constant_i8(uniq(n.in[3]), to_i32(c.dims), v,
                        octet::Quant::per_tensor(bq.scale[0], bq.zero_point[0] - shift));
  } else {
    bb = get(n.in[3], Layout::kAsIs);
    check_quant(bb, bq, n, "b");
    bb = to_s8(bb, n);
  }
  y = b_.matmul(to_s8(x, n), bb, op_name(n), yq8);
  if (out_u8) y = b_.quantize(y, octet::DType::kUint8, yq, op_name(n, "to_u8"));
  set(n.out[0], y, Layout::kAsIs);
}

void Emitter::emit_integer(const Node& n) {
  // int32 = Σ (x − zx)(w − zw), computed exactly in fp32 (integers below
  // 2^24) and converted to int32 by QUANTIZE with scale 1.
  const bool conv = n.op == "ConvInteger";
  const Id x = get(n.in[0], conv ? Layout::kNhwc : Layout::kAsIs);
  const Id xf = b_.dequantize(x, op_name(n, "a_f32"));
  const Shape& ws = shape(n.in[1]);
  Id y;
  if (conv) {
    const Const& wc = g_.cst(n.in[1]);
    const int64_t O = ws[0], per = wc.size() / O;
    std::vector<float> wf(wc.size());
    const bool has_z = n.in.size() > 3 && !n.in[3].empty();
    for (int64_t k = 0; k < wc.size(); ++k) {
      const int64_t z =
          has_z ? g_.cst(n.in[3]).int_at(g_.cst(n.in[3]).size() == 1 ? 0 : k / per) : 0;
      wf[k] = static_cast<float>(wc.int_at(k) - z);
    }
    const Const wt = transpose_const(Const::of_floats(ws, wf), {0, 2, 3, 1});
    const Id w = b_.constant_f32(uniq(n.in[1]), to_i32(wt.dims), wt.f);
    Window win;
    std::string why;
    window_from(n, shape(n.in[0]), ws[2], ws[3], &win, &why);
    y = b_.conv2d(xf, w, octet::ModelBuilder::kNone, conv_options(win, n.geti("group", 1)),
                  octet::Activation::none(), op_name(n));
    // Back to NCHW while still float: int32 tensors carry no quantization
    // that data-movement operators could keep.
    y = b_.transpose(y, {0, 3, 1, 2}, op_name(n, "nchw"));
    ++im_.rep_.transposes;
  } else {
    const Id bf = b_.dequantize(get(n.in[1], Layout::kAsIs), op_name(n, "b_f32"));
    y = b_.matmul(xf, bf, op_name(n));
  }
  y = b_.quantize(y, octet::DType::kInt32, octet::Quant::per_tensor(1.0f, 0), op_name(n, "to_i32"));
  set(n.out[0], y, Layout::kAsIs);
}

void Emitter::emit_softmax(const Node& n) {
  const std::string& xin = n.in[0];
  const Shape& xs = shape(xin);
  const int64_t r = static_cast<int64_t>(xs.size());
  const int64_t axis = norm_axis(n.geti("axis", g_.opset >= 13 ? -1 : 1), r);
  const Layout l = layout(xin);
  if (g_.opset >= 13 || axis == r - 1) {
    if (l == Layout::kNhwc && r == 4 && (axis == 1)) {
      set(n.out[0], b_.softmax(get(xin, l), 1.0f, op_name(n)), l);  // C is last in NHWC
      return;
    }
    Id x = get(xin, Layout::kAsIs);
    if (axis == r - 1 || r <= 1) {
      set(n.out[0], b_.softmax(x, 1.0f, op_name(n)), Layout::kAsIs);
      return;
    }
    std::vector<int32_t> perm(r);
    for (int64_t i = 0; i < r; ++i) perm[i] = to_i32(i);
    std::swap(perm[axis], perm[r - 1]);
    x = b_.transpose(x, perm, op_name(n, "to_last"));
    x = b_.softmax(x, 1.0f, op_name(n));
    set(n.out[0], b_.transpose(x, perm, op_name(n, "from_last")), Layout::kAsIs);
    return;
  }
  // Before opset 13 the input is coerced to 2-D at `axis`.
  const int64_t rows = numel(Shape(xs.begin(), xs.begin() + axis));
  Id x = b_.reshape(get(xin, Layout::kAsIs), {to_i32(rows), to_i32(numel(xs) / rows)},
                    op_name(n, "2d"));
  x = b_.softmax(x, 1.0f, op_name(n));
  set(n.out[0], b_.reshape(x, to_i32(xs), op_name(n, "nd")), Layout::kAsIs);
}

}  // namespace

std::vector<uint8_t> convert(const onnx::ModelProto& model, const ImportOptions& options,
                             ImportReport* report) {
  ImportReport local;
  ImportReport& rep = report ? *report : local;
  rep = ImportReport{};
  Graph g = load_graph(model, options);
  rep.ir_version = g.ir_version;
  rep.opset = g.opset;
  rep.onnx_nodes = static_cast<int32_t>(g.nodes.size());
  Importer im(g, rep);
  try {
    im.infer_all();
    im.remove_identities();
    im.recognize_hard_swish();
    im.fold_batch_norm();
    im.fuse_activations();
    im.remove_dead();
    return im.emit(options);
  } catch (const ImportError&) {
    throw;
  } catch (const std::exception& e) {
    // A malformed model that slipped past the checks: still an error, not a crash.
    throw ImportError(std::string("cannot convert this model: ") + e.what());
  }
}

std::vector<uint8_t> Importer::emit(const ImportOptions& opt) {
  Emitter e(*this);
  return e.run(opt);
}

onnx::ModelProto load_model_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ImportError("cannot open '" + path + "'");
  onnx::ModelProto m;
  if (!m.ParseFromIstream(&f)) throw ImportError("'" + path + "' is not an ONNX model");
  return m;
}

onnx::TensorProto load_tensor_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ImportError("cannot open '" + path + "'");
  onnx::TensorProto t;
  if (!t.ParseFromIstream(&f)) throw ImportError("'" + path + "' is not an ONNX tensor");
  return t;
}

std::pair<std::string, std::vector<int64_t>> parse_input_shape(const std::string& spec) {
  const size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    throw ImportError("--input-shape '" + spec + "': expected NAME=D0,D1,...");
  }
  std::vector<int64_t> dims;
  std::stringstream ss(spec.substr(eq + 1));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(tok.c_str(), &end, 10);
    if (tok.empty() || *end != '\0' || v <= 0) {
      throw ImportError("--input-shape '" + spec + "': '" + tok + "' is not a positive integer");
    }
    dims.push_back(v);
  }
  return {spec.substr(0, eq), dims};
}

}  // namespace octet::onnx_import
