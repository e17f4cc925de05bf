// SPDX-License-Identifier: Apache-2.0
//
// Executor properties: invoke never allocates, outputs are identical across
// repeated invokes and across interpreters sharing a model, caller-supplied
// arenas are honoured exactly, and the arena planner never overlaps live
// buffers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <thread>

#include "runtime/planner.h"
#include "tests/runtime/alloc_counter.h"
#include "tests/runtime/model_util.h"

using namespace octet;

namespace {

std::vector<int8_t> random_i8(size_t n, std::mt19937& rng, int lo = -127, int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

// An int8 CNN touching the main operator families: f32 in, QUANTIZE, conv +
// ReLU, depthwise conv, add (residual), max pool, mean, FC, softmax,
// DEQUANTIZE, f32 out. Weights are seeded random.
std::vector<uint8_t> int8_cnn() {
  std::mt19937 rng(7);
  ModelBuilder b;
  const auto x = b.input("image", DType::kFloat32, {1, 16, 16, 3});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(1.0f / 64, 0), "quantize");
  std::vector<float> ws(8);
  for (int c = 0; c < 8; ++c) ws[c] = 0.004f + 0.001f * c;
  const auto w1 = b.constant_i8("conv1.w", {8, 3, 3, 3}, random_i8(8 * 27, rng),
                                Quant::per_channel(ws, 0));
  std::vector<int32_t> b1(8);
  for (auto& v : b1) v = static_cast<int32_t>(rng() % 2001) - 1000;
  std::vector<float> bs(8);
  for (int c = 0; c < 8; ++c) bs[c] = (1.0f / 64) * ws[c];
  const auto bias1 = b.constant_i32("conv1.b", {8}, b1, Quant::per_channel(bs, 0));
  Conv2DOptions o;
  o.stride_h = o.stride_w = 2;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  const auto c1 = b.conv2d(q, w1, bias1, o, Activation::relu(), "conv1",
                           Quant::per_tensor(0.05f, -128));
  const auto w2 = b.constant_i8("dw.w", {8, 3, 3, 1}, random_i8(72, rng),
                                Quant::per_channel(std::vector<float>(8, 0.01f), 0));
  Conv2DOptions d;
  d.groups = 8;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
  const auto c2 = b.conv2d(c1, w2, ModelBuilder::kNone, d, Activation::relu6(), "dw",
                           Quant::per_tensor(6.0f / 255, -128));
  const auto sum = b.add(c1, c2, Activation::none(), "residual", Quant::per_tensor(0.08f, -100));
  Pool2DOptions p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  const auto mp = b.max_pool2d(sum, p, "pool");
  const auto gap = b.mean(mp, {1, 2}, false, "gap", Quant::per_tensor(0.05f, -110));
  const auto wf = b.constant_i8("fc.w", {10, 8}, random_i8(80, rng),
                                Quant::per_channel(std::vector<float>(10, 0.02f), 0));
  const auto fc = b.fully_connected(gap, wf, ModelBuilder::kNone, Activation::none(), "fc",
                                    Quant::per_tensor(0.1f, 0));
  const auto sm = b.softmax(fc, 1.0f, "softmax", Quant::per_tensor(1.0f / 256, -128));
  const auto y = b.dequantize(sm, "probabilities");
  b.output(y);
  return b.finish();
}

std::vector<float> random_image(uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.5f, 1.5f);
  std::vector<float> v(16 * 16 * 3);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST_CASE("runtime: the allocation counter sees allocations", "[runtime]") {
  test::reset_allocation_count();
  void* volatile p = malloc(24);
  free(p);
  auto* v = new std::vector<int>(100);
  delete v;
  CHECK(test::allocation_count() >= 2);
}

TEST_CASE("runtime: invoke performs zero heap allocations", "[runtime]") {
  test::LoadedModel lm(int8_cnn());
  REQUIRE(lm.status.ok());
  for (int threads : {1, 2}) {
    Interpreter it;
    REQUIRE(it.create(lm.model, threads).ok());
    const auto img = random_image(1);
    REQUIRE(it.set_input(0, img.data(), img.size() * 4).ok());
    REQUIRE(it.invoke().ok());  // warm-up, as an application would
    // Only the C call is inside the measured region (assertion macros
    // allocate).
    octet_interpreter* raw = it.get();
    int failures = 0;
    test::reset_allocation_count();
    for (int r = 0; r < 10; ++r) failures += octet_interpreter_invoke(raw) != OCTET_OK;
    const size_t count = test::allocation_count();
    INFO("threads " << threads);
    CHECK(failures == 0);
    CHECK(count == 0);
  }
}

TEST_CASE("runtime: repeated invokes and shared models give identical outputs", "[runtime]") {
  test::LoadedModel lm(int8_cnn());
  REQUIRE(lm.status.ok());
  const auto img = test::to_bytes(random_image(2));
  const auto first = test::run_model(lm.model, {img});
  // The output is a probability vector.
  const auto probs = test::from_bytes<float>(first[0]);
  REQUIRE(probs.size() == 10);
  float total = 0;
  for (float p : probs) total += p;
  CHECK(total == Approx(1.0f).margin(0.05f));

  Interpreter a, b;
  REQUIRE(a.create(lm.model).ok());
  REQUIRE(b.create(lm.model, 2).ok());
  REQUIRE(a.set_input(0, img.data(), img.size()).ok());
  REQUIRE(b.set_input(0, img.data(), img.size()).ok());
  for (int r = 0; r < 5; ++r) {
    REQUIRE(a.invoke().ok());
    REQUIRE(b.invoke().ok());
    CHECK(memcmp(a.output<uint8_t>(0), first[0].data(), first[0].size()) == 0);
    CHECK(memcmp(b.output<uint8_t>(0), first[0].data(), first[0].size()) == 0);
  }
}

TEST_CASE("runtime: interpreters over one model run concurrently", "[runtime][threads]") {
  test::LoadedModel lm(int8_cnn());
  REQUIRE(lm.status.ok());
  std::vector<std::vector<uint8_t>> expected;
  for (uint32_t s = 0; s < 4; ++s) {
    expected.push_back(test::run_model(lm.model, {test::to_bytes(random_image(s))})[0]);
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Interpreter it;
      if (!it.create(lm.model).ok()) {
        mismatches[t] = -1;
        return;
      }
      const auto img = random_image(t);
      it.set_input(0, img.data(), img.size() * 4);
      for (int r = 0; r < 50; ++r) {
        it.invoke();
        if (memcmp(it.output<uint8_t>(0), expected[t].data(), expected[t].size()) != 0) {
          ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("runtime: caller-supplied arena", "[runtime]") {
  test::LoadedModel lm(int8_cnn());
  REQUIRE(lm.status.ok());
  const size_t need = lm.model.arena_size();
  REQUIRE(need > 0);
  const auto img = test::to_bytes(random_image(3));
  const auto expected = test::run_model(lm.model, {img});

  struct Free {
    void operator()(void* p) const { free(p); }
  };
  std::unique_ptr<void, Free> arena(aligned_alloc(64, need + 64));
  octet_interpreter_options o{};
  o.struct_size = sizeof(o);
  o.arena = arena.get();
  o.arena_size = need;

  SECTION("exactly the reported size works, with no heap allocation") {
    Interpreter it;
    test::reset_allocation_count();
    // The C++ wrapper allocates nothing; the C API allocates only the
    // interpreter handle itself.
    REQUIRE(it.create(lm.model, o).ok());
    CHECK(test::allocation_count() <= 1);
    REQUIRE(it.set_input(0, img.data(), img.size()).ok());
    REQUIRE(it.invoke().ok());
    CHECK(memcmp(it.output<uint8_t>(0), expected[0].data(), expected[0].size()) == 0);
  }
  SECTION("one byte less is refused with the size needed") {
    o.arena_size = need - 1;
    Interpreter it;
    const Status s = it.create(lm.model, o);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == OCTET_ERROR_OUT_OF_MEMORY);
    CHECK_THAT(s.message(), Catch::Contains("this model needs " + std::to_string(need)));
  }
  SECTION("a misaligned arena is refused") {
    o.arena = static_cast<uint8_t*>(arena.get()) + 8;
    Interpreter it;
    const Status s = it.create(lm.model, o);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("64-byte aligned"));
  }
}

TEST_CASE("runtime: inputs of the wrong size are refused", "[runtime]") {
  test::LoadedModel lm(int8_cnn());
  REQUIRE(lm.status.ok());
  Interpreter it;
  REQUIRE(it.create(lm.model).ok());
  std::vector<float> small(10);
  const Status s = it.set_input(0, small.data(), small.size() * 4);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == OCTET_ERROR_SHAPE_MISMATCH);
  CHECK_THAT(s.message(), Catch::Contains("input 'image' takes 3072 bytes (768 float32 values), got 40"));
  CHECK_FALSE(it.set_input(5, small.data(), 40).ok());
  CHECK(it.input_index("image") == 0);
  CHECK(it.input_index("nope") == -1);
}

TEST_CASE("planner: live buffers never overlap; dead ones share memory", "[planner]") {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 40);
    std::vector<rt::PlanBuffer> b(n);
    std::vector<int32_t> order(n);
    for (auto& x : b) {
      x.size = 64 * (1 + rng() % 50);
      x.first = static_cast<int32_t>(rng() % 30);
      x.last = x.first + static_cast<int32_t>(rng() % 10);
      x.offset = 0;
    }
    const size_t total = rt::plan_greedy(b.data(), n, order.data(), 64);
    size_t sum = 0;
    for (int i = 0; i < n; ++i) {
      sum += b[i].size;
      CHECK(b[i].offset % 64 == 0);
      CHECK(b[i].offset + b[i].size <= total);
      for (int j = i + 1; j < n; ++j) {
        const bool time = !(b[i].last < b[j].first || b[j].last < b[i].first);
        const bool space = b[i].offset < b[j].offset + b[j].size && b[j].offset < b[i].offset + b[i].size;
        CHECK_FALSE((time && space));
      }
    }
    CHECK(total <= sum);
  }
  // A chain a -> b -> c: a and c never live together, so they share.
  rt::PlanBuffer chain[3] = {{1024, 0, 1, 0}, {1024, 1, 2, 0}, {1024, 2, 3, 0}};
  int32_t order[3];
  CHECK(rt::plan_greedy(chain, 3, order, 64) == 2048);
}

TEST_CASE("runtime: introspection and observers", "[runtime]") {
  // x -> relu -> mul(2) -> y
  ModelBuilder b;
  const auto x = b.input("x", DType::kFloat32, {1, 4});
  const auto r = b.clamp(x, Activation::relu(), "relu");
  const auto two = b.constant_f32("two", {1}, {2.0f});
  const auto y = b.mul(r, two, Activation::none(), "double");
  b.output(y);
  b.set_source_nodes("double", {"Mul_7", "Constant_3"});
  test::LoadedModel lm(b.finish());
  REQUIRE(lm.status.ok());
  const octet_model* m = lm.model.get();
  REQUIRE(octet_model_num_operators(m) == 2);
  REQUIRE(octet_model_num_tensors(m) == 4);
  octet_operator_info op{};
  REQUIRE(octet_model_operator_info(m, 1, &op) == OCTET_OK);
  CHECK(std::string(op.name) == "double");
  CHECK(std::string(op.opcode) == "MUL");
  CHECK(op.num_inputs == 2);
  CHECK(op.num_source_nodes == 2);
  CHECK(std::string(octet_model_operator_source_node(m, 1, 0)) == "Mul_7");
  CHECK(octet_model_operator_source_node(m, 1, 2) == nullptr);
  octet_tensor_info t{};
  REQUIRE(octet_model_tensor_info(m, op.inputs[0], &t) == OCTET_OK);
  CHECK(std::string(t.name) == "relu");
  CHECK(octet_model_input_tensor(m, 0) == x);
  CHECK(octet_model_output_tensor(m, 0) == y);
  CHECK(octet_model_operator_info(m, 2, &op) == OCTET_ERROR_INVALID_ARGUMENT);

  Interpreter it;
  REQUIRE(it.create(lm.model).ok());
  const float in[4] = {-1, 2, -3, 4};
  REQUIRE(it.set_input(0, in, sizeof(in)).ok());

  struct Seen {
    std::vector<int32_t> ops;
    std::vector<float> relu_out;
    bool overwrite = false;
    int32_t stop_after = -1;
  } seen;
  auto observer = [](void* user, const octet_interpreter* interp, int32_t op_index) -> int {
    auto* s = static_cast<Seen*>(user);
    s->ops.push_back(op_index);
    if (op_index == 0) {
      octet_operator_info info{};
      octet_model_operator_info(octet_interpreter_model(interp), 0, &info);
      float* data = static_cast<float*>(octet_interpreter_tensor_data(interp, info.outputs[0]));
      s->relu_out.assign(data, data + 4);
      if (s->overwrite) data[0] = 10.0f;  // substitute a value downstream sees
    }
    return op_index == s->stop_after;
  };
  REQUIRE(it.set_observer(observer, &seen).ok());
  REQUIRE(it.invoke().ok());
  CHECK(seen.ops == std::vector<int32_t>{0, 1});
  CHECK(seen.relu_out == std::vector<float>{0, 2, 0, 4});
  CHECK(it.output<float>(0)[0] == 0.0f);

  seen = Seen{};
  seen.overwrite = true;
  REQUIRE(it.invoke().ok());
  CHECK(it.output<float>(0)[0] == 20.0f);
  CHECK(it.output<float>(0)[1] == 4.0f);

  seen = Seen{};
  seen.stop_after = 0;
  REQUIRE(it.invoke().ok());
  CHECK(seen.ops == std::vector<int32_t>{0});

  REQUIRE(it.set_observer(nullptr, nullptr).ok());
  seen = Seen{};
  REQUIRE(it.invoke().ok());
  CHECK(seen.ops.empty());
}
