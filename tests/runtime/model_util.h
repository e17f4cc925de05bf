// SPDX-License-Identifier: Apache-2.0
//
// Helpers for runtime tests: aligned model bytes, mutation through the
// schema's object API, and running a model through the C++ API.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "octet/builder.hpp"
#include "octet/octet.hpp"
#include "schema/octet_generated.h"

namespace octet::test {

/// Model bytes at a 64-byte aligned address (as an mmap'd file would be).
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(const std::vector<uint8_t>& v) { assign(v.data(), v.size()); }
  void assign(const uint8_t* p, size_t n) {
    size_ = n;
    data_.reset(static_cast<uint8_t*>(aligned_alloc(64, (n + 63) / 64 * 64 + 64)));
    if (n) memcpy(data_.get(), p, n);
  }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

/// Unpacks, edits and repacks a model.
inline std::vector<uint8_t> mutate(const std::vector<uint8_t>& bytes,
                                   const std::function<void(octet::schema::ModelT&)>& edit) {
  std::unique_ptr<octet::schema::ModelT> m(octet::schema::GetModel(bytes.data())->UnPack());
  edit(*m);
  const bool sealed = m->checksum != 0;
  if (sealed) m->checksum = 0xFFFFFFFFu;
  flatbuffers::FlatBufferBuilder fbb(1024, nullptr, false, 64);  // 64-byte aligned buffers
  fbb.Finish(octet::schema::Model::Pack(fbb, m.get()), octet::schema::ModelIdentifier());
  std::vector<uint8_t> out(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  // Re-seal so the test exercises the check it targets, not the checksum.
  if (sealed) octet::seal_model(out);
  return out;
}

/// Loads `bytes`; returns the status and the message.
inline Status try_load(const std::vector<uint8_t>& bytes, uint32_t flags = 0) {
  AlignedBytes a(bytes);
  Model m;
  octet_model_options o{};
  o.struct_size = sizeof(o);
  o.flags = flags;
  return m.load_buffer(a.data(), a.size(), &o);
}

/// A loaded model with its bytes kept alive.
struct LoadedModel {
  AlignedBytes bytes;
  Model model;
  Status status;
  explicit LoadedModel(const std::vector<uint8_t>& v, uint32_t flags = 0) : bytes(v) {
    octet_model_options o{};
    o.struct_size = sizeof(o);
    o.flags = flags;
    status = model.load_buffer(bytes.data(), bytes.size(), &o);
  }
};

/// Runs a model once on raw input bytes and returns raw output bytes.
inline std::vector<std::vector<uint8_t>> run_model(const Model& model,
                                                   const std::vector<std::vector<uint8_t>>& inputs,
                                                   int threads = 1) {
  Interpreter it;
  Status s = it.create(model, threads);
  if (!s) throw std::runtime_error(s.to_string());
  for (size_t i = 0; i < inputs.size(); ++i) {
    s = it.set_input(static_cast<int32_t>(i), inputs[i].data(), inputs[i].size());
    if (!s) throw std::runtime_error(s.to_string());
  }
  s = it.invoke();
  if (!s) throw std::runtime_error(s.to_string());
  std::vector<std::vector<uint8_t>> out;
  for (int32_t i = 0; i < model.num_outputs(); ++i) {
    const auto* p = it.output<uint8_t>(i);
    out.emplace_back(p, p + model.output_info(i).bytes);
  }
  return out;
}

template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  if (!v.empty()) memcpy(b.data(), v.data(), b.size());
  return b;
}

template <typename T>
std::vector<T> from_bytes(const std::vector<uint8_t>& b) {
  std::vector<T> v(b.size() / sizeof(T));
  if (!v.empty()) memcpy(v.data(), b.data(), b.size());
  return v;
}

}  // namespace octet::test
