// SPDX-License-Identifier: Apache-2.0
//
// The static-graph executor. Prepare turns the model's operator list into a
// flat array of Steps (eval function + prepared parameters), plans one arena
// for all activations and scratch, and resolves every tensor to a pointer.
// Invoke walks the array: no allocation, no dispatch decisions, no locks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/common.h"
#include "runtime/model.h"
#include "kernels/kernels.h"

typedef struct pthreadpool* pthreadpool_t;

namespace octet::rt {

struct Step;

/// What an eval function sees at invoke time.
struct EvalContext {
  /// Data pointer of every tensor (constants point into the model).
  void* const* tensors;
  pthreadpool_t threadpool;
};

using EvalFn = void (*)(const Step& step, const EvalContext& ctx);

/// One prepared operator.
struct Step {
  EvalFn eval;
  /// Operator-specific parameters built at prepare (persistent memory).
  const void* params;
  const int32_t* inputs;
  int32_t num_inputs;
  const int32_t* outputs;
  int32_t num_outputs;
  /// Scratch memory in the arena (nullptr when none was requested).
  void* scratch;
  size_t scratch_bytes;
  int32_t op_index;
  /// Name of the kernel prepare chose (e.g. "gemm_qs8_qc8w_8x32c4_avx512vnni"),
  /// for inspect/benchmark output; nullptr for steps without a choice.
  const char* kernel;

  template <typename T>
  const T* in(const EvalContext& c, int32_t i) const {
    return inputs[i] < 0 ? nullptr : static_cast<const T*>(c.tensors[inputs[i]]);
  }
  template <typename T>
  T* out(const EvalContext& c, int32_t i) const {
    return static_cast<T*>(c.tensors[outputs[i]]);
  }
};

/// Prepare-time view of one operator, handed to the operator's prepare
/// function. Errors name the operator (index, name, opcode).
class PrepareContext {
 public:
  PrepareContext(const octet_model& model, int32_t op_index, PersistentMemory& memory,
                 ErrorSink& error, Step& step, kernels::Isa isa = kernels::Isa::kScalar);

  const octet_model& model() const { return model_; }
  const octet::schema::Operator& op() const { return *op_; }
  int32_t num_inputs() const { return static_cast<int32_t>(op_->inputs()->size()); }
  int32_t num_outputs() const { return static_cast<int32_t>(op_->outputs()->size()); }
  bool has_input(int32_t i) const { return i < num_inputs() && op_->inputs()->Get(i) >= 0; }
  const TensorDesc& input(int32_t i) const { return model_.tensors[op_->inputs()->Get(i)]; }
  const TensorDesc& output(int32_t i) const { return model_.tensors[op_->outputs()->Get(i)]; }
  Step& step() { return step_; }
  /// The kernel path this interpreter runs (kernels/common/isa.h); ops pick
  /// their kernels from it here, once, and invoke never re-dispatches.
  kernels::Isa isa() const { return isa_; }

  /// Zero-initialized persistent memory; nullptr only when an arena is full
  /// (use the PREPARE_ALLOC macro below, which reports it).
  template <typename T>
  T* alloc(size_t n = 1) {
    return memory_.allocate_array<T>(n);
  }
  /// Scratch bytes this step needs during eval (one region per step).
  void request_scratch(size_t bytes) { step_.scratch_bytes = bytes; }

  /// Records "operator #i 'name' (OPCODE): <message>" and returns status.
  octet_status fail(octet_status status, const char* format, ...)
      __attribute__((format(printf, 3, 4)));
  octet_status out_of_memory();

  /// Common checks, each reporting a precise error.
  octet_status expect_dtype(const TensorDesc& t, const char* role, octet_dtype dtype);
  octet_status expect_same_shape(const TensorDesc& a, const TensorDesc& b);
  octet_status expect_shape(const TensorDesc& t, const char* role, int32_t rank,
                            const int32_t* dims);
  octet_status expect_per_tensor_quant(const TensorDesc& t, const char* role);
  /// The operator's integer multipliers (docs/quantization.md §3) as a
  /// persistent array; `count` must be one of the allowed counts.
  octet_status multipliers(int32_t allowed_count_a, int32_t allowed_count_b,
                           const kernels::Multiplier** out, int32_t* count);
  /// The operator's output clamp [qmin, qmax] (checked against the dtype).
  octet_status qclamp(int32_t* qmin, int32_t* qmax);
  /// The operator's fp32 clamp from activation/act_min/act_max.
  kernels::FloatClamp float_clamp() const;

 private:
  const octet_model& model_;
  const octet::schema::Operator* op_;
  int32_t op_index_;
  PersistentMemory& memory_;
  ErrorSink& error_;
  Step& step_;
  kernels::Isa isa_;
};

}  // namespace octet::rt
