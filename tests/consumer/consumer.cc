// SPDX-License-Identifier: Apache-2.0
// The C++ wrapper (octet.hpp) from an installed Octet, default operator set.
#include <octet/octet.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  octet::Model model;
  if (auto s = model.load_file(argv[1]); !s) {
    std::fprintf(stderr, "consumer_cpp: %s\n", s.message().c_str());
    return 1;
  }
  octet::Interpreter it;
  if (auto s = it.create(model); !s) {
    std::fprintf(stderr, "consumer_cpp: %s\n", s.message().c_str());
    return 1;
  }
  if (auto s = it.invoke(); !s) {
    std::fprintf(stderr, "consumer_cpp: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("consumer_cpp: ran %s, arena %zu bytes\n", argv[1], model.arena_size());
  return 0;
}
