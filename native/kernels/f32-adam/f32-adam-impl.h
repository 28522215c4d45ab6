// SIMD Adam / AdamW update, instantiated by the -avx2 and -avx512 files; the tail uses the scalar reference.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

template <class S, typename Sqrt, typename Div, typename Sub>
int64_t adam(const AdamParams& p, int32_t begin, int32_t end, Sqrt vsqrt, Div vdiv, Sub vsub) {
  using V = typename S::V;
  const V b1 = S::set1(p.beta1), b2 = S::set1(p.beta2), ob1 = S::set1(1.0f - p.beta1), ob2 = S::set1(1.0f - p.beta2);
  const V c1 = S::set1(p.c1), c2 = S::set1(p.c2), eps = S::set1(p.eps), lr = S::set1(p.lr), wd = S::set1(p.weight_decay);
  const V decay = S::set1(p.lr * p.weight_decay);
  int32_t i = begin;
  for (; i + S::W <= end; i += S::W) {
    V w = S::load(p.w + i);
    V g = S::load(p.g + i);
    if (p.decoupled) w = vsub(w, S::mul(decay, w));
    else g = S::fmadd(wd, w, g);
    const V m = S::fmadd(b1, S::load(p.m + i), S::mul(ob1, g));
    const V v = S::fmadd(b2, S::load(p.v + i), S::mul(ob2, S::mul(g, g)));
    S::store(p.m + i, m);
    S::store(p.v + i, v);
    const V step = vdiv(S::mul(lr, S::mul(m, c1)), S::add(vsqrt(S::mul(v, c2)), eps));
    S::store(p.w + i, vsub(w, step));
  }
  return sk_f32_adam__scalar(p, i, end);
}

}  // namespace sk
