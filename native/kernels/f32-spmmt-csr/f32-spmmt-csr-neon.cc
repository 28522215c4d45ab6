#include "f32-spmmt-csr-impl.h"

namespace sk {
int64_t sk_f32_spmmt_csr__neon(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  return spmmt_csr<simd::Neon, 16>(p, col_begin, col_end);  // 16 of aarch64's 32 vector registers hold the tile of B
}
}  // namespace sk
