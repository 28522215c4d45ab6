// Scalar reference for N:M SpMM: every slot (group g, position q) of row i adds value * B[g*m + q, :] to C[i, :].
// Zero slots are skipped; a non-zero slot whose position is >= m or whose column is >= cols is an anomaly.
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmm_nm__scalar(const SpmmNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    for (int32_t t = 0; t < p.n; ++t) c[t] = p.beta == 0.0f ? 0.0f : p.beta * c[t];
    const int64_t base = static_cast<int64_t>(i) * groups * a.n;
    for (int64_t s = 0; s < groups * a.n; ++s) {
      const float v = a.values[base + s];
      if (v == 0.0f) continue;
      const int64_t col = (s / a.n) * a.m + a.positions[base + s];
      if (a.positions[base + s] >= a.m || col >= a.cols) {
        ++bad;
        continue;
      }
      const float* b = p.b + col * p.ldb;
      const float w = p.alpha * v;
      for (int32_t t = 0; t < p.n; ++t) c[t] += w * b[t];
    }
  }
  return bad;
}

}  // namespace sk
