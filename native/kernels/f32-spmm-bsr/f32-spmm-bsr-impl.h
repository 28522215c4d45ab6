// SIMD BSR SpMM body, instantiated by the -avx2 and -avx512 files. For a block row and a tile of NV vectors of
// columns, RB rows of C are accumulated in registers (RB x NV accumulators) across all blocks of the row: each
// vector of a B row is loaded once and used by the RB rows of the block (register tiling across the block). Blocks
// taller than RB are done in passes of RB rows. Shapes without a specialisation use RB = 1. When n is not a whole
// number of vectors, the last columns are a one-vector tile (kMask), read and written as simd::load_tail and
// store_tail say (vec.h): without masked loads when n >= W (vmaskmovps is slow on AMD Zen 1).
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

// kMask (NV == 1): columns [j, n) with n - j < W; `back` = W - (n - j), and `shifted` when n >= W. `padded`: B's
// rows are the operator's packed panels (SpmmParams::b_padded), so the tail is loaded as a whole vector in its place
// (zero past n) and only its store is masked.
template <class S, int RB, int C, int NV, bool kMask>
void bsr_tile(const SpmmBsrParams& p, int32_t bi, int32_t r0, int32_t rows_here, int64_t begin, int64_t end, int64_t j,
              typename S::M last, int back, bool shifted, bool padded) {
  using V = typename S::V;
  static_assert(!kMask || NV == 1, "the masked tile is one vector");
  const BsrF32& a = p.a;
  const int32_t c_rt = C > 0 ? C : a.c;
  const int64_t block_size = static_cast<int64_t>(a.r) * c_rt;
  const uint32_t block_cols = static_cast<uint32_t>((a.cols + c_rt - 1) / c_rt);
  V acc[RB][NV];
#pragma GCC unroll 16
  for (int rr = 0; rr < RB; ++rr)
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) acc[rr][t] = S::zero();
  for (int64_t k = begin; k < end; ++k) {
    const uint32_t bj = static_cast<uint32_t>(a.indices[k]);
    if (bj >= block_cols) continue;  // counted by the caller
    const float* blk = a.values + k * block_size + static_cast<int64_t>(r0) * c_rt;
    const int32_t width = a.cols - static_cast<int32_t>(bj) * c_rt < c_rt ? a.cols - static_cast<int32_t>(bj) * c_rt : c_rt;
    for (int32_t cc = 0; cc < width; ++cc) {
      const float* b = p.b + (static_cast<int64_t>(bj) * c_rt + cc) * p.ldb + j;
      V bv[NV];
#pragma GCC unroll 16
      for (int t = 0; t < NV; ++t) bv[t] = kMask && !padded ? simd::load_tail<S>(b, back, shifted, last) : S::load(b + t * S::W);
#pragma GCC unroll 16
      for (int rr = 0; rr < RB; ++rr) {
        const V w = S::set1(blk[rr * c_rt + cc]);
#pragma GCC unroll 16
        for (int t = 0; t < NV; ++t) acc[rr][t] = S::fmadd(w, bv[t], acc[rr][t]);
      }
    }
  }
  const V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  // Written out (no loop indexing acc at run time), so that the accumulators stay registers: a plain loop bounded by
  // rows_here made GCC 12 keep them on the stack in the main loop for some tiles (the masked tails of 8x1 and 16x1
  // with AVX-512, the 8x1 tiles that AVX2 also runs 16x1 with).
#pragma GCC unroll 16
  for (int rr = 0; rr < RB; ++rr) {
    if (rr >= rows_here) break;
    float* out = p.c + static_cast<int64_t>(bi * a.r + r0 + rr) * p.ldc + j;
    if (kMask) {
      simd::store_tail<S>(out, acc[rr][0], alpha, beta, p.beta != 0.0f, back, shifted && !padded, last);
      continue;
    }
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) simd::store_alpha_beta<S, false>(out + t * S::W, acc[rr][t], alpha, beta, p.beta != 0.0f, last);
  }
}

// RB rows per pass, C block columns (0: taken from the matrix at run time), NV vectors per column tile.
template <class S, int RB, int C, int NV>
int64_t spmm_bsr(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  const BsrF32& a = p.a;
  const int32_t block_cols = (a.cols + a.c - 1) / a.c;
  const int64_t n = p.n;
  const int32_t tail = static_cast<int32_t>(n % S::W);
  const typename S::M last = S::first(tail);
  const bool shifted = n >= S::W;  // the tail tile can read the W columns ending at n
  int64_t bad = 0;
  for (int32_t bi = block_row_begin; bi < block_row_end; ++bi) {
    int64_t begin, end;
    if (!bsr_row_ok(a, bi, &begin, &end)) {
      ++bad;
      begin = end = 0;  // the block row is treated as empty: C = beta * C
    } else {
      for (int64_t k = begin; k < end; ++k) bad += static_cast<uint32_t>(a.indices[k]) >= static_cast<uint32_t>(block_cols);
    }
    const int32_t height = a.rows - bi * a.r < a.r ? a.rows - bi * a.r : a.r;
    for (int32_t r0 = 0; r0 < height; r0 += RB) {
      const int32_t rows_here = height - r0;
      int64_t j = 0;
      for (; j + NV * S::W <= n; j += NV * S::W) bsr_tile<S, RB, C, NV, false>(p, bi, r0, rows_here, begin, end, j, last, 0, false, false);
      for (; j + S::W <= n; j += S::W) bsr_tile<S, RB, C, 1, false>(p, bi, r0, rows_here, begin, end, j, last, 0, false, false);
      if (tail) bsr_tile<S, RB, C, 1, true>(p, bi, r0, rows_here, begin, end, j, last, S::W - tail, shifted, p.b_padded);
    }
  }
  return bad;
}

// The tile shapes for ISAs with 32 vector registers (AVX-512, NEON): accumulators RB x NV <= 16 plus NV for a B row,
// specialised for the common block shapes; RB = 1 for any other shape.
template <class S>
int64_t spmm_bsr_32_registers(const SpmmBsrParams& p, int32_t block_row_begin, int32_t block_row_end) {
  const int32_t r = p.a.r, c = p.a.c;
  if (r == 1 && c == 4) return spmm_bsr<S, 1, 4, 8>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 1) return spmm_bsr<S, 4, 1, 4>(p, block_row_begin, block_row_end);
  if (r == 4 && c == 4) return spmm_bsr<S, 4, 4, 4>(p, block_row_begin, block_row_end);
  if (r == 8 && c == 1) return spmm_bsr<S, 8, 1, 2>(p, block_row_begin, block_row_end);
  if (r == 16 && c == 1) return spmm_bsr<S, 16, 1, 1>(p, block_row_begin, block_row_end);
  if (r % 4 == 0) return spmm_bsr<S, 4, 0, 4>(p, block_row_begin, block_row_end);
  return spmm_bsr<S, 1, 0, 8>(p, block_row_begin, block_row_end);
}

}  // namespace sk
