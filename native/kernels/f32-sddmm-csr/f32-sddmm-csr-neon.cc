#include "f32-sddmm-csr-impl.h"

namespace sk {
int64_t sk_f32_sddmm_csr__neon(const SddmmParams& p, int32_t row_begin, int32_t row_end) {
  return sddmm_csr<simd::Neon>(p, row_begin, row_end);
}
}  // namespace sk
