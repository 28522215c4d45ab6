#include "f32-spmm-nm-impl.h"

namespace sk {
int64_t sk_f32_spmm_nm__neon(const SpmmNmParams& p, int32_t row_begin, int32_t row_end) {
  return spmm_nm<simd::Neon, 8>(p, row_begin, row_end);
}
}  // namespace sk
