// SPDX-License-Identifier: Apache-2.0
//
// octet inspect MODEL.octet [--json]: operators, tensors, quantization,
// weight bytes and the arena plan, after the same verification as load.
// --ops-header FILE writes the model's operator list for an op resolver
// (include/octet/octet.h, docs/embedding.md) instead.
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "octet/octet.hpp"
#include "schema/octet_generated.h"
#include "tools/octet/commands.h"

namespace octet::cli {
namespace {

namespace fb = octet::schema;
using nlohmann::json;

struct InspectOptions {
  std::string model;
  bool json = false;
  std::string ops_header;
  std::string ops_symbol;
};

struct FreeDeleter {
  void operator()(void* p) const { free(p); }
};

std::string shape_str(const flatbuffers::Vector<int32_t>* s) {
  std::string r = "[";
  if (s != nullptr) {
    for (uint32_t i = 0; i < s->size(); ++i) r += (i ? "," : "") + std::to_string(s->Get(i));
  }
  return r + "]";
}

json quant_json(const fb::Quantization* q) {
  json j = json::object();
  if (q == nullptr || q->scale() == nullptr || q->scale()->size() == 0) return j;
  j["axis"] = q->axis();
  j["scale"] = std::vector<float>(q->scale()->begin(), q->scale()->end());
  if (q->zero_point() != nullptr) {
    j["zero_point"] = std::vector<int64_t>(q->zero_point()->begin(), q->zero_point()->end());
  }
  if (q->min() != nullptr && q->min()->size() > 0) {
    j["min"] = std::vector<float>(q->min()->begin(), q->min()->end());
  }
  if (q->max() != nullptr && q->max()->size() > 0) {
    j["max"] = std::vector<float>(q->max()->begin(), q->max()->end());
  }
  if (q->method() != nullptr) j["method"] = q->method()->str();
  return j;
}

std::string quant_str(const fb::Quantization* q) {
  if (q == nullptr || q->scale() == nullptr || q->scale()->size() == 0) return "";
  char buf[128];
  if (q->scale()->size() == 1) {
    const int64_t z = (q->zero_point() && q->zero_point()->size()) ? q->zero_point()->Get(0) : 0;
    snprintf(buf, sizeof(buf), "scale %.6g zp %lld", static_cast<double>(q->scale()->Get(0)),
             static_cast<long long>(z));
  } else {
    float lo = q->scale()->Get(0), hi = lo;
    for (float s : *q->scale()) {
      lo = s < lo ? s : lo;
      hi = s > hi ? s : hi;
    }
    snprintf(buf, sizeof(buf), "per-axis(%d) x%u scale %.3g..%.3g", q->axis(), q->scale()->size(),
             static_cast<double>(lo), static_cast<double>(hi));
  }
  return buf;
}

std::string options_str(const fb::Operator* op) {
  char buf[160] = "";
  switch (op->options_type()) {
    case fb::OpOptions::Conv2DOptions: {
      const auto* o = op->options_as_Conv2DOptions();
      const auto* p = o->padding();
      snprintf(buf, sizeof(buf), "stride %dx%d dil %dx%d pad %s groups %d", o->stride_h(),
               o->stride_w(), o->dilation_h(), o->dilation_w(), shape_str(p).c_str(), o->groups());
      break;
    }
    case fb::OpOptions::ConvTranspose2DOptions: {
      const auto* o = op->options_as_ConvTranspose2DOptions();
      snprintf(buf, sizeof(buf), "stride %dx%d pad %s groups %d", o->stride_h(), o->stride_w(),
               shape_str(o->padding()).c_str(), o->groups());
      break;
    }
    case fb::OpOptions::Pool2DOptions: {
      const auto* o = op->options_as_Pool2DOptions();
      snprintf(buf, sizeof(buf), "kernel %dx%d stride %dx%d pad %s", o->kernel_h(), o->kernel_w(),
               o->stride_h(), o->stride_w(), shape_str(o->padding()).c_str());
      break;
    }
    case fb::OpOptions::MeanOptions:
      snprintf(buf, sizeof(buf), "axes %s", shape_str(op->options_as_MeanOptions()->axes()).c_str());
      break;
    case fb::OpOptions::ConcatOptions:
      snprintf(buf, sizeof(buf), "axis %d", op->options_as_ConcatOptions()->axis());
      break;
    case fb::OpOptions::TransposeOptions:
      snprintf(buf, sizeof(buf), "perm %s",
               shape_str(op->options_as_TransposeOptions()->perm()).c_str());
      break;
    case fb::OpOptions::ResizeOptions: {
      const auto* o = op->options_as_ResizeOptions();
      snprintf(buf, sizeof(buf), "%s %s", fb::EnumNameResizeMode(o->mode()),
               fb::EnumNameCoordinateTransform(o->coordinate_transform()));
      break;
    }
    default:
      break;
  }
  std::string s = buf;
  if (op->activation() != fb::Activation::NONE) {
    s += std::string(s.empty() ? "" : " ") + "act " + fb::EnumNameActivation(op->activation());
  }
  return s;
}

// "models/cnn-ops.h" -> "cnn_ops": a C identifier from the file's stem.
std::string symbol_from_path(const std::string& path) {
  std::string stem = path.substr(path.find_last_of('/') == std::string::npos
                                     ? 0
                                     : path.find_last_of('/') + 1);
  const size_t dot = stem.find('.');
  if (dot != std::string::npos) stem.resize(dot);
  for (char& c : stem) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  if (stem.empty() || isdigit(static_cast<unsigned char>(stem[0]))) stem = "model_" + stem;
  return stem;
}

bool c_identifier(const std::string& s) {
  if (s.empty() || isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

// The header: a list macro, a count and a static inline function returning
// a resolver over a static array (no heap, usable before main's first load).
int write_ops_header(const InspectOptions& o, const fb::Model* m) {
  const std::string sym = o.ops_symbol.empty() ? symbol_from_path(o.ops_header) : o.ops_symbol;
  if (!c_identifier(sym)) return fail("--ops-symbol '" + sym + "' is not a C identifier");
  std::vector<bool> used(static_cast<size_t>(fb::OpCode::MAX) + 1, false);
  const uint32_t nops = m->operators() ? m->operators()->size() : 0;
  for (uint32_t i = 0; i < nops; ++i) used[static_cast<size_t>(m->operators()->Get(i)->opcode())] = true;
  std::vector<std::string> names;
  for (size_t c = 0; c < used.size(); ++c) {
    if (used[c]) names.push_back(fb::EnumNameOpCode(static_cast<fb::OpCode>(c)));
  }
  const std::string up = upper(sym);
  std::string h;
  h += "/* Generated by `octet inspect " + o.model + " --ops-header " + o.ops_header + "`.\n";
  h += " * The operators this model uses (" + std::to_string(names.size()) + " of " +
       std::to_string(used.size()) + "), for an op resolver: an application\n";
  h += " * linking Octet statically with --gc-sections keeps only their kernels\n";
  h += " * (docs/embedding.md). Usage:\n";
  h += " *   octet_op_resolver resolver = " + sym + "_resolver();\n";
  h += " *   model_options.resolver = &resolver;\n */\n";
  h += "#ifndef " + up + "_OPS_H_\n#define " + up + "_OPS_H_\n\n#include <octet/octet.h>\n\n";
  h += "#define " + up + "_NUM_OPS " + std::to_string(names.size()) + "\n";
  h += "#define " + up + "_OPS";
  for (size_t k = 0; k < names.size(); ++k) {
    h += std::string(" \\\n  &octet_op_") + lower(names[k]) + (k + 1 < names.size() ? "," : "");
  }
  h += "\n\n/* A resolver over a static list of the operators above. */\n";
  h += "static inline octet_op_resolver " + sym + "_resolver(void) {\n";
  h += "  static const octet_op* const ops[] = {" + up + "_OPS};\n";
  h += "  octet_op_resolver resolver = {sizeof(octet_op_resolver), ops, " + up + "_NUM_OPS};\n";
  h += "  return resolver;\n}\n\n#endif /* " + up + "_OPS_H_ */\n";
  FILE* f = fopen(o.ops_header.c_str(), "w");
  if (f == nullptr) {
    return fail("cannot write '" + o.ops_header + "': " + strerror(errno));
  }
  const bool ok = fwrite(h.data(), 1, h.size(), f) == h.size();
  if (fclose(f) != 0 || !ok) return fail("cannot write '" + o.ops_header + "': " + strerror(errno));
  std::string list;
  for (const auto& n : names) list += " " + n;
  printf("%s: %zu operators (%s_resolver):%s\n", o.ops_header.c_str(), names.size(), sym.c_str(),
         list.c_str());
  return 0;
}

}  // namespace

// What an application must feed and will get back, per input and output:
// type, shape, layout, quantization, folded preprocessing (the C API gives
// the same through octet_model_input_info / octet_model_input_layout).
// Shared with `octet quantize`.
void print_io_summary(const octet_model* m) {
  auto one = [&](const char* what, int32_t n, bool input) {
    printf("%s:\n", what);
    for (int32_t i = 0; i < n; ++i) {
      octet_tensor_info t{};
      if ((input ? octet_model_input_info(m, i, &t) : octet_model_output_info(m, i, &t)) != OCTET_OK) continue;
      std::string shape = "[";
      for (int32_t d = 0; d < t.rank; ++d) shape += (d ? "," : "") + std::to_string(t.dims[d]);
      shape += "]";
      const octet_layout l = input ? octet_model_input_layout(m, i) : octet_model_output_layout(m, i);
      std::string q;
      if (t.dtype != OCTET_FLOAT32 && t.scale > 0) {
        char b[96];
        snprintf(b, sizeof(b), "scale %.6g zero_point %d", static_cast<double>(t.scale), t.zero_point);
        q = b;
      }
      printf("  %-20s %-8s %-16s %-7s %s\n", t.name, octet_dtype_name(t.dtype), shape.c_str(),
             l == OCTET_LAYOUT_UNKNOWN ? "-" : octet_layout_name(l), q.c_str());
      if (input) {
        const char* pre = octet_model_metadata(m, ("io.preprocess." + std::string(t.name)).c_str());
        if (pre != nullptr) printf("  %-20s raw 8-bit data in: %s\n", "", pre);
      }
    }
  };
  one("inputs", octet_model_num_inputs(m), true);
  one("outputs", octet_model_num_outputs(m), false);
}

namespace {

json io_json(const octet_model* m, bool input) {
  json r = json::array();
  const int32_t n = input ? octet_model_num_inputs(m) : octet_model_num_outputs(m);
  for (int32_t i = 0; i < n; ++i) {
    octet_tensor_info t{};
    if ((input ? octet_model_input_info(m, i, &t) : octet_model_output_info(m, i, &t)) != OCTET_OK) continue;
    const octet_layout l = input ? octet_model_input_layout(m, i) : octet_model_output_layout(m, i);
    json j = {{"name", t.name},
              {"dtype", octet_dtype_name(t.dtype)},
              {"shape", std::vector<int32_t>(t.dims, t.dims + t.rank)},
              {"layout", l == OCTET_LAYOUT_UNKNOWN ? "unknown" : octet_layout_name(l)},
              {"tensor", input ? octet_model_input_tensor(m, i) : octet_model_output_tensor(m, i)}};
    if (t.dtype != OCTET_FLOAT32 && t.scale > 0) {
      j["scale"] = t.scale;
      j["zero_point"] = t.zero_point;
    }
    if (input) {
      const char* pre = octet_model_metadata(m, ("io.preprocess." + std::string(t.name)).c_str());
      if (pre != nullptr) j["preprocessing"] = pre;
    }
    r.push_back(j);
  }
  return r;
}

int inspect(const InspectOptions& o) {
  // Only regular files: reading a device or a pipe (/dev/zero) to its end
  // would never finish.
  struct stat st;
  if (stat(o.model.c_str(), &st) != 0) {
    return fail("cannot open model '" + o.model + "': " + strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return fail("model '" + o.model + "' is not a regular file");
  std::ifstream f(o.model, std::ios::binary);
  if (!f) return fail("cannot open model '" + o.model + "': " + strerror(errno));
  std::vector<char> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::unique_ptr<void, FreeDeleter> buf(aligned_alloc(64, (raw.size() + 63) / 64 * 64 + 64));
  if (!buf) return fail("out of memory");
  std::copy(raw.begin(), raw.end(), static_cast<char*>(buf.get()));
  Model model;
  const Status s = model.load_buffer(buf.get(), raw.size());
  if (!s) return fail("model '" + o.model + "': " + s.message());
  const fb::Model* m = fb::GetModel(buf.get());
  if (!o.ops_header.empty()) return write_ops_header(o, m);

  size_t weight_bytes = 0, constants = 0;
  json tensors = json::array();
  for (uint32_t i = 0; i < m->tensors()->size(); ++i) {
    const auto* t = m->tensors()->Get(i);
    size_t bytes = 0;
    if (t->buffer() != 0) {
      bytes = m->buffers()->Get(t->buffer())->data()->size();
      weight_bytes += bytes;
      ++constants;
    }
    json jt = {{"index", i},
               {"name", t->name() ? t->name()->str() : ""},
               {"dtype", fb::EnumNameDType(t->dtype())},
               {"shape", t->shape() ? std::vector<int32_t>(t->shape()->begin(), t->shape()->end())
                                    : std::vector<int32_t>{}},
               {"constant", t->buffer() != 0},
               {"bytes", bytes}};
    const json q = quant_json(t->quantization());
    if (!q.empty()) jt["quantization"] = q;
    tensors.push_back(jt);
  }
  const size_t arena = model.arena_size();
  Interpreter it;
  const Status is = it.create(model);
  if (!is) return fail("model '" + o.model + "': " + is.message());
  const size_t activations = it.activation_bytes();

  auto tname = [&](int32_t t) -> std::string {
    if (t < 0) return "-";
    const auto* tt = m->tensors()->Get(t);
    return tt->name() ? tt->name()->str() : "#" + std::to_string(t);
  };

  if (o.json) {
    json ops = json::array();
    for (uint32_t i = 0; m->operators() && i < m->operators()->size(); ++i) {
      const auto* op = m->operators()->Get(i);
      json jo = {{"index", i},
                 {"opcode", fb::EnumNameOpCode(op->opcode())},
                 {"name", op->name() ? op->name()->str() : ""},
                 {"inputs", std::vector<int32_t>(op->inputs()->begin(), op->inputs()->end())},
                 {"outputs", std::vector<int32_t>(op->outputs()->begin(), op->outputs()->end())},
                 {"options", options_str(op)},
                 {"kernel", octet_interpreter_operator_kernel(it.get(), static_cast<int32_t>(i))}};
      if (op->source_nodes()) {
        std::vector<std::string> src;
        for (const auto* n : *op->source_nodes()) src.push_back(n->str());
        jo["source_nodes"] = src;
      }
      if (const auto* p = op->int_params()) {
        json jp = {{"qmin", p->qmin()}, {"qmax", p->qmax()}};
        if (p->multiplier()) {
          jp["multiplier"] = std::vector<int32_t>(p->multiplier()->begin(), p->multiplier()->end());
          jp["rshift"] = std::vector<int>(p->rshift()->begin(), p->rshift()->end());
        }
        if (p->lut() && p->lut()->size()) jp["lut_bytes"] = p->lut()->size();
        jo["integer_params"] = jp;
      }
      ops.push_back(jo);
    }
    json io_in = json::array(), io_out = json::array();
    for (int32_t t : *m->inputs()) io_in.push_back(t);
    for (int32_t t : *m->outputs()) io_out.push_back(t);
    json meta = json::object();
    for (uint32_t i = 0; m->metadata() && i < m->metadata()->size(); ++i) {
      const auto* kv = m->metadata()->Get(i);
      meta[kv->key() ? kv->key()->str() : ""] = kv->value() ? kv->value()->str() : "";
    }
    const json out = {{"file", o.model},
                      {"file_bytes", raw.size()},
                      {"version", m->version()},
                      {"producer", m->producer() ? m->producer()->str() : ""},
                      {"source", m->source() ? m->source()->str() : ""},
                      {"description", m->description() ? m->description()->str() : ""},
                      {"inputs", io_in},
                      {"outputs", io_out},
                      {"input_io", io_json(model.get(), true)},
                      {"output_io", io_json(model.get(), false)},
                      {"tensors", tensors},
                      {"operators", ops},
                      {"metadata", meta},
                      {"weight_bytes", weight_bytes},
                      {"arena_bytes", arena},
                      {"activation_bytes", activations},
                      {"prepared_state_bytes", arena - activations}};
    printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  printf("model: %s (%zu bytes, format v%u)\n", o.model.c_str(), raw.size(), m->version());
  if (m->producer()) printf("producer: %s\n", m->producer()->c_str());
  if (m->source() && m->source()->size()) printf("source: %s\n", m->source()->c_str());
  if (m->description() && m->description()->size()) {
    printf("description: %s\n", m->description()->c_str());
  }
  print_io_summary(model.get());
  const uint32_t nops = m->operators() ? m->operators()->size() : 0;
  printf("operators (%u):\n", nops);
  printf("  %-4s %-18s %-24s %-44s %-34s %s\n", "#", "opcode", "name", "inputs -> outputs",
         "kernel", "options");
  for (uint32_t i = 0; i < nops; ++i) {
    const auto* op = m->operators()->Get(i);
    std::string io_s;
    for (uint32_t k = 0; k < op->inputs()->size(); ++k) {
      const int32_t t = op->inputs()->Get(k);
      io_s += (k ? ", " : "") + tname(t);
      if (t >= 0) io_s += shape_str(m->tensors()->Get(t)->shape());
    }
    io_s += " -> ";
    for (uint32_t k = 0; k < op->outputs()->size(); ++k) {
      const int32_t t = op->outputs()->Get(k);
      io_s += (k ? ", " : "") + tname(t) + shape_str(m->tensors()->Get(t)->shape());
    }
    printf("  %-4u %-18s %-24s %-44s %-34s %s\n", i, fb::EnumNameOpCode(op->opcode()),
           op->name() ? op->name()->c_str() : "", io_s.c_str(),
           octet_interpreter_operator_kernel(it.get(), static_cast<int32_t>(i)),
           options_str(op).c_str());
  }
  printf("tensors (%u):\n", m->tensors()->size());
  printf("  %-4s %-24s %-8s %-18s %-10s %s\n", "#", "name", "dtype", "shape", "bytes",
         "quantization");
  for (uint32_t i = 0; i < m->tensors()->size(); ++i) {
    const auto* t = m->tensors()->Get(i);
    const size_t b = t->buffer() ? m->buffers()->Get(t->buffer())->data()->size() : 0;
    printf("  %-4u %-24s %-8s %-18s %-10s %s\n", i, tname(static_cast<int32_t>(i)).c_str(),
           fb::EnumNameDType(t->dtype()), shape_str(t->shape()).c_str(),
           b ? std::to_string(b).c_str() : "-", quant_str(t->quantization()).c_str());
  }
  if (m->metadata() && m->metadata()->size()) {
    printf("metadata:\n");
    for (const auto* kv : *m->metadata()) {
      printf("  %s = %s\n", kv->key() ? kv->key()->c_str() : "", kv->value() ? kv->value()->c_str() : "");
    }
  }
  printf("weights: %zu bytes in %zu constants\n", weight_bytes, constants);
  printf("arena: %zu bytes (activations %zu + prepared state %zu)\n", arena, activations,
         arena - activations);
  return 0;
}

}  // namespace

void add_inspect(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a model's operators, tensors and memory");
  cmd->add_option("model", o->model, "Model file (.octet)")->required();
  cmd->add_flag("--json", o->json, "Print JSON instead of tables");
  cmd->add_option("--ops-header", o->ops_header,
                  "Write a C header listing the operators the model uses (op resolver)");
  cmd->add_option("--ops-symbol", o->ops_symbol,
                  "Name for --ops-header's resolver function and macros (default: the file's stem)");
  cmd->callback([o, exit_code] { *exit_code = inspect(*o); });
}

}  // namespace octet::cli
