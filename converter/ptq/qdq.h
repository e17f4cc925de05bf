// SPDX-License-Identifier: Apache-2.0
//
// Pre-quantized (QDQ) models to native int8 operators. The ONNX importer
// turns QuantizeLinear/DequantizeLinear into QUANTIZE/DEQUANTIZE around
// float operators (weights and int32 biases dequantized by constant
// folding, per-axis included): a faithful but float ("fake-quant") model.
// qdq_to_int8() removes every activation QUANTIZE -> DEQUANTIZE pair, takes
// the pair's scale and zero point as that tensor's range (exactly the
// model's own grid: [s·(qmin − z), s·(qmax − z)]), and emits the int8 model
// through the post-training quantizer with those ranges — no calibration.
// `octet convert` does this when it sees such pairs (docs/ptq.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "converter/ptq/quantizer.h"

namespace octet::ptq {

struct QdqReport {
  int32_t pairs = 0;  ///< QUANTIZE -> DEQUANTIZE pairs folded into ranges
  /// Weight tensors whose own per-channel scales were recovered exactly
  /// (the others are requantized at max|w|/127).
  int32_t weights_with_own_scales = 0;
  QuantizeReport quantize;
};

/// True if the fp32 model has a QUANTIZE whose output feeds DEQUANTIZE.
bool has_qdq_pairs(const std::vector<uint8_t>& model);

/// The model without the pairs (float) and the range of every tensor a pair
/// quantized, by tensor name.
std::vector<uint8_t> strip_qdq(const std::vector<uint8_t>& model,
                               std::map<std::string, TensorRange>* ranges, int32_t* pairs);

/// strip_qdq + quantize_model: activations on the pairs' grids, int8 weights
/// per output channel on the model's own scales (recovered from the
/// dequantized weights: codes are exact). Throws QuantizeError.
std::vector<uint8_t> qdq_to_int8(const std::vector<uint8_t>& model, QdqReport* report = nullptr);

}  // namespace octet::ptq
