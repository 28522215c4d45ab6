// Scalar reference for transposed SpMM by scattering: C[j, :] += alpha * A[i, j] * B[i, :] over the columns
// [col_begin, col_end) of C that this call owns.
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmmt_csr__scalar(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  const CsrF32& a = p.a;
  for (int32_t j = 0; j < a.cols; ++j) {
    float* c = p.c + static_cast<int64_t>(j) * p.ldc;
    for (int32_t t = col_begin; t < col_end; ++t) c[t] = p.beta == 0.0f ? 0.0f : p.beta * c[t];
  }
  int64_t bad = 0;
  for (int32_t i = 0; i < a.rows; ++i) {
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++bad;
      continue;
    }
    const float* b = p.b + static_cast<int64_t>(i) * p.ldb;
    for (int64_t k = begin; k < end; ++k) {
      const uint32_t j = static_cast<uint32_t>(a.indices[k]);
      if (j >= static_cast<uint32_t>(a.cols)) {
        ++bad;
        continue;
      }
      const float v = p.alpha * a.values[k];
      float* c = p.c + static_cast<int64_t>(j) * p.ldc;
      for (int32_t t = col_begin; t < col_end; ++t) c[t] += v * b[t];
    }
  }
  return bad;
}

}  // namespace sk
