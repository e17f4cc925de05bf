// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: .octet bytes -> load -> prepare -> invoke with zero inputs.
//
// The bytes are loaded twice. First with OCTET_MODEL_SKIP_CHECKSUM: a
// mutated file almost never carries a matching CRC-32C, so without the flag
// nearly every input would stop at the checksum and the verifier, the
// semantic checks, prepare and the kernels would go unexplored. Then with
// the checksum on, which must never accept what the first load rejected.
// A model that loads is prepared into a caller arena of exactly the size the
// model asks for (so AddressSanitizer sees any write past its end), then
// into one the runtime allocates, and invoked twice: outputs must repeat
// bit for bit.
//
// Harness limits: models load with max_arena_bytes = 64 MiB (the runtime's
// own limit on what one model may ask for; its default is 1 GiB). Models
// whose arena exceeds 16 MiB or whose estimated work exceeds kMaxWork are
// loaded and prepared but not invoked, so that one input cannot stall the
// fuzzer for minutes on a legitimately huge (but valid) convolution.
// docs/security.md explains.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "octet/octet.h"
#include "schema/octet_generated.h"

namespace {

namespace fb = octet::schema;

constexpr size_t kMaxLoadArena = size_t{64} << 20;
constexpr size_t kMaxArena = size_t{16} << 20;
constexpr double kMaxWork = 2e7;  // rough multiply-adds per invoke

#define FUZZ_CHECK(cond)  \
  do {                    \
    if (!(cond)) abort(); \
  } while (0)

double elements(const fb::Model* m, int32_t t) {
  if (t < 0) return 0;
  const auto* shape = m->tensors()->Get(static_cast<uint32_t>(t))->shape();
  double n = 1;
  if (shape != nullptr) {
    for (int32_t d : *shape) n *= d;
  }
  return n;
}

int32_t dim(const fb::Model* m, int32_t t, int32_t i) {
  const auto* shape = m->tensors()->Get(static_cast<uint32_t>(t))->shape();
  if (shape == nullptr || shape->size() == 0) return 1;
  if (i < 0) i += static_cast<int32_t>(shape->size());
  return (i < 0 || i >= static_cast<int32_t>(shape->size())) ? 1 : shape->Get(i);
}

// Upper estimate of the work of one invoke; only called on a model that
// loaded, so every index and shape is valid.
double estimate_work(const fb::Model* m) {
  double total = 0;
  if (m->operators() == nullptr) return 0;
  for (const auto* op : *m->operators()) {
    const int32_t x = op->inputs()->size() > 0 ? op->inputs()->Get(0) : -1;
    const int32_t w = op->inputs()->size() > 1 ? op->inputs()->Get(1) : -1;
    double in = 0, out = 0;
    for (int32_t t : *op->inputs()) in += elements(m, t);
    for (int32_t t : *op->outputs()) out += elements(m, t);
    const int32_t y = op->outputs()->Get(0);
    double work = in + out;
    switch (op->opcode()) {
      case fb::OpCode::CONV_2D:  // output pixels x weights
        work += out / dim(m, y, -1) * elements(m, w);
        break;
      case fb::OpCode::CONV_TRANSPOSE_2D:  // input pixels x weights
        work += elements(m, x) / dim(m, x, -1) * elements(m, w);
        break;
      case fb::OpCode::FULLY_CONNECTED:
      case fb::OpCode::MATMUL:
        work += out * dim(m, x, -1);
        break;
      case fb::OpCode::MAX_POOL_2D:
      case fb::OpCode::AVERAGE_POOL_2D: {
        const auto* o = op->options_as_Pool2DOptions();
        work += o == nullptr ? out : out * o->kernel_h() * static_cast<double>(o->kernel_w());
        break;
      }
      default:
        work += 4 * (in + out);
        break;
    }
    total += work;
  }
  return total;
}

using Outputs = std::vector<std::vector<uint8_t>>;

// Zero inputs, invoke twice, compare the outputs byte for byte.
Outputs run(octet_interpreter* it, const octet_model* model) {
  const int32_t ni = octet_model_num_inputs(model);
  for (int32_t i = 0; i < ni; ++i) {
    octet_tensor_info info;
    FUZZ_CHECK(octet_model_input_info(model, i, &info) == OCTET_OK);
    void* p = octet_interpreter_input_data(it, i);
    FUZZ_CHECK(p != nullptr);
    memset(p, 0, info.bytes);
  }
  FUZZ_CHECK(octet_interpreter_invoke(it) == OCTET_OK);
  const int32_t no = octet_model_num_outputs(model);
  Outputs first(static_cast<size_t>(no));
  for (int32_t i = 0; i < no; ++i) {
    octet_tensor_info info;
    FUZZ_CHECK(octet_model_output_info(model, i, &info) == OCTET_OK);
    first[i].resize(info.bytes);
    FUZZ_CHECK(octet_interpreter_get_output(it, i, first[i].data(), info.bytes) == OCTET_OK);
  }
  FUZZ_CHECK(octet_interpreter_invoke(it) == OCTET_OK);
  for (int32_t i = 0; i < no; ++i) {
    const void* p = octet_interpreter_output_data(it, i);
    FUZZ_CHECK(p != nullptr);
    FUZZ_CHECK(memcmp(p, first[i].data(), first[i].size()) == 0);
  }
  return first;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The loader requires 16-byte alignment (an mmap'd file is page aligned).
  void* copy = nullptr;
  if (posix_memalign(&copy, 64, size == 0 ? 1 : size) != 0) return 0;
  if (size != 0) memcpy(copy, data, size);

  octet_model_options mo;
  memset(&mo, 0, sizeof(mo));
  mo.struct_size = sizeof(mo);
  mo.flags = OCTET_MODEL_SKIP_CHECKSUM;
  // Like a small device: keeps every execution fast. The default limit
  // (1 GiB) has its own test (tests/runtime/hostile_test.cc).
  mo.max_arena_bytes = kMaxLoadArena;
  octet_model* model = nullptr;
  const octet_status s = octet_model_load_buffer(copy, size, &mo, &model);
  FUZZ_CHECK(model != nullptr);
  FUZZ_CHECK(octet_model_last_error(model) != nullptr);
  if (s != OCTET_OK) {
    FUZZ_CHECK(octet_model_last_error(model)[0] != '\0');  // every rejection says why
  }

  // With the checksum on: accepts only what the structural checks accept.
  mo.flags = 0;
  octet_model* sealed = nullptr;
  const octet_status s2 = octet_model_load_buffer(copy, size, &mo, &sealed);
  FUZZ_CHECK(sealed != nullptr);
  if (s2 == OCTET_OK) {
    FUZZ_CHECK(s == OCTET_OK);
    FUZZ_CHECK(octet_model_arena_size(sealed) == octet_model_arena_size(model));
  }
  octet_model_destroy(sealed);

  if (s == OCTET_OK) {
    const size_t arena_size = octet_model_arena_size(model);
    FUZZ_CHECK(arena_size > 0);
    if (arena_size <= kMaxArena && estimate_work(fb::GetModel(copy)) <= kMaxWork) {
      Outputs in_caller_arena;
      // A caller arena of exactly the requested size: heap-allocated so
      // AddressSanitizer catches the first byte written past it.
      void* arena = nullptr;
      if (posix_memalign(&arena, 64, arena_size) == 0) {
        octet_interpreter_options io;
        memset(&io, 0, sizeof(io));
        io.struct_size = sizeof(io);
        io.arena = arena;
        io.arena_size = arena_size;
        octet_interpreter* it = nullptr;
        // A model that loads is a model that prepares (docs/model-format.md).
        FUZZ_CHECK(octet_interpreter_create(model, &io, &it) == OCTET_OK);
        in_caller_arena = run(it, model);
        octet_interpreter_destroy(it);
        // One byte short must be refused, not overrun.
        io.arena_size = arena_size - 1;
        FUZZ_CHECK(octet_interpreter_create(model, &io, &it) == OCTET_ERROR_OUT_OF_MEMORY);
        octet_interpreter_destroy(it);
        free(arena);
      }
      // The runtime's own allocation.
      octet_interpreter* it = nullptr;
      FUZZ_CHECK(octet_interpreter_create(model, nullptr, &it) == OCTET_OK);
      const Outputs own = run(it, model);
      // Same model, same inputs: same bits wherever the arena lives.
      FUZZ_CHECK(in_caller_arena.empty() || own == in_caller_arena);
      octet_interpreter_destroy(it);
    }
  }
  octet_model_destroy(model);
  free(copy);
  return 0;
}
