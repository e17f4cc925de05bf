// SPDX-License-Identifier: Apache-2.0
#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

using O = octet::schema::OpOptions;
using C = octet::schema::OpCode;

// Indexed by OpCode value. Arity: [min, max] inputs and outputs.
const OpInfo kOps[] = {
    /* CONV_2D */ {"CONV_2D", prepare_conv2d, 2, 3, 1, 1, O::Conv2DOptions},
    /* CONV_TRANSPOSE_2D */
    {"CONV_TRANSPOSE_2D", prepare_conv_transpose2d, 2, 3, 1, 1, O::ConvTranspose2DOptions},
    /* FULLY_CONNECTED */ {"FULLY_CONNECTED", prepare_fully_connected, 2, 3, 1, 1, O::NONE},
    /* MATMUL */ {"MATMUL", prepare_matmul, 2, 2, 1, 1, O::NONE},
    /* ADD */ {"ADD", prepare_binary, 2, 2, 1, 1, O::NONE},
    /* SUB */ {"SUB", prepare_binary, 2, 2, 1, 1, O::NONE},
    /* MUL */ {"MUL", prepare_binary, 2, 2, 1, 1, O::NONE},
    /* DIV */ {"DIV", prepare_binary, 2, 2, 1, 1, O::NONE},
    /* CLAMP */ {"CLAMP", prepare_activation, 1, 1, 1, 1, O::NONE},
    /* HARD_SWISH */ {"HARD_SWISH", prepare_activation, 1, 1, 1, 1, O::NONE},
    /* HARD_SIGMOID */ {"HARD_SIGMOID", prepare_activation, 1, 1, 1, 1, O::HardSigmoidOptions},
    /* SIGMOID */ {"SIGMOID", prepare_activation, 1, 1, 1, 1, O::NONE},
    /* TANH */ {"TANH", prepare_activation, 1, 1, 1, 1, O::NONE},
    /* LEAKY_RELU */ {"LEAKY_RELU", prepare_activation, 1, 1, 1, 1, O::LeakyReluOptions},
    /* PRELU */ {"PRELU", prepare_prelu, 2, 2, 1, 1, O::NONE},
    /* MAX_POOL_2D */ {"MAX_POOL_2D", prepare_pool2d, 1, 1, 1, 1, O::Pool2DOptions},
    /* AVERAGE_POOL_2D */ {"AVERAGE_POOL_2D", prepare_pool2d, 1, 1, 1, 1, O::Pool2DOptions},
    /* MEAN */ {"MEAN", prepare_mean, 1, 1, 1, 1, O::MeanOptions},
    /* CONCAT */ {"CONCAT", prepare_concat, 1, -1, 1, 1, O::ConcatOptions},
    /* SPLIT */ {"SPLIT", prepare_split, 1, 1, 1, -1, O::SplitOptions},
    /* SLICE */ {"SLICE", prepare_slice, 1, 1, 1, 1, O::SliceOptions},
    /* RESHAPE */ {"RESHAPE", prepare_reshape, 1, 1, 1, 1, O::NONE},
    /* TRANSPOSE */ {"TRANSPOSE", prepare_transpose, 1, 1, 1, 1, O::TransposeOptions},
    /* PAD */ {"PAD", prepare_pad, 1, 1, 1, 1, O::PadOptions},
    /* RESIZE */ {"RESIZE", prepare_resize, 1, 1, 1, 1, O::ResizeOptions},
    /* SOFTMAX */ {"SOFTMAX", prepare_softmax, 1, 1, 1, 1, O::NONE},
    /* QUANTIZE */ {"QUANTIZE", prepare_quantize, 1, 1, 1, 1, O::NONE},
    /* DEQUANTIZE */ {"DEQUANTIZE", prepare_dequantize, 1, 1, 1, 1, O::NONE},
};

static_assert(sizeof(kOps) / sizeof(kOps[0]) == static_cast<size_t>(C::MAX) + 1,
              "every opcode has an entry");

}  // namespace

const OpInfo* op_info(octet::schema::OpCode code) {
  const auto i = static_cast<size_t>(code);
  return i < sizeof(kOps) / sizeof(kOps[0]) ? &kOps[i] : nullptr;
}

}  // namespace octet::rt
