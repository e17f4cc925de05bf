// SPDX-License-Identifier: Apache-2.0
// The model builder (builder.hpp) from an installed Octet: build a tiny fp32
// model in memory, load it with the runtime, run it, check the result.
#include <octet/builder.hpp>
#include <octet/octet.hpp>

#include <cstdio>
#include <vector>

int main() {
  octet::ModelBuilder b;
  const auto x = b.input("x", octet::DType::kFloat32, {1, 4});
  const auto two = b.constant_f32("two", {1, 4}, {2, 2, 2, 2});
  b.output(b.mul(x, two, octet::Activation::none(), "y"));
  const std::vector<uint8_t> bytes = b.finish();
  std::vector<uint8_t> aligned(bytes.size() + 64);
  uint8_t* p = aligned.data() + (64 - reinterpret_cast<uintptr_t>(aligned.data()) % 64) % 64;
  std::copy(bytes.begin(), bytes.end(), p);
  octet::Model model;
  octet::Interpreter it;
  if (!model.load_buffer(p, bytes.size()) || !it.create(model)) return 1;
  const float in[4] = {1, -2, 3.5f, 0};
  if (!it.set_input(0, in, sizeof(in)) || !it.invoke()) return 1;
  const float* y = it.output<float>(0);
  std::printf("consumer_builder: %zu-byte model, y = %g %g %g %g\n", bytes.size(), y[0], y[1], y[2],
              y[3]);
  return (y[0] == 2 && y[1] == -4 && y[2] == 7 && y[3] == 0) ? 0 : 1;
}
