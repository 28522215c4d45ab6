// Scalar reference for N:M SpMV: y[i] = alpha * sum over slots of value * x[g*m + position] + beta * y[i], for each
// of p.nx vectors (params.h).
// Zero slots are skipped, as in the N:M SpMM and in toCSR: a spare slot is no entry, so an infinity or NaN in x at
// its column does not reach y (a stored CSR zero, an explicit entry, does multiply).
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_nm__scalar(const SpmvNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int64_t base = static_cast<int64_t>(i) * groups * a.n;
    for (int32_t c = 0; c < p.nx; ++c) {
      const float* x = p.x + c * p.ldx;
      float sum = 0.0f;
      for (int64_t s = 0; s < groups * a.n; ++s) {
        const float v = a.values[base + s];
        if (v == 0.0f) continue;
        const int64_t col = (s / a.n) * a.m + a.positions[base + s];
        if (a.positions[base + s] >= a.m || col >= a.cols) {
          bad += c == 0;  // once per slot, not per vector
          continue;
        }
        sum += v * x[col];
      }
      float& y = p.y[static_cast<int64_t>(i) * p.ldy + c];
      y = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * y;
    }
  }
  return bad;
}

}  // namespace sk
