#include "f32-spmm-csr-impl.h"

namespace sk {
// Tiles of up to 12 ZMM accumulators of the 32 registers, leaving room for loads.
int64_t sk_f32_spmm_csr__avx512(const SpmmParams& p, int32_t row_begin, int32_t row_end) { return spmm_csr<simd::Avx512, 12>(p, row_begin, row_end); }
}  // namespace sk
