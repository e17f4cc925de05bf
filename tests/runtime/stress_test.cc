// SPDX-License-Identifier: Apache-2.0
//
// Invariants under stress (docs/security.md): one interpreter invoked
// 10,000 times gives bit-identical outputs with no allocation and no memory
// growth (measured: heap calls and resident set size); many interpreters
// over one model, with different thread counts, in parallel threads, give
// the same bits as a lone single-threaded one. The [threads] cases are the
// ones the ThreadSanitizer configuration runs (scripts/sanitize.sh).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "tests/runtime/alloc_counter.h"
#include "tests/runtime/model_util.h"

using namespace octet;

namespace {

// int8 CNN: quantize, conv + ReLU, depthwise + ReLU6, residual add, max
// pool, mean, fully connected, softmax, dequantize.
std::vector<uint8_t> cnn() {
  std::mt19937 rng(11);
  auto i8 = [&](size_t n) {
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    return v;
  };
  ModelBuilder b;
  const auto x = b.input("image", DType::kFloat32, {1, 10, 10, 3});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(1.0f / 64, 0), "quantize");
  std::vector<float> ws(8, 0.005f);
  const auto w1 = b.constant_i8("conv.w", {8, 3, 3, 3}, i8(216), Quant::per_channel(ws, 0));
  Conv2DOptions o;
  o.pad_top = o.pad_left = o.pad_bottom = o.pad_right = 1;
  const auto c1 = b.conv2d(q, w1, ModelBuilder::kNone, o, Activation::relu(), "conv",
                           Quant::per_tensor(0.05f, -128));
  Conv2DOptions d = o;
  d.groups = 8;
  const auto w2 = b.constant_i8("dw.w", {8, 3, 3, 1}, i8(72),
                                Quant::per_channel(std::vector<float>(8, 0.01f), 0));
  const auto c2 = b.conv2d(c1, w2, ModelBuilder::kNone, d, Activation::relu6(), "dw",
                           Quant::per_tensor(6.0f / 255, -128));
  const auto s = b.add(c1, c2, Activation::none(), "residual", Quant::per_tensor(0.08f, -100));
  Pool2DOptions p;
  p.kernel_h = p.kernel_w = 2;
  p.stride_h = p.stride_w = 2;
  const auto mp = b.max_pool2d(s, p, "pool");
  const auto gap = b.mean(mp, {1, 2}, false, "gap", Quant::per_tensor(0.05f, -110));
  const auto wf = b.constant_i8("fc.w", {10, 8}, i8(80),
                                Quant::per_channel(std::vector<float>(10, 0.02f), 0));
  const auto fc = b.fully_connected(gap, wf, ModelBuilder::kNone, Activation::none(), "fc",
                                    Quant::per_tensor(0.1f, 0));
  const auto sm = b.softmax(fc, 1.0f, "softmax", Quant::per_tensor(1.0f / 256, -128));
  b.output(b.dequantize(sm, "probabilities"));
  return b.finish();
}

std::vector<uint8_t> image(uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.5f, 1.5f);
  std::vector<float> v(10 * 10 * 3);
  for (auto& x : v) x = d(rng);
  return test::to_bytes(v);
}

// Resident set size in bytes (Linux /proc), 0 where unavailable.
size_t resident_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  if (!(f >> pages >> resident)) return 0;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("stress: 10000 invokes are bit-identical and allocation-free without memory growth",
          "[stress]") {
  test::LoadedModel lm(cnn());
  REQUIRE(lm.status.ok());
  // 10,000 invokes on the calling thread, 200 through a worker pool
  // (pthreadpool's workers spin between jobs, which makes a loaded 2-core
  // CI machine slow for nothing more).
  for (const auto& [threads, invokes] : {std::pair<int, int>{1, 10000}, {2, 200}}) {
    Interpreter it;
    REQUIRE(it.create(lm.model, threads).ok());
    const auto img = image(5);
    REQUIRE(it.set_input(0, img.data(), img.size()).ok());
    REQUIRE(it.invoke().ok());
    const size_t out_bytes = lm.model.output_info(0).bytes;
    const std::vector<uint8_t> first(it.output<uint8_t>(0), it.output<uint8_t>(0) + out_bytes);
    octet_interpreter* raw = it.get();
    const void* out = octet_interpreter_output_data(raw, 0);

    // Warm up, then measure: only C calls and memcmp inside the loop
    // (assertion macros allocate).
    for (int r = 0; r < 100; ++r) octet_interpreter_invoke(raw);
    const size_t rss_before = resident_bytes();
    test::reset_allocation_count();
    const auto t0 = std::chrono::steady_clock::now();
    int failures = 0, mismatches = 0;
    for (int r = 0; r < invokes; ++r) {
      failures += octet_interpreter_invoke(raw) != OCTET_OK;
      mismatches += memcmp(out, first.data(), out_bytes) != 0;
    }
    const size_t allocations = test::allocation_count();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const size_t rss_after = resident_bytes();
    const long long growth =
        static_cast<long long>(rss_after) - static_cast<long long>(rss_before);
    printf("stress (%d thread%s): %d invokes in %.1f s, %zu heap allocations, resident %zu -> %zu "
           "bytes (%+lld)\n",
           threads, threads == 1 ? "" : "s", invokes, seconds, allocations, rss_before, rss_after,
           growth);
    INFO("threads " << threads);
    CHECK(failures == 0);
    CHECK(mismatches == 0);
    CHECK(allocations == 0);
    // No allocation means no growth; allow some pages of noise (stack,
    // lazily touched pages, sanitizer bookkeeping: +80 KiB seen under
    // ASan). A leak of even 32 bytes per invoke would show 320 KiB.
    CHECK(growth <= 256 * 1024);
  }
}

TEST_CASE("stress: many interpreters over one model with different thread counts in parallel",
          "[stress][threads]") {
  test::LoadedModel lm(cnn());
  REQUIRE(lm.status.ok());
  constexpr int kWorkers = 8;
  std::vector<std::vector<uint8_t>> images, expected;
  for (int w = 0; w < kWorkers; ++w) {
    images.push_back(image(100 + w));
    expected.push_back(test::run_model(lm.model, {images.back()})[0]);
  }
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      // Half the workers keep one interpreter; the others create and
      // destroy theirs around every few invokes while the rest run.
      const int threads = 1 + w % 4;
      const bool churn = w % 2 == 1;
      octet_interpreter* it = nullptr;
      for (int r = 0; r < 60; ++r) {
        if (it == nullptr) {
          octet_interpreter_options o{};
          o.struct_size = sizeof(o);
          o.num_threads = threads;
          if (octet_interpreter_create(lm.model.get(), &o, &it) != OCTET_OK ||
              octet_interpreter_set_input(it, 0, images[w].data(), images[w].size()) !=
                  OCTET_OK) {
            ++failures;
            octet_interpreter_destroy(it);
            return;
          }
        }
        if (octet_interpreter_invoke(it) != OCTET_OK) ++failures;
        if (memcmp(octet_interpreter_output_data(it, 0), expected[w].data(),
                   expected[w].size()) != 0) {
          ++mismatches;
        }
        if (churn && r % 5 == 4) {
          octet_interpreter_destroy(it);
          it = nullptr;
        }
      }
      octet_interpreter_destroy(it);
    });
  }
  for (auto& t : workers) t.join();
  CHECK(failures.load() == 0);
  CHECK(mismatches.load() == 0);
}

TEST_CASE("stress: models loaded and destroyed concurrently from one buffer", "[stress][threads]") {
  const auto bytes = cnn();
  test::AlignedBytes shared(bytes);
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int r = 0; r < 20; ++r) {
        octet_model* m = nullptr;
        if (octet_model_load_buffer(shared.data(), shared.size(), nullptr, &m) != OCTET_OK) {
          ++failures;
        }
        octet_model_destroy(m);
      }
    });
  }
  for (auto& t : workers) t.join();
  CHECK(failures.load() == 0);
}
