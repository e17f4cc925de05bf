// SPDX-License-Identifier: Apache-2.0
//
// Load-time verification: the FlatBuffers verifier makes every offset safe
// to follow; the semantic checks below make every index, size and
// quantization parameter safe to use. Operator-specific shape checks run in
// the operators' prepare functions, which load also runs once (dry run).
#include <cmath>
#include <cstring>

#include "runtime/crc32c.h"
#include "runtime/model.h"
#include "runtime/ops/registry.h"

namespace octet::rt {

bool dtype_int_range(octet_dtype dtype, int64_t* lo, int64_t* hi) {
  switch (dtype) {
    case OCTET_INT8: *lo = -128; *hi = 127; return true;
    case OCTET_UINT8: *lo = 0; *hi = 255; return true;
    case OCTET_INT16: *lo = -32768; *hi = 32767; return true;
    case OCTET_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case OCTET_INT64: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    default: return false;
  }
}

namespace {

constexpr uint32_t kFormatVersion = 1;
// Limits that keep every size computation far from overflow and reject
// absurd files early: 2^24 tensors/operators, 2^40 bytes per tensor.
constexpr size_t kMaxTensors = size_t{1} << 24;
// (2^31 on 32-bit targets such as ARMv7, whose size_t cannot hold 2^40.)
constexpr size_t kMaxTensorBytes =
    sizeof(size_t) < 8 ? size_t{1} << 31 : static_cast<size_t>(uint64_t{1} << 40);

const char* tensor_name(const octet::schema::Tensor* t) {
  return (t != nullptr && t->name() != nullptr) ? t->name()->c_str() : "";
}

octet_status decode_quantization(octet_model* m, int32_t index, const octet::schema::Tensor* t,
                                  TensorDesc* d) {
  ErrorSink& e = m->error;
  d->quant_count = 0;
  d->quant_axis = -1;
  const auto* q = t->quantization();
  if (q == nullptr || q->scale() == nullptr || q->scale()->size() == 0) {
    if (q != nullptr && q->zero_point() != nullptr && q->zero_point()->size() != 0) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': quantization has zero points but no scales", index, d->name);
    }
    return OCTET_OK;
  }
  const uint32_t count = q->scale()->size();
  const int32_t axis = q->axis();
  if (axis == -1) {
    if (count != 1) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': per-tensor quantization with %u scales (expected 1)", index,
                    d->name, count);
    }
  } else {
    if (axis < 0 || axis >= d->rank) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': quantization axis %d out of range for rank %d", index,
                    d->name, axis, d->rank);
    }
    if (count != static_cast<uint32_t>(d->dims[axis])) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': %u scales for axis %d of size %d", index, d->name, count,
                    axis, d->dims[axis]);
    }
  }
  if (q->zero_point() != nullptr && q->zero_point()->size() != 0 &&
      q->zero_point()->size() != count) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "tensor #%d '%s': %u zero points for %u scales",
                  index, d->name, q->zero_point()->size(), count);
  }
  d->scales = q->scale()->data();
  d->zero_points = (q->zero_point() != nullptr && q->zero_point()->size() != 0)
                       ? q->zero_point()->data()
                       : nullptr;
  // The FlatBuffers verifier only guarantees 4-byte alignment of a vector;
  // writers align [long] to 8, and the runtime reads zero points in place
  // (a misaligned int64 load is undefined, and faults on some cores).
  if (d->zero_points != nullptr && reinterpret_cast<uintptr_t>(d->zero_points) % 8 != 0) {
    return e.fail(OCTET_ERROR_INVALID_MODEL,
                  "tensor #%d '%s': zero points are not 8-byte aligned in the file", index,
                  d->name);
  }
  for (uint32_t i = 0; i < count; ++i) {
    const float s = d->scales[i];
    if (!std::isfinite(s) || !(s > 0.0f)) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': scale[%u] = %g (must be finite and > 0)", index, d->name, i,
                    static_cast<double>(s));
    }
  }
  if (d->zero_points != nullptr) {
    int64_t lo = 0, hi = 0;
    if (!dtype_int_range(d->dtype, &lo, &hi)) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': a %s tensor cannot have zero points", index, d->name,
                    octet_dtype_name(d->dtype));
    }
    for (uint32_t i = 0; i < count; ++i) {
      const int64_t z = d->zero_points[i];
      if (z < lo || z > hi) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "tensor #%d '%s': zero_point[%u] = %lld outside the %s range", index,
                      d->name, i, static_cast<long long>(z), octet_dtype_name(d->dtype));
      }
      if ((d->dtype == OCTET_INT16 || d->dtype == OCTET_INT32) && z != 0) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "tensor #%d '%s': %s quantization must be symmetric (zero_point %lld)",
                      index, d->name, octet_dtype_name(d->dtype), static_cast<long long>(z));
      }
    }
  }
  d->quant_count = static_cast<int32_t>(count);
  d->quant_axis = axis;
  return OCTET_OK;
}

octet_status decode_tensor(octet_model* m, int32_t index) {
  ErrorSink& e = m->error;
  const auto* t = m->fb->tensors()->Get(index);
  TensorDesc* d = &m->tensors[index];
  d->name = tensor_name(t);
  d->producer = -1;
  const int8_t raw_dtype = static_cast<int8_t>(t->dtype());
  if (raw_dtype < 0 || raw_dtype > static_cast<int8_t>(octet::schema::DType::MAX)) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "tensor #%d '%s': unknown dtype %d", index, d->name,
                  raw_dtype);
  }
  d->dtype = static_cast<octet_dtype>(raw_dtype);
  const auto* shape = t->shape();
  d->rank = shape == nullptr ? 0 : static_cast<int32_t>(shape->size());
  if (d->rank > kMaxRank) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "tensor #%d '%s': rank %d exceeds the maximum %d",
                  index, d->name, d->rank, kMaxRank);
  }
  size_t elements = 1;
  for (int32_t i = 0; i < d->rank; ++i) {
    const int32_t dim = shape->Get(i);
    if (dim <= 0) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': dimension %d is %d (must be positive)", index, d->name, i,
                    dim);
    }
    d->dims[i] = dim;
    if (mul_overflow(elements, static_cast<size_t>(dim), &elements) ||
        elements > kMaxTensorBytes) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "tensor #%d '%s': element count overflows", index,
                    d->name);
    }
  }
  d->elements = elements;
  const size_t elem = octet_dtype_size(d->dtype);
  if (mul_overflow(elements, elem, &d->bytes) || d->bytes > kMaxTensorBytes) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "tensor #%d '%s': byte size overflows", index,
                  d->name);
  }
  const uint32_t buffer = t->buffer();
  if (buffer != 0) {
    const auto* buffers = m->fb->buffers();
    if (buffers == nullptr || buffer >= buffers->size()) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': buffer index %u out of range (%u buffers)", index, d->name,
                    buffer, buffers == nullptr ? 0u : buffers->size());
    }
    const auto* data = buffers->Get(buffer)->data();
    const size_t have = data == nullptr ? 0 : data->size();
    if (have != d->bytes) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': constant data is %zu bytes, shape and dtype need %zu",
                    index, d->name, have, d->bytes);
    }
    d->data = data->data();
    if (reinterpret_cast<uintptr_t>(d->data) % 16 != 0) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "tensor #%d '%s': constant data is not 16-byte aligned (file written without "
                    "aligned buffers, or loaded from a misaligned address)",
                    index, d->name);
    }
  }
  return decode_quantization(m, index, t, d);
}

octet_status check_int_params(octet_model* m, int32_t i, const octet::schema::Operator* op,
                              const char* opname) {
  const auto* p = op->int_params();
  if (p == nullptr) return OCTET_OK;
  ErrorSink& e = m->error;
  const uint32_t nm = p->multiplier() == nullptr ? 0 : p->multiplier()->size();
  const uint32_t ns = p->rshift() == nullptr ? 0 : p->rshift()->size();
  if (nm != ns) {
    return e.fail(OCTET_ERROR_INVALID_MODEL,
                  "operator #%d '%s' (%s): %u multipliers but %u shifts", i,
                  op->name() ? op->name()->c_str() : "", opname, nm, ns);
  }
  for (uint32_t k = 0; k < nm; ++k) {
    const int32_t mult = p->multiplier()->Get(k);
    const int32_t shift = p->rshift()->Get(k);
    if (!(mult == 0 || mult >= (1 << 30)) || shift < 1 || shift > 62) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "operator #%d '%s' (%s): multiplier[%u] = (%d, %d) is not a normalized "
                    "fixed-point multiplier (M in [2^30, 2^31) or 0, shift in [1, 62])",
                    i, op->name() ? op->name()->c_str() : "", opname, k, mult, shift);
    }
  }
  if (p->qmin() > p->qmax()) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "operator #%d '%s' (%s): qmin %d > qmax %d", i,
                  op->name() ? op->name()->c_str() : "", opname, p->qmin(), p->qmax());
  }
  return OCTET_OK;
}

}  // namespace

octet_status verify_and_decode(octet_model* m) {
  ErrorSink& e = m->error;
  if (m->size < 8 || m->size > (size_t{1} << 31) - 1) {
    return e.fail(OCTET_ERROR_INVALID_MODEL,
                  "not an .octet model: %zu bytes (FlatBuffers files are 8 bytes to 2 GiB)",
                  m->size);
  }
  if (reinterpret_cast<uintptr_t>(m->data) % 16 != 0) {
    return e.fail(OCTET_ERROR_INVALID_ARGUMENT, "model buffer is not 16-byte aligned");
  }
  if (!octet::schema::ModelBufferHasIdentifier(m->data)) {
    char id[5] = {0};
    for (int k = 0; k < 4; ++k) {
      const char c = static_cast<char>(m->data[4 + k]);
      id[k] = (c >= 32 && c < 127) ? c : '?';
    }
    return e.fail(OCTET_ERROR_INVALID_MODEL,
                  "not an .octet model: file identifier is '%s', expected '%s'", id,
                  octet::schema::ModelIdentifier());
  }
  flatbuffers::Verifier::Options vopts;
  vopts.max_depth = 64;
  vopts.max_tables = 1u << 24;
  vopts.check_alignment = true;
  flatbuffers::Verifier verifier(m->data, m->size, vopts);
  if (!octet::schema::VerifyModelBuffer(verifier)) {
    return e.fail(OCTET_ERROR_INVALID_MODEL,
                  "corrupt model: the FlatBuffers structure does not verify (truncated or "
                  "damaged file)");
  }
  m->fb = octet::schema::GetModel(m->data);
  const auto* fb = m->fb;
  if (fb->checksum() != 0 && (m->flags & OCTET_MODEL_SKIP_CHECKSUM) == 0) {
    const uint32_t computed =
        model_checksum(m->data, m->size, checksum_field_offset(fb, m->data));
    if (computed != fb->checksum()) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "checksum mismatch: the file is damaged (stored CRC-32C %08x, computed "
                    "%08x)",
                    fb->checksum(), computed);
    }
  }
  if (fb->version() != kFormatVersion) {
    return e.fail(OCTET_ERROR_UNSUPPORTED, "model format version %u; this runtime reads version %u",
                  fb->version(), kFormatVersion);
  }
  if (fb->tensors() == nullptr || fb->tensors()->size() == 0) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "model has no tensors");
  }
  if (fb->tensors()->size() > kMaxTensors ||
      (fb->operators() != nullptr && fb->operators()->size() > kMaxTensors)) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "model has too many tensors or operators");
  }
  if (fb->buffers() != nullptr && fb->buffers()->size() > 0 &&
      fb->buffers()->Get(0)->data() != nullptr && fb->buffers()->Get(0)->data()->size() != 0) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "buffer 0 must be the empty sentinel");
  }
  m->num_tensors = static_cast<int32_t>(fb->tensors()->size());
  m->tensors = static_cast<TensorDesc*>(
      m->allocator.allocate(sizeof(TensorDesc) * static_cast<size_t>(m->num_tensors), 64));
  if (m->tensors == nullptr) return e.fail(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  memset(static_cast<void*>(m->tensors), 0, sizeof(TensorDesc) * m->num_tensors);
  for (int32_t i = 0; i < m->num_tensors; ++i) {
    const octet_status s = decode_tensor(m, i);
    if (s != OCTET_OK) return s;
  }
  // An activation larger than the arena limit can never be planned; reject
  // it before prepare allocates anything sized from it (lookup tables,
  // packed weights).
  for (int32_t i = 0; i < m->num_tensors; ++i) {
    const TensorDesc& d = m->tensors[i];
    if (!d.is_constant() && d.bytes > m->max_arena_bytes) {
      return e.fail(OCTET_ERROR_OUT_OF_MEMORY,
                    "tensor #%d '%s': %zu bytes, above the arena limit of %zu bytes "
                    "(octet_model_options.max_arena_bytes)",
                    i, m->tensors[i].name, d.bytes, m->max_arena_bytes);
    }
  }

  // Graph inputs and outputs.
  if (fb->inputs() == nullptr || fb->outputs() == nullptr || fb->outputs()->size() == 0) {
    return e.fail(OCTET_ERROR_INVALID_MODEL, "model declares no graph inputs or outputs");
  }
  m->inputs = fb->inputs()->data();
  m->num_inputs = static_cast<int32_t>(fb->inputs()->size());
  m->outputs = fb->outputs()->data();
  m->num_outputs = static_cast<int32_t>(fb->outputs()->size());

  // "defined" marks tensors available so far in execution order; it makes
  // use-before-definition (including cycles) and double definition errors.
  uint8_t* defined = static_cast<uint8_t*>(m->allocator.allocate(m->num_tensors, 16));
  if (defined == nullptr) return e.fail(OCTET_ERROR_OUT_OF_MEMORY, "out of memory");
  struct Free {
    const Allocator& a;
    void* p;
    ~Free() { a.deallocate(p); }
  } free_defined{m->allocator, defined};
  for (int32_t i = 0; i < m->num_tensors; ++i) defined[i] = m->tensors[i].is_constant() ? 1 : 0;
  for (int32_t k = 0; k < m->num_inputs; ++k) {
    const int32_t t = m->inputs[k];
    if (t < 0 || t >= m->num_tensors) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "graph input #%d: tensor index %d out of range", k,
                    t);
    }
    if (m->tensors[t].is_constant()) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "graph input #%d: tensor '%s' is a constant", k,
                    m->tensors[t].name);
    }
    if (defined[t]) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "graph input #%d: tensor '%s' listed twice", k,
                    m->tensors[t].name);
    }
    defined[t] = 1;
  }

  const auto* ops = fb->operators();
  m->num_operators = ops == nullptr ? 0 : static_cast<int32_t>(ops->size());
  for (int32_t i = 0; i < m->num_operators; ++i) {
    const auto* op = ops->Get(i);
    const char* name = op->name() ? op->name()->c_str() : "";
    if (static_cast<size_t>(op->opcode()) >= kNumOpCodes) {
      return e.fail(OCTET_ERROR_UNSUPPORTED, "operator #%d '%s': unknown opcode %u", i, name,
                    static_cast<unsigned>(op->opcode()));
    }
    const OpInfo* info = op_info(*m, op->opcode());
    if (info == nullptr) {
      char why[256];
      describe_missing_op(*m, op->opcode(), why, sizeof(why));
      return e.fail(OCTET_ERROR_UNSUPPORTED, "operator #%d '%s' (%s): %s", i, name,
                    octet::schema::EnumNameOpCode(op->opcode()), why);
    }
    if (op->inputs() == nullptr || op->outputs() == nullptr) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "operator #%d '%s' (%s): missing input/output list",
                    i, name, info->name);
    }
    const int32_t ni = static_cast<int32_t>(op->inputs()->size());
    const int32_t no = static_cast<int32_t>(op->outputs()->size());
    if (ni < info->min_inputs || (info->max_inputs >= 0 && ni > info->max_inputs)) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "operator #%d '%s' (%s): %d inputs, expected %d..%d", i, name, info->name, ni,
                    info->min_inputs, info->max_inputs);
    }
    if (no < info->min_outputs || (info->max_outputs >= 0 && no > info->max_outputs)) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "operator #%d '%s' (%s): %d outputs, expected %d..%d", i, name, info->name,
                    no, info->min_outputs, info->max_outputs);
    }
    if (info->options != octet::schema::OpOptions::NONE &&
        (op->options_type() != info->options || op->options() == nullptr)) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "operator #%d '%s' (%s): missing or mismatched options (got %s, expected %s)",
                    i, name, info->name, octet::schema::EnumNameOpOptions(op->options_type()),
                    octet::schema::EnumNameOpOptions(info->options));
    }
    for (int32_t k = 0; k < ni; ++k) {
      const int32_t t = op->inputs()->Get(k);
      if (t == -1 && k >= info->min_inputs) continue;  // absent optional input
      if (t < 0 || t >= m->num_tensors) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "operator #%d '%s' (%s): input #%d has tensor index %d out of range", i,
                      name, info->name, k, t);
      }
      if (!defined[t]) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "operator #%d '%s' (%s): input #%d (tensor '%s') is used before it is "
                      "produced (operators out of order, a cycle, or a dangling tensor)",
                      i, name, info->name, k, m->tensors[t].name);
      }
    }
    for (int32_t k = 0; k < no; ++k) {
      const int32_t t = op->outputs()->Get(k);
      if (t < 0 || t >= m->num_tensors) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "operator #%d '%s' (%s): output #%d has tensor index %d out of range", i,
                      name, info->name, k, t);
      }
      if (defined[t]) {
        return e.fail(OCTET_ERROR_INVALID_MODEL,
                      "operator #%d '%s' (%s): output #%d (tensor '%s') is a constant, a graph "
                      "input, or already produced",
                      i, name, info->name, k, m->tensors[t].name);
      }
      defined[t] = 1;
      m->tensors[t].producer = i;
    }
    const octet_status s = check_int_params(m, i, op, info->name);
    if (s != OCTET_OK) return s;
  }
  for (int32_t k = 0; k < m->num_outputs; ++k) {
    const int32_t t = m->outputs[k];
    if (t < 0 || t >= m->num_tensors) {
      return e.fail(OCTET_ERROR_INVALID_MODEL, "graph output #%d: tensor index %d out of range",
                    k, t);
    }
    if (!defined[t] || m->tensors[t].is_constant()) {
      return e.fail(OCTET_ERROR_INVALID_MODEL,
                    "graph output #%d: tensor '%s' is never produced", k, m->tensors[t].name);
    }
  }
  return OCTET_OK;
}

}  // namespace octet::rt
