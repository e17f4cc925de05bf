// SPDX-License-Identifier: Apache-2.0
//
// cpp_app: the C++ wrapper (octet.hpp), one model shared by several
// interpreters running in several threads at once. Each thread checks its
// outputs against a single-threaded run, bit for bit.
//
//   cpp_app MODEL.octet [THREADS] [INVOKES]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "octet/octet.hpp"

namespace {

std::vector<uint8_t> make_input(const octet_tensor_info& t, unsigned seed) {
  std::vector<uint8_t> v(t.bytes);
  if (t.dtype == OCTET_FLOAT32) {
    auto* f = reinterpret_cast<float*>(v.data());
    for (size_t i = 0; i < t.bytes / 4; ++i) f[i] = static_cast<float>((i * 13 + seed) % 97) / 96;
  } else {
    for (size_t i = 0; i < t.bytes; ++i) v[i] = static_cast<uint8_t>(i * 31 + seed);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: cpp_app MODEL.octet [THREADS] [INVOKES]\n");
    return 2;
  }
  const int threads = argc > 2 ? atoi(argv[2]) : 4;
  const int invokes = argc > 3 ? atoi(argv[3]) : 20;
  octet::Model model;
  octet::Status s = model.load_file(argv[1]);
  if (!s) {
    fprintf(stderr, "cpp_app: %s\n", s.to_string().c_str());
    return 1;
  }
  const octet_tensor_info in = model.input_info(0);
  const octet_tensor_info out = model.output_info(0);

  // Expected outputs, one per thread's input, from a single interpreter.
  std::vector<std::vector<uint8_t>> expected(threads);
  {
    octet::Interpreter it;
    if (!(s = it.create(model))) {
      fprintf(stderr, "cpp_app: %s\n", s.to_string().c_str());
      return 1;
    }
    for (int t = 0; t < threads; ++t) {
      const auto x = make_input(in, static_cast<unsigned>(t));
      it.set_input(0, x.data(), x.size());
      it.invoke();
      const auto* y = it.output<uint8_t>(0);
      expected[t].assign(y, y + out.bytes);
    }
  }

  std::vector<int> mismatches(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      octet::Interpreter it;  // one per thread; the model is shared read-only
      if (!it.create(model)) {
        mismatches[t] = -1;
        return;
      }
      const auto x = make_input(in, static_cast<unsigned>(t));
      for (int r = 0; r < invokes; ++r) {
        it.set_input(0, x.data(), x.size());
        it.invoke();
        if (memcmp(it.output<uint8_t>(0), expected[t].data(), out.bytes) != 0) ++mismatches[t];
      }
    });
  }
  for (auto& th : pool) th.join();
  int bad = 0;
  for (int t = 0; t < threads; ++t) bad += mismatches[t] != 0;
  printf("cpp_app: %d threads x %d invokes over one model: %s\n", threads, invokes,
         bad == 0 ? "all outputs identical to the single-threaded run" : "MISMATCH");
  return bad == 0 ? 0 : 1;
}
