// SPDX-License-Identifier: Apache-2.0
//
// Single-threaded stand-in for <pthreadpool.h>, used when Octet is built
// with OCTET_WITH_THREADS=OFF (cross builds for boards without a packaged
// pthreadpool; docs/porting.md). Only this directory is on the include path
// then, so the runtime's pthreadpool calls compile unchanged and every
// parallel loop runs on the calling thread, in the order pthreadpool's own
// serial path (a null pool) uses. octet_interpreter_options.num_threads is
// still accepted: a pool "with N threads" exists but runs everything on the
// caller, so outputs are the 1-thread outputs (which the tests already
// require to equal the N-thread outputs). No heap, no threads, no locks.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PTHREADPOOL_FLAG_DISABLE_DENORMALS 0x00000001
#define PTHREADPOOL_FLAG_YIELD_WORKERS 0x00000002

struct pthreadpool {
  size_t threads;
};
typedef struct pthreadpool* pthreadpool_t;

typedef void (*pthreadpool_task_1d_t)(void*, size_t);
typedef void (*pthreadpool_task_1d_tile_1d_t)(void*, size_t, size_t);
typedef void (*pthreadpool_task_2d_t)(void*, size_t, size_t);
typedef void (*pthreadpool_task_2d_tile_1d_t)(void*, size_t, size_t, size_t);
typedef void (*pthreadpool_task_2d_tile_2d_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_t)(void*, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_tile_1d_t)(void*, size_t, size_t, size_t, size_t);
typedef void (*pthreadpool_task_3d_tile_2d_t)(void*, size_t, size_t, size_t, size_t, size_t);

namespace octet::serial_pool {
inline size_t min_size(size_t a, size_t b) { return a < b ? a : b; }
// One shared object: creating a pool never allocates and never fails.
inline pthreadpool_t the_pool() {
  static pthreadpool pool{1};
  return &pool;
}
}  // namespace octet::serial_pool

inline pthreadpool_t pthreadpool_create(size_t) { return octet::serial_pool::the_pool(); }
inline void pthreadpool_destroy(pthreadpool_t) {}
inline size_t pthreadpool_get_threads_count(pthreadpool_t) { return 1; }

inline void pthreadpool_parallelize_1d(pthreadpool_t, pthreadpool_task_1d_t task, void* context,
                                       size_t range, uint32_t) {
  for (size_t i = 0; i < range; ++i) task(context, i);
}

inline void pthreadpool_parallelize_1d_tile_1d(pthreadpool_t, pthreadpool_task_1d_tile_1d_t task,
                                               void* context, size_t range, size_t tile,
                                               uint32_t) {
  using octet::serial_pool::min_size;
  for (size_t i = 0; i < range; i += tile) task(context, i, min_size(tile, range - i));
}

inline void pthreadpool_parallelize_2d(pthreadpool_t, pthreadpool_task_2d_t task, void* context,
                                       size_t range_i, size_t range_j, uint32_t) {
  for (size_t i = 0; i < range_i; ++i) {
    for (size_t j = 0; j < range_j; ++j) task(context, i, j);
  }
}

inline void pthreadpool_parallelize_2d_tile_1d(pthreadpool_t, pthreadpool_task_2d_tile_1d_t task,
                                               void* context, size_t range_i, size_t range_j,
                                               size_t tile_j, uint32_t) {
  using octet::serial_pool::min_size;
  for (size_t i = 0; i < range_i; ++i) {
    for (size_t j = 0; j < range_j; j += tile_j) task(context, i, j, min_size(tile_j, range_j - j));
  }
}

inline void pthreadpool_parallelize_2d_tile_2d(pthreadpool_t, pthreadpool_task_2d_tile_2d_t task,
                                               void* context, size_t range_i, size_t range_j,
                                               size_t tile_i, size_t tile_j, uint32_t) {
  using octet::serial_pool::min_size;
  for (size_t i = 0; i < range_i; i += tile_i) {
    for (size_t j = 0; j < range_j; j += tile_j) {
      task(context, i, j, min_size(tile_i, range_i - i), min_size(tile_j, range_j - j));
    }
  }
}

inline void pthreadpool_parallelize_3d(pthreadpool_t, pthreadpool_task_3d_t task, void* context,
                                       size_t range_i, size_t range_j, size_t range_k, uint32_t) {
  for (size_t i = 0; i < range_i; ++i) {
    for (size_t j = 0; j < range_j; ++j) {
      for (size_t k = 0; k < range_k; ++k) task(context, i, j, k);
    }
  }
}

inline void pthreadpool_parallelize_3d_tile_1d(pthreadpool_t, pthreadpool_task_3d_tile_1d_t task,
                                               void* context, size_t range_i, size_t range_j,
                                               size_t range_k, size_t tile_k, uint32_t) {
  using octet::serial_pool::min_size;
  for (size_t i = 0; i < range_i; ++i) {
    for (size_t j = 0; j < range_j; ++j) {
      for (size_t k = 0; k < range_k; k += tile_k) {
        task(context, i, j, k, min_size(tile_k, range_k - k));
      }
    }
  }
}

inline void pthreadpool_parallelize_3d_tile_2d(pthreadpool_t, pthreadpool_task_3d_tile_2d_t task,
                                               void* context, size_t range_i, size_t range_j,
                                               size_t range_k, size_t tile_j, size_t tile_k,
                                               uint32_t) {
  using octet::serial_pool::min_size;
  for (size_t i = 0; i < range_i; ++i) {
    for (size_t j = 0; j < range_j; j += tile_j) {
      for (size_t k = 0; k < range_k; k += tile_k) {
        task(context, i, j, k, min_size(tile_j, range_j - j), min_size(tile_k, range_k - k));
      }
    }
  }
}
