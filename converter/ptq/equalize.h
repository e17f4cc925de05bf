// SPDX-License-Identifier: Apache-2.0
//
// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through
// Weight Equalization and Bias Correction", ICCV 2019), in float, before
// calibration (`octet quantize --equalize`, docs/ptq.md).
//
// For two consecutive convolutions A -> B with a ReLU (or nothing) between
// them, ReLU(x/s) = ReLU(x)/s for s > 0, so dividing A's output channel c
// (weights and bias) by s_c and multiplying every weight of B that reads
// channel c by s_c leaves the network function unchanged. With r1_c the
// range of A's channel c and r2_c that of B's input channel c,
// s_c = sqrt(r1_c·r2_c) / r2_c makes both sqrt(r1_c·r2_c): the per-channel
// ranges of depthwise layers, which per-tensor (and, for the following
// layer, per-input-channel) scales quantize badly, are evened out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace octet::ptq {

/// One equalized pair.
struct EqualizedPair {
  std::string first, second;  ///< operator names (A, B)
  int32_t channels = 0;
  /// max_c r / min_c r of A's per-output-channel weight ranges, before and
  /// after (1 = every channel has the same range).
  double spread_before = 0, spread_after = 0;
};

struct EqualizeReport {
  std::vector<EqualizedPair> pairs;
  int32_t iterations = 0;
};

/// Returns the fp32 .octet `model` with every eligible pair equalized:
/// A and B are CONV_2D (any groups, depthwise included) or B is
/// FULLY_CONNECTED reading A's output directly; A's fused activation is
/// NONE or RELU; A's output is consumed only by B and is not a graph
/// output; A's and B's weights (and A's bias) are constants used by no other
/// operator. Pairs are swept `iterations` times (chains like conv-dw-pw
/// converge in a few). Model outputs equal the input model's up to float
/// rounding. Throws QuantizeError on an invalid model.
std::vector<uint8_t> equalize_model(const std::vector<uint8_t>& fp32_model,
                                    EqualizeReport* report = nullptr, int iterations = 20);

}  // namespace octet::ptq
