/* SPDX-License-Identifier: Apache-2.0 */
/*
 * static_arena: the model (the int8 Fashion-MNIST CNN) is compiled into the
 * binary (written by `octet embed`), the model's bookkeeping comes from a
 * static pool through a user allocator, and the interpreter runs in a
 * caller-supplied static arena. After start-up nothing touches the heap; on
 * glibc the program counts every malloc to prove it and fails if there is
 * one. An op resolver registers only the operators the model uses (written
 * by `octet inspect --ops-header`), so a static link with --gc-sections
 * carries only their kernels (docs/embedding.md, size in docs/porting.md).
 */
#include <octet/octet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "static_arena_model.h"
#include "static_arena_ops.h"

static unsigned char pool[STATIC_ARENA_MODEL_POOL_SIZE] __attribute__((aligned(64)));
static size_t pool_used;
/* The arena size `octet embed` measured on the host. Packed weights differ
 * a little between kernel paths (octet.h, octet_interpreter_options.isa), so
 * a board with another ISA may need a few more bytes: the headroom below
 * covers it, and creation fails with a message if not. */
#define ARENA_HEADROOM 16384
static unsigned char arena[STATIC_ARENA_MODEL_ARENA_SIZE + ARENA_HEADROOM]
    __attribute__((aligned(64)));

static void* pool_allocate(void* context, size_t size, size_t alignment) {
  (void)context;
  size_t a = alignment < 64 ? 64 : alignment;
  size_t at = (pool_used + a - 1) / a * a;
  if (at + size > sizeof(pool)) return NULL;
  pool_used = at + size;
  return pool + at;
}

static void pool_deallocate(void* context, void* pointer) {
  (void)context;
  (void)pointer; /* a bump pool frees everything at exit */
}

#if defined(__GLIBC__)
/* Interpose the heap: count every allocation once the program has started. */
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
static int started;
static unsigned long heap_calls;
void* malloc(size_t n) {
  heap_calls += started;
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  heap_calls += started;
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  heap_calls += started;
  return __libc_realloc(p, n);
}
void* aligned_alloc(size_t a, size_t n) {
  heap_calls += started;
  return __libc_memalign(a, n);
}
int posix_memalign(void** out, size_t a, size_t n) {
  heap_calls += started;
  *out = __libc_memalign(a, n);
  return *out == NULL ? 12 : 0;
}
#define HEAP_CHECKED 1
#else
static int started;
static unsigned long heap_calls;
#define HEAP_CHECKED 0
#endif

int main(void) {
  printf("static_arena: model %zu bytes in .rodata, arena %zu bytes, pool %zu bytes, "
         "%d operators registered\n",
         static_arena_model_size, sizeof(arena), sizeof(pool), STATIC_ARENA_OPS_NUM_OPS);
  fflush(stdout); /* stdio's buffer is allocated by now */
  started = 1;

  octet_allocator allocator = {NULL, pool_allocate, pool_deallocate};
  octet_model_options mo;
  memset(&mo, 0, sizeof(mo));
  mo.struct_size = sizeof(mo);
  mo.allocator = &allocator;
  octet_op_resolver resolver = static_arena_ops_resolver();
  mo.resolver = &resolver;
  octet_model* model = NULL;
  if (octet_model_load_buffer(static_arena_model, static_arena_model_size, &mo, &model) !=
      OCTET_OK) {
    started = 0;
    fprintf(stderr, "static_arena: %s\n", model ? octet_model_last_error(model) : "no memory");
    return 1;
  }
  octet_interpreter_options io;
  memset(&io, 0, sizeof(io));
  io.struct_size = sizeof(io);
  io.arena = arena;
  io.arena_size = sizeof(arena);
  io.allocator = &allocator;
  octet_interpreter* it = NULL;
  if (octet_interpreter_create(model, &io, &it) != OCTET_OK) {
    started = 0;
    fprintf(stderr, "static_arena: %s\n", it ? octet_interpreter_last_error(it) : "no memory");
    return 1;
  }
  octet_tensor_info in, out;
  octet_model_input_info(model, 0, &in);
  octet_model_output_info(model, 0, &out);
  /* A synthetic image; the model takes float32 or int8 input and gives
   * float32 or int8 scores, whichever the converter produced. */
  void* x = octet_interpreter_input_data(it, 0);
  const size_t n = in.bytes / octet_dtype_size(in.dtype);
  const size_t classes = out.bytes / octet_dtype_size(out.dtype);
  int best = -1;
  for (int run = 0; run < 3; ++run) {
    for (size_t i = 0; i < n; ++i) {
      const int v = (int)((i * 7 + (size_t)run) % 29);
      if (in.dtype == OCTET_FLOAT32) {
        ((float*)x)[i] = (float)v / 28.0f;
      } else {
        ((int8_t*)x)[i] = (int8_t)(v * 8 - 128);
      }
    }
    if (octet_interpreter_invoke(it) != OCTET_OK) return 1;
    const void* p = octet_interpreter_output_data(it, 0);
    best = 0;
    for (size_t c = 1; c < classes; ++c) {
      const float a = out.dtype == OCTET_FLOAT32 ? ((const float*)p)[c] : ((const int8_t*)p)[c];
      const float b = out.dtype == OCTET_FLOAT32 ? ((const float*)p)[best]
                                                 : ((const int8_t*)p)[best];
      if (a > b) best = (int)c;
    }
  }
  octet_interpreter_destroy(it);
  octet_model_destroy(model);
  started = 0;
  printf("static_arena: top class %d; pool used %zu of %zu bytes\n", best, pool_used, sizeof(pool));
  if (HEAP_CHECKED) {
    printf("static_arena: heap allocations after start: %lu\n", heap_calls);
    return heap_calls == 0 ? 0 : 1;
  }
  printf("static_arena: heap not checked on this C library\n");
  return 0;
}
