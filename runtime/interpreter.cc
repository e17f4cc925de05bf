// SPDX-License-Identifier: Apache-2.0
#include "runtime/interpreter.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "runtime/graph.h"
#include "runtime/ops/registry.h"
#include "runtime/planner.h"

namespace octet::rt {

PrepareContext::PrepareContext(const octet_model& model, int32_t op_index, PersistentMemory& memory,
                               ErrorSink& error, Step& step, kernels::Isa isa)
    : model_(model),
      op_(model.fb->operators()->Get(op_index)),
      op_index_(op_index),
      memory_(memory),
      error_(error),
      step_(step),
      isa_(isa) {}

octet_status PrepareContext::fail(octet_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  error_.vfail(status, format, args);
  va_end(args);
  const OpInfo* info = op_info(model_, op_->opcode());
  error_.prefix("operator #%d '%s' (%s): ", op_index_, op_->name() ? op_->name()->c_str() : "",
                info ? info->name : "?");
  return status;
}

octet_status PrepareContext::out_of_memory() {
  if (memory_.over_limit()) {
    return fail(OCTET_ERROR_OUT_OF_MEMORY,
                "prepared state would exceed the arena limit of %zu bytes "
                "(octet_model_options.max_arena_bytes)",
                memory_.limit());
  }
  return fail(OCTET_ERROR_OUT_OF_MEMORY,
              "out of memory for prepared state (arena too small or allocation failed)");
}

octet_status PrepareContext::expect_dtype(const TensorDesc& t, const char* role, octet_dtype dtype) {
  if (t.dtype != dtype) {
    return fail(OCTET_ERROR_INVALID_MODEL, "%s '%s' is %s, expected %s", role, t.name,
                octet_dtype_name(t.dtype), octet_dtype_name(dtype));
  }
  return OCTET_OK;
}

namespace {
void format_shape(const TensorDesc& t, char* buf, size_t n) {
  size_t at = 0;
  at += snprintf(buf + at, n - at, "[");
  for (int32_t i = 0; i < t.rank && at < n; ++i) {
    at += snprintf(buf + at, n - at, i ? ",%d" : "%d", t.dims[i]);
  }
  if (at < n) snprintf(buf + at, n - at, "]");
}
}  // namespace

octet_status PrepareContext::expect_same_shape(const TensorDesc& a, const TensorDesc& b) {
  bool same = a.rank == b.rank;
  for (int32_t i = 0; same && i < a.rank; ++i) same = a.dims[i] == b.dims[i];
  if (!same) {
    char sa[96], sb[96];
    format_shape(a, sa, sizeof(sa));
    format_shape(b, sb, sizeof(sb));
    return fail(OCTET_ERROR_INVALID_MODEL, "tensor '%s' has shape %s but '%s' has shape %s", a.name,
                sa, b.name, sb);
  }
  return OCTET_OK;
}

octet_status PrepareContext::expect_shape(const TensorDesc& t, const char* role, int32_t rank,
                                          const int32_t* dims) {
  bool same = t.rank == rank;
  for (int32_t i = 0; same && i < rank; ++i) same = t.dims[i] == dims[i];
  if (!same) {
    char have[96];
    format_shape(t, have, sizeof(have));
    char want[96];
    size_t at = snprintf(want, sizeof(want), "[");
    for (int32_t i = 0; i < rank && at < sizeof(want); ++i) {
      at += snprintf(want + at, sizeof(want) - at, i ? ",%d" : "%d", dims[i]);
    }
    if (at < sizeof(want)) snprintf(want + at, sizeof(want) - at, "]");
    return fail(OCTET_ERROR_INVALID_MODEL, "%s '%s' has shape %s, the operator produces %s", role,
                t.name, have, want);
  }
  return OCTET_OK;
}

octet_status PrepareContext::expect_per_tensor_quant(const TensorDesc& t, const char* role) {
  if (t.quant_count != 1) {
    return fail(OCTET_ERROR_INVALID_MODEL,
                "%s '%s' (%s) needs per-tensor quantization parameters (has %d scales)", role,
                t.name, octet_dtype_name(t.dtype), t.quant_count);
  }
  return OCTET_OK;
}

octet_status PrepareContext::multipliers(int32_t allowed_a, int32_t allowed_b,
                                         const kernels::Multiplier** out, int32_t* count) {
  const auto* p = op_->int_params();
  const int32_t n = (p == nullptr || p->multiplier() == nullptr)
                        ? 0
                        : static_cast<int32_t>(p->multiplier()->size());
  if (n == 0 || (n != allowed_a && n != allowed_b)) {
    if (allowed_a == allowed_b) {
      return fail(OCTET_ERROR_INVALID_MODEL,
                  "integer parameters hold %d multipliers, expected %d", n, allowed_a);
    }
    return fail(OCTET_ERROR_INVALID_MODEL,
                "integer parameters hold %d multipliers, expected %d or %d", n, allowed_a,
                allowed_b);
  }
  auto* m = alloc<kernels::Multiplier>(static_cast<size_t>(n));
  if (m == nullptr) return out_of_memory();
  for (int32_t i = 0; i < n; ++i) {
    m[i].multiplier = p->multiplier()->Get(i);
    m[i].rshift = p->rshift()->Get(i);  // count and range checked at load
  }
  *out = m;
  *count = n;
  return OCTET_OK;
}

octet_status PrepareContext::qclamp(int32_t* qmin, int32_t* qmax) {
  const auto* p = op_->int_params();
  if (p == nullptr) {
    return fail(OCTET_ERROR_INVALID_MODEL, "quantized operator without integer parameters");
  }
  int64_t lo = 0, hi = 0;
  dtype_int_range(output(0).dtype, &lo, &hi);
  if (p->qmin() < lo || p->qmax() > hi) {
    return fail(OCTET_ERROR_INVALID_MODEL, "output clamp [%d, %d] exceeds the %s range", p->qmin(),
                p->qmax(), octet_dtype_name(output(0).dtype));
  }
  *qmin = p->qmin();
  *qmax = p->qmax();
  return OCTET_OK;
}

kernels::FloatClamp PrepareContext::float_clamp() const {
  kernels::FloatClamp c{-INFINITY, INFINITY};
  switch (op_->activation()) {
    case octet::schema::Activation::NONE:
      break;
    case octet::schema::Activation::RELU:
      c.min = 0.0f;
      break;
    case octet::schema::Activation::RELU6:
      c.min = 0.0f;
      c.max = 6.0f;
      break;
    case octet::schema::Activation::CLAMP:
      c.min = op_->act_min();
      c.max = op_->act_max();
      break;
  }
  return c;
}

octet_status prepare_graph(const octet_model& m, PersistentMemory& mem, ErrorSink& error,
                           GraphPlan* plan, kernels::Isa isa) {
  const int32_t nops = m.num_operators;
  const int32_t nt = m.num_tensors;
  plan->num_steps = nops;
  plan->steps = mem.allocate_array<Step>(static_cast<size_t>(nops > 0 ? nops : 1));
  plan->tensor_data = mem.allocate_array<void*>(static_cast<size_t>(nt));
  plan->tensor_offsets = mem.allocate_array<size_t>(static_cast<size_t>(nt));
  plan->scratch_offsets = mem.allocate_array<size_t>(static_cast<size_t>(nops > 0 ? nops : 1));
  if (plan->steps == nullptr || plan->tensor_data == nullptr || plan->tensor_offsets == nullptr ||
      plan->scratch_offsets == nullptr) {
    return error.fail(OCTET_ERROR_OUT_OF_MEMORY, "out of memory for the execution plan");
  }
  for (int32_t i = 0; i < nops; ++i) {
    const auto* op = m.fb->operators()->Get(i);
    Step& step = plan->steps[i];
    step.op_index = i;
    step.inputs = op->inputs()->data();
    step.num_inputs = static_cast<int32_t>(op->inputs()->size());
    step.outputs = op->outputs()->data();
    step.num_outputs = static_cast<int32_t>(op->outputs()->size());
    const OpInfo* info = op_info(m, op->opcode());
    PrepareContext ctx(m, i, mem, error, step, isa);
    if (info == nullptr || info->prepare == nullptr) {
      return ctx.fail(OCTET_ERROR_UNSUPPORTED, "operator not supported by this build");
    }
    if (!OCTET_WITH_FP32 && op->opcode() != octet::schema::OpCode::QUANTIZE &&
        op->opcode() != octet::schema::OpCode::DEQUANTIZE) {
      for (int32_t k = 0; k < step.num_inputs + step.num_outputs; ++k) {
        const int32_t t = k < step.num_inputs ? step.inputs[k] : step.outputs[k - step.num_inputs];
        if (t >= 0 && m.tensors[t].dtype == OCTET_FLOAT32) {
          return ctx.fail(OCTET_ERROR_UNSUPPORTED,
                          "tensor '%s' is float32, and this build is int8-only "
                          "(OCTET_WITH_FP32=OFF)",
                          m.tensors[t].name);
        }
      }
    }
    const octet_status s = info->prepare(ctx);
    if (s != OCTET_OK) return s;
    if (step.eval == nullptr) {
      return ctx.fail(OCTET_ERROR_UNSUPPORTED, "no kernel for this combination of types");
    }
  }

  // Lifetimes in step indices. Graph inputs and outputs live for the whole
  // invoke, so inputs survive repeated invokes and outputs stay readable.
  int32_t* first = mem.allocate_array<int32_t>(static_cast<size_t>(nt));
  int32_t* last = mem.allocate_array<int32_t>(static_cast<size_t>(nt));
  if (first == nullptr || last == nullptr) {
    return error.fail(OCTET_ERROR_OUT_OF_MEMORY, "out of memory for the execution plan");
  }
  for (int32_t t = 0; t < nt; ++t) {
    first[t] = INT32_MAX;
    last[t] = -1;
  }
  const int32_t end = nops > 0 ? nops - 1 : 0;
  for (int32_t k = 0; k < m.num_inputs; ++k) {
    first[m.inputs[k]] = 0;
    last[m.inputs[k]] = end;
  }
  for (int32_t i = 0; i < nops; ++i) {
    const Step& s = plan->steps[i];
    for (int32_t k = 0; k < s.num_outputs; ++k) {
      const int32_t t = s.outputs[k];
      if (i < first[t]) first[t] = i;
      if (i > last[t]) last[t] = i;
    }
    for (int32_t k = 0; k < s.num_inputs; ++k) {
      const int32_t t = s.inputs[k];
      if (t < 0 || m.tensors[t].is_constant()) continue;
      if (i > last[t]) last[t] = i;
    }
  }
  for (int32_t k = 0; k < m.num_outputs; ++k) last[m.outputs[k]] = end;

  int32_t nb = 0;
  for (int32_t t = 0; t < nt; ++t) {
    if (!m.tensors[t].is_constant() && last[t] >= 0) ++nb;
  }
  for (int32_t i = 0; i < nops; ++i) {
    if (plan->steps[i].scratch_bytes > 0) ++nb;
  }
  PlanBuffer* buffers = mem.allocate_array<PlanBuffer>(static_cast<size_t>(nb > 0 ? nb : 1));
  int32_t* order = mem.allocate_array<int32_t>(static_cast<size_t>(nb > 0 ? nb : 1));
  int32_t* owner = mem.allocate_array<int32_t>(static_cast<size_t>(nb > 0 ? nb : 1));
  if (buffers == nullptr || order == nullptr || owner == nullptr) {
    return error.fail(OCTET_ERROR_OUT_OF_MEMORY, "out of memory for the execution plan");
  }
  int32_t b = 0;
  for (int32_t t = 0; t < nt; ++t) {
    plan->tensor_offsets[t] = SIZE_MAX;
    if (m.tensors[t].is_constant() || last[t] < 0) continue;
    buffers[b] = PlanBuffer{align_up(m.tensors[t].bytes, kArenaAlignment), first[t], last[t], 0};
    owner[b++] = t;
  }
  for (int32_t i = 0; i < nops; ++i) {
    plan->scratch_offsets[i] = SIZE_MAX;
    const size_t bytes = plan->steps[i].scratch_bytes;
    if (bytes == 0) continue;
    if (bytes > SIZE_MAX / 2) {
      return error.fail(OCTET_ERROR_OUT_OF_MEMORY, "operator #%d asks for %zu bytes of scratch", i,
                        bytes);
    }
    buffers[b] = PlanBuffer{align_up(bytes, kArenaAlignment), i, i, 0};
    owner[b++] = -1 - i;
  }
  // The worst plan puts every buffer at its own offset: when that sum fits,
  // no offset the planner computes can overflow.
  size_t worst = OCTET_EXTRA_BYTES + kArenaAlignment;
  for (int32_t k = 0; k < nb; ++k) {
    if (add_overflow(worst, buffers[k].size, &worst)) {
      return error.fail(OCTET_ERROR_OUT_OF_MEMORY, "activation sizes overflow the address space");
    }
  }
  const size_t total = plan_greedy(buffers, nb, order, kArenaAlignment);
  for (int32_t k = 0; k < nb; ++k) {
    if (owner[k] >= 0) {
      plan->tensor_offsets[owner[k]] = buffers[k].offset;
    } else {
      plan->scratch_offsets[-1 - owner[k]] = buffers[k].offset;
    }
  }
  // Kernels may read OCTET_EXTRA_BYTES past an input (never write).
  plan->activation_bytes = align_up(total + OCTET_EXTRA_BYTES, kArenaAlignment);
  return OCTET_OK;
}

void bind_graph(const octet_model& m, GraphPlan* plan, uint8_t* arena) {
  for (int32_t t = 0; t < m.num_tensors; ++t) {
    const TensorDesc& d = m.tensors[t];
    if (d.is_constant()) {
      // Constants are read-only; kernels take them through const pointers.
      plan->tensor_data[t] = const_cast<uint8_t*>(d.data);
    } else if (plan->tensor_offsets[t] != SIZE_MAX) {
      plan->tensor_data[t] = arena + plan->tensor_offsets[t];
    } else {
      plan->tensor_data[t] = nullptr;
    }
  }
  for (int32_t i = 0; i < plan->num_steps; ++i) {
    plan->steps[i].scratch =
        plan->scratch_offsets[i] == SIZE_MAX ? nullptr : arena + plan->scratch_offsets[i];
  }
}

}  // namespace octet::rt
