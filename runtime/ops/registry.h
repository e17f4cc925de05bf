// SPDX-License-Identifier: Apache-2.0
//
// The operator table: for every opcode its name, arity, options type and
// prepare function. Prepare validates shapes/types/parameters, builds the
// kernel parameters and picks the eval function.
#pragma once

#include <cstdint>

#include "runtime/interpreter.h"

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

/// Entry for `code`, or nullptr if the code is unknown to this build.
const OpInfo* op_info(octet::schema::OpCode code);

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

}  // namespace octet::rt
