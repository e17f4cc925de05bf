// SPDX-License-Identifier: Apache-2.0
//
// The C API (include/octet/octet.h) over the runtime internals.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include <pthreadpool.h>

#include "octet/octet.h"
#include "runtime/graph.h"
#include "runtime/model.h"
#include "runtime/ops/registry.h"

using octet::rt::Allocator;
using octet::rt::ErrorSink;
using octet::rt::GraphPlan;
using octet::rt::PersistentMemory;
using octet::rt::align_up;
using octet::rt::kArenaAlignment;

octet_model::~octet_model() {
  allocator.deallocate(tensors);
  if (mapping != nullptr) munmap(mapping, mapping_size);
}

struct octet_interpreter {
  const octet_model* model = nullptr;
  Allocator allocator;
  ErrorSink error;
  void* owned_block = nullptr;
  PersistentMemory* memory = nullptr;
  alignas(PersistentMemory) unsigned char memory_storage[sizeof(PersistentMemory)];
  GraphPlan plan;
  uint8_t* arena = nullptr;
  pthreadpool_t threadpool = nullptr;
  octet_observer observer = nullptr;
  void* observer_user = nullptr;
  bool ready = false;

  explicit octet_interpreter(const octet_allocator* a) : allocator(a) {}
  ~octet_interpreter() {
    if (threadpool != nullptr) pthreadpool_destroy(threadpool);
    if (memory != nullptr) memory->~PersistentMemory();
    allocator.deallocate(owned_block);
  }
};

namespace {

template <typename T, typename... Args>
T* create_with(const Allocator& a, Args&&... args) {
  void* p = a.allocate(sizeof(T), alignof(T) < 16 ? 16 : alignof(T));
  return p == nullptr ? nullptr : new (p) T(static_cast<Args&&>(args)...);
}

template <typename T>
void destroy_with(T* p) {
  if (p == nullptr) return;
  const Allocator a = p->allocator;
  p->~T();
  a.deallocate(p);
}

const octet_allocator* model_allocator(const octet_model_options* o) {
  return (o != nullptr && o->struct_size >= offsetof(octet_model_options, allocator) +
                                                  sizeof(o->allocator))
             ? o->allocator
             : nullptr;
}

size_t model_max_arena(const octet_model_options* o) {
  const bool has = o != nullptr && o->struct_size >= offsetof(octet_model_options, max_arena_bytes) +
                                                         sizeof(o->max_arena_bytes);
  return (has && o->max_arena_bytes != 0) ? o->max_arena_bytes : OCTET_DEFAULT_MAX_ARENA_BYTES;
}

uint32_t model_flags(const octet_model_options* o) {
  return (o != nullptr &&
          o->struct_size >= offsetof(octet_model_options, flags) + sizeof(o->flags))
             ? o->flags
             : 0u;
}

const octet_op_resolver* model_resolver(const octet_model_options* o) {
  return (o != nullptr &&
          o->struct_size >= offsetof(octet_model_options, resolver) + sizeof(o->resolver))
             ? o->resolver
             : nullptr;
}

// After the structural verification, prepare once in measuring mode: every
// operator's checks run at load, and the arena size becomes known.
octet_status finish_load(octet_model* m, const octet_model_options* options) {
  octet_status s = octet::rt::resolve_ops(m, model_resolver(options));
  if (s != OCTET_OK) return s;
  s = octet::rt::verify_and_decode(m);
  if (s != OCTET_OK) return s;
  // The limit bounds what the dry run itself may allocate.
  PersistentMemory measure(&m->allocator, m->max_arena_bytes);
  GraphPlan plan;
  s = octet::rt::prepare_graph(*m, measure, m->error, &plan);
  if (s != OCTET_OK) return s;
  m->persistent_bytes = align_up(measure.used(), kArenaAlignment);
  m->activation_bytes = plan.activation_bytes;
  size_t total = 0;
  if (octet::rt::add_overflow(m->persistent_bytes, m->activation_bytes, &total) ||
      total > m->max_arena_bytes) {
    return m->error.fail(OCTET_ERROR_OUT_OF_MEMORY,
                         "the model needs an arena of %zu + %zu bytes (prepared state + "
                         "activations), above the limit of %zu bytes "
                         "(octet_model_options.max_arena_bytes)",
                         m->persistent_bytes, m->activation_bytes, m->max_arena_bytes);
  }
  m->valid = true;
  return OCTET_OK;
}

octet_status tensor_info(const octet_model* m, int32_t tensor, octet_tensor_info* info) {
  const octet::rt::TensorDesc& d = m->tensors[tensor];
  memset(info, 0, sizeof(*info));
  info->name = d.name;
  info->dtype = d.dtype;
  info->rank = d.rank;
  for (int32_t i = 0; i < d.rank; ++i) info->dims[i] = d.dims[i];
  info->bytes = d.bytes;
  if (d.quant_count == 1) {
    info->scale = d.scale();
    info->zero_point = d.zero_point();
  }
  return OCTET_OK;
}

}  // namespace

extern "C" {

const char* octet_status_string(octet_status status) {
  switch (status) {
    case OCTET_OK: return "ok";
    case OCTET_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case OCTET_ERROR_INVALID_MODEL: return "invalid model";
    case OCTET_ERROR_UNSUPPORTED: return "unsupported";
    case OCTET_ERROR_OUT_OF_MEMORY: return "out of memory";
    case OCTET_ERROR_IO: return "i/o error";
    case OCTET_ERROR_SHAPE_MISMATCH: return "shape mismatch";
  }
  return "unknown status";
}

const char* octet_version(void) { return "0.1.0"; }

size_t octet_dtype_size(octet_dtype dtype) {
  switch (dtype) {
    case OCTET_FLOAT32: return 4;
    case OCTET_INT8: return 1;
    case OCTET_UINT8: return 1;
    case OCTET_INT16: return 2;
    case OCTET_INT32: return 4;
    case OCTET_INT64: return 8;
  }
  return 0;
}

const char* octet_dtype_name(octet_dtype dtype) {
  switch (dtype) {
    case OCTET_FLOAT32: return "float32";
    case OCTET_INT8: return "int8";
    case OCTET_UINT8: return "uint8";
    case OCTET_INT16: return "int16";
    case OCTET_INT32: return "int32";
    case OCTET_INT64: return "int64";
  }
  return "unknown";
}

octet_status octet_model_load_file(const char* path, const octet_model_options* options,
                                   octet_model** out) {
  if (out == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  Allocator a(model_allocator(options));
  octet_model* m = create_with<octet_model>(a, model_allocator(options));
  if (m == nullptr) return OCTET_ERROR_OUT_OF_MEMORY;
  *out = m;
  m->flags = model_flags(options);
  m->max_arena_bytes = model_max_arena(options);
  if (path == nullptr) return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "model path is null");
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return m->error.fail(OCTET_ERROR_IO, "cannot open model '%s': %s", path, strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return m->error.fail(OCTET_ERROR_IO, "model '%s' is not a regular file", path);
  }
  if (st.st_size < 8) {
    close(fd);
    return m->error.fail(OCTET_ERROR_INVALID_MODEL,
                         "model '%s' is %lld bytes: too small to be an .octet model", path,
                         static_cast<long long>(st.st_size));
  }
  void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    return m->error.fail(OCTET_ERROR_IO, "cannot map model '%s': %s", path, strerror(errno));
  }
  m->mapping = p;
  m->mapping_size = static_cast<size_t>(st.st_size);
  m->data = static_cast<const uint8_t*>(p);
  m->size = m->mapping_size;
  const octet_status s = finish_load(m, options);
  if (s != OCTET_OK) m->error.prefix("model '%s': ", path);
  return s;
}

octet_status octet_model_load_buffer(const void* data, size_t size,
                                     const octet_model_options* options, octet_model** out) {
  if (out == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  Allocator a(model_allocator(options));
  octet_model* m = create_with<octet_model>(a, model_allocator(options));
  if (m == nullptr) return OCTET_ERROR_OUT_OF_MEMORY;
  *out = m;
  m->flags = model_flags(options);
  m->max_arena_bytes = model_max_arena(options);
  if (data == nullptr) return m->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "model data is null");
  m->data = static_cast<const uint8_t*>(data);
  m->size = size;
  return finish_load(m, options);
}

void octet_model_destroy(octet_model* model) { destroy_with(model); }

const char* octet_model_last_error(const octet_model* model) {
  return model == nullptr ? "model handle is null" : model->error.message();
}

int32_t octet_model_num_inputs(const octet_model* m) {
  return (m != nullptr && m->valid) ? m->num_inputs : 0;
}

int32_t octet_model_num_outputs(const octet_model* m) {
  return (m != nullptr && m->valid) ? m->num_outputs : 0;
}

octet_status octet_model_input_info(const octet_model* m, int32_t index, octet_tensor_info* info) {
  if (m == nullptr || !m->valid || info == nullptr || index < 0 || index >= m->num_inputs) {
    return OCTET_ERROR_INVALID_ARGUMENT;
  }
  return tensor_info(m, m->inputs[index], info);
}

octet_status octet_model_output_info(const octet_model* m, int32_t index,
                                     octet_tensor_info* info) {
  if (m == nullptr || !m->valid || info == nullptr || index < 0 || index >= m->num_outputs) {
    return OCTET_ERROR_INVALID_ARGUMENT;
  }
  return tensor_info(m, m->outputs[index], info);
}

const char* octet_model_metadata(const octet_model* m, const char* key) {
  if (m == nullptr || !m->valid || key == nullptr || m->fb->metadata() == nullptr) return nullptr;
  for (const auto* kv : *m->fb->metadata()) {
    if (kv->key() != nullptr && kv->value() != nullptr && strcmp(kv->key()->c_str(), key) == 0) {
      return kv->value()->c_str();
    }
  }
  return nullptr;
}

namespace {
// Layouts are recorded by the converter as metadata "io.layout.NAME".
octet_layout io_layout(const octet_model* m, int32_t tensor) {
  const octet::rt::TensorDesc& d = m->tensors[tensor];
  if (d.rank != 4 || d.name == nullptr) return OCTET_LAYOUT_UNKNOWN;
  char key[256];
  if (snprintf(key, sizeof(key), "io.layout.%s", d.name) >= static_cast<int>(sizeof(key))) {
    return OCTET_LAYOUT_UNKNOWN;
  }
  const char* v = octet_model_metadata(m, key);
  if (v == nullptr) return OCTET_LAYOUT_UNKNOWN;
  if (strcmp(v, "NHWC") == 0) return OCTET_LAYOUT_NHWC;
  if (strcmp(v, "NCHW") == 0) return OCTET_LAYOUT_NCHW;
  return OCTET_LAYOUT_UNKNOWN;
}
}  // namespace

octet_layout octet_model_input_layout(const octet_model* m, int32_t index) {
  if (m == nullptr || !m->valid || index < 0 || index >= m->num_inputs) return OCTET_LAYOUT_UNKNOWN;
  return io_layout(m, m->inputs[index]);
}

octet_layout octet_model_output_layout(const octet_model* m, int32_t index) {
  if (m == nullptr || !m->valid || index < 0 || index >= m->num_outputs) return OCTET_LAYOUT_UNKNOWN;
  return io_layout(m, m->outputs[index]);
}

const char* octet_layout_name(octet_layout layout) {
  switch (layout) {
    case OCTET_LAYOUT_NHWC: return "NHWC";
    case OCTET_LAYOUT_NCHW: return "NCHW";
    default: return "unknown";
  }
}

size_t octet_model_arena_size(const octet_model* m) {
  return (m != nullptr && m->valid) ? m->persistent_bytes + m->activation_bytes : 0;
}

octet_status octet_interpreter_create(const octet_model* model,
                                      const octet_interpreter_options* options,
                                      octet_interpreter** out) {
  if (out == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  *out = nullptr;
  octet_interpreter_options o;
  memset(&o, 0, sizeof(o));
  if (options != nullptr) {
    if (options->struct_size == 0 || options->struct_size > sizeof(o)) {
      return OCTET_ERROR_INVALID_ARGUMENT;
    }
    memcpy(&o, options, options->struct_size);
  }
  Allocator a(o.allocator);
  octet_interpreter* it = create_with<octet_interpreter>(a, o.allocator);
  if (it == nullptr) return OCTET_ERROR_OUT_OF_MEMORY;
  *out = it;
  if (model == nullptr || !model->valid) {
    return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "model is null or failed to load");
  }
  it->model = model;
  // Kernel path: the default one was measured at load; another one packs
  // weights differently, so measure its prepared state now.
  octet::kernels::Isa isa = octet::kernels::default_isa();
  if (o.isa != nullptr) {
    if (!octet::kernels::parse_isa(o.isa, &isa)) {
      return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "unknown ISA '%s'", o.isa);
    }
    if (!octet::kernels::isa_available(isa)) {
      return it->error.fail(OCTET_ERROR_UNSUPPORTED,
                            "ISA '%s' is not available in this build on this host", o.isa);
    }
  }
  size_t persistent_bytes = model->persistent_bytes;
  size_t activation_bytes = model->activation_bytes;
  if (isa != octet::kernels::default_isa()) {
    // Another path packs weights differently, so it is measured again, under
    // the same limit the load applied to the default path.
    PersistentMemory measure(&it->allocator, model->max_arena_bytes);
    GraphPlan plan;
    octet_status ms = octet::rt::prepare_graph(*model, measure, it->error, &plan, isa);
    if (ms != OCTET_OK) return ms;
    persistent_bytes = align_up(measure.used(), kArenaAlignment);
    activation_bytes = plan.activation_bytes;
  }
  size_t need = 0;
  if (octet::rt::add_overflow(persistent_bytes, activation_bytes, &need) ||
      need > model->max_arena_bytes) {
    return it->error.fail(OCTET_ERROR_OUT_OF_MEMORY,
                          "the model needs an arena of %zu + %zu bytes on the %s path, above the "
                          "limit of %zu bytes (octet_model_options.max_arena_bytes)",
                          persistent_bytes, activation_bytes, octet::kernels::isa_name(isa),
                          model->max_arena_bytes);
  }
  uint8_t* block = nullptr;
  if (o.arena != nullptr) {
    if (reinterpret_cast<uintptr_t>(o.arena) % kArenaAlignment != 0) {
      return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "arena is not 64-byte aligned");
    }
    if (o.arena_size < need) {
      return it->error.fail(OCTET_ERROR_OUT_OF_MEMORY,
                            "arena of %zu bytes is too small: this model needs %zu", o.arena_size,
                            need);
    }
    block = static_cast<uint8_t*>(o.arena);
  } else {
    it->owned_block = a.allocate(need, kArenaAlignment);
    if (it->owned_block == nullptr) {
      return it->error.fail(OCTET_ERROR_OUT_OF_MEMORY, "cannot allocate %zu bytes for the arena",
                            need);
    }
    block = static_cast<uint8_t*>(it->owned_block);
  }
  it->memory = new (it->memory_storage) PersistentMemory(block, persistent_bytes);
  octet_status s = octet::rt::prepare_graph(*model, *it->memory, it->error, &it->plan, isa);
  if (s != OCTET_OK) return s;
  it->arena = block + persistent_bytes;
  octet::rt::bind_graph(*model, &it->plan, it->arena);
  if (o.num_threads > 1) {
    it->threadpool = pthreadpool_create(static_cast<size_t>(o.num_threads));
    if (it->threadpool == nullptr) {
      return it->error.fail(OCTET_ERROR_OUT_OF_MEMORY, "cannot create %d worker threads",
                            o.num_threads);
    }
  }
  it->ready = true;
  return OCTET_OK;
}

void octet_interpreter_destroy(octet_interpreter* it) { destroy_with(it); }

const char* octet_interpreter_last_error(const octet_interpreter* it) {
  return it == nullptr ? "interpreter handle is null" : it->error.message();
}

int32_t octet_interpreter_input_index(const octet_interpreter* it, const char* name) {
  if (it == nullptr || !it->ready || name == nullptr) return -1;
  for (int32_t k = 0; k < it->model->num_inputs; ++k) {
    if (strcmp(it->model->tensors[it->model->inputs[k]].name, name) == 0) return k;
  }
  return -1;
}

int32_t octet_interpreter_output_index(const octet_interpreter* it, const char* name) {
  if (it == nullptr || !it->ready || name == nullptr) return -1;
  for (int32_t k = 0; k < it->model->num_outputs; ++k) {
    if (strcmp(it->model->tensors[it->model->outputs[k]].name, name) == 0) return k;
  }
  return -1;
}

void* octet_interpreter_input_data(octet_interpreter* it, int32_t index) {
  if (it == nullptr || !it->ready || index < 0 || index >= it->model->num_inputs) return nullptr;
  return it->plan.tensor_data[it->model->inputs[index]];
}

octet_status octet_interpreter_set_input(octet_interpreter* it, int32_t index, const void* data,
                                         size_t bytes) {
  if (it == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  if (!it->ready) return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "interpreter not prepared");
  if (index < 0 || index >= it->model->num_inputs) {
    return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "input index %d out of range (%d inputs)",
                          index, it->model->num_inputs);
  }
  const octet::rt::TensorDesc& d = it->model->tensors[it->model->inputs[index]];
  if (data == nullptr || bytes != d.bytes) {
    return it->error.fail(OCTET_ERROR_SHAPE_MISMATCH,
                          "input '%s' takes %zu bytes (%zu %s values), got %zu", d.name, d.bytes,
                          d.elements, octet_dtype_name(d.dtype), bytes);
  }
  memcpy(it->plan.tensor_data[it->model->inputs[index]], data, bytes);
  return OCTET_OK;
}

octet_status octet_interpreter_invoke(octet_interpreter* it) {
  if (it == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  if (!it->ready) return it->error.fail(OCTET_ERROR_INVALID_ARGUMENT, "interpreter not prepared");
  const octet::rt::EvalContext ctx{it->plan.tensor_data, it->threadpool};
  const octet::rt::Step* steps = it->plan.steps;
  const int32_t n = it->plan.num_steps;
  if (it->observer == nullptr) {
    for (int32_t i = 0; i < n; ++i) steps[i].eval(steps[i], ctx);
    return OCTET_OK;
  }
  for (int32_t i = 0; i < n; ++i) {
    steps[i].eval(steps[i], ctx);
    if (it->observer(it->observer_user, it, i) != 0) break;
  }
  return OCTET_OK;
}

const void* octet_interpreter_output_data(const octet_interpreter* it, int32_t index) {
  if (it == nullptr || !it->ready || index < 0 || index >= it->model->num_outputs) return nullptr;
  return it->plan.tensor_data[it->model->outputs[index]];
}

octet_status octet_interpreter_get_output(const octet_interpreter* it, int32_t index, void* data,
                                          size_t bytes) {
  if (it == nullptr || !it->ready || index < 0 || index >= it->model->num_outputs) {
    return OCTET_ERROR_INVALID_ARGUMENT;
  }
  const octet::rt::TensorDesc& d = it->model->tensors[it->model->outputs[index]];
  if (data == nullptr || bytes != d.bytes) return OCTET_ERROR_SHAPE_MISMATCH;
  memcpy(data, it->plan.tensor_data[it->model->outputs[index]], bytes);
  return OCTET_OK;
}

size_t octet_interpreter_activation_bytes(const octet_interpreter* it) {
  return (it != nullptr && it->ready) ? it->model->activation_bytes : 0;
}

int32_t octet_model_num_tensors(const octet_model* m) {
  return (m != nullptr && m->valid) ? m->num_tensors : 0;
}

int32_t octet_model_num_operators(const octet_model* m) {
  return (m != nullptr && m->valid) ? m->num_operators : 0;
}

octet_status octet_model_tensor_info(const octet_model* m, int32_t t, octet_tensor_info* info) {
  if (m == nullptr || !m->valid || info == nullptr || t < 0 || t >= m->num_tensors) {
    return OCTET_ERROR_INVALID_ARGUMENT;
  }
  return tensor_info(m, t, info);
}

octet_status octet_model_operator_info(const octet_model* m, int32_t op,
                                       octet_operator_info* info) {
  if (m == nullptr || !m->valid || info == nullptr || op < 0 || op >= m->num_operators) {
    return OCTET_ERROR_INVALID_ARGUMENT;
  }
  const auto* o = m->fb->operators()->Get(op);
  memset(info, 0, sizeof(*info));
  info->name = o->name() ? o->name()->c_str() : "";
  info->opcode = octet::schema::EnumNameOpCode(o->opcode());
  info->num_inputs = static_cast<int32_t>(o->inputs()->size());
  info->inputs = o->inputs()->data();
  info->num_outputs = static_cast<int32_t>(o->outputs()->size());
  info->outputs = o->outputs()->data();
  info->num_source_nodes = o->source_nodes() ? static_cast<int32_t>(o->source_nodes()->size()) : 0;
  return OCTET_OK;
}

const char* octet_model_operator_source_node(const octet_model* m, int32_t op, int32_t k) {
  if (m == nullptr || !m->valid || op < 0 || op >= m->num_operators) return nullptr;
  const auto* nodes = m->fb->operators()->Get(op)->source_nodes();
  if (nodes == nullptr || k < 0 || static_cast<uint32_t>(k) >= nodes->size()) return nullptr;
  return nodes->Get(k)->c_str();
}

int32_t octet_model_input_tensor(const octet_model* m, int32_t index) {
  return (m != nullptr && m->valid && index >= 0 && index < m->num_inputs) ? m->inputs[index] : -1;
}

int32_t octet_model_output_tensor(const octet_model* m, int32_t index) {
  return (m != nullptr && m->valid && index >= 0 && index < m->num_outputs) ? m->outputs[index]
                                                                             : -1;
}

const char* octet_interpreter_operator_kernel(const octet_interpreter* it, int32_t op) {
  if (it == nullptr || !it->ready || op < 0 || op >= it->plan.num_steps) return nullptr;
  const char* k = it->plan.steps[op].kernel;
  return k != nullptr ? k : "reference";
}

const octet_model* octet_interpreter_model(const octet_interpreter* it) {
  return it == nullptr ? nullptr : it->model;
}

octet_status octet_interpreter_set_observer(octet_interpreter* it, octet_observer observer,
                                            void* user) {
  if (it == nullptr) return OCTET_ERROR_INVALID_ARGUMENT;
  it->observer = observer;
  it->observer_user = user;
  return OCTET_OK;
}

void* octet_interpreter_tensor_data(const octet_interpreter* it, int32_t t) {
  if (it == nullptr || !it->ready || t < 0 || t >= it->model->num_tensors) return nullptr;
  return it->plan.tensor_data[t];
}

}  // extern "C"
