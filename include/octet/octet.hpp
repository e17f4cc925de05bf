// SPDX-License-Identifier: Apache-2.0
//
// A thin RAII wrapper over the C API (octet.h). No exceptions: every
// operation returns an octet::Status carrying the code and the message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "octet/octet.h"

namespace octet {

/// Result of an operation: OK, or a code with the handle's message.
class Status {
 public:
  Status() = default;
  Status(octet_status code, std::string message) : code_(code), message_(std::move(message)) {}
  bool ok() const { return code_ == OCTET_OK; }
  explicit operator bool() const { return ok(); }
  octet_status code() const { return code_; }
  /// "<status>: <message>", or "ok".
  std::string to_string() const {
    return ok() ? "ok" : std::string(octet_status_string(code_)) + ": " + message_;
  }
  const std::string& message() const { return message_; }

 private:
  octet_status code_ = OCTET_OK;
  std::string message_;
};

/// A loaded model (owns the mapping). Movable, not copyable.
class Model {
 public:
  Model() = default;
  ~Model() { octet_model_destroy(m_); }
  Model(Model&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  Model& operator=(Model&& o) noexcept {
    std::swap(m_, o.m_);
    return *this;
  }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  /// Maps and verifies a model file.
  Status load_file(const std::string& path, const octet_model_options* options = nullptr) {
    reset();
    const octet_status s = octet_model_load_file(path.c_str(), options, &m_);
    return finish(s);
  }
  /// Verifies a model in caller memory (kept alive by the caller).
  Status load_buffer(const void* data, size_t size, const octet_model_options* options = nullptr) {
    reset();
    const octet_status s = octet_model_load_buffer(data, size, options, &m_);
    return finish(s);
  }

  bool valid() const { return m_ != nullptr; }
  const octet_model* get() const { return m_; }
  int32_t num_inputs() const { return octet_model_num_inputs(m_); }
  int32_t num_outputs() const { return octet_model_num_outputs(m_); }
  octet_tensor_info input_info(int32_t i) const {
    octet_tensor_info info{};
    octet_model_input_info(m_, i, &info);
    return info;
  }
  octet_tensor_info output_info(int32_t i) const {
    octet_tensor_info info{};
    octet_model_output_info(m_, i, &info);
    return info;
  }
  size_t arena_size() const { return octet_model_arena_size(m_); }

 private:
  void reset() {
    octet_model_destroy(m_);
    m_ = nullptr;
  }
  Status finish(octet_status s) {
    if (s == OCTET_OK) return {};
    Status st(s, m_ != nullptr ? octet_model_last_error(m_) : "out of memory");
    reset();
    return st;
  }
  octet_model* m_ = nullptr;
};

/// One execution context over a Model (which must outlive it).
class Interpreter {
 public:
  Interpreter() = default;
  ~Interpreter() { octet_interpreter_destroy(it_); }
  Interpreter(Interpreter&& o) noexcept : it_(std::exchange(o.it_, nullptr)) {}
  Interpreter& operator=(Interpreter&& o) noexcept {
    std::swap(it_, o.it_);
    return *this;
  }
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  /// Prepares `model`; `num_threads` <= 1 runs on the caller's thread.
  Status create(const Model& model, int32_t num_threads = 1) {
    octet_interpreter_options o{};
    o.struct_size = sizeof(o);
    o.num_threads = num_threads;
    return create(model, o);
  }
  Status create(const Model& model, const octet_interpreter_options& options) {
    octet_interpreter_destroy(it_);
    it_ = nullptr;
    const octet_status s = octet_interpreter_create(model.get(), &options, &it_);
    if (s == OCTET_OK) return {};
    Status st(s, it_ != nullptr ? octet_interpreter_last_error(it_) : "out of memory");
    octet_interpreter_destroy(it_);
    it_ = nullptr;
    return st;
  }

  int32_t input_index(const std::string& name) const {
    return octet_interpreter_input_index(it_, name.c_str());
  }
  int32_t output_index(const std::string& name) const {
    return octet_interpreter_output_index(it_, name.c_str());
  }
  /// Typed pointer to an input buffer (write inputs here, no copy).
  template <typename T>
  T* input(int32_t i) {
    return static_cast<T*>(octet_interpreter_input_data(it_, i));
  }
  template <typename T>
  const T* output(int32_t i) const {
    return static_cast<const T*>(octet_interpreter_output_data(it_, i));
  }
  Status set_input(int32_t i, const void* data, size_t bytes) {
    return wrap(octet_interpreter_set_input(it_, i, data, bytes));
  }
  Status invoke() { return wrap(octet_interpreter_invoke(it_)); }
  size_t activation_bytes() const { return octet_interpreter_activation_bytes(it_); }
  /// Observer called after every operator (see octet_interpreter_set_observer).
  Status set_observer(octet_observer observer, void* user) {
    return wrap(octet_interpreter_set_observer(it_, observer, user));
  }
  /// Any tensor's data by model index (see octet_interpreter_tensor_data).
  void* tensor_data(int32_t tensor) const { return octet_interpreter_tensor_data(it_, tensor); }
  octet_interpreter* get() { return it_; }

 private:
  Status wrap(octet_status s) {
    return s == OCTET_OK ? Status()
                         : Status(s, it_ ? octet_interpreter_last_error(it_) : "no interpreter");
  }
  octet_interpreter* it_ = nullptr;
};

}  // namespace octet
