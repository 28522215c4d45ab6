// SIMD transposed SpMM by scattering, instantiated by the -avx2, -avx512 and -neon files. The columns this call owns
// are walked in tiles of up to NV vectors; for each row i of A the tile of B[i, :] is held in registers and added,
// scaled, into C[j, tile] for every stored (i, j). Each C update is a load, an FMA and a store.
//
// Staged (p.scratch, offered whenever it fits, see native/core/ops.cc): the tile of C is first copied, times beta,
// into aligned scratch with rows padded to whole lines and packed together, the updates go there as whole aligned
// vectors, and the tile is copied back once. In place, the updates ran 4-6x slower (C's rows a power of two apart
// alias in L1), and on a C 4 bytes past a line each update also split vectors across lines and masked the last
// one. The same operations in the same order: the result has the same bits either way.
#pragma once
#include <algorithm>

#include "../kernels.h"
#include "../vec.h"

namespace sk {

// The scatter over every row of A into the tile of C's columns [j0, j0 + nv vectors) held at `c`, its rows `ldc`
// floats apart: C in place (kStaged false: C + j0, the last vector under `last`) or the staged copy (whole aligned
// vectors; the padding lanes take values never copied out).
template <class S, int NV, bool kStaged>
void scatter_rows(const SpmmtParams& p, int64_t j0, int nv, typename S::M last, float* c, int64_t ldc, int64_t* bad) {
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
      float* cj = c + static_cast<int64_t>(j) * ldc;
      for (int t = 0; t < NV; ++t) {
        if (t >= nv) break;
        if (kStaged) {
          S::store(cj + t * S::W, S::fmadd(v, bv[t], S::load(cj + t * S::W)));
        } else {
          const typename S::M m = t == nv - 1 ? last : all;
          S::store(cj + t * S::W, S::fmadd(v, bv[t], S::load(cj + t * S::W, m)), m);
        }
      }
    }
  }
}

// The staged tile (see the top of this file): columns [j0, j0 + nv vectors) of C, rows of `ld` floats in p.scratch.
template <class S, int NV>
void spmmt_tile_staged(const SpmmtParams& p, int64_t j0, int nv, typename S::M last, int64_t ld, int64_t* bad) {
  using V = typename S::V;
  const uint32_t cols = static_cast<uint32_t>(p.a.cols);
  const typename S::M all = S::first(S::W);
  const V beta = S::set1(p.beta);
  for (uint32_t j = 0; j < cols; ++j) {
    const float* c = p.c + static_cast<int64_t>(j) * p.ldc + j0;
    float* s = p.scratch + static_cast<int64_t>(j) * ld;
    for (int t = 0; t < nv; ++t) S::store(s + t * S::W, p.beta == 0.0f ? S::zero() : S::mul(beta, S::load(c + t * S::W, t == nv - 1 ? last : all)));
  }
  scatter_rows<S, NV, true>(p, j0, nv, last, p.scratch, ld, bad);
  for (uint32_t j = 0; j < cols; ++j) {
    float* c = p.c + static_cast<int64_t>(j) * p.ldc + j0;
    const float* s = p.scratch + static_cast<int64_t>(j) * ld;
    for (int t = 0; t < nv; ++t) {
      if (t == nv - 1) S::store(c + t * S::W, S::load(s + t * S::W), last);
      else S::store(c + t * S::W, S::load(s + t * S::W));
    }
  }
}

template <class S, int NV>
int64_t spmmt_csr(const SpmmtParams& p, int32_t col_begin, int32_t col_end) {
  const CsrF32& a = p.a;
  // Staged tiles of up to NV vectors, as many as fit the scratch (rows padded to 16 floats, a line).
  const int64_t row_floats = p.scratch && a.cols > 0 ? p.scratch_floats / a.cols / 16 * 16 : 0;
  const int stage_nv = static_cast<int>(std::min<int64_t>(NV, row_floats / S::W));
  const bool staged = stage_nv >= 1;
  if (!staged) {  // in place: C = beta * C first (staged, the copy-in scales)
    for (int32_t j = 0; j < a.cols; ++j) {
      float* c = p.c + static_cast<int64_t>(j) * p.ldc;
      for (int32_t t = col_begin; t < col_end; ++t) c[t] = p.beta == 0.0f ? 0.0f : p.beta * c[t];
    }
  }
  const int64_t tile = (staged ? stage_nv : NV) * S::W;
  int64_t bad = 0;
  for (int64_t j0 = col_begin; j0 < col_end; j0 += tile) {
    const int64_t cols_here = std::min<int64_t>(col_end - j0, tile);
    const int nv = static_cast<int>((cols_here + S::W - 1) / S::W);
    const typename S::M last = S::first(static_cast<int>(cols_here - (nv - 1) * S::W));
    int64_t tile_bad = 0;
    if (staged) spmmt_tile_staged<S, NV>(p, j0, nv, last, (nv * S::W + 15) / 16 * 16, &tile_bad);
    else scatter_rows<S, NV, false>(p, j0, nv, last, p.c + j0, p.ldc, &tile_bad);
    if (j0 == col_begin) bad = tile_bad;  // every tile meets the same anomalies; count them once
  }
  return bad;
}

}  // namespace sk
