// Scalar reference for BSR SpMM: each stored r x c block multiplies c rows of B into r rows of C. Padding rows and
// columns of edge blocks (past rows / cols) are never read from B or written to C.
#include "../kernels.h"

namespace sk {

int64_t sk_f32_spmm_bsr__scalar(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  const BsrF32& a = p.a;
  const int32_t block_cols = (a.cols + a.c - 1) / a.c;
  int64_t bad = 0;
  for (int32_t bi = block_row_begin; bi < block_row_end; ++bi) {
    const int32_t row0 = bi * a.r;
    const int32_t height = a.rows - row0 < a.r ? a.rows - row0 : a.r;
    for (int32_t rr = 0; rr < height; ++rr) {
      float* c = p.c + static_cast<int64_t>(row0 + rr) * p.ldc;
      for (int32_t t = 0; t < p.n; ++t) c[t] = p.beta == 0.0f ? 0.0f : p.beta * c[t];
    }
    int64_t begin, end;
    if (!bsr_row_ok(a, bi, &begin, &end)) {
      ++bad;
      continue;
    }
    for (int64_t k = begin; k < end; ++k) {
      const int32_t bj = a.indices[k];
      if (static_cast<uint32_t>(bj) >= static_cast<uint32_t>(block_cols)) {
        ++bad;
        continue;
      }
      const float* blk = a.values + k * a.r * a.c;
      for (int32_t cc = 0; cc < a.c && bj * a.c + cc < a.cols; ++cc) {
        const float* b = p.b + static_cast<int64_t>(bj * a.c + cc) * p.ldb;
        for (int32_t rr = 0; rr < height; ++rr) {
          const float v = p.alpha * blk[rr * a.c + cc];
          float* c = p.c + static_cast<int64_t>(row0 + rr) * p.ldc;
          for (int32_t t = 0; t < p.n; ++t) c[t] += v * b[t];
        }
      }
    }
  }
  return bad;
}

}  // namespace sk
