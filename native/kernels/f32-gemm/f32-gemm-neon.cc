#include "f32-gemm-impl.h"

namespace sk {
// 4 rows x 4 vectors: 16 accumulators + 4 B vectors of aarch64's 32 vector registers.
int64_t sk_f32_gemm__neon(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  return gemm<simd::Neon, 4, 4>(p, row_begin, row_end);
}
}  // namespace sk
