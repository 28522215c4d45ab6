// Scalar reference for the SGD update (see SgdParams).
#include "../kernels.h"

namespace sk {

int64_t sk_f32_sgd__scalar(const SgdParams& p, int32_t begin, int32_t end) {
  for (int32_t i = begin; i < end; ++i) {
    float g = p.g[i] + p.weight_decay * p.w[i];
    if (p.buf) {
      p.buf[i] = p.momentum * p.buf[i] + g;
      g = p.nesterov ? g + p.momentum * p.buf[i] : p.buf[i];
    }
    p.w[i] -= p.lr * g;
  }
  return 0;
}

}  // namespace sk
