#include "f32-adam-impl.h"

namespace sk {
int64_t sk_f32_adam__neon(const AdamParams& p, int32_t begin, int32_t end) {
  using V = simd::Neon::V;
  return adam<simd::Neon>(
      p, begin, end, [](V x) { return vsqrtq_f32(x); }, [](V a, V b) { return vdivq_f32(a, b); },
      [](V a, V b) { return vsubq_f32(a, b); });
}
}  // namespace sk
