// Scalar reference for the Adam / AdamW update (see AdamParams).
#include <cmath>

#include "../kernels.h"

namespace sk {

int64_t sk_f32_adam__scalar(const AdamParams& p, int32_t begin, int32_t end) {
  for (int32_t i = begin; i < end; ++i) {
    float g = p.g[i];
    if (p.decoupled) p.w[i] -= p.lr * p.weight_decay * p.w[i];
    else g += p.weight_decay * p.w[i];
    p.m[i] = p.beta1 * p.m[i] + (1.0f - p.beta1) * g;
    p.v[i] = p.beta2 * p.v[i] + (1.0f - p.beta2) * g * g;
    p.w[i] -= p.lr * (p.m[i] * p.c1) / (std::sqrt(p.v[i] * p.c2) + p.eps);
  }
  return 0;
}

}  // namespace sk
