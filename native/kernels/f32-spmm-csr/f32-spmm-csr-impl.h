// CSR SpMM body shared by the SIMD kernels (-avx2, -avx512, -neon files, each compiled with only its own flags).
// For each row of A, the columns of C are walked in tiles of up to kMaxTile vectors; each tile is accumulated in
// registers over the row's stored entries (broadcast A[i,k], FMA with B[k, tile]) and written once with alpha/beta.
// The tile's independent accumulators cover the FMA latency; the row's indices and values are re-read per tile from
// L1. Tiles have near-equal widths (17 vectors -> 9 + 8, not 8 + 8 + 1), because a narrow tile has too few
// independent FMA chains. The last vector of a row is masked when n is not a multiple of the vector width.
//
// No software prefetch: prefetching the row of B that entry k + 8 needs made the product 1.13-1.35x slower (timed
// A/B in one process, AMD EPYC, B from L2). Alignment is the operator's business: native/core/ops.cc hands this kernel B packed into aligned
// panels one tile wide (pack.h) whenever B is misaligned or wider than a panel; with B 4 bytes past a line, half
// of the vector loads straddle two lines and the product ran 1.3-1.4x slower.
#pragma once
#include <algorithm>

#include "../kernels.h"
#include "../vec.h"

namespace sk {
namespace spmm_csr_detail {

// Columns [j, j + W*NV) of one row (entries [begin, end), output row c); with kLast, vector NV-1 is loaded and
// stored under `last`; with kPerm, values come through p.perm (a transposed product, see params.h).
//
// The caller has checked this row's column indices and permutation entries (row_range): a row holding a bad one
// never gets here. The clamps below are for memory safety only, should the caller's arrays change during an async
// call (a predictable branch). The loop is written out plainly (no lambdas, one pointer per row of B): written with
// lambdas, GCC 12 kept a stack copy of the accumulators and computed eight addresses per entry (1.15-1.2x slower).
template <class S, int NV, bool kLast, bool kPerm>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, typename S::M last) {
  using V = typename S::V;
  const uint32_t col_max = static_cast<uint32_t>(p.a.cols) - 1;  // cols >= 1: row_range empties rows otherwise
  const int32_t* indices = p.a.indices;
  const float* values = p.a.values;
  const int32_t* perm = p.perm;
  const uint32_t src_max = kPerm ? static_cast<uint32_t>(p.values_len - 1) : 0;
  const float* bj = p.b + j;
  const int64_t ldb = p.ldb;
  V acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  int64_t k = begin;
  for (; k < end; ++k) {
    uint32_t col = static_cast<uint32_t>(indices[k]);
    col = col <= col_max ? col : 0;
    float w;
    if (kPerm) {
      uint32_t src = static_cast<uint32_t>(perm[k]);
      w = values[src <= src_max ? src : 0];
    } else {
      w = values[k];
    }
    const V v = S::set1(w);
    const float* b = bj + static_cast<int64_t>(col) * ldb;
    for (int t = 0; t < NV; ++t) acc[t] = S::fmadd(v, (kLast && t == NV - 1) ? S::load(b + S::W * t, last) : S::load(b + S::W * t), acc[t]);
  }
  const V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  const bool use_beta = p.beta != 0.0f;
  for (int t = 0; t < NV; ++t) {
    if (kLast && t == NV - 1) simd::store_alpha_beta<S, true>(c + j + S::W * t, acc[t], alpha, beta, use_beta, last);
    else simd::store_alpha_beta<S, false>(c + j + S::W * t, acc[t], alpha, beta, use_beta, last);
  }
}

template <class S, int NV>
inline void run(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, bool masked, typename S::M last) {
  if (p.perm) {
    if (masked) tile<S, NV, true, true>(p, begin, end, j, c, last);
    else tile<S, NV, false, true>(p, begin, end, j, c, last);
  } else {
    if (masked) tile<S, NV, true, false>(p, begin, end, j, c, last);
    else tile<S, NV, false, false>(p, begin, end, j, c, last);
  }
}

// Row i's entries, or an empty range when its bounds or any of its column indices or permutation entries are
// corrupt (each counted in *bad; the caller then fails the call, so what the row gets, beta * C[i,:], is moot).
inline void row_range(const SpmmParams& p, int32_t i, int64_t* begin, int64_t* end, int64_t* bad) {
  const CsrF32& a = p.a;
  if (!csr_row_ok(a, i, begin, end)) {
    ++*bad;
    *begin = *end = 0;  // the row is treated as empty: C[i,:] = beta * C[i,:]
    return;
  }
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  int64_t row_bad = 0;
  if (!p.perm) {
    for (int64_t k = *begin; k < *end; ++k) row_bad += static_cast<uint32_t>(a.indices[k]) >= cols;
  } else {
    const uint64_t len = static_cast<uint64_t>(p.values_len);
    for (int64_t k = *begin; k < *end; ++k) row_bad += (static_cast<uint32_t>(a.indices[k]) >= cols) | (static_cast<uint32_t>(p.perm[k]) >= len);
  }
  if (row_bad) {
    *bad += row_bad;
    *begin = *end;
  }
}

}  // namespace spmm_csr_detail

template <class S, int kMaxTile>
int64_t spmm_csr(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  static_assert(kMaxTile <= 12, "tile widths are dispatched up to 12 vectors");
  using spmm_csr_detail::row_range;
  using spmm_csr_detail::run;
  const int64_t n = p.n;
  const int64_t vectors = (n + S::W - 1) / S::W;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const int tail = static_cast<int>(n - S::W * (vectors - 1));  // lanes of the last vector, 1..W
  const typename S::M last = S::first(tail);
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    int64_t begin, end;
    row_range(p, i, &begin, &end, &bad);
    for (int64_t t = 0, v = 0; t < tiles; ++t) {
      const int nv = static_cast<int>(vectors / tiles + (t < vectors % tiles ? 1 : 0));
      const bool masked = v + nv == vectors && tail != S::W;
      // Widths above kMaxTile never occur; the conditional keeps them from being instantiated.
      switch (nv) {
#define SK_CASE(NV) \
  case NV: if (NV <= kMaxTile) run<S, (NV <= kMaxTile ? NV : 1)>(p, begin, end, S::W * v, c, masked, last); break;
        SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6)
        SK_CASE(7) SK_CASE(8) SK_CASE(9) SK_CASE(10) SK_CASE(11) SK_CASE(12)
#undef SK_CASE
      }
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
