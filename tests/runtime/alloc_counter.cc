// SPDX-License-Identifier: Apache-2.0
//
// glibc exports __libc_malloc & co.; defining malloc here interposes it for
// the whole process (including the runtime library and pthreadpool), so no
// allocation can escape the count.
//
// Under AddressSanitizer or ThreadSanitizer the sanitizer owns malloc (an
// interposer here would bypass its allocator and crash at start-up), so the
// count comes from the sanitizer's own allocation hook instead, which sees
// the same calls process-wide.
#include "tests/runtime/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OCTET_TEST_SANITIZER_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OCTET_TEST_SANITIZER_HOOKS 1
#endif
#endif

namespace {
std::atomic<size_t> g_count{0};
}

namespace octet::test {
size_t allocation_count() { return g_count.load(); }
void reset_allocation_count() { g_count.store(0); }
}  // namespace octet::test

#ifdef OCTET_TEST_SANITIZER_HOOKS
// From <sanitizer/allocator_interface.h>, which GCC does not install (its
// libasan/libtsan export the function all the same).
extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void*, size_t), void (*free_hook)(const volatile void*));

namespace {
void count_malloc(const volatile void*, size_t) {
  g_count.fetch_add(1, std::memory_order_relaxed);
}
void ignore_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
}  // namespace
#else
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);

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
#endif
