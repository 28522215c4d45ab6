// Scalar reference for SDDMM: one dot product per stored entry of the pattern.
#include "../kernels.h"

namespace sk {

int64_t sk_f32_sddmm_csr__scalar(const SddmmParams& p, int32_t row_begin, int32_t row_end) {
  const CsrF32& a = p.a;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++bad;
      continue;
    }
    const float* x = p.x + static_cast<int64_t>(i) * p.ldx;
    for (int64_t k = begin; k < end; ++k) {
      const uint32_t j = static_cast<uint32_t>(a.indices[k]);
      if (j >= static_cast<uint32_t>(a.cols)) {
        ++bad;
        continue;
      }
      const float* y = p.y + static_cast<int64_t>(j) * p.ldy;
      float dot = 0.0f;
      for (int32_t t = 0; t < p.k; ++t) dot += x[t] * y[t];
      p.out[k] = p.beta == 0.0f ? p.alpha * dot : p.alpha * dot + p.beta * p.out[k];
    }
  }
  return bad;
}

}  // namespace sk
