#include "f32-adam-impl.h"

namespace sk {
int64_t sk_f32_adam__avx512(const AdamParams& p, int32_t begin, int32_t end) {
  using V = simd::Avx512::V;
  return adam<simd::Avx512>(
      p, begin, end, [](V x) { return _mm512_sqrt_ps(x); }, [](V a, V b) { return _mm512_div_ps(a, b); },
      [](V a, V b) { return _mm512_sub_ps(a, b); });
}
}  // namespace sk
