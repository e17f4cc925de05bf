// SPDX-License-Identifier: Apache-2.0
//
// NumPy .npy files (format versions 1-3), little-endian, C order, for the
// dtypes Octet uses. Reading validates everything and reports the culprit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "octet/octet.h"

namespace octet::tools {

struct NpyArray {
  octet_dtype dtype = OCTET_FLOAT32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // raw little-endian elements

  size_t elements() const {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

/// Parses .npy bytes. On failure returns false and sets `error`.
bool parse_npy(const uint8_t* bytes, size_t size, NpyArray* out, std::string* error);
/// Reads a .npy file; the error names the file.
bool read_npy(const std::string& path, NpyArray* out, std::string* error);
/// Serializes to .npy version 1.0.
std::vector<uint8_t> encode_npy(const NpyArray& a);
bool write_npy(const std::string& path, const NpyArray& a, std::string* error);

/// "[1, 28, 28, 1]"
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace octet::tools
