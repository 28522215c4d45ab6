#include "f32-gemm-impl.h"

namespace sk {
// 4 rows x 4 vectors: 16 accumulators + 4 B vectors of the 32 ZMM registers.
int64_t sk_f32_gemm__avx512(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  return gemm<simd::Avx512, 4, 4>(p, row_begin, row_end);
}
}  // namespace sk
