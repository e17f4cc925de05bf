// SPDX-License-Identifier: Apache-2.0
#include "tools/common/npy.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace octet::tools {
namespace {

struct DescrMap {
  const char* descr;
  octet_dtype dtype;
};
// '|' and '<' byte orders are both accepted for 1-byte types; '=' means
// native, which is little-endian on every platform Octet targets.
constexpr DescrMap kDescrs[] = {
    {"<f4", OCTET_FLOAT32}, {"=f4", OCTET_FLOAT32}, {"|i1", OCTET_INT8},  {"<i1", OCTET_INT8},
    {"|u1", OCTET_UINT8},   {"<u1", OCTET_UINT8},   {"<i2", OCTET_INT16}, {"=i2", OCTET_INT16},
    {"<i4", OCTET_INT32},   {"=i4", OCTET_INT32},   {"<i8", OCTET_INT64}, {"=i8", OCTET_INT64},
};

const char* descr_of(octet_dtype d) {
  switch (d) {
    case OCTET_FLOAT32: return "<f4";
    case OCTET_INT8: return "|i1";
    case OCTET_UINT8: return "|u1";
    case OCTET_INT16: return "<i2";
    case OCTET_INT32: return "<i4";
    case OCTET_INT64: return "<i8";
  }
  return "?";
}

// Finds the value text after 'key': in the header dict.
bool find_value(const std::string& h, const char* key, size_t* at) {
  const std::string k1 = std::string("'") + key + "'";
  size_t p = h.find(k1);
  if (p == std::string::npos) return false;
  p = h.find(':', p + k1.size());
  if (p == std::string::npos) return false;
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  *at = p;
  return true;
}

}  // namespace

bool parse_npy(const uint8_t* b, size_t size, NpyArray* out, std::string* error) {
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || memcmp(b, kMagic, 6) != 0) {
    *error = "not a .npy file (bad magic)";
    return false;
  }
  const uint8_t major = b[6];
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = b[8] | (b[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      *error = "truncated .npy header";
      return false;
    }
    header_len = static_cast<size_t>(b[8]) | (static_cast<size_t>(b[9]) << 8) |
                 (static_cast<size_t>(b[10]) << 16) | (static_cast<size_t>(b[11]) << 24);
    offset = 12;
  } else {
    *error = "unsupported .npy version " + std::to_string(major);
    return false;
  }
  if (header_len > size - offset) {
    *error = "truncated .npy header";
    return false;
  }
  const std::string h(reinterpret_cast<const char*>(b + offset), header_len);
  size_t at = 0;
  if (!find_value(h, "descr", &at) || at >= h.size() || h[at] != '\'') {
    *error = ".npy header has no 'descr'";
    return false;
  }
  const size_t end = h.find('\'', at + 1);
  if (end == std::string::npos) {
    *error = ".npy header: unterminated descr";
    return false;
  }
  const std::string descr = h.substr(at + 1, end - at - 1);
  bool known = false;
  for (const auto& d : kDescrs) {
    if (descr == d.descr) {
      out->dtype = d.dtype;
      known = true;
    }
  }
  if (!known) {
    *error = "unsupported .npy dtype '" + descr +
             "' (supported: float32, int8, uint8, int16, int32, int64, little-endian)";
    return false;
  }
  if (!find_value(h, "fortran_order", &at)) {
    *error = ".npy header has no 'fortran_order'";
    return false;
  }
  if (h.compare(at, 4, "True") == 0) {
    *error = "Fortran-order .npy arrays are not supported (save with order='C')";
    return false;
  }
  if (!find_value(h, "shape", &at) || at >= h.size() || h[at] != '(') {
    *error = ".npy header has no 'shape'";
    return false;
  }
  const size_t close = h.find(')', at);
  if (close == std::string::npos) {
    *error = ".npy header: unterminated shape";
    return false;
  }
  out->shape.clear();
  size_t elements = 1;
  const std::string dims = h.substr(at + 1, close - at - 1);
  size_t p = 0;
  while (p < dims.size()) {
    while (p < dims.size() && (dims[p] == ' ' || dims[p] == ',')) ++p;
    if (p >= dims.size()) break;
    size_t q = p;
    while (q < dims.size() && dims[q] >= '0' && dims[q] <= '9') ++q;
    if (q == p || q - p > 12) {
      *error = ".npy header: bad shape '" + dims + "'";
      return false;
    }
    const int64_t d = std::stoll(dims.substr(p, q - p));
    if (d > (int64_t{1} << 40) || __builtin_mul_overflow(elements, static_cast<size_t>(d), &elements) ||
        elements > (size_t{1} << 40)) {
      *error = ".npy shape too large";
      return false;
    }
    out->shape.push_back(d);
    p = q;
  }
  const size_t data_at = offset + header_len;
  const size_t need = elements * octet_dtype_size(out->dtype);
  if (size - data_at != need) {
    *error = ".npy data is " + std::to_string(size - data_at) + " bytes, shape " +
             shape_string(out->shape) + " of " + octet_dtype_name(out->dtype) + " needs " +
             std::to_string(need);
    return false;
  }
  out->data.assign(b + data_at, b + size);
  return true;
}

bool read_npy(const std::string& path, NpyArray* out, std::string* error) {
  // Only regular files: a directory opens but reads nothing, and a device
  // or pipe (/dev/zero) would be read until memory runs out.
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    *error = "cannot open '" + path + "': " + strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    *error = "'" + path + "' is not a regular file";
    return false;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    *error = "cannot open '" + path + "': " + strerror(errno);
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) {
    *error = "error reading '" + path + "'";
    return false;
  }
  if (!parse_npy(bytes.data(), bytes.size(), out, error)) {
    *error = "'" + path + "': " + *error;
    return false;
  }
  return true;
}

std::vector<uint8_t> encode_npy(const NpyArray& a) {
  std::string h = std::string("{'descr': '") + descr_of(a.dtype) +
                  "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) h += (i ? ", " : "") + std::to_string(a.shape[i]);
  h += a.shape.size() == 1 ? ",)" : ")";  // numpy spells a 1-tuple "(5,)"
  h += ", }";
  // Pad so that the data starts on a 64-byte boundary, newline-terminated.
  const size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::vector<uint8_t> out(10 + h.size() + a.data.size());
  const uint8_t head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                            static_cast<uint8_t>(h.size() & 0xff),
                            static_cast<uint8_t>(h.size() >> 8)};
  memcpy(out.data(), head, sizeof(head));
  memcpy(out.data() + 10, h.data(), h.size());
  if (!a.data.empty()) memcpy(out.data() + 10 + h.size(), a.data.data(), a.data.size());
  return out;
}

bool write_npy(const std::string& path, const NpyArray& a, std::string* error) {
  const std::vector<uint8_t> bytes = encode_npy(a);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    *error = "cannot write '" + path + "'";
    return false;
  }
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    *error = "error writing '" + path + "'";
    return false;
  }
  return true;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace octet::tools
