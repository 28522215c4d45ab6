// N:M SpMV, NEON: four slots at a time, x picked with scalar loads (NEON has no gather) into a small buffer, one
// 4-lane FMA chain. A slot with a position >= m or a column past the end is never loaded; it is counted when its
// value is non-zero; a zero slot (padding) is skipped, x at its column unread, as in the scalar reference.
#include <arm_neon.h>

#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmv_nm__neon(const SpmvNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  const int64_t slots = groups * a.n;
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int64_t base = static_cast<int64_t>(i) * slots;
    for (int32_t c = 0; c < p.nx; ++c) {  // several vectors (params.h): the row once per vector, from L1
      const float* x = p.x + c * p.ldx;
      float32x4_t acc = vdupq_n_f32(0.0f);
      for (int64_t s = 0; s < slots; s += 4) {
        float vs[4] = {0.0f, 0.0f, 0.0f, 0.0f}, xs[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        const int count = slots - s >= 4 ? 4 : static_cast<int>(slots - s);
        for (int l = 0; l < count; ++l) {
          const float v = a.values[base + s + l];
          if (v == 0.0f) continue;
          const uint8_t pos = a.positions[base + s + l];
          const int64_t col = ((s + l) / a.n) * a.m + pos;
          if (pos >= a.m || col >= a.cols) {
            bad += c == 0;  // once per slot, not per vector
            continue;
          }
          vs[l] = v;
          xs[l] = x[col];
        }
        acc = vfmaq_f32(acc, vld1q_f32(vs), vld1q_f32(xs));
      }
      const float sum = vaddvq_f32(acc);
      float& y = p.y[static_cast<int64_t>(i) * p.ldy + c];
      y = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * y;
    }
  }
  return bad;
}

}  // namespace sk
