// SPDX-License-Identifier: Apache-2.0
//
// The one header through which runtime/ reaches the kernels: every op's
// public kernel interface. (ISA dispatch tables join it with the optimized
// kernels.)
#pragma once

#include "kernels/common/requantize.h"
#include "kernels/common/types.h"
#include "kernels/quantize/quantize.h"
