// SPDX-License-Identifier: Apache-2.0
//
// A loaded, verified model: the file bytes (mapped or the caller's), the
// FlatBuffer root, and a decoded table of tensors. Read-only after load, so
// any number of interpreters may share it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/common.h"
#include "schema/octet_generated.h"

namespace octet::rt {

struct OpInfo;  // runtime/ops/registry.h

/// One tensor as the runtime sees it. Pointers refer into the model bytes.
struct TensorDesc {
  const char* name;
  octet_dtype dtype;
  int32_t rank;
  int32_t dims[kMaxRank];
  size_t elements;
  size_t bytes;
  /// Constant data in the model file (weights), or nullptr for activations.
  const uint8_t* data;
  /// Quantization: count 0 = none, 1 = per tensor, else per `quant_axis`.
  int32_t quant_count;
  int32_t quant_axis;
  const float* scales;
  /// int64 in the file; nullptr means all zero.
  const int64_t* zero_points;
  /// Index of the operator producing this tensor, or -1.
  int32_t producer;

  bool is_constant() const { return data != nullptr; }
  bool quantized() const { return quant_count > 0; }
  float scale(int32_t i = 0) const { return scales[quant_count == 1 ? 0 : i]; }
  int32_t zero_point(int32_t i = 0) const {
    return zero_points == nullptr ? 0 : static_cast<int32_t>(zero_points[quant_count == 1 ? 0 : i]);
  }
  int32_t dim(int32_t i) const { return dims[i < 0 ? rank + i : i]; }
};

/// Byte offset of Model.checksum within the file starting at `base`, or
/// SIZE_MAX when the field is absent (an unsealed file).
inline size_t checksum_field_offset(const octet::schema::Model* model, const uint8_t* base) {
  // Generated tables derive privately from flatbuffers::Table; the cast is
  // the documented way to reach the field's address.
  const uint8_t* field = reinterpret_cast<const flatbuffers::Table*>(model)->GetAddressOf(
      octet::schema::Model::VT_CHECKSUM);
  return field == nullptr ? SIZE_MAX : static_cast<size_t>(field - base);
}

/// Integer range of a dtype (int types), used for zero points and clamps.
bool dtype_int_range(octet_dtype dtype, int64_t* lo, int64_t* hi);

}  // namespace octet::rt

/// The object behind octet_model*.
struct octet_model {
  octet::rt::Allocator allocator;
  octet::rt::ErrorSink error;

  // Where the bytes live: a private mapping (owned) or the caller's buffer.
  void* mapping = nullptr;
  size_t mapping_size = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;

  const octet::schema::Model* fb = nullptr;
  octet::rt::TensorDesc* tensors = nullptr;
  int32_t num_tensors = 0;
  int32_t num_operators = 0;
  const int32_t* inputs = nullptr;
  int32_t num_inputs = 0;
  const int32_t* outputs = nullptr;
  int32_t num_outputs = 0;
  bool valid = false;
  uint32_t flags = 0;
  /// octet_model_options.max_arena_bytes (resolved: never 0).
  size_t max_arena_bytes = OCTET_DEFAULT_MAX_ARENA_BYTES;

  /// The operators this model may use, by opcode (runtime/ops/registry.h):
  /// the load's op resolver or the built-in set; nullptr = not registered.
  const octet::rt::OpInfo* ops[static_cast<size_t>(octet::schema::OpCode::MAX) + 1] = {};
  /// Whether `ops` came from the caller's resolver (for error messages).
  bool custom_ops = false;

  /// Filled by the validation prepare at load.
  size_t persistent_bytes = 0;
  size_t activation_bytes = 0;

  explicit octet_model(const octet_allocator* a) : allocator(a) {}
  ~octet_model();
};

namespace octet::rt {

/// Verifies `model->data/size` (FlatBuffers verifier + semantic checks) and
/// decodes the tensor table. On failure the model's error names the culprit.
octet_status verify_and_decode(octet_model* model);

}  // namespace octet::rt
