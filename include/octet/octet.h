/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Octet: an embeddable int8 inference runtime. The C API.
 *
 * Lifecycle: load a model (octet_model_load_file / _buffer: verify, no copy
 * of the weights), create one or more interpreters over it (prepare: shapes,
 * kernel choice, arena plan), then fill inputs and invoke as often as needed.
 * Invoke never allocates. A model may back several interpreters at once, in
 * different threads; one interpreter is used by one thread at a time.
 *
 * Every call returns an octet_status. On failure the handle's last error
 * (octet_model_last_error / octet_interpreter_last_error) names the tensor
 * or operator at fault. Like sqlite3_open, the load functions return a model
 * handle even when loading fails, so the message can be read; destroy it.
 */
#ifndef OCTET_OCTET_H_
#define OCTET_OCTET_H_

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define OCTET_API
#elif defined(__GNUC__) || defined(__clang__)
#define OCTET_API __attribute__((visibility("default")))
#else
#define OCTET_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every API call. */
typedef enum octet_status {
  OCTET_OK = 0,
  /** A caller-side mistake: null pointer, index out of range, bad option. */
  OCTET_ERROR_INVALID_ARGUMENT = 1,
  /** The model file is corrupt or inconsistent. */
  OCTET_ERROR_INVALID_MODEL = 2,
  /** The model is valid but uses something this build does not support. */
  OCTET_ERROR_UNSUPPORTED = 3,
  /** An allocation failed, or a caller-supplied arena is too small. */
  OCTET_ERROR_OUT_OF_MEMORY = 4,
  /** A file could not be opened, read or mapped. */
  OCTET_ERROR_IO = 5,
  /** Input data of the wrong size, type or shape. */
  OCTET_ERROR_SHAPE_MISMATCH = 6,
} octet_status;

/** Short, static description of a status code. */
OCTET_API const char* octet_status_string(octet_status status);

/** Library version as "MAJOR.MINOR.PATCH". */
OCTET_API const char* octet_version(void);

/** Element types (values match the model format). */
typedef enum octet_dtype {
  OCTET_FLOAT32 = 0,
  OCTET_INT8 = 1,
  OCTET_UINT8 = 2,
  OCTET_INT16 = 3,
  OCTET_INT32 = 4,
  OCTET_INT64 = 5,
} octet_dtype;

/** Size in bytes of one element of `dtype` (0 for an unknown value). */
OCTET_API size_t octet_dtype_size(octet_dtype dtype);
/** Lower-case name of `dtype` ("float32", "int8", ...). */
OCTET_API const char* octet_dtype_name(octet_dtype dtype);

#define OCTET_MAX_RANK 6

/**
 * User memory allocator. `allocate` returns memory aligned to at least
 * `alignment` (a power of two, at most 4096) or NULL. Every block the
 * runtime obtains is returned with `deallocate`.
 */
typedef struct octet_allocator {
  void* context;
  void* (*allocate)(void* context, size_t size, size_t alignment);
  void (*deallocate)(void* context, void* pointer);
} octet_allocator;

/** Description of a model input or output. */
typedef struct octet_tensor_info {
  /** Name from the model; valid while the model lives. */
  const char* name;
  octet_dtype dtype;
  int32_t rank;
  int32_t dims[OCTET_MAX_RANK];
  /** Total size in bytes. */
  size_t bytes;
  /** Quantization of integer tensors (per-tensor); scale 0 if none. */
  float scale;
  int32_t zero_point;
} octet_tensor_info;

/* -------------------------------------------------------------- operators */
/*
 * Op resolver. Each operator implementation (its checks, prepare function
 * and kernels) is one object, octet_op_<opcode>. A model is loaded with
 * either the build's built-in operator set (CMake option OCTET_OPS, default
 * all) or a resolver listing the operators the application registers. A
 * model using an operator that is not registered fails to load with
 * OCTET_ERROR_UNSUPPORTED naming the operator and its opcode.
 *
 * Linking Octet statically with -Wl,--gc-sections into an application whose
 * resolver lists only what its models use keeps only those operators'
 * kernels, provided the built-in set does not pull in the rest
 * (-DOCTET_OPS=none, or the list itself). `octet inspect MODEL --ops-header
 * FILE` writes the list a model needs (docs/embedding.md).
 */

/** One operator implementation (opaque). */
typedef struct octet_op octet_op;

/** The operators an application registers. Set struct_size. */
typedef struct octet_op_resolver {
  /** sizeof(octet_op_resolver). */
  size_t struct_size;
  /** `num_ops` operators, e.g. {&octet_op_conv_2d, &octet_op_softmax}. */
  const octet_op* const* ops;
  int32_t num_ops;
} octet_op_resolver;

/** One object per opcode (schema/octet.fbs); taking an address links it. */
OCTET_API extern const octet_op octet_op_conv_2d;
OCTET_API extern const octet_op octet_op_conv_transpose_2d;
OCTET_API extern const octet_op octet_op_fully_connected;
OCTET_API extern const octet_op octet_op_matmul;
OCTET_API extern const octet_op octet_op_add;
OCTET_API extern const octet_op octet_op_sub;
OCTET_API extern const octet_op octet_op_mul;
OCTET_API extern const octet_op octet_op_div;
OCTET_API extern const octet_op octet_op_clamp;
OCTET_API extern const octet_op octet_op_hard_swish;
OCTET_API extern const octet_op octet_op_hard_sigmoid;
OCTET_API extern const octet_op octet_op_sigmoid;
OCTET_API extern const octet_op octet_op_tanh;
OCTET_API extern const octet_op octet_op_leaky_relu;
OCTET_API extern const octet_op octet_op_prelu;
OCTET_API extern const octet_op octet_op_max_pool_2d;
OCTET_API extern const octet_op octet_op_average_pool_2d;
OCTET_API extern const octet_op octet_op_mean;
OCTET_API extern const octet_op octet_op_concat;
OCTET_API extern const octet_op octet_op_split;
OCTET_API extern const octet_op octet_op_slice;
OCTET_API extern const octet_op octet_op_reshape;
OCTET_API extern const octet_op octet_op_transpose;
OCTET_API extern const octet_op octet_op_pad;
OCTET_API extern const octet_op octet_op_resize;
OCTET_API extern const octet_op octet_op_softmax;
OCTET_API extern const octet_op octet_op_quantize;
OCTET_API extern const octet_op octet_op_dequantize;

/** Opcode name of a registered operator, e.g. "CONV_2D" ("" for NULL). */
OCTET_API const char* octet_op_name(const octet_op* op);

/* ------------------------------------------------------------------ model */

typedef struct octet_model octet_model;

/** Flags for octet_model_options.flags. */
enum {
  /**
   * Skip the whole-file CRC-32C check at load. The structural and semantic
   * checks still run; only damage inside weights or parameters goes unseen.
   * For very large models on slow storage, where reading every page at load
   * costs more than it is worth.
   */
  OCTET_MODEL_SKIP_CHECKSUM = 1u << 0,
};

/** Default for octet_model_options.max_arena_bytes: 1 GiB. */
#define OCTET_DEFAULT_MAX_ARENA_BYTES ((size_t)1 << 30)

/** Options for loading a model. Zero-initialize, then set struct_size. */
typedef struct octet_model_options {
  /** sizeof(octet_model_options): lets the struct grow compatibly. */
  size_t struct_size;
  /** Allocator for the model's own bookkeeping; NULL = malloc/free. */
  const octet_allocator* allocator;
  /** OCTET_MODEL_* flags. */
  uint32_t flags;
  /**
   * Largest octet_model_arena_size() accepted (prepared state plus
   * activations). A model that would need more is rejected at load with
   * OCTET_ERROR_OUT_OF_MEMORY before anything that large is allocated, so a
   * small hostile file cannot make load ask for gigabytes.
   * 0 = OCTET_DEFAULT_MAX_ARENA_BYTES.
   */
  size_t max_arena_bytes;
  /**
   * The operators this model may use, or NULL for the build's built-in set
   * (OCTET_OPS). Read during load only; the octet_op objects are static.
   */
  const octet_op_resolver* resolver;
} octet_model_options;

/**
 * Maps `path` read-only and verifies it. The weights are used in place from
 * the mapping. `options` may be NULL. `*model` is set even on failure (unless
 * allocation itself failed); read octet_model_last_error, then destroy it.
 */
OCTET_API octet_status octet_model_load_file(const char* path, const octet_model_options* options,
                                             octet_model** model);

/**
 * Verifies a model held in the caller's memory, which must stay valid and
 * unchanged while the model lives and be aligned to 16 bytes (64 for the
 * weights to be used without penalty). Nothing is copied.
 */
OCTET_API octet_status octet_model_load_buffer(const void* data, size_t size,
                                               const octet_model_options* options,
                                               octet_model** model);

/** Releases the model. Interpreters created from it must be destroyed first. */
OCTET_API void octet_model_destroy(octet_model* model);

/** Message of the last failure on this model ("" if none). */
OCTET_API const char* octet_model_last_error(const octet_model* model);

OCTET_API int32_t octet_model_num_inputs(const octet_model* model);
OCTET_API int32_t octet_model_num_outputs(const octet_model* model);
OCTET_API octet_status octet_model_input_info(const octet_model* model, int32_t index,
                                              octet_tensor_info* info);
OCTET_API octet_status octet_model_output_info(const octet_model* model, int32_t index,
                                               octet_tensor_info* info);

/**
 * Device I/O. octet_model_input_info / octet_model_output_info give each
 * input's and output's element type, shape and (integer types) scale and
 * zero point: real = scale * (q - zero_point). A model quantized with
 * `octet quantize --input-type uint8` takes raw uint8 data directly (with
 * --mean/--std/--scale folded in: the raw pixel bytes); a uint8 value is the
 * int8 one plus 128. The layout says how a rank-4 image input is ordered.
 */
typedef enum octet_layout {
  /** Not recorded, or not an image tensor (rank != 4). */
  OCTET_LAYOUT_UNKNOWN = 0,
  /** [N, H, W, C]: channels innermost (camera frames, Octet's own order). */
  OCTET_LAYOUT_NHWC = 1,
  /** [N, C, H, W]: planes (PyTorch/ONNX order). */
  OCTET_LAYOUT_NCHW = 2,
} octet_layout;

/** Layout of input `index` (model metadata "io.layout.NAME"). */
OCTET_API octet_layout octet_model_input_layout(const octet_model* model, int32_t index);
/** Layout of output `index`. */
OCTET_API octet_layout octet_model_output_layout(const octet_model* model, int32_t index);
/** "NHWC", "NCHW" or "unknown". */
OCTET_API const char* octet_layout_name(octet_layout layout);

/**
 * Value of the model's metadata entry `key` (e.g. "io.preprocess.image",
 * the normalization folded into an integer input), or NULL if absent.
 * Valid while the model lives.
 */
OCTET_API const char* octet_model_metadata(const octet_model* model, const char* key);

/**
 * Bytes an interpreter with default options needs in total (prepared state
 * plus activations), i.e. the minimum `arena_size` for a caller-supplied
 * arena.
 */
OCTET_API size_t octet_model_arena_size(const octet_model* model);

/* ------------------------------------------------------------ interpreter */

typedef struct octet_interpreter octet_interpreter;

/** Options for an interpreter. Zero-initialize, then set struct_size. */
typedef struct octet_interpreter_options {
  /** sizeof(octet_interpreter_options). */
  size_t struct_size;
  /** Worker threads; 0 or 1 = run on the calling thread only. */
  int32_t num_threads;
  /**
   * Caller-supplied memory for everything the interpreter needs, aligned to
   * 64 bytes and at least octet_model_arena_size() bytes; NULL = allocate
   * one block with the allocator. With an arena, creating the interpreter
   * allocates nothing on the heap (apart from worker threads).
   */
  void* arena;
  size_t arena_size;
  /** Allocator for the arena when none is supplied; NULL = malloc/free. */
  const octet_allocator* allocator;
  /**
   * Kernel path: "scalar", "avx2", "avxvnni", "avx512vnni", "neon" or
   * "neondot"; NULL = the best the host has (or the OCTET_ISA environment
   * variable's choice, when set and available). Creation fails with
   * OCTET_ERROR_INVALID_ARGUMENT for an unknown name and OCTET_ERROR_UNSUPPORTED
   * for a path this build or host cannot run. Every path gives bit-identical
   * outputs; this exists for testing and benchmarking. Packed weights differ
   * in size between paths: octet_model_arena_size() is for the default path,
   * a caller-supplied arena for another path may need a little more (the
   * error message says how much).
   */
  const char* isa;
} octet_interpreter_options;

/**
 * Prepares `model` for execution. `options` may be NULL. `*interpreter` is
 * set even on failure (read octet_interpreter_last_error, then destroy).
 */
OCTET_API octet_status octet_interpreter_create(const octet_model* model,
                                                const octet_interpreter_options* options,
                                                octet_interpreter** interpreter);

OCTET_API void octet_interpreter_destroy(octet_interpreter* interpreter);

/** Message of the last failure on this interpreter ("" if none). */
OCTET_API const char* octet_interpreter_last_error(const octet_interpreter* interpreter);

/** Index of the input or output named `name`, or -1. */
OCTET_API int32_t octet_interpreter_input_index(const octet_interpreter* interpreter,
                                                const char* name);
OCTET_API int32_t octet_interpreter_output_index(const octet_interpreter* interpreter,
                                                 const char* name);

/**
 * Pointer to input `index`'s buffer inside the arena: write the input there
 * directly (no copy), then invoke. Valid while the interpreter lives.
 */
OCTET_API void* octet_interpreter_input_data(octet_interpreter* interpreter, int32_t index);

/** Copies `bytes` bytes into input `index`; `bytes` must equal its size. */
OCTET_API octet_status octet_interpreter_set_input(octet_interpreter* interpreter, int32_t index,
                                                   const void* data, size_t bytes);

/** Runs the model. Allocates nothing. */
OCTET_API octet_status octet_interpreter_invoke(octet_interpreter* interpreter);

/** Pointer to output `index` after invoke; valid until the next invoke. */
OCTET_API const void* octet_interpreter_output_data(const octet_interpreter* interpreter,
                                                    int32_t index);

/** Copies output `index` into `data`; `bytes` must equal its size. */
OCTET_API octet_status octet_interpreter_get_output(const octet_interpreter* interpreter,
                                                    int32_t index, void* data, size_t bytes);

/** Bytes of the activation arena plan (excluding prepared state). */
OCTET_API size_t octet_interpreter_activation_bytes(const octet_interpreter* interpreter);

/* ---------------------------------------------------------- introspection */
/*
 * Tools (calibration, accuracy analysis, profiling) look inside a model:
 * every tensor and operator by index, and every tensor's data while an
 * observer runs. Applications normally need none of this.
 */

/** Description of an operator. Strings are valid while the model lives. */
typedef struct octet_operator_info {
  /** Operator name (normally the source model's node name). */
  const char* name;
  /** Opcode name, e.g. "CONV_2D". */
  const char* opcode;
  int32_t num_inputs;
  /** Tensor indices; -1 marks an absent optional input. */
  const int32_t* inputs;
  int32_t num_outputs;
  const int32_t* outputs;
  /** Number of source-model nodes this operator came from (fusion). */
  int32_t num_source_nodes;
} octet_operator_info;

OCTET_API int32_t octet_model_num_tensors(const octet_model* model);
OCTET_API int32_t octet_model_num_operators(const octet_model* model);
/** Any tensor by index (quantization fields describe per-tensor params). */
OCTET_API octet_status octet_model_tensor_info(const octet_model* model, int32_t tensor,
                                               octet_tensor_info* info);
OCTET_API octet_status octet_model_operator_info(const octet_model* model, int32_t op,
                                                 octet_operator_info* info);
/** Name of source node `k` of operator `op` (NULL if out of range). */
OCTET_API const char* octet_model_operator_source_node(const octet_model* model, int32_t op,
                                                       int32_t k);
/** Model index of graph input/output `index`, or -1. */
OCTET_API int32_t octet_model_input_tensor(const octet_model* model, int32_t index);
OCTET_API int32_t octet_model_output_tensor(const octet_model* model, int32_t index);

/**
 * Called by invoke after operator `op` has run. The observer may read, and
 * may also overwrite, that operator's outputs through
 * octet_interpreter_tensor_data (analysis tools use this to substitute
 * reference values); it must not call invoke. Return nonzero to stop the
 * invoke early (invoke then returns OCTET_OK with later steps not run).
 */
typedef int (*octet_observer)(void* user, const octet_interpreter* interpreter, int32_t op);

/**
 * Name of the kernel prepare chose for operator `op` (e.g.
 * "gemm_qs8_qc8w_8x32c4_avx512vnni", or "reference"); NULL if out of range.
 */
OCTET_API const char* octet_interpreter_operator_kernel(const octet_interpreter* interpreter,
                                                        int32_t op);

/** The model an interpreter runs. */
OCTET_API const octet_model* octet_interpreter_model(const octet_interpreter* interpreter);

/** Installs (or, with NULL, removes) the observer. */
OCTET_API octet_status octet_interpreter_set_observer(octet_interpreter* interpreter,
                                                      octet_observer observer, void* user);

/**
 * Data of tensor `tensor`. Constants are always valid (read-only). An
 * activation is valid from the step that produces it until its last
 * consumer has run (the arena reuses memory); graph inputs and outputs
 * stay valid. Inside an observer for operator `op`, `op`'s outputs are
 * valid.
 */
OCTET_API void* octet_interpreter_tensor_data(const octet_interpreter* interpreter,
                                              int32_t tensor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* OCTET_OCTET_H_ */
