#include "f32-spmm-csr-impl.h"

namespace sk {
// Tiles of up to 8 four-lane accumulators (32 columns) of aarch64's 32 vector registers; NEON has no masked loads,
// so the partial last vector goes through the traits' small buffer.
int64_t sk_f32_spmm_csr__neon(const SpmmParams& p, int32_t row_begin, int32_t row_end) { return spmm_csr<simd::Neon, 8>(p, row_begin, row_end); }
}  // namespace sk
