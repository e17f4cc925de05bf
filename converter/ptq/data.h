// SPDX-License-Identifier: Apache-2.0
//
// Calibration and evaluation data for the quantization toolchain: a .npy
// batch, a directory of .npy files, an IDX file (`*-idx3-ubyte[.gz]`, as
// MNIST/Fashion-MNIST ship) or a directory of PNG/JPEG images, each turned
// into float samples shaped like the model's input. Samples are decoded
// lazily (one at a time), so memory stays bounded by one sample plus the
// raw source (the IDX file, or the .npy batches).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace octet::ptq {

/// Any failure to read or interpret data; the message names the file.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Layout of the model's image input.
enum class Layout { kAuto, kNCHW, kNHWC };

/// How raw values become model inputs:
///   x = (v · scale − mean[c]) / std[c]
/// `scale` < 0 means "automatic": 1/255 for 8-bit sources (IDX, images,
/// uint8 .npy), 1 for float .npy. mean/std have one entry or one per channel.
struct Preprocess {
  float scale = -1.0f;
  std::vector<float> mean{0.0f};
  std::vector<float> std{1.0f};
  /// Images only: resize to this height/width (0: the model's).
  int32_t height = 0, width = 0;
  /// Images only: "rgb" or "bgr" channel order.
  std::string channel_order = "rgb";
  Layout layout = Layout::kAuto;
};

/// A data set of samples with exactly `sample_elements` floats each.
class Dataset {
 public:
  size_t size() const { return count_; }
  size_t sample_elements() const { return elements_; }
  /// Writes sample `i` (< size()) into `out` (sample_elements() floats).
  void get(size_t i, float* out) const { fetch_(i, out); }
  /// What was read, e.g. "IDX train-images-idx3-ubyte.gz: 60000 x 28x28".
  const std::string& description() const { return description_; }

  Dataset(size_t count, size_t elements, std::function<void(size_t, float*)> fetch,
          std::string description)
      : count_(count), elements_(elements), fetch_(std::move(fetch)),
        description_(std::move(description)) {}

 private:
  size_t count_, elements_;
  std::function<void(size_t, float*)> fetch_;
  std::string description_;
};

/// Opens `path` (kind detected from the name / directory contents) as
/// samples for a model input of shape `input_shape` (batch 1, e.g.
/// [1,1,28,28] or [1,224,224,3]). `max_count` > 0 keeps only the first
/// `max_count` samples. Throws DataError with a clear message.
Dataset open_dataset(const std::string& path, const std::vector<int32_t>& input_shape,
                     const Preprocess& pre, size_t max_count = 0);

/// Reads class labels: an IDX label file (`*-idx1-ubyte[.gz]`), an integer
/// .npy, or a text file with one integer per line.
std::vector<int64_t> read_labels(const std::string& path);

/// Reads a whole file, transparently gunzipping `*.gz` (zlib).
std::vector<uint8_t> read_file_maybe_gz(const std::string& path);

/// Parses "0.5,0.4,0.3" (DataError on bad syntax).
std::vector<float> parse_floats(const std::string& list);

}  // namespace octet::ptq
