// CSR SpMM body shared by the SIMD kernels (-avx2, -avx512, -neon files, each compiled with only its own flags).
// For each row of A, the columns of C are walked in tiles of up to kMaxTile vectors; each tile is accumulated in
// registers over the row's stored entries (broadcast A[i,k], FMA with B[k, tile]) and written once with alpha/beta.
// The tile's independent accumulators cover the FMA latency; the row's indices and values are re-read per tile from
// L1. Tiles have near-equal widths (17 vectors -> 9 + 8, not 8 + 8 + 1), because a narrow tile has too few
// independent FMA chains. The last vector of a row is masked when n is not a multiple of the vector width.
//
// Alignment matters: with B 16 bytes past a cache line (where V8 puts a fresh buffer) every 64-byte AVX-512 load
// straddles two lines; 1024x1024 at 90% sparsity times 1024x256 then takes ~0.93 ms instead of ~0.67 ms (2 threads).
// Shifting the walk onto line boundaries with masked edge vectors measured slower still, so the library allocates
// its dense buffers 64-byte aligned instead (lib/dense.ts, alignedFloat32Array).
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {
namespace spmm_csr_detail {

// Columns [j, j + W*NV) of row c; with kLast, vector NV-1 is loaded and stored under `last`.
template <class S, int NV, bool kLast>
inline void tile(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, typename S::M last) {
  const CsrF32& a = p.a;
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  typename S::V acc[NV];
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  for (int64_t k = begin; k < end; ++k) {
    const uint32_t col = static_cast<uint32_t>(a.indices[k]);
    if (col >= cols) continue;  // counted once per row by the caller
    const typename S::V v = S::set1(a.values[k]);
    const float* b = p.b + static_cast<int64_t>(col) * p.ldb + j;
    for (int t = 0; t < NV; ++t) {
      const typename S::V bv = (kLast && t == NV - 1) ? S::load(b + S::W * t, last) : S::load(b + S::W * t);
      acc[t] = S::fmadd(v, bv, acc[t]);
    }
  }
  const typename S::V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  const bool use_beta = p.beta != 0.0f;
  for (int t = 0; t < NV; ++t) {
    if (kLast && t == NV - 1) simd::store_alpha_beta<S, true>(c + j + S::W * t, acc[t], alpha, beta, use_beta, last);
    else simd::store_alpha_beta<S, false>(c + j + S::W * t, acc[t], alpha, beta, use_beta, last);
  }
}

template <class S, int NV>
inline void run(const SpmmParams& p, int64_t begin, int64_t end, int64_t j, float* c, bool masked, typename S::M last) {
  if (masked) tile<S, NV, true>(p, begin, end, j, c, last);
  else tile<S, NV, false>(p, begin, end, j, c, last);
}

}  // namespace spmm_csr_detail

template <class S, int kMaxTile>
int64_t spmm_csr(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  static_assert(kMaxTile <= 12, "tile widths are dispatched up to 12 vectors");
  using spmm_csr_detail::run;
  const CsrF32& a = p.a;
  const int64_t n = p.n;
  const int64_t vectors = (n + S::W - 1) / S::W;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const int tail = static_cast<int>(n - S::W * (vectors - 1));  // lanes of the last vector, 1..W
  const typename S::M last = S::first(tail);
  int64_t bad = 0;
  for (int32_t i = row_begin; i < row_end; ++i) {
    float* c = p.c + static_cast<int64_t>(i) * p.ldc;
    int64_t begin, end;
    if (!csr_row_ok(a, i, &begin, &end)) {
      ++bad;
      begin = end = 0;  // the row is treated as empty: C[i,:] = beta * C[i,:]
    } else {
      for (int64_t k = begin; k < end; ++k) bad += static_cast<uint32_t>(a.indices[k]) >= static_cast<uint32_t>(a.cols);
    }
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
