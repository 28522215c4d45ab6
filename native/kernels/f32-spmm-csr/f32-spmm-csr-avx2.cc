#include "f32-spmm-csr-impl.h"

namespace sk {
// Tiles of up to 8 YMM accumulators (16 registers: 8 accumulators, a broadcast and loads).
int64_t sk_f32_spmm_csr__avx2(const SpmmParams& p, int32_t row_begin, int32_t row_end) { return spmm_csr<simd::Avx2, 8>(p, row_begin, row_end); }
}  // namespace sk
