// SIMD dense GEMM body, instantiated by the -avx2 and -avx512 files: register tiles of MR rows x NV vectors of C,
// accumulated over all of k (each B vector loaded once serves MR rows; each A value is broadcast), written once
// with alpha/beta. B's rows are read as the operator (gemm_f32) hands them over: in place, or packed (aligned rows
// of whole vectors, GemmParams::b_padded), in chunks of k; a transposed A as copied rows; a B narrower than
// kGemmNarrow packed transposed (GemmParams::bt, gemm_dot below). When
// n is not a whole number of vectors, the last columns are a one-vector tile (kEdge), read and written as
// simd::load_tail and store_tail say (vec.h): without masked loads when n >= W (vmaskmovps is slow on AMD Zen 1);
// from a padded B, the columns after the full tiles are one tile of whole loads whose last store is masked.
#pragma once
#include "../kernels.h"
#include "../vec.h"

namespace sk {

// kTail: simd::kWhole (whole vectors), kEdge (NV == 1: columns [j, n) with n - j < W; `back` = W - (n - j), and
// `shifted` when n >= W) or kPadded (B packed by the operator, GemmParams::b_padded: whole loads, the store of the
// last vector masked by `last`).
template <class S, int MR, int NV, int kTail>
void gemm_tile(const GemmParams& p, int32_t i0, int32_t rows, int64_t j, typename S::M last, int back, bool shifted) {
  using V = typename S::V;
  constexpr bool kMask = kTail == simd::kEdge;
  static_assert(!kMask || NV == 1, "the edge tile is one vector");
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int t = 0; t < NV; ++t) acc[r][t] = S::zero();
  for (int32_t t = 0; t < p.k; ++t) {
    const float* b = p.b + static_cast<int64_t>(t) * p.ldb + j;
    V bv[NV];
    for (int q = 0; q < NV; ++q) bv[q] = kMask ? simd::load_tail<S>(b, back, shifted, last) : S::load(b + q * S::W);
    for (int r = 0; r < MR; ++r) {
      const int32_t i = i0 + (r < rows ? r : 0);  // rows past the end repeat row i0 and are not stored
      const V a = S::set1(p.trans_a ? p.a[static_cast<int64_t>(t) * p.lda + i] : p.a[static_cast<int64_t>(i) * p.lda + t]);
      for (int q = 0; q < NV; ++q) acc[r][q] = S::fmadd(a, bv[q], acc[r][q]);
    }
  }
  const V alpha = S::set1(p.alpha), beta = S::set1(p.beta);
  for (int r = 0; r < MR && r < rows; ++r) {
    float* out = p.c + static_cast<int64_t>(i0 + r) * p.ldc + j;
    if (kMask) {
      simd::store_tail<S>(out, acc[r][0], alpha, beta, p.beta != 0.0f, back, shifted, last);
      continue;
    }
    simd::store_tile<S, NV, kTail>(out, acc[r], alpha, beta, p.beta != 0.0f, 0, last);
  }
}

// A narrow B (GemmParams::bt): rows [i, i + R) of C, NB (= n) columns each, as dot products of A's rows with the
// rows of bt, over vectors of k (the last one masked on A; bt is zero there). R rows at once share each bt load and
// give R * NB independent FMA chains.
template <class S, int NB, int R>
void gemm_dot_rows(const GemmParams& p, int32_t i) {
  using V = typename S::V;
  V acc[R][NB];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < NB; ++j) acc[r][j] = S::zero();
  const float* a[R];
  for (int r = 0; r < R; ++r) a[r] = p.a + static_cast<int64_t>(i + r) * p.lda;
  int64_t t = 0;
  for (; t + S::W <= p.k; t += S::W) {
    V av[R];
    for (int r = 0; r < R; ++r) av[r] = S::load(a[r] + t);
    for (int j = 0; j < NB; ++j) {
      const V b = S::load(p.bt + j * p.ldbt + t);
      for (int r = 0; r < R; ++r) acc[r][j] = S::fmadd(av[r], b, acc[r][j]);
    }
  }
  if (t < p.k) {
    const typename S::M live = S::first(static_cast<int>(p.k - t));
    V av[R];
    for (int r = 0; r < R; ++r) av[r] = S::load(a[r] + t, live);
    for (int j = 0; j < NB; ++j) {
      const V b = S::load(p.bt + j * p.ldbt + t);
      for (int r = 0; r < R; ++r) acc[r][j] = S::fmadd(av[r], b, acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* c = p.c + static_cast<int64_t>(i + r) * p.ldc;
    for (int j = 0; j < NB; ++j) {
      const float sum = S::hsum(acc[r][j]);
      c[j] = p.beta == 0.0f ? p.alpha * sum : p.alpha * sum + p.beta * c[j];
    }
  }
}

template <class S, int NB>
void gemm_dot(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  constexpr int R = NB == 1 ? 4 : NB <= 3 ? 2 : 1;
  int32_t i = row_begin;
  for (; i + R <= row_end; i += R) gemm_dot_rows<S, NB, R>(p, i);
  for (; i < row_end; ++i) gemm_dot_rows<S, NB, 1>(p, i);
}

// From a padded B: the columns [j, n) left after the full tiles, fewer than NV + 1 vectors, as one tile of as many
// vectors (so as many FMA chains as it can have), its last vector's store masked when n is not a whole number of
// vectors.
template <class S, int MR, int NV>
void padded_rest(const GemmParams& p, int32_t i, int32_t rows, int64_t j, typename S::M last, bool tail) {
  if (tail) gemm_tile<S, MR, NV, simd::kPadded>(p, i, rows, j, last, 0, false);
  else gemm_tile<S, MR, NV, simd::kWhole>(p, i, rows, j, last, 0, false);
}

// One row of C (a row vector times B, or a task of one row): tiles of 4 * NV vectors of that row, as many FMA chains
// as the MR x NV tile without computing MR - 1 rows that are not stored.
template <class S, int NV>
void gemm_row(const GemmParams& p, int32_t i, typename S::M last, int back, bool shifted) {
  constexpr int kWide = 4 * NV;
  const int64_t n = p.n;
  int64_t j = 0;
  for (; j + kWide * S::W <= n; j += kWide * S::W) gemm_tile<S, 1, kWide, simd::kWhole>(p, i, 1, j, last, 0, false);
  for (; j + NV * S::W <= n; j += NV * S::W) gemm_tile<S, 1, NV, simd::kWhole>(p, i, 1, j, last, 0, false);
  for (; j + S::W <= n; j += S::W) gemm_tile<S, 1, 1, simd::kWhole>(p, i, 1, j, last, 0, false);
  if (j < n) gemm_tile<S, 1, 1, simd::kEdge>(p, i, 1, j, last, back, shifted);
}

template <class S, int MR, int NV>
int64_t gemm(const GemmParams& p, int32_t row_begin, int32_t row_end) {
  if (p.bt != nullptr && !p.trans_a) {
    static_assert(kGemmNarrow == 8, "one case per narrow width");
    switch (p.n) {
      case 1: gemm_dot<S, 1>(p, row_begin, row_end); return 0;
      case 2: gemm_dot<S, 2>(p, row_begin, row_end); return 0;
      case 3: gemm_dot<S, 3>(p, row_begin, row_end); return 0;
      case 4: gemm_dot<S, 4>(p, row_begin, row_end); return 0;
      case 5: gemm_dot<S, 5>(p, row_begin, row_end); return 0;
      case 6: gemm_dot<S, 6>(p, row_begin, row_end); return 0;
      case 7: gemm_dot<S, 7>(p, row_begin, row_end); return 0;
      default: break;  // not narrow: the tiles below, reading b
    }
  }
  const int64_t n = p.n;
  const int32_t tail = static_cast<int32_t>(n % S::W);
  const typename S::M last = S::first(tail);
  const bool shifted = n >= S::W;  // the tail tile can read the W columns ending at n
  const int back = S::W - tail;
  if (row_end - row_begin == 1 && !p.b_padded) {
    gemm_row<S, NV>(p, row_begin, last, back, shifted);
    return 0;
  }
  for (int32_t i = row_begin; i < row_end; i += MR) {
    const int32_t rows = row_end - i < MR ? row_end - i : MR;
    int64_t j = 0;
    for (; j + NV * S::W <= n; j += NV * S::W) gemm_tile<S, MR, NV, simd::kWhole>(p, i, rows, j, last, 0, false);
    if (p.b_padded) {
      switch ((n - j + S::W - 1) / S::W) {
        case 0: break;
        case 1: padded_rest<S, MR, 1>(p, i, rows, j, last, tail != 0); break;
        case 2: padded_rest<S, MR, (NV < 2 ? NV : 2)>(p, i, rows, j, last, tail != 0); break;
        case 3: padded_rest<S, MR, (NV < 3 ? NV : 3)>(p, i, rows, j, last, tail != 0); break;
        default: padded_rest<S, MR, (NV < 4 ? NV : 4)>(p, i, rows, j, last, tail != 0); break;
      }
      continue;
    }
    for (; j + S::W <= n; j += S::W) gemm_tile<S, MR, 1, simd::kWhole>(p, i, rows, j, last, 0, false);
    if (tail) gemm_tile<S, MR, 1, simd::kEdge>(p, i, rows, j, last, back, shifted);
  }
  return 0;
}

}  // namespace sk
