// SIMD SGD update, instantiated by the -avx2 and -avx512 files; the tail uses the scalar reference.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

template <class S>
int64_t sgd(const SgdParams& p, int32_t begin, int32_t end) {
  using V = typename S::V;
  const V mom = S::set1(p.momentum), wd = S::set1(p.weight_decay);
  int32_t i = begin;
  for (; i + S::W <= end; i += S::W) {
    const V w = S::load(p.w + i);
    V g = S::fmadd(wd, w, S::load(p.g + i));
    if (p.buf) {
      const V b = S::fmadd(mom, S::load(p.buf + i), g);
      S::store(p.buf + i, b);
      g = p.nesterov ? S::fmadd(mom, b, g) : b;
    }
    S::store(p.w + i, S::fmadd(S::set1(-p.lr), g, w));
  }
  return sk_f32_sgd__scalar(p, i, end);
}

}  // namespace sk
