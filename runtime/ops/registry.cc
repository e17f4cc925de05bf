// SPDX-License-Identifier: Apache-2.0
//
// One exported object per operator (octet_op_<opcode>, include/octet/octet.h)
// and the op resolver. Each object lives in its own data section
// (-fdata-sections), so an application that links Octet statically with
// --gc-sections keeps exactly the objects its resolver (or the built-in set,
// CMake option OCTET_OPS) takes the address of, and through their prepare
// functions only those operators' kernels.
#include "runtime/ops/registry.h"

#include <cstdio>

// Generated from OCTET_OPS (runtime/CMakeLists.txt): OCTET_BUILTIN_OPS_SETTING
// and one OCTET_BUILTIN_OP(symbol) per operator of the built-in set.
#include "octet_builtin_ops.inc"

using O = octet::schema::OpOptions;
using C = octet::schema::OpCode;
using namespace octet::rt;

// Arity: [min, max] inputs and outputs (-1: unbounded).
#define OCTET_DEFINE_OP(sym, CODE, prepare, min_in, max_in, min_out, max_out, options) \
  extern "C" const octet_op octet_op_##sym = {                                          \
      C::CODE, {#CODE, prepare, min_in, max_in, min_out, max_out, options}};

OCTET_DEFINE_OP(conv_2d, CONV_2D, prepare_conv2d, 2, 3, 1, 1, O::Conv2DOptions)
OCTET_DEFINE_OP(conv_transpose_2d, CONV_TRANSPOSE_2D, prepare_conv_transpose2d, 2, 3, 1, 1,
                O::ConvTranspose2DOptions)
OCTET_DEFINE_OP(fully_connected, FULLY_CONNECTED, prepare_fully_connected, 2, 3, 1, 1, O::NONE)
OCTET_DEFINE_OP(matmul, MATMUL, prepare_matmul, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(add, ADD, prepare_binary, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(sub, SUB, prepare_binary, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(mul, MUL, prepare_binary, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(div, DIV, prepare_binary, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(clamp, CLAMP, prepare_activation, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(hard_swish, HARD_SWISH, prepare_activation, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(hard_sigmoid, HARD_SIGMOID, prepare_activation, 1, 1, 1, 1,
                O::HardSigmoidOptions)
OCTET_DEFINE_OP(sigmoid, SIGMOID, prepare_activation, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(tanh, TANH, prepare_activation, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(leaky_relu, LEAKY_RELU, prepare_activation, 1, 1, 1, 1, O::LeakyReluOptions)
OCTET_DEFINE_OP(prelu, PRELU, prepare_prelu, 2, 2, 1, 1, O::NONE)
OCTET_DEFINE_OP(max_pool_2d, MAX_POOL_2D, prepare_pool2d, 1, 1, 1, 1, O::Pool2DOptions)
OCTET_DEFINE_OP(average_pool_2d, AVERAGE_POOL_2D, prepare_pool2d, 1, 1, 1, 1, O::Pool2DOptions)
OCTET_DEFINE_OP(mean, MEAN, prepare_mean, 1, 1, 1, 1, O::MeanOptions)
OCTET_DEFINE_OP(concat, CONCAT, prepare_concat, 1, -1, 1, 1, O::ConcatOptions)
OCTET_DEFINE_OP(split, SPLIT, prepare_split, 1, 1, 1, -1, O::SplitOptions)
OCTET_DEFINE_OP(slice, SLICE, prepare_slice, 1, 1, 1, 1, O::SliceOptions)
OCTET_DEFINE_OP(reshape, RESHAPE, prepare_reshape, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(transpose, TRANSPOSE, prepare_transpose, 1, 1, 1, 1, O::TransposeOptions)
OCTET_DEFINE_OP(pad, PAD, prepare_pad, 1, 1, 1, 1, O::PadOptions)
OCTET_DEFINE_OP(resize, RESIZE, prepare_resize, 1, 1, 1, 1, O::ResizeOptions)
OCTET_DEFINE_OP(softmax, SOFTMAX, prepare_softmax, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(quantize, QUANTIZE, prepare_quantize, 1, 1, 1, 1, O::NONE)
OCTET_DEFINE_OP(dequantize, DEQUANTIZE, prepare_dequantize, 1, 1, 1, 1, O::NONE)

// 28 definitions above, one per opcode: a new opcode must get an object here
// and a declaration in octet.h.
static_assert(kNumOpCodes == 28, "every opcode needs an octet_op_<opcode> object");

namespace octet::rt {
namespace {

#define OCTET_BUILTIN_OP(sym) &octet_op_##sym,
// The first entry keeps the array non-empty when OCTET_OPS=none.
const octet_op* const kBuiltinOps[] = {nullptr, OCTET_BUILTIN_OPS};
#undef OCTET_BUILTIN_OP
constexpr int32_t kNumBuiltinOps = static_cast<int32_t>(sizeof(kBuiltinOps) / sizeof(kBuiltinOps[0]));

// "CONV_2D" -> "conv_2d".
void lower_name(const char* name, char* out, size_t size) {
  size_t i = 0;
  for (; name[i] != '\0' && i + 1 < size; ++i) {
    out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? static_cast<char>(name[i] - 'A' + 'a') : name[i];
  }
  out[i] = '\0';
}

}  // namespace

const OpInfo* op_info(const octet_model& model, octet::schema::OpCode code) {
  const auto i = static_cast<size_t>(code);
  return i < kNumOpCodes ? model.ops[i] : nullptr;
}

octet_status resolve_ops(octet_model* m, const octet_op_resolver* r) {
  for (size_t i = 0; i < kNumOpCodes; ++i) m->ops[i] = nullptr;
  m->custom_ops = r != nullptr;
  const octet_op* const* ops = kBuiltinOps;
  int32_t n = kNumBuiltinOps;
  if (r != nullptr) {
    if (r->struct_size < sizeof(octet_op_resolver)) {
      return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT,
                           "op resolver: struct_size %zu, expected at least %zu "
                           "(set it to sizeof(octet_op_resolver))",
                           r->struct_size, sizeof(octet_op_resolver));
    }
    if (r->num_ops < 0 || (r->num_ops > 0 && r->ops == nullptr)) {
      return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT,
                           "op resolver: %d operators at %s", r->num_ops,
                           r->ops == nullptr ? "a null list" : "a list");
    }
    ops = r->ops;
    n = r->num_ops;
  }
  for (int32_t k = 0; k < n; ++k) {
    const octet_op* op = ops[k];
    if (op == nullptr) {
      if (r == nullptr) continue;  // the built-in list's placeholder
      return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "op resolver: entry #%d is null", k);
    }
    const auto code = static_cast<size_t>(op->code);
    if (code >= kNumOpCodes) {
      return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT,
                           "op resolver: entry #%d is not an octet_op object", k);
    }
    m->ops[code] = &op->info;  // listing an operator twice is harmless
  }
  return OCTET_OK;
}

void describe_missing_op(const octet_model& m, octet::schema::OpCode code, char* buf,
                         size_t size) {
  char sym[32];
  lower_name(octet::schema::EnumNameOpCode(code), sym, sizeof(sym));
  if (m.custom_ops) {
    snprintf(buf, size,
             "not registered in the op resolver (octet_model_options.resolver): add "
             "&octet_op_%s, or regenerate the list with `octet inspect MODEL --ops-header FILE`",
             sym);
  } else {
    snprintf(buf, size,
             "not in this build's built-in operator set (OCTET_OPS=%s): rebuild with it or "
             "pass an op resolver listing &octet_op_%s",
             OCTET_BUILTIN_OPS_SETTING, sym);
  }
}

}  // namespace octet::rt

extern "C" const char* octet_op_name(const octet_op* op) {
  return op == nullptr ? "" : op->info.name;
}
