// SIMD transposed SpMM by scattering, instantiated by the -avx2 and -avx512 files. The columns this call owns are
// walked in tiles of up to NV vectors; for each row i of A the tile of B[i, :] is held in registers and added,
// scaled, into C[j, tile] for every stored (i, j). Each C update is a load, an FMA and a store.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

template <class S, int NV>
void spmmt_tile(const SpmmtParams& p, int64_t j0, int nv, typename S::M last, int64_t* bad) {
  using V = typename S::V;
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  const typename S::M all = S::first(S::W);
  for (int32_t i = 0; i < a.rows; ++i) {
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++*bad;
      continue;
    }
    if (begin == end) continue;
    const float* b = p.b + static_cast<int64_t>(i) * p.ldb + j0;
    V bv[NV];
    for (int t = 0; t < NV; ++t) if (t < nv) bv[t] = S::load(b + t * S::W, t == nv - 1 ? last : all);
    for (int64_t k = begin; k < end; ++k) {
      const uint32_t j = static_cast<uint32_t>(a.indices[k]);
      if (j >= cols) {
        ++*bad;
        continue;
      }
      const V v = S::set1(p.alpha * a.values[k]);
      float* c = p.c + static_cast<int64_t>(j) * p.ldc + j0;
      for (int t = 0; t < NV; ++t) {
        if (t >= nv) break;
        const typename S::M m = t == nv - 1 ? last : all;
        S::store(c + t * S::W, S::fmadd(v, bv[t], S::load(c + t * S::W, m)), m);
      }
    }
  }
}

template <class S, int NV>
int64_t spmmt_csr(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  const CsrF32& a = p.a;
  for (int32_t j = 0; j < a.cols; ++j) {
    float* c = p.c + static_cast<int64_t>(j) * p.ldc;
    for (int32_t t = col_begin; t < col_end; ++t) c[t] = p.beta == 0.0f ? 0.0f : p.beta * c[t];
  }
  int64_t bad = 0;
  for (int64_t j0 = col_begin; j0 < col_end; j0 += NV * S::W) {
    const int64_t cols_here = col_end - j0 < NV * S::W ? col_end - j0 : NV * S::W;
    const int nv = static_cast<int>((cols_here + S::W - 1) / S::W);
    const int lanes = static_cast<int>(cols_here - (nv - 1) * S::W);
    int64_t tile_bad = 0;
    spmmt_tile<S, NV>(p, j0, nv, S::first(lanes), &tile_bad);
    if (j0 == col_begin) bad = tile_bad;  // every tile meets the same anomalies; count them once
  }
  return bad;
}

}  // namespace sk
