// SPDX-License-Identifier: Apache-2.0
#include "runtime/common.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace octet::rt {

octet_status ErrorSink::fail(octet_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vfail(status, format, args);
  va_end(args);
  return status;
}

octet_status ErrorSink::vfail(octet_status status, const char* format, va_list args) {
  vsnprintf(message_, sizeof(message_), format, args);
  return status;
}

void ErrorSink::prefix(const char* format, ...) {
  char head[sizeof(message_)];
  va_list args;
  va_start(args, format);
  vsnprintf(head, sizeof(head), format, args);
  va_end(args);
  char tail[sizeof(message_)];
  memcpy(tail, message_, sizeof(tail));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
  // Truncating an over-long message is the intended behavior.
  snprintf(message_, sizeof(message_), "%s%s", head, tail);
#pragma GCC diagnostic pop
}

namespace {

void* default_allocate(void*, size_t size, size_t alignment) {
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size == 0 ? 1 : size) != 0) return nullptr;
  return p;
}

void default_deallocate(void*, void* p) { free(p); }

}  // namespace

Allocator::Allocator(const octet_allocator* user) {
  if (user != nullptr && user->allocate != nullptr && user->deallocate != nullptr) {
    a_ = *user;
  } else {
    a_ = octet_allocator{nullptr, default_allocate, default_deallocate};
  }
}

void* Allocator::allocate(size_t size, size_t alignment) const {
  return a_.allocate(a_.context, size, alignment);
}

void Allocator::deallocate(void* p) const {
  if (p != nullptr) a_.deallocate(a_.context, p);
}

PersistentMemory::~PersistentMemory() {
  while (chunks_ != nullptr) {
    Chunk* next = chunks_->next;
    allocator_->deallocate(chunks_);
    chunks_ = next;
  }
}

void* PersistentMemory::allocate(size_t size, size_t alignment) {
  if (alignment > kArenaAlignment) return nullptr;
  const size_t offset = align_up(used_, alignment);
  size_t end = 0;
  if (add_overflow(offset, size, &end)) return nullptr;
  if (base_ != nullptr || allocator_ == nullptr) {
    if (end > capacity_) return nullptr;
    used_ = end;
    memset(base_ + offset, 0, size);
    return base_ + offset;
  }
  if (end > limit_) {
    over_limit_ = true;
    return nullptr;
  }
  // Measuring mode: serve from chunks, but account as if contiguous so the
  // fixed-mode block of size used() fits the same sequence of requests.
  constexpr size_t kHeader = align_up(sizeof(Chunk), kArenaAlignment);
  Chunk* c = chunks_;
  size_t at = c != nullptr ? align_up(c->offset, alignment) : 0;
  if (c == nullptr || at + size > c->size) {
    // Small chunks: load's dry run uses this mode, and on a device whose
    // allocator is a bump pool nothing it takes comes back.
    size_t want = size + alignment > 4096 ? size + alignment : 4096;
    void* raw = allocator_->allocate(kHeader + want, kArenaAlignment);
    if (raw == nullptr) return nullptr;
    c = static_cast<Chunk*>(raw);
    c->next = chunks_;
    c->size = want;
    c->offset = 0;
    chunks_ = c;
    at = 0;
  }
  uint8_t* p = reinterpret_cast<uint8_t*>(c) + kHeader + at;
  c->offset = at + size;
  used_ = end;
  memset(p, 0, size);
  return p;
}

}  // namespace octet::rt
