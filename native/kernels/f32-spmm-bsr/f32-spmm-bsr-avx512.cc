// BSR SpMM, AVX-512: the register tiles for 32 vector registers (f32-spmm-bsr-impl.h).
#include "f32-spmm-bsr-impl.h"

namespace sk {
int64_t sk_f32_spmm_bsr__avx512(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  return spmm_bsr_32_registers<simd::Avx512>(p, block_row_begin, block_row_end);
}
}  // namespace sk
