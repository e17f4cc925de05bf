// SPDX-License-Identifier: Apache-2.0
#include "converter/ptq/data.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/common/npy.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#endif
#include <stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace octet::ptq {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what) { throw DataError(what); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t product(const std::vector<int32_t>& s, size_t from = 0) {
  size_t n = 1;
  for (size_t i = from; i < s.size(); ++i) n *= static_cast<size_t>(s[i]);
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

// Image geometry of a model input: [1,C,H,W] or [1,H,W,C] (or [1,H,W]).
struct Geometry {
  int32_t c = 1, h = 1, w = 1;
  bool nchw = false;
};

Geometry geometry(const std::vector<int32_t>& shape, Layout layout) {
  Geometry g;
  if (shape.size() == 4) {
    // The channel dimension is the one that looks like one (1 or 3 channels,
    // or at most 4 against a larger spatial size); ONNX order when unsure.
    auto chan = [](int32_t d) { return d == 1 || d == 3; };
    bool c_first = true;
    if (chan(shape[3]) && !chan(shape[1])) c_first = false;
    if (!chan(shape[1]) && !chan(shape[3])) c_first = shape[1] <= 4 && shape[3] > 4;
    g.nchw = layout == Layout::kNCHW || (layout == Layout::kAuto && c_first);
    if (g.nchw) {
      g.c = shape[1], g.h = shape[2], g.w = shape[3];
    } else {
      g.c = shape[3], g.h = shape[1], g.w = shape[2];
    }
  } else if (shape.size() == 3) {
    g.h = shape[1], g.w = shape[2];
  } else {
    fail("the model input " + std::string("has rank ") + std::to_string(shape.size()) +
         "; image data needs a [1,C,H,W], [1,H,W,C] or [1,H,W] input");
  }
  return g;
}

// Normalization x = (v·scale − mean[c]) / std[c], channel c of element i
// (channel-innermost or channel-outermost).
struct Normalizer {
  float scale;
  std::vector<float> mean, inv_std;
  size_t channels = 1, plane = 1;  // plane = elements per channel (NCHW)
  bool channel_last = true;

  Normalizer(const Preprocess& p, float auto_scale, const Geometry& g) {
    scale = p.scale < 0 ? auto_scale : p.scale;
    channels = static_cast<size_t>(g.c);
    channel_last = !g.nchw;
    plane = static_cast<size_t>(g.h) * static_cast<size_t>(g.w);
    auto per_channel = [&](const std::vector<float>& v, const char* what) {
      if (v.size() != 1 && v.size() != channels) {
        fail(std::string("--") + what + " has " + std::to_string(v.size()) +
             " values; the model input has " + std::to_string(channels) + " channels");
      }
      std::vector<float> r(channels);
      for (size_t c = 0; c < channels; ++c) r[c] = v[v.size() == 1 ? 0 : c];
      return r;
    };
    mean = per_channel(p.mean.empty() ? std::vector<float>{0.0f} : p.mean, "mean");
    inv_std = per_channel(p.std.empty() ? std::vector<float>{1.0f} : p.std, "std");
    for (float& s : inv_std) {
      if (!(s > 0)) fail("--std values must be > 0");
      s = 1.0f / s;
    }
  }
  float operator()(size_t i, float v) const {
    const size_t c = channels == 1 ? 0 : (channel_last ? i % channels : (i / plane) % channels);
    return (v * scale - mean[c]) * inv_std[c];
  }
};

template <typename T>
void convert_elements(const uint8_t* raw, size_t n, const Normalizer& norm, float* out) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    memcpy(&v, raw + i * sizeof(T), sizeof(T));
    out[i] = norm(i, static_cast<float>(v));
  }
}

void convert_npy(const tools::NpyArray& a, size_t offset, size_t n, const Normalizer& norm,
                 float* out) {
  const size_t es = octet_dtype_size(a.dtype);
  const uint8_t* p = a.data.data() + offset * es;
  switch (a.dtype) {
    case OCTET_FLOAT32: convert_elements<float>(p, n, norm, out); break;
    case OCTET_INT8: convert_elements<int8_t>(p, n, norm, out); break;
    case OCTET_UINT8: convert_elements<uint8_t>(p, n, norm, out); break;
    case OCTET_INT16: convert_elements<int16_t>(p, n, norm, out); break;
    case OCTET_INT32: convert_elements<int32_t>(p, n, norm, out); break;
    case OCTET_INT64: convert_elements<int64_t>(p, n, norm, out); break;
  }
}

// How many samples an array holds for a model input of `per` elements:
// either exactly one sample (any shape with `per` elements) or a batch
// [N, ...] whose trailing dimensions hold `per` elements.
size_t samples_in(const tools::NpyArray& a, size_t per, const std::string& path,
                  const std::vector<int32_t>& input_shape) {
  const size_t n = a.elements();
  if (n == per) return 1;
  if (!a.shape.empty() && n % per == 0 && static_cast<size_t>(a.shape[0]) * per == n) {
    return static_cast<size_t>(a.shape[0]);
  }
  std::string want;
  for (size_t i = 0; i < input_shape.size(); ++i) {
    want += (i ? "," : "") + std::to_string(input_shape[i]);
  }
  fail(path + ": array of shape " + tools::shape_string(a.shape) +
       " is neither one sample nor a batch [N, ...] of the model input [" + want + "] (" +
       std::to_string(per) + " elements per sample)");
}

Dataset open_npy_files(const std::vector<std::string>& files, const std::string& what,
                       const std::vector<int32_t>& input_shape, const Preprocess& pre,
                       size_t max_count) {
  const size_t per = product(input_shape);
  struct Batch {
    std::shared_ptr<tools::NpyArray> a;
    size_t first, count;
  };
  auto batches = std::make_shared<std::vector<Batch>>();
  size_t total = 0;
  bool eight_bit = true;
  for (const auto& f : files) {
    if (max_count && total >= max_count) break;
    auto a = std::make_shared<tools::NpyArray>();
    std::string err;
    if (!tools::read_npy(f, a.get(), &err)) fail(err);
    const size_t k = samples_in(*a, per, f, input_shape);
    eight_bit = eight_bit && (a->dtype == OCTET_UINT8 || a->dtype == OCTET_INT8);
    batches->push_back({a, total, k});
    total += k;
  }
  if (total == 0) fail(what + ": no samples");
  if (max_count) total = std::min(total, max_count);
  // Plain tensors (not images): no layout or channel interpretation unless
  // the input looks like an image.
  Geometry g;
  if (input_shape.size() == 4) g = geometry(input_shape, pre.layout);
  const Normalizer norm(pre, eight_bit ? 1.0f / 255.0f : 1.0f, g);
  auto fetch = [batches, per, norm](size_t i, float* out) {
    auto it = std::upper_bound(batches->begin(), batches->end(), i,
                               [](size_t v, const Batch& b) { return v < b.first; });
    const Batch& b = *(it - 1);
    convert_npy(*b.a, (i - b.first) * per, per, norm, out);
  };
  return Dataset(total, per, fetch, what + ": " + std::to_string(total) + " samples");
}

Dataset open_idx(const std::string& path, const std::vector<int32_t>& input_shape,
                 const Preprocess& pre, size_t max_count) {
  auto bytes = std::make_shared<std::vector<uint8_t>>(read_file_maybe_gz(path));
  const auto& b = *bytes;
  if (b.size() < 4 || b[0] != 0 || b[1] != 0) fail(path + ": not an IDX file (bad magic)");
  if (b[2] != 0x08) fail(path + ": IDX element type " + std::to_string(b[2]) + " (only unsigned bytes, 0x08, are supported)");
  const int ndim = b[3];
  if (ndim < 1 || b.size() < 4 + 4 * static_cast<size_t>(ndim)) fail(path + ": truncated IDX header");
  std::vector<int64_t> dims(ndim);
  size_t n = 1;
  for (int i = 0; i < ndim; ++i) {
    const uint8_t* p = b.data() + 4 + 4 * i;
    dims[i] = (int64_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    n *= static_cast<size_t>(dims[i]);
  }
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  if (b.size() - header != n) {
    fail(path + ": IDX data has " + std::to_string(b.size() - header) + " bytes, header says " +
         std::to_string(n) + " (" + shape_str(dims) + ")");
  }
  const size_t per = product(input_shape);
  const size_t per_file = ndim == 1 ? 1 : n / static_cast<size_t>(dims[0]);
  if (per_file != per) {
    fail(path + ": IDX samples are " + shape_str({dims.begin() + 1, dims.end()}) + " (" +
         std::to_string(per_file) + " values) but the model input needs " + std::to_string(per));
  }
  size_t count = static_cast<size_t>(dims[0]);
  if (max_count) count = std::min(count, max_count);
  Geometry g;
  if (input_shape.size() == 4) g = geometry(input_shape, pre.layout);
  const Normalizer norm(pre, 1.0f / 255.0f, g);
  auto fetch = [bytes, header, per, norm](size_t i, float* out) {
    const uint8_t* p = bytes->data() + header + i * per;
    for (size_t k = 0; k < per; ++k) out[k] = norm(k, static_cast<float>(p[k]));
  };
  const size_t slash = path.find_last_of('/');
  return Dataset(count, per, fetch,
                 "IDX " + path.substr(slash == std::string::npos ? 0 : slash + 1) + ": " +
                     std::to_string(count) + " of " + shape_str(dims));
}

// Bilinear resize of an interleaved 8-bit image (half-pixel centers).
std::vector<float> resize_bilinear(const uint8_t* src, int sw, int sh, int c, int dw, int dh) {
  std::vector<float> out(static_cast<size_t>(dw) * dh * c);
  for (int y = 0; y < dh; ++y) {
    const float fy = std::clamp((y + 0.5f) * sh / dh - 0.5f, 0.0f, float(sh - 1));
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, sh - 1);
    const float ly = fy - y0;
    for (int x = 0; x < dw; ++x) {
      const float fx = std::clamp((x + 0.5f) * sw / dw - 0.5f, 0.0f, float(sw - 1));
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, sw - 1);
      const float lx = fx - x0;
      for (int k = 0; k < c; ++k) {
        auto at = [&](int yy, int xx) { return float(src[(size_t(yy) * sw + xx) * c + k]); };
        const float top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx;
        const float bot = at(y1, x0) * (1 - lx) + at(y1, x1) * lx;
        out[(size_t(y) * dw + x) * c + k] = top * (1 - ly) + bot * ly;
      }
    }
  }
  return out;
}

Dataset open_images(const std::vector<std::string>& files, const std::string& dir,
                    const std::vector<int32_t>& input_shape, const Preprocess& pre,
                    size_t max_count) {
  const Geometry g = geometry(input_shape, pre.layout);
  if (g.c != 1 && g.c != 3) {
    fail("image data needs a model input with 1 or 3 channels (got " + std::to_string(g.c) + ")");
  }
  if (pre.channel_order != "rgb" && pre.channel_order != "bgr") {
    fail("--channel-order must be rgb or bgr, not '" + pre.channel_order + "'");
  }
  const int th = pre.height > 0 ? pre.height : g.h, tw = pre.width > 0 ? pre.width : g.w;
  if (th != g.h || tw != g.w) {
    fail("--size " + std::to_string(th) + "x" + std::to_string(tw) +
         " does not match the model input " + std::to_string(g.h) + "x" + std::to_string(g.w));
  }
  const size_t count = max_count ? std::min(files.size(), max_count) : files.size();
  auto names = std::make_shared<std::vector<std::string>>(files.begin(), files.begin() + count);
  const Normalizer norm(pre, 1.0f / 255.0f, g);
  const bool bgr = pre.channel_order == "bgr";
  const size_t per = product(input_shape);
  auto fetch = [names, g, norm, bgr, per](size_t i, float* out) {
    const std::string& f = (*names)[i];
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) fail(f + ": cannot read");
    int w = 0, h = 0, c0 = 0;
    uint8_t* px = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c0, g.c);
    if (px == nullptr) fail(f + ": cannot decode image (" + std::string(stbi_failure_reason()) + ")");
    std::vector<float> img;
    if (w == g.w && h == g.h) {
      img.assign(px, px + size_t(w) * h * g.c);
    } else {
      img = resize_bilinear(px, w, h, g.c, g.w, g.h);
    }
    stbi_image_free(px);
    const size_t plane = size_t(g.h) * g.w;
    for (size_t p = 0; p < plane; ++p) {
      for (int k = 0; k < g.c; ++k) {
        const int src_c = bgr && g.c == 3 ? 2 - k : k;
        const float v = img[p * g.c + src_c];
        const size_t idx = g.nchw ? size_t(k) * plane + p : p * g.c + k;
        out[idx] = norm(idx, v);
      }
    }
    (void)per;
  };
  return Dataset(count, per, fetch,
                 "images in " + dir + ": " + std::to_string(count) + " files");
}

}  // namespace

std::vector<uint8_t> read_file_maybe_gz(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path + ": cannot open (" + std::string(std::strerror(errno)) + ")");
  std::vector<uint8_t> raw((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const bool gz = raw.size() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b;
  if (!gz) return raw;
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(path + ": zlib init failed");
  std::vector<uint8_t> out;
  out.resize(std::max<size_t>(raw.size() * 4, 1 << 16));
  zs.next_in = raw.data();
  zs.avail_in = static_cast<uInt>(raw.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.total_out == out.size()) out.resize(out.size() * 2);
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      fail(path + ": corrupt gzip data (" + std::string(zs.msg ? zs.msg : "zlib error") + ")");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      fail(path + ": truncated gzip data");
    }
  }
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::vector<float> parse_floats(const std::string& list) {
  std::vector<float> r;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t used = 0;
      r.push_back(std::stof(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      fail("'" + list + "' is not a comma-separated list of numbers");
    }
  }
  if (r.empty()) fail("empty list of numbers");
  return r;
}

Dataset open_dataset(const std::string& path, const std::vector<int32_t>& input_shape,
                     const Preprocess& pre, size_t max_count) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail(path + ": no such file or directory");
  if (input_shape.empty() || input_shape[0] != 1) {
    fail("the model input must have batch size 1 (calibration feeds one sample at a time)");
  }
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> npys, images;
    for (const auto& e : fs::directory_iterator(path)) {
      if (!e.is_regular_file()) continue;
      const std::string n = lower(e.path().filename().string());
      if (ends_with(n, ".npy")) npys.push_back(e.path().string());
      if (ends_with(n, ".png") || ends_with(n, ".jpg") || ends_with(n, ".jpeg")) {
        images.push_back(e.path().string());
      }
    }
    std::sort(npys.begin(), npys.end());
    std::sort(images.begin(), images.end());
    if (!npys.empty() && !images.empty()) {
      fail(path + ": holds both .npy files and images; use one kind per directory");
    }
    if (!npys.empty()) return open_npy_files(npys, path, input_shape, pre, max_count);
    if (!images.empty()) return open_images(images, path, input_shape, pre, max_count);
    fail(path + ": directory holds no .npy, .png, .jpg or .jpeg files");
  }
  const std::string n = lower(path);
  if (ends_with(n, ".npy")) return open_npy_files({path}, path, input_shape, pre, max_count);
  if (n.find("-idx") != std::string::npos || ends_with(n, ".idx") || ends_with(n, ".idx.gz") ||
      n.find("idx3") != std::string::npos) {
    return open_idx(path, input_shape, pre, max_count);
  }
  if (ends_with(n, ".png") || ends_with(n, ".jpg") || ends_with(n, ".jpeg")) {
    return open_images({path}, path, input_shape, pre, max_count);
  }
  fail(path + ": unknown data format (expected a .npy file, a directory of .npy or image files, "
              "or an IDX file named *-idx3-ubyte[.gz])");
}

std::vector<int64_t> read_labels(const std::string& path) {
  const std::string n = lower(path);
  std::vector<int64_t> r;
  if (ends_with(n, ".npy")) {
    tools::NpyArray a;
    std::string err;
    if (!tools::read_npy(path, &a, &err)) fail(err);
    if (a.dtype == OCTET_FLOAT32) fail(path + ": labels must be integers");
    std::vector<float> tmp(a.elements());
    Geometry g;
    Preprocess p;
    p.scale = 1;
    convert_npy(a, 0, a.elements(), Normalizer(p, 1, g), tmp.data());
    for (float v : tmp) r.push_back(static_cast<int64_t>(v));
    return r;
  }
  std::vector<uint8_t> b = read_file_maybe_gz(path);
  if (b.size() >= 8 && b[0] == 0 && b[1] == 0 && b[2] == 0x08 && b[3] == 1) {
    const size_t cnt = (size_t(b[4]) << 24) | (b[5] << 16) | (b[6] << 8) | b[7];
    if (b.size() != 8 + cnt) fail(path + ": IDX label file size does not match its header");
    for (size_t i = 0; i < cnt; ++i) r.push_back(b[8 + i]);
    return r;
  }
  std::stringstream ss(std::string(b.begin(), b.end()));
  std::string line;
  size_t lineno = 0;
  while (std::getline(ss, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    try {
      r.push_back(std::stoll(line));
    } catch (const std::exception&) {
      fail(path + ":" + std::to_string(lineno) + ": not an integer label: '" + line + "'");
    }
  }
  if (r.empty()) fail(path + ": no labels");
  return r;
}

}  // namespace octet::ptq
