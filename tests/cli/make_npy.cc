// SPDX-License-Identifier: Apache-2.0
//
// Test helper: writes a .npy file of a given dtype and shape filled with a
// deterministic pattern.  make_npy OUT.npy DTYPE D0,D1,...
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include "tools/common/npy.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: make_npy OUT.npy float32|int8|uint8|int32 D0,D1,...\n");
    return 2;
  }
  octet::tools::NpyArray a;
  const std::string dt = argv[2];
  if (dt == "float32") a.dtype = OCTET_FLOAT32;
  else if (dt == "int8") a.dtype = OCTET_INT8;
  else if (dt == "uint8") a.dtype = OCTET_UINT8;
  else if (dt == "int32") a.dtype = OCTET_INT32;
  else {
    fprintf(stderr, "make_npy: unknown dtype %s\n", argv[2]);
    return 2;
  }
  std::stringstream ss(argv[3]);
  std::string d;
  while (std::getline(ss, d, ',')) a.shape.push_back(std::stoll(d));
  const size_t n = a.elements();
  a.data.resize(n * octet_dtype_size(a.dtype));
  for (size_t i = 0; i < n; ++i) {
    const double v = 0.5 + 0.5 * std::sin(0.37 * static_cast<double>(i));
    switch (a.dtype) {
      case OCTET_FLOAT32: {
        const float f = static_cast<float>(v);
        memcpy(&a.data[i * 4], &f, 4);
        break;
      }
      case OCTET_INT8: a.data[i] = static_cast<uint8_t>(static_cast<int8_t>(v * 255 - 128)); break;
      case OCTET_UINT8: a.data[i] = static_cast<uint8_t>(v * 255); break;
      default: {
        const int32_t k = static_cast<int32_t>(i);
        memcpy(&a.data[i * 4], &k, 4);
      }
    }
  }
  std::string err;
  if (!octet::tools::write_npy(argv[1], a, &err)) {
    fprintf(stderr, "make_npy: %s\n", err.c_str());
    return 1;
  }
  return 0;
}
