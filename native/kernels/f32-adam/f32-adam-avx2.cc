#include "f32-adam-impl.h"

namespace sk {
int64_t sk_f32_adam__avx2(const AdamParams& p, int32_t begin, int32_t end) {
  using V = simd::Avx2::V;
  return adam<simd::Avx2>(
      p, begin, end, [](V x) { return _mm256_sqrt_ps(x); }, [](V a, V b) { return _mm256_div_ps(a, b); },
      [](V a, V b) { return _mm256_sub_ps(a, b); });
}
}  // namespace sk
