// SIMD N:M SpMM body, instantiated by the -avx2 and -avx512 files: the CSR SpMM scheme (column tiles accumulated
// in registers over the row's slots, written once) with the column of each slot computed from its group and uint8
// position instead of read from an index array. Zero slots are skipped.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

template <class S, int NV, bool kMask>
void nm_tile(const SpmmNmParams& p, int32_t i, int64_t j, typename S::M last) {
  using V = typename S::V;
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  const int64_t base = static_cast<int64_t>(i) * groups * a.n;
  V acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  for (int64_t g = 0; g < groups; ++g) {
    for (int32_t s = 0; s < a.n; ++s) {
      const int64_t slot = base + g * a.n + s;
      const float v = a.values[slot];
      const int64_t col = g * a.m + a.positions[slot];
      if (v == 0.0f || a.positions[slot] >= a.m || col >= a.cols) continue;  // anomalies counted by the caller
      const V w = S::set1(v);
      const float* b = p.b + col * p.ldb + j;
      for (int t = 0; t < NV; ++t) {
        acc[t] = S::fmadd(w, (kMask && t == NV - 1) ? S::load(b + t * S::W, last) : S::load(b + t * S::W), acc[t]);
      }
    }
  }
  const V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  float* out = p.c + static_cast<int64_t>(i) * p.ldc + j;
  for (int t = 0; t < NV; ++t) {
    V r = S::mul(alpha, acc[t]);
    if (kMask && t == NV - 1) {
      if (p.beta != 0.0f) r = S::fmadd(beta, S::load(out + t * S::W, last), r);
      S::store(out + t * S::W, r, last);
    } else {
      if (p.beta != 0.0f) r = S::fmadd(beta, S::load(out + t * S::W), r);
      S::store(out + t * S::W, r);
    }
  }
}

template <class S, int NV>
int64_t spmm_nm(const SpmmNmParams& p, int32_t row_begin, int32_t row_end) {
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  const int64_t n = p.n;
  const int32_t tail = static_cast<int32_t>(n % S::W);
  const typename S::M last = S::first(tail);
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    const int64_t base = static_cast<int64_t>(i) * groups * a.n;
    for (int64_t s = 0; s < groups * a.n; ++s) {
      const int64_t col = (s / a.n) * a.m + a.positions[base + s];
      bad += a.values[base + s] != 0.0f && (a.positions[base + s] >= a.m || col >= a.cols);
    }
    int64_t j = 0;
    for (; j + NV * S::W <= n; j += NV * S::W) nm_tile<S, NV, false>(p, i, j, last);
    for (; j + S::W <= n; j += S::W) nm_tile<S, 1, false>(p, i, j, last);
    if (tail) nm_tile<S, 1, true>(p, i, j, last);
  }
  return bad;
}

}  // namespace sk
