// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: ONNX bytes -> the importer behind `octet convert`
// (converter/onnx). Protobuf parsing, then conversion: an unusable model must
// end in an ImportError (or a protobuf parse failure), never a crash; what it
// converts is loaded by the runtime. (That the runtime *accepts* every
// converted model is not required yet: an empty ModelProto converts to a
// graph-less .octet that load rejects; docs/security.md, open items.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "converter/onnx/onnx_import.h"
#include "octet/octet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  std::vector<uint8_t> bytes;
  try {
    octet::onnx_import::ImportOptions options;
    octet::onnx_import::ImportReport report;
    bytes = octet::onnx_import::convert(model, options, &report);
  } catch (const octet::onnx_import::ImportError&) {
    return 0;  // rejected with a message: fine
  }
  // What the converter writes, the runtime must accept.
  void* copy = nullptr;
  if (posix_memalign(&copy, 64, bytes.size()) != 0) return 0;
  memcpy(copy, bytes.data(), bytes.size());
  octet_model* m = nullptr;
  (void)octet_model_load_buffer(copy, bytes.size(), nullptr, &m);
  octet_model_destroy(m);
  free(copy);
  return 0;
}
