// Scalar reference for CSR SpMM: C[i,:] = alpha * sum_k A[i,k] B[k,:] + beta * C[i,:].
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmm_csr__scalar(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  const int32_t n = p.n;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    // Scale first so the accumulation below is a plain axpy per stored entry.
    for (int32_t j = 0; j < n; ++j) c[j] = p.beta == 0.0f ? 0.0f : p.beta * c[j];
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++bad;
      continue;
    }
    for (int64_t k = begin; k < end; ++k) {
      const uint32_t col = static_cast<uint32_t>(a.indices[k]);
      if (col >= cols) {
        ++bad;
        continue;
      }
      const float v = p.alpha * a.values[k];
      const float* b = p.b + static_cast<int64_t>(col) * p.ldb;
      for (int32_t j = 0; j < n; ++j) c[j] += v * b[j];
    }
  }
  return bad;
}

}  // namespace sk
