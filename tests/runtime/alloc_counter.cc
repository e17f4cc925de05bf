// SPDX-License-Identifier: Apache-2.0
//
// glibc exports __libc_malloc & co.; defining malloc here interposes it for
// the whole process (including the runtime library and pthreadpool), so no
// allocation can escape the count.
#include "tests/runtime/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
std::atomic<size_t> g_count{0};
}

namespace octet::test {
size_t allocation_count() { return g_count.load(); }
void reset_allocation_count() { g_count.store(0); }
}  // namespace octet::test

extern "C" {

void* malloc(size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
int posix_memalign(void** out, size_t align, size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  void* p = __libc_memalign(align, n);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* aligned_alloc(size_t align, size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}
void* memalign(size_t align, size_t n) {
  g_count.fetch_add(1, std::memory_order_relaxed);
  return __libc_memalign(align, n);
}

}  // extern "C"
