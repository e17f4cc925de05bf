// SPDX-License-Identifier: Apache-2.0
//
// prepare_graph(): the part of interpreter creation that load also runs once
// as a dry run, so that a model which loads is a model that prepares.
#pragma once

#include "runtime/interpreter.h"

namespace octet::rt {

struct GraphPlan {
  Step* steps = nullptr;
  int32_t num_steps = 0;
  void** tensor_data = nullptr;
  /// Arena offset per tensor (SIZE_MAX: constant or unused).
  size_t* tensor_offsets = nullptr;
  /// Arena offset per step's scratch (SIZE_MAX: none).
  size_t* scratch_offsets = nullptr;
  size_t activation_bytes = 0;
};

/// Prepares every operator for kernel path `isa` and plans the arena. All
/// memory comes from `memory`, in the same sequence for the same model and
/// path (packed weights differ in size between paths).
octet_status prepare_graph(const octet_model& model, PersistentMemory& memory, ErrorSink& error,
                           GraphPlan* plan, kernels::Isa isa = kernels::default_isa());

/// Points tensors and scratch at `arena` (plan->activation_bytes long).
void bind_graph(const octet_model& model, GraphPlan* plan, uint8_t* arena);

}  // namespace octet::rt
