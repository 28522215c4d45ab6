#include "f32-gemm-impl.h"

namespace sk {
// 4 rows x 2 vectors: 8 accumulators + 2 B vectors of the 16 YMM registers.
int64_t sk_f32_gemm__avx2(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  return gemm<simd::Avx2, 4, 2>(p, row_begin, row_end);
}
}  // namespace sk
