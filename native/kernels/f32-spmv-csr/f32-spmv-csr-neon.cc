// CSR SpMV, NEON: NEON has no gather, so 8 entries of x are picked with scalar loads into a small buffer (an
// out-of-range column index is never loaded and is counted), then two 4-lane FMA chains; the tail is scalar.
#include <arm_neon.h>

#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_csr__neon(const SpmvParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t k, end;
    float sum = 0.0f;
    if (csr_row_ok(a, i, &k, &end)) {
      float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
      for (; k + 8 <= end; k += 8) {
        float xs[8];
        for (int l = 0; l < 8; ++l) {
          const uint32_t c = static_cast<uint32_t>(a.indices[k + l]);
          const bool ok = c < cols;
          bad += !ok;
          xs[l] = ok ? p.x[c] : 0.0f;
        }
        acc0 = vfmaq_f32(acc0, vld1q_f32(a.values + k), vld1q_f32(xs));
        acc1 = vfmaq_f32(acc1, vld1q_f32(a.values + k + 4), vld1q_f32(xs + 4));
      }
      sum = vaddvq_f32(vaddq_f32(acc0, acc1));
      for (; k < end; ++k) {
        const uint32_t c = static_cast<uint32_t>(a.indices[k]);
        if (c < cols) sum += a.values[k] * p.x[c];
        else ++bad;
      }
    } else {
      ++bad;
    }
    p.y[i] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * p.y[i];
  }
  return bad;
}

}  // namespace sk
