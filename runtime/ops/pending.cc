// TEMPORARY: replaced by real operator files as the kernels land.
#include "runtime/ops/registry.h"
namespace octet::rt {
#define PENDING(f) octet_status f(PrepareContext& ctx) { return ctx.fail(OCTET_ERROR_UNSUPPORTED, "not yet implemented"); }
PENDING(prepare_conv2d) PENDING(prepare_conv_transpose2d) PENDING(prepare_fully_connected) PENDING(prepare_matmul)
PENDING(prepare_binary) PENDING(prepare_activation) PENDING(prepare_prelu) PENDING(prepare_pool2d) PENDING(prepare_mean)
PENDING(prepare_concat) PENDING(prepare_split) PENDING(prepare_slice) PENDING(prepare_transpose) PENDING(prepare_pad)
PENDING(prepare_resize) PENDING(prepare_softmax)
}
