// SPDX-License-Identifier: Apache-2.0
//
// Runtime internals shared by the loader, the planner and the operators.
// Nothing here allocates behind the caller's back: memory comes from an
// octet_allocator, errors go into a fixed-size per-handle buffer.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>

#include "octet/octet.h"

namespace octet::rt {

constexpr int kMaxRank = OCTET_MAX_RANK;
constexpr size_t kArenaAlignment = 64;

constexpr size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/// Per-handle error text. Formatting uses a fixed buffer: no heap.
class ErrorSink {
 public:
  ErrorSink() { message_[0] = '\0'; }
  /// Records a formatted message and returns `status` for chaining.
  octet_status fail(octet_status status, const char* format, ...)
      __attribute__((format(printf, 3, 4)));
  octet_status vfail(octet_status status, const char* format, va_list args);
  /// Prepends `prefix` to the current message (used to add context).
  void prefix(const char* format, ...) __attribute__((format(printf, 2, 3)));
  void clear() { message_[0] = '\0'; }
  const char* message() const { return message_; }

 private:
  char message_[1024];
};

/// The caller's allocator or malloc/free.
class Allocator {
 public:
  explicit Allocator(const octet_allocator* user = nullptr);
  void* allocate(size_t size, size_t alignment) const;
  void deallocate(void* p) const;
  const octet_allocator& raw() const { return a_; }

 private:
  octet_allocator a_;
};

/// Bump allocator for everything an interpreter keeps between prepare and
/// destroy. It either owns a chain of chunks (measuring mode: `used()` is
/// what a single contiguous block would need) or carves a caller's block.
class PersistentMemory {
 public:
  /// Measuring mode over `allocator` chunks; requests that would take
  /// used() past `limit` fail without allocating (over_limit() then says so).
  explicit PersistentMemory(const Allocator* allocator, size_t limit = SIZE_MAX)
      : allocator_(allocator), limit_(limit) {}
  /// Fixed mode over [base, base + size); base is 64-byte aligned.
  PersistentMemory(void* base, size_t size) : base_(static_cast<uint8_t*>(base)), capacity_(size) {}
  ~PersistentMemory();
  PersistentMemory(const PersistentMemory&) = delete;
  PersistentMemory& operator=(const PersistentMemory&) = delete;

  /// Zero-initialized memory, or nullptr when exhausted.
  void* allocate(size_t size, size_t alignment = 16);
  template <typename T>
  T* allocate_array(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T) < 16 ? 16 : alignof(T)));
  }
  /// Bytes a contiguous 64-aligned block would need for the same requests.
  size_t used() const { return used_; }
  /// A request failed because of the measuring-mode limit.
  bool over_limit() const { return over_limit_; }
  size_t limit() const { return limit_; }

 private:
  struct Chunk {
    Chunk* next;
    size_t size;
    size_t offset;
  };
  const Allocator* allocator_ = nullptr;
  Chunk* chunks_ = nullptr;
  uint8_t* base_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
  size_t limit_ = SIZE_MAX;
  bool over_limit_ = false;
};

/// Checked size arithmetic: false on overflow.
inline bool mul_overflow(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool add_overflow(size_t a, size_t b, size_t* out) { return __builtin_add_overflow(a, b, out); }

}  // namespace octet::rt
