// SPDX-License-Identifier: Apache-2.0
//
// The one header through which runtime/ reaches the kernels: every op's
// public kernel interface, the ISA paths (kernels/common/isa.h) and the
// optimized kernel lists with their selection (kernels/gemm/gemm.h).
#pragma once

#include "kernels/activation/activation.h"
#include "kernels/binary/binary.h"
#include "kernels/common/isa.h"
#include "kernels/common/requantize.h"
#include "kernels/common/types.h"
#include "kernels/conv2d/conv2d.h"
#include "kernels/conv_transpose2d/conv_transpose2d.h"
#include "kernels/data_movement/data_movement.h"
#include "kernels/dwconv2d/dwconv2d.h"
#include "kernels/dwconv2d_f32/dwconv2d_f32.h"
#include "kernels/fully_connected/fully_connected.h"
#include "kernels/gemm/gemm.h"
#include "kernels/gemm_f32/gemm_f32.h"
#include "kernels/matmul/matmul.h"
#include "kernels/mean/mean.h"
#include "kernels/pool2d/pool2d.h"
#include "kernels/quantize/quantize.h"
#include "kernels/resize/resize.h"
#include "kernels/softmax/softmax.h"
