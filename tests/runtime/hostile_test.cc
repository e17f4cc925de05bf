// SPDX-License-Identifier: Apache-2.0
//
// Hostile models (docs/security.md): absurd sizes, broken graphs, operators
// whose inputs contradict their options, bad quantization parameters. Each
// must be rejected at load with a message naming the culprit, and none may
// make load allocate more than the arena limit allows.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

#include "tests/runtime/model_util.h"

using namespace octet;
namespace fb = octet::schema;

namespace {

int32_t tensor_index(const fb::ModelT& m, const std::string& name) {
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    if (m.tensors[i]->name == name) return static_cast<int32_t>(i);
  }
  FAIL("no tensor " << name);
  return -1;
}

int32_t op_index(const fb::ModelT& m, const std::string& name) {
  for (size_t i = 0; i < m.operators.size(); ++i) {
    if (m.operators[i]->name == name) return static_cast<int32_t>(i);
  }
  FAIL("no operator " << name);
  return -1;
}

// f32 x[1,4,4,2] -> conv (per-channel int8 weights) -> transpose -> concat
// with itself -> pad -> mean -> dequantize; small but with options,
// per-axis quantization and several operator families to break.
std::vector<uint8_t> model() {
  ModelBuilder b;
  const auto x = b.input("x", DType::kFloat32, {1, 4, 4, 2});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(0.05f, 3), "q");
  const auto w = b.constant_i8("w", {3, 1, 1, 2}, {1, 2, 3, 4, 5, 6},
                               Quant::per_channel({0.01f, 0.02f, 0.03f}, 0));
  Conv2DOptions o;
  const auto c = b.conv2d(q, w, ModelBuilder::kNone, o, Activation::none(), "conv",
                          Quant::per_tensor(0.1f, 0));
  const auto t = b.transpose(c, {0, 2, 1, 3}, "transpose");
  const auto cat = b.concat({t, t}, 3, "concat");
  const auto p = b.pad(cat, {0, 1, 1, 0, 0, 1, 1, 0}, PadMode::kConstant, 0, "pad");
  const auto m = b.mean(p, {1, 2}, false, "mean", Quant::per_tensor(0.1f, 0));
  b.output(b.dequantize(m, "y"));
  return b.finish();
}

// Counts the bytes the runtime asks its allocator for at once.
struct PeakAllocator {
  size_t live = 0, peak = 0, largest = 0;
  octet_allocator raw{this, allocate, deallocate};
  static void* allocate(void* ctx, size_t size, size_t alignment) {
    auto* self = static_cast<PeakAllocator*>(ctx);
    if (size > self->largest) self->largest = size;
    void* p = nullptr;
    if (posix_memalign(&p, alignment < sizeof(void*) ? sizeof(void*) : alignment,
                       size + 16) != 0) {
      return nullptr;
    }
    return p;
  }
  static void deallocate(void*, void* p) { free(p); }
};

Status load_with(const std::vector<uint8_t>& bytes, octet_model_options o,
                 test::AlignedBytes* keep, Model* m) {
  keep->assign(bytes.data(), bytes.size());
  o.struct_size = sizeof(o);
  return m->load_buffer(keep->data(), keep->size(), &o);
}

}  // namespace

TEST_CASE("hostile: every rejection names the culprit", "[hostile]") {
  const auto good = model();
  REQUIRE(test::try_load(good).ok());
  struct Case {
    const char* what;
    std::function<void(fb::ModelT&)> edit;
    const char* expect;
  };
  const float inf = std::numeric_limits<float>::infinity();
  const Case cases[] = {
      // ---- shapes
      {"zero dimension", [](fb::ModelT& m) { m.tensors[0]->shape[2] = 0; },
       "tensor #0 'x': dimension 2 is 0 (must be positive)"},
      {"byte size beyond the per-tensor limit",
       [](fb::ModelT& m) { m.tensors[0]->shape = {1 << 20, 1 << 19, 1, 1}; },  // 2^41 bytes
       "tensor #0 'x': byte size overflows"},
      {"element count beyond the limit",
       [](fb::ModelT& m) { m.tensors[0]->shape = {1 << 30, 1 << 30, 1 << 30, 1 << 30}; },
       "tensor #0 'x': element count overflows"},
      {"activation larger than the arena limit",
       [](fb::ModelT& m) { m.tensors[0]->shape = {1, 65536, 65536, 2}; },
       "tensor #0 'x': 34359738368 bytes, above the arena limit of 1073741824 bytes"},
      // ---- graph structure
      {"operator reads its own output (a cycle)",
       [](fb::ModelT& m) {
         auto& op = m.operators[op_index(m, "transpose")];
         op->inputs[0] = op->outputs[0];
       },
       "operator #2 'transpose' (TRANSPOSE): input #0 (tensor 'transpose') is used before it is "
       "produced"},
      {"two operators feeding each other (a cycle)",
       [](fb::ModelT& m) {
         m.operators[op_index(m, "transpose")]->inputs[0] = tensor_index(m, "concat");
       },
       "'transpose' (TRANSPOSE): input #0 (tensor 'concat') is used before it is produced"},
      {"dangling tensor reference",
       [](fb::ModelT& m) {
         auto t = std::make_unique<fb::TensorT>();
         t->name = "orphan";
         t->dtype = fb::DType::INT8;
         t->shape = {1, 4, 4, 3};
         m.tensors.push_back(std::move(t));
         m.operators[op_index(m, "transpose")]->inputs[0] =
             static_cast<int32_t>(m.tensors.size() - 1);
       },
       "input #0 (tensor 'orphan') is used before it is produced"},
      {"negative tensor index",
       [](fb::ModelT& m) { m.operators[op_index(m, "mean")]->inputs[0] = -7; },
       "operator #5 'mean' (MEAN): input #0 has tensor index -7 out of range"},
      {"graph output never produced",
       [](fb::ModelT& m) {
         auto t = std::make_unique<fb::TensorT>();
         t->name = "ghost";
         t->shape = {1};
         m.tensors.push_back(std::move(t));
         m.outputs.push_back(static_cast<int32_t>(m.tensors.size() - 1));
       },
       "graph output #1: tensor 'ghost' is never produced"},
      {"graph output that is a constant",
       [](fb::ModelT& m) { m.outputs[0] = tensor_index(m, "w"); },
       "graph output #0: tensor 'w' is never produced"},
      {"graph input listed twice", [](fb::ModelT& m) { m.inputs.push_back(m.inputs[0]); },
       "graph input #1: tensor 'x' listed twice"},
      {"buffer index out of range",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->buffer = 77; },
       "tensor #2 'w': buffer index 77 out of range"},
      // ---- operators whose inputs contradict their options
      {"transpose perm of the wrong length",
       [](fb::ModelT& m) {
         m.operators[op_index(m, "transpose")]->options.AsTransposeOptions()->perm = {0, 2, 1};
       },
       "operator #2 'transpose' (TRANSPOSE): perm must have 4 entries"},
      {"transpose perm that is not a permutation",
       [](fb::ModelT& m) {
         m.operators[op_index(m, "transpose")]->options.AsTransposeOptions()->perm = {0, 2, 2, 3};
       },
       "'transpose' (TRANSPOSE): perm is not a permutation of 0..3"},
      {"concat axis out of range",
       [](fb::ModelT& m) { m.operators[op_index(m, "concat")]->options.AsConcatOptions()->axis = 9; },
       "'concat' (CONCAT): concat axis 9 out of range for rank 4"},
      {"concat along the wrong axis",
       [](fb::ModelT& m) { m.operators[op_index(m, "concat")]->options.AsConcatOptions()->axis = 1; },
       "'concat' (CONCAT): input 'transpose' does not match output 'concat' off axis 1"},
      {"conv groups that do not divide the channels",
       [](fb::ModelT& m) { m.operators[op_index(m, "conv")]->options.AsConv2DOptions()->groups = 2; },
       "'conv' (CONV_2D): weights 'w' [3,1,1,2] do not fit 2 input channels in 2 groups"},
      {"conv stride inconsistent with the output shape",
       [](fb::ModelT& m) { m.operators[op_index(m, "conv")]->options.AsConv2DOptions()->stride_h = 2; },
       "'conv' (CONV_2D): output 'conv' has shape [1,4,4,3], the operator produces [1,2,4,3]"},
      {"conv with a negative stride",
       [](fb::ModelT& m) { m.operators[op_index(m, "conv")]->options.AsConv2DOptions()->stride_w = -1; },
       "'conv' (CONV_2D): invalid strides 1x-1"},
      {"conv with absurd padding",
       [](fb::ModelT& m) {
         m.operators[op_index(m, "conv")]->options.AsConv2DOptions()->padding = {0, 0, -5, 0};
       },
       "'conv' (CONV_2D): invalid strides 1x1, dilations 1x1, groups 1 or padding"},
      {"pad list of the wrong length",
       [](fb::ModelT& m) { m.operators[op_index(m, "pad")]->options.AsPadOptions()->pads = {1, 1}; },
       "'pad' (PAD): pads must have 8 entries"},
      {"pads that remove more than the tensor",
       [](fb::ModelT& m) {
         m.operators[op_index(m, "pad")]->options.AsPadOptions()->pads = {0, -9, 0, 0, 0, 0, 0, 0};
       },
       "'pad' (PAD): pads -9/0 invalid for dim 1 of size 4"},
      {"mean over a repeated axis",
       [](fb::ModelT& m) { m.operators[op_index(m, "mean")]->options.AsMeanOptions()->axes = {1, 1}; },
       "'mean' (MEAN): axis 1 is out of range or repeated"},
      {"options of another operator",
       [](fb::ModelT& m) {
         auto& op = *m.operators[op_index(m, "pad")];
         fb::ConcatOptionsT c;
         c.axis = 0;
         op.options.Set(std::move(c));
       },
       "'pad' (PAD): missing or mismatched options (got ConcatOptions, expected PadOptions)"},
      {"options missing",
       [](fb::ModelT& m) { m.operators[op_index(m, "conv")]->options.Reset(); },
       "'conv' (CONV_2D): missing or mismatched options (got NONE, expected Conv2DOptions)"},
      {"int8 conv with float weights",
       [](fb::ModelT& m) {
         auto& w = *m.tensors[tensor_index(m, "w")];
         w.dtype = fb::DType::FLOAT32;
         w.quantization.reset();
         m.buffers[w.buffer]->data.resize(24);
       },
       "'conv' (CONV_2D): weights 'w' is float32, expected int8"},
      {"multiplier count that does not match the channels",
       [](fb::ModelT& m) {
         auto& p = m.operators[op_index(m, "conv")]->int_params;
         p->multiplier.resize(2);
         p->rshift.resize(2);
       },
       "'conv' (CONV_2D): integer parameters hold 2 multipliers, expected 1 or 3"},
      {"output clamp outside the dtype",
       [](fb::ModelT& m) { m.operators[op_index(m, "conv")]->int_params->qmax = 1000; },
       "'conv' (CONV_2D): output clamp [-128, 1000] exceeds the int8 range"},
      // ---- quantization parameters
      {"infinite scale",
       [inf](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->scale[0] = inf; },
       "tensor #1 'q': scale[0] = inf (must be finite and > 0)"},
      {"NaN per-channel scale",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->quantization->scale[2] = NAN; },
       "tensor #2 'w': scale[2] = nan"},
      {"denormal-negative scale",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->quantization->scale[1] = -1e-40f; },
       "tensor #2 'w': scale[1] = -9.99995e-41 (must be finite and > 0)"},
      {"per-axis scales of the wrong length",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->quantization->scale.push_back(0.5f); },
       "tensor #2 'w': 4 scales for axis 0 of size 3"},
      {"per-axis quantization on a missing axis",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->quantization->axis = 4; },
       "tensor #2 'w': quantization axis 4 out of range for rank 4"},
      {"per-tensor quantization with several scales",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "q")]->quantization->scale = {0.1f, 0.2f}; },
       "tensor #1 'q': per-tensor quantization with 2 scales (expected 1)"},
      {"zero points and scales of different lengths",
       [](fb::ModelT& m) {
         m.tensors[tensor_index(m, "w")]->quantization->zero_point = {0, 0};
       },
       "tensor #2 'w': 2 zero points for 3 scales"},
      {"zero points without scales",
       [](fb::ModelT& m) {
         auto& qz = m.tensors[tensor_index(m, "q")]->quantization;
         qz->scale.clear();
       },
       "tensor #1 'q': quantization has zero points but no scales"},
      {"asymmetric int8 weights",
       [](fb::ModelT& m) { m.tensors[tensor_index(m, "w")]->quantization->zero_point = {0, 1, 0}; },
       "'conv' (CONV_2D): weights 'w' must be symmetric (zero_point[1] = 1)"},
      {"zero point on a float tensor",
       [](fb::ModelT& m) {
         auto qz = std::make_unique<fb::QuantizationT>();
         qz->scale = {1.0f};
         qz->zero_point = {1};
         m.tensors[0]->quantization = std::move(qz);
       },
       "tensor #0 'x': a float32 tensor cannot have zero points"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const Status s = test::try_load(test::mutate(good, c.edit));
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("hostile: a tiny file cannot make load allocate gigabytes", "[hostile]") {
  // Found by fuzz_model: a 2 KB file whose RESIZE output was declared
  // [1, 2^29, 1, 1] made the dry run at load allocate 11.5 GB of coordinate
  // tables. The arena limit now bounds everything load allocates.
  ModelBuilder b;
  const auto x = b.input("x", DType::kInt8, {1, 1, 1, 1}, Quant::per_tensor(1.0f));
  b.output(b.resize(x, 1 << 29, 1, ResizeOptions{}, "huge"));
  const auto bytes = b.finish();
  REQUIRE(bytes.size() < 4096);

  PeakAllocator peak;
  octet_model_options o{};
  o.allocator = &peak.raw;
  test::AlignedBytes keep;
  Model m;
  Status s = load_with(bytes, o, &keep, &m);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == OCTET_ERROR_OUT_OF_MEMORY);
  CHECK_THAT(s.message(), Catch::Contains("operator #0 'huge' (RESIZE): prepared state would "
                                          "exceed the arena limit of 1073741824 bytes"));
  CHECK(peak.largest <= OCTET_DEFAULT_MAX_ARENA_BYTES);

  // A smaller limit applies the same way and bounds allocation further.
  o.max_arena_bytes = 1 << 20;
  peak.largest = 0;
  s = load_with(bytes, o, &keep, &m);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("'huge': 536870912 bytes, above the arena limit of "
                                          "1048576 bytes"));
  CHECK(peak.largest <= (1u << 20));
}

TEST_CASE("hostile: the arena limit is enforced and can be raised", "[hostile]") {
  const auto bytes = model();
  test::AlignedBytes keep;
  Model m;
  octet_model_options o{};
  REQUIRE(load_with(bytes, o, &keep, &m).ok());
  const size_t need = m.arena_size();
  REQUIRE(need > 0);

  o.max_arena_bytes = need;  // exactly enough
  Model exact;
  CHECK(load_with(bytes, o, &keep, &exact).ok());
  o.max_arena_bytes = need - 1;  // one byte short
  Model short_by_one;
  const Status s = load_with(bytes, o, &keep, &short_by_one);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == OCTET_ERROR_OUT_OF_MEMORY);
  CHECK_THAT(s.message(), Catch::Contains("above the limit of " + std::to_string(need - 1)));

  // An old caller whose options struct ends before max_arena_bytes gets the
  // default limit.
  octet_model_options old{};
  test::AlignedBytes keep2(bytes);
  old.struct_size = offsetof(octet_model_options, max_arena_bytes);
  old.max_arena_bytes = 1;  // not part of the struct this caller knows
  Model legacy;
  CHECK(legacy.load_buffer(keep2.data(), keep2.size(), &old).ok());
}

TEST_CASE("hostile: the arena limit also bounds interpreters on other kernel paths",
          "[hostile]") {
  // Each path packs weights its own way, so an interpreter forced to another
  // path is measured again; that measurement must obey the load's limit too.
  // A 3x3 conv over one input channel: K = 9 pads to 12 in the c4 layouts
  // (AVX-512 VNNI, scalar) but to 16 in AVX2's c8 one, so with 1024 output
  // channels the AVX2 path needs ~4 KB more prepared state than the default.
  ModelBuilder b;
  const auto x = b.input("x", DType::kFloat32, {1, 4, 4, 1});
  const auto q = b.quantize(x, DType::kInt8, Quant::per_tensor(0.05f, 3), "q");
  std::vector<float> scales(1024, 0.01f);
  const auto w = b.constant_i8("w", {1024, 3, 3, 1}, std::vector<int8_t>(1024 * 9, 7),
                               Quant::per_channel(scales, 0));
  Conv2DOptions co;
  co.pad_top = co.pad_left = co.pad_bottom = co.pad_right = 1;
  const auto c = b.conv2d(q, w, ModelBuilder::kNone, co, Activation::none(), "conv",
                          Quant::per_tensor(0.1f, 0));
  b.output(b.dequantize(c, "y"));
  const auto bytes = b.finish();
  test::AlignedBytes keep;
  Model m;
  octet_model_options o{};
  REQUIRE(load_with(bytes, o, &keep, &m).ok());
  const size_t default_need = m.arena_size();
  alignas(64) static unsigned char too_small[64];
  int32_t paths = 0;
  for (const char* isa : {"scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot"}) {
    // What this path needs: a too-small caller arena makes creation say so.
    octet_interpreter_options io{};
    io.struct_size = sizeof(io);
    io.isa = isa;
    io.arena = too_small;
    io.arena_size = sizeof(too_small);
    octet_interpreter* it = nullptr;
    octet_status st = octet_interpreter_create(m.get(), &io, &it);
    const std::string msg = octet_interpreter_last_error(it);
    octet_interpreter_destroy(it);
    if (st == OCTET_ERROR_UNSUPPORTED) continue;  // not on this host or build
    INFO(isa << ": " << msg);
    REQUIRE(st == OCTET_ERROR_OUT_OF_MEMORY);
    const size_t at = msg.find("this model needs ");
    REQUIRE(at != std::string::npos);
    const size_t path_need = std::stoul(msg.substr(at + 17));
    ++paths;

    // A limit of exactly that is enough; one byte less is refused, naming it.
    for (const size_t limit : {path_need, path_need - 1}) {
      test::AlignedBytes keep_l;
      Model limited;
      octet_model_options lo{};
      lo.max_arena_bytes = limit;
      const Status ls = load_with(bytes, lo, &keep_l, &limited);
      if (!ls.ok()) {  // the default path needs more than this limit
        CHECK(limit < default_need);
        continue;
      }
      octet_interpreter_options po{};
      po.struct_size = sizeof(po);
      po.isa = isa;
      it = nullptr;
      st = octet_interpreter_create(limited.get(), &po, &it);
      const std::string why = octet_interpreter_last_error(it);
      octet_interpreter_destroy(it);
      INFO("limit " << limit << ": " << why);
      if (limit == path_need) {
        CHECK(st == OCTET_OK);
      } else {
        CHECK(st == OCTET_ERROR_OUT_OF_MEMORY);
        CHECK_THAT(why, Catch::Contains("limit of " + std::to_string(limit)));
      }
    }
  }
  CHECK(paths >= 1);
}

TEST_CASE("hostile: allocation failures are reported, not dereferenced", "[hostile]") {
  const auto bytes = model();
  test::AlignedBytes keep(bytes);
  // An allocator that fails after `budget` successful calls.
  struct Failing {
    int budget;
    static void* allocate(void* ctx, size_t size, size_t alignment) {
      auto* self = static_cast<Failing*>(ctx);
      if (self->budget-- <= 0) return nullptr;
      void* p = nullptr;
      return posix_memalign(&p, alignment < sizeof(void*) ? sizeof(void*) : alignment, size) == 0
                 ? p
                 : nullptr;
    }
    static void deallocate(void*, void* p) { free(p); }
  };
  int loads_ok = 0;
  for (int budget = 0; budget < 64; ++budget) {
    Failing f{budget};
    octet_allocator a{&f, Failing::allocate, Failing::deallocate};
    octet_model_options o{};
    o.struct_size = sizeof(o);
    o.allocator = &a;
    octet_model* m = nullptr;
    const octet_status s = octet_model_load_buffer(keep.data(), keep.size(), &o, &m);
    if (s != OCTET_OK) {
      INFO("budget " << budget);
      if (m != nullptr) {
        CHECK(s == OCTET_ERROR_OUT_OF_MEMORY);
        CHECK(std::string(octet_model_last_error(m)).size() > 0);
      }
      octet_model_destroy(m);
      continue;
    }
    ++loads_ok;
    // Interpreter creation with the same failing allocator.
    Failing g{0};
    octet_allocator ga{&g, Failing::allocate, Failing::deallocate};
    octet_interpreter_options io{};
    io.struct_size = sizeof(io);
    io.allocator = &ga;
    octet_interpreter* it = nullptr;
    CHECK(octet_interpreter_create(m, &io, &it) == OCTET_ERROR_OUT_OF_MEMORY);
    octet_interpreter_destroy(it);
    octet_model_destroy(m);
  }
  CHECK(loads_ok > 0);
}

TEST_CASE("hostile: the fuzzers' findings are rejected with a reason", "[hostile]") {
  // Each file in tests/fuzz/regressions/model/ once crashed the runtime or
  // made it misbehave (docs/security.md lists them). They are also replayed
  // through the fuzz target itself (ctest fuzz.replay.model); here each must
  // be rejected at load, with the checksum skipped as the fuzzer does.
  struct Finding {
    const char* file;
    const char* expect;
  };
  const Finding findings[] = {
      {"load-allocates-gigabytes-resize-tables.octet", "above the arena limit"},
      {"misaligned-int64-zero-points.octet", "zero points are not 8-byte aligned"},
  };
  for (const Finding& f : findings) {
    INFO(f.file);
    const std::string path = std::string(OCTET_FUZZ_REGRESSIONS) + "/model/" + f.file;
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    const Status s = test::try_load(bytes, OCTET_MODEL_SKIP_CHECKSUM);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(f.expect));
  }
}
