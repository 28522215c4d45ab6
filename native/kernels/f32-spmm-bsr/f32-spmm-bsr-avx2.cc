// BSR SpMM, AVX2: register tiles within the 16 YMM registers (RB x NV accumulators <= 8, plus NV for a B row);
// 16x1 blocks run as two passes of 8 rows.
#include "f32-spmm-bsr-impl.h"

namespace sk {
int64_t sk_f32_spmm_bsr__avx2(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  using S = simd::Avx2;
  const int32_t r = p.a.r, c = p.a.c;
  if (r == 1 && c == 4) return spmm_bsr<S, 1, 4, 4>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 1) return spmm_bsr<S, 4, 1, 2>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 4) return spmm_bsr<S, 4, 4, 2>(p, block_row_begin, block_row_end);
  if (r == 8 && c == 1) return spmm_bsr<S, 8, 1, 1>(p, block_row_begin, block_row_end);
  if (r == 16 && c == 1) return spmm_bsr<S, 8, 1, 1>(p, block_row_begin, block_row_end);
  if (r % 4 == 0) return spmm_bsr<S, 4, 0, 2>(p, block_row_begin, block_row_end);
  return spmm_bsr<S, 1, 0, 4>(p, block_row_begin, block_row_end);
}
}  // namespace sk
