// Scalar reference for dense GEMM (see GemmParams).
#include "../kernels.h"

namespace sk {

int64_t sk_f32_gemm__scalar(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    for (int32_t j = 0; j < p.n; ++j) c[j] = p.beta == 0.0f ? 0.0f : p.beta * c[j];
    for (int32_t t = 0; t < p.k; ++t) {
      const float a = p.alpha * (p.trans_a ? p.a[static_cast<int64_t>(t) * p.lda + i] : p.a[static_cast<int64_t>(i) * p.lda + t]);
      const float* b = p.b + static_cast<int64_t>(t) * p.ldb;
      for (int32_t j = 0; j < p.n; ++j) c[j] += a * b[j];
    }
  }
  return 0;
}

}  // namespace sk
