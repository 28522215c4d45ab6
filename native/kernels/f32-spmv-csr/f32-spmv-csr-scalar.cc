// Scalar reference for CSR SpMV: the plainest correct loop. Every SIMD variant is tested against it.
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_csr__scalar(const SpmvParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t begin, end;
    float sum = 0.0f;
    if (csr_row_ok(a, i, &begin, &end)) {
      for (int64_t k = begin; k < end; ++k) {
        const uint32_t col = static_cast<uint32_t>(a.indices[k]);
        if (col >= cols) {
          ++bad;
          continue;
        }
        sum += a.values[k] * p.x[col];
      }
    } else {
      ++bad;
    }
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
