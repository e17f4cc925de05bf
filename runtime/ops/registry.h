// SPDX-License-Identifier: Apache-2.0
//
// The operator table: for every opcode its name, arity, options type and
// prepare function. Prepare validates shapes/types/parameters, builds the
// kernel parameters and picks the eval function.
#pragma once

#include <cstdint>

#include "runtime/interpreter.h"

// OCTET_WITH_FP32=0 (CMake option OCTET_WITH_FP32=OFF) compiles the fp32
// operators out of an int8-only runtime: their prepare branches test
// `OCTET_WITH_FP32 && dtype == OCTET_FLOAT32`, so the compiler drops them and
// nothing references the fp32 kernels. QUANTIZE/DEQUANTIZE keep their float
// side (a model's float inputs and outputs); prepare_graph rejects any other
// operator on float tensors with a message saying so.
#ifndef OCTET_WITH_FP32
#define OCTET_WITH_FP32 1
#endif

namespace octet::rt {

using PrepareFn = octet_status (*)(PrepareContext& ctx);

struct OpInfo {
  const char* name;
  PrepareFn prepare;
  int32_t min_inputs;
  int32_t max_inputs;  // -1: unbounded
  int32_t min_outputs;
  int32_t max_outputs;  // -1: unbounded
  octet::schema::OpOptions options;  // NONE: no options table required
};

/// Number of opcodes (schema/octet.fbs): the size of a model's op table.
constexpr size_t kNumOpCodes = static_cast<size_t>(octet::schema::OpCode::MAX) + 1;

/// The operator table entry the model resolved for `code` at load, or
/// nullptr when the code is unknown or not registered.
const OpInfo* op_info(const octet_model& model, octet::schema::OpCode code);

/// Fills `model->ops` from `resolver`, or from the build's built-in set
/// (CMake option OCTET_OPS) when it is null. Fails on a malformed resolver.
octet_status resolve_ops(octet_model* model, const octet_op_resolver* resolver);

/// Explains why `code` has no entry in `model`'s table ("not registered in
/// the op resolver ...") into `buf`, for load errors.
void describe_missing_op(const octet_model& model, octet::schema::OpCode code, char* buf,
                         size_t size);

// Prepare functions, one per operator family (runtime/ops/*.cc).
octet_status prepare_conv2d(PrepareContext& ctx);
octet_status prepare_conv_transpose2d(PrepareContext& ctx);
octet_status prepare_fully_connected(PrepareContext& ctx);
octet_status prepare_matmul(PrepareContext& ctx);
octet_status prepare_binary(PrepareContext& ctx);
octet_status prepare_activation(PrepareContext& ctx);
octet_status prepare_prelu(PrepareContext& ctx);
octet_status prepare_pool2d(PrepareContext& ctx);
octet_status prepare_mean(PrepareContext& ctx);
octet_status prepare_concat(PrepareContext& ctx);
octet_status prepare_split(PrepareContext& ctx);
octet_status prepare_slice(PrepareContext& ctx);
octet_status prepare_reshape(PrepareContext& ctx);
octet_status prepare_transpose(PrepareContext& ctx);
octet_status prepare_pad(PrepareContext& ctx);
octet_status prepare_resize(PrepareContext& ctx);
octet_status prepare_softmax(PrepareContext& ctx);
octet_status prepare_quantize(PrepareContext& ctx);
octet_status prepare_dequantize(PrepareContext& ctx);

// int16 × int8 and dynamically quantized variants (runtime/ops/conv_int16.cc),
// reached from prepare_conv2d / prepare_fully_connected by dtype.
octet_status prepare_conv2d_qs16(PrepareContext& ctx, const kernels::Conv2DShape& shape);
octet_status prepare_fully_connected_qs16(PrepareContext& ctx, int32_t m, int32_t n, int32_t k);
octet_status prepare_fully_connected_dynamic(PrepareContext& ctx, int32_t m, int32_t n, int32_t k);

}  // namespace octet::rt

/// The object behind each octet_op_<opcode> (include/octet/octet.h).
struct octet_op {
  octet::schema::OpCode code;
  octet::rt::OpInfo info;
};
