// SPDX-License-Identifier: Apache-2.0
//
// RESHAPE: same bytes, new shape (the output tensor's shape in the model).
#include <cstring>

#include "runtime/ops/registry.h"

namespace octet::rt {
namespace {

void eval_reshape(const Step& s, const EvalContext& c) {
  const size_t bytes = *static_cast<const size_t*>(s.params);
  const void* src = c.tensors[s.inputs[0]];
  void* dst = c.tensors[s.outputs[0]];
  if (src != dst) memcpy(dst, src, bytes);
}

}  // namespace

octet_status prepare_reshape(PrepareContext& ctx) {
  const TensorDesc& x = ctx.input(0);
  const TensorDesc& y = ctx.output(0);
  if (x.dtype != y.dtype || x.elements != y.elements) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "reshape of '%s' (%zu %s) into '%s' (%zu %s) changes the data", x.name,
                    x.elements, octet_dtype_name(x.dtype), y.name, y.elements,
                    octet_dtype_name(y.dtype));
  }
  if (x.quant_count != y.quant_count ||
      (x.quant_count == 1 && (x.scale() != y.scale() || x.zero_point() != y.zero_point()))) {
    return ctx.fail(OCTET_ERROR_INVALID_MODEL,
                    "reshape must keep the quantization of '%s'", x.name);
  }
  auto* bytes = ctx.alloc<size_t>();
  if (bytes == nullptr) return ctx.out_of_memory();
  *bytes = x.bytes;
  ctx.step().params = bytes;
  ctx.step().eval = eval_reshape;
  return OCTET_OK;
}

}  // namespace octet::rt
