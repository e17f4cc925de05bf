// SPDX-License-Identifier: Apache-2.0
//
// Fuzz target: .npy bytes -> the tensor reader (tools/common/npy.h), which
// `octet run` and the calibration loaders use for every input file. An
// accepted array must be self-consistent and survive a write/read round
// trip unchanged; a rejected one must say why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/common/npy.h"

#define FUZZ_CHECK(cond)  \
  do {                    \
    if (!(cond)) abort(); \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  octet::tools::NpyArray a;
  std::string error;
  if (!octet::tools::parse_npy(data, size, &a, &error)) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(a.data.size() == a.elements() * octet_dtype_size(a.dtype));
  FUZZ_CHECK(a.data.size() <= size);
  (void)octet::tools::shape_string(a.shape);
  const std::vector<uint8_t> again = octet::tools::encode_npy(a);
  octet::tools::NpyArray b;
  FUZZ_CHECK(octet::tools::parse_npy(again.data(), again.size(), &b, &error));
  FUZZ_CHECK(b.dtype == a.dtype && b.shape == a.shape && b.data == a.data);
  return 0;
}
