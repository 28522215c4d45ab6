#include "f32-spmmt-csr-impl.h"

namespace sk {
int64_t sk_f32_spmmt_csr__avx512(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  return spmmt_csr<simd::Avx512, 16>(p, col_begin, col_end);  // 16 of the 32 ZMM registers hold the tile of B
}
}  // namespace sk
