// BSR SpMM, AVX-512: specialised register tiles for the common block shapes (accumulators RB x NV <= 16 of the
// 32 ZMM registers, plus NV for a B row), RB = 1 for any other shape.
#include "f32-spmm-bsr-impl.h"

namespace sk {
int64_t sk_f32_spmm_bsr__avx512(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  using S = simd::Avx512;
  const int32_t r = p.a.r, c = p.a.c;
  if (r == 1 && c == 4) return spmm_bsr<S, 1, 4, 8>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 1) return spmm_bsr<S, 4, 1, 4>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 4) return spmm_bsr<S, 4, 4, 4>(p, block_row_begin, block_row_end);
  if (r == 8 && c == 1) return spmm_bsr<S, 8, 1, 2>(p, block_row_begin, block_row_end);
  if (r == 16 && c == 1) return spmm_bsr<S, 16, 1, 1>(p, block_row_begin, block_row_end);
  if (r % 4 == 0) return spmm_bsr<S, 4, 0, 4>(p, block_row_begin, block_row_end);
  return spmm_bsr<S, 1, 0, 8>(p, block_row_begin, block_row_end);
}
}  // namespace sk
