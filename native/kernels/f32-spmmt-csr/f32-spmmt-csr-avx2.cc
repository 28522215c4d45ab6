#include "f32-spmmt-csr-impl.h"

namespace sk {
int64_t sk_f32_spmmt_csr__avx2(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  return spmmt_csr<simd::Avx2, 8>(p, col_begin, col_end);  // 8 of the 16 YMM registers hold the tile of B
}
}  // namespace sk
