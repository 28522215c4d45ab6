// BSR SpMM, NEON: the AVX-512 tile shapes (accumulators RB x NV <= 16 plus NV for a B row), as aarch64 also has
// 32 vector registers; RB = 1 for any other shape.
#include "f32-spmm-bsr-impl.h"

namespace sk {
int64_t sk_f32_spmm_bsr__neon(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  using S = simd::Neon;
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
