#include "f32-sgd-impl.h"

namespace sk {
int64_t sk_f32_sgd__neon(const SgdParams& p, int32_t begin, int32_t end) { return sgd<simd::Neon>(p, begin, end); }
}  // namespace sk
