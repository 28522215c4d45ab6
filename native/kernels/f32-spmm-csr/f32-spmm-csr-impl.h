// CSR SpMM body shared by the SIMD kernels (-avx2, -avx512, -neon files, each compiled with only its own flags).
// For each row of A, the columns of C are walked in tiles of up to kMaxTile vectors; each tile is accumulated in
// registers over the row's stored entries (broadcast A[i,k], FMA with B[k, tile]) and written once with alpha/beta.
// The tile's independent accumulators cover the FMA latency; the row's indices and values are re-read per tile from
// L1. Tiles have near-equal widths (17 vectors -> 9 + 8, not 8 + 8 + 1), because a narrow tile has too few
// independent FMA chains. When n is not a multiple of the vector width, the last vector of a row is read and written
// as simd::load_tile / store_tile say (vec.h): from B packed by the operator (SpmmParams::b_padded) as a whole vector
// in place, the store to C masked; else as the W columns ending at the row's end (masked only for n < W).
//
// Software prefetch only of the first line of the next step's rows of B, in wide unblocked tiles (see kPrefetch in
// tile()): prefetching every entry's row k + 8 entries ahead, with the index read per entry, had made the product
// 1.13-1.35x slower (timed A/B in one process, AMD EPYC, B from L2). Alignment is the operator's business: native/core/ops.cc hands this kernel B packed into aligned
// panels one tile wide (pack.h) whenever B is misaligned or wider than a panel; with B 4 bytes past a line, half
// of the vector loads straddle two lines and the product ran 1.3-1.4x slower.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../kernels.h"
#include "../vec.h"

namespace sk {
namespace spmm_csr_detail {

// Columns [j, j + W*NV) of one row (entries [*kp, end), output row c); kTail (simd::Tail) says whether the row ends
// inside vector NV-1 (`back` = W minus its lanes in use) and how that vector is read and written (vec.h).
//
// The caller has checked this row's column indices (row_range): a row holding a bad one
// never gets here. The clamps below are for memory safety only, should the caller's arrays change during an async
// call. The loop is written out plainly (no lambdas, one pointer per row of B): written with lambdas, GCC 12 kept a
// stack copy of the accumulators and computed eight addresses per entry (1.15-1.2x slower). Not inlined: see
// SK_NOINLINE (params.h).
//
// With kBlocked, the walk starts at *k and stops before the first entry whose column is >= kend (a block of B's
// rows, see spmm_csr), leaving *k there; the tile is then C = alpha * acc + beta * C.
template <class S, int NV, int kTail, bool kBlocked>
SK_NOINLINE void tile(const SpmmParams& p, int64_t* kp, int64_t end, uint32_t kend, int64_t j, float* c, typename S::M last, int back,
                 float alpha_s, float beta_s) {
  using V = typename S::V;
  const uint32_t col_max = static_cast<uint32_t>(p.a.cols) - 1;  // cols >= 1: row_range empties rows otherwise
  const int32_t* indices = p.a.indices;
  const float* values = p.a.values;
  const float* bj = p.b + j;
  const int64_t ldb = p.ldb;
  V acc[NV];
#pragma GCC unroll 16
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  int64_t k = *kp;
  if constexpr (NV >= 2) {
    // Four entries a step, their column indices read a step ahead (two 8-byte words): a row of B's address then
    // waits on no load. Read in the step itself, each entry's 2*NV loads of B queued behind its index's load and
    // kept the FMA pipes idle ~30% of the time (2:4 N:M, B in L1, AMD Zen 1: see f32-spmm-nm-impl.h). A narrow
    // tile has too few accumulators to cover the FMA latency: the entries go round-robin into kU sets of
    // accumulators, summed at the end. Blocked, the stepped walk ends before the first column past the block
    // (`stop`, found first, so that the stepped loop is the unblocked one), and the loop
    // below takes the entries left before it.
    constexpr int kU = simd::accumulator_sets(NV);
    constexpr int kStep = 4;
    static_assert(kStep % kU == 0, "a step is whole rounds of the sets");
    // Unblocked, B's rows come from L2, and a tile of kPrefetchTileBytes (192) or more waits on them: prefetching the
    // first line of each row of the next step (whose indices are already in registers) made it 1.15x faster (AMD
    // Zen 1, 90% and 70%, tiles of 64 floats; more lines, or two steps ahead, gained less), and faster than L1
    // blocking, which the operator then does not plan (plan_block_rows). Narrower tiles lost up to 1.15x, and
    // blocked ones (B's block in L1, when forced) 1.05x: they do not prefetch.
    constexpr bool kPrefetch = !kBlocked && NV * S::W * static_cast<int>(sizeof(float)) >= kPrefetchTileBytes;
    V more[kU > 1 ? kU - 1 : 1][NV];
    simd::zero_sets<S>(more, kU - 1);
    int64_t stop = end;
    if constexpr (kBlocked) {
      for (stop = k; stop < end && static_cast<uint32_t>(indices[stop]) < kend;) ++stop;
    }
    if (stop - k >= kStep) {
      uint64_t ahead0, ahead1;
      std::memcpy(&ahead0, indices + k, sizeof ahead0);
      std::memcpy(&ahead1, indices + k + 2, sizeof ahead1);
      for (; k + kStep <= stop; k += kStep) {
        const uint64_t now0 = ahead0, now1 = ahead1;
        // The next step's words; on the last step the current ones again (they stay in range).
        const int64_t next = std::min(k + kStep, stop - kStep);
        std::memcpy(&ahead0, indices + next, sizeof ahead0);
        std::memcpy(&ahead1, indices + next + 2, sizeof ahead1);
        if constexpr (kPrefetch) {
          // The first line of each of the next step's rows of B (see kPrefetch).
          const uint32_t soon[kStep] = {static_cast<uint32_t>(ahead0), static_cast<uint32_t>(ahead0 >> 32), static_cast<uint32_t>(ahead1),
                                        static_cast<uint32_t>(ahead1 >> 32)};
#pragma GCC unroll 8
          for (int u = 0; u < kStep; ++u) simd::prefetch(bj + static_cast<int64_t>(std::min(soon[u], col_max)) * ldb);
        }
        // Entry u's index in the words (little-endian: vec.h).
        const uint32_t cols[kStep] = {static_cast<uint32_t>(now0), static_cast<uint32_t>(now0 >> 32), static_cast<uint32_t>(now1),
                                      static_cast<uint32_t>(now1 >> 32)};
#pragma GCC unroll 8
        for (int u = 0; u < kStep; ++u) {
          const uint32_t col = std::min(cols[u], col_max);  // a conditional move (as `? :`, GCC 12 branched)
          const V v = S::set1(values[k + u]);
          const float* b = bj + static_cast<int64_t>(col) * ldb;
          V* a = u % kU == 0 ? acc : more[u % kU - 1];
#pragma GCC unroll 16
          for (int t = 0; t < NV; ++t) a[t] = S::fmadd(v, simd::load_tile<S, NV, kTail>(b, t, back, last), a[t]);
        }
      }
    }
    simd::add_sets<S>(acc, more, kU - 1);
  } else {
    // One-vector tiles: the index read per entry (a one-vector entry is one load of B, and its 8 sets of
    // accumulators already cover the latency). kU entries at a time into kU sets of accumulators, summed at the end.
    // Blocked, a group of kU stops the unrolled walk if any of its columns is past the block; the loop below then
    // stops at the first.
    constexpr int kU = simd::accumulator_sets(NV);
    V more[kU - 1][NV];
    simd::zero_sets<S>(more, kU - 1);
    for (; k + kU <= end; k += kU) {
      if constexpr (kBlocked) {
        bool past = false;
#pragma GCC unroll 8
        for (int u = 0; u < kU; ++u) past |= static_cast<uint32_t>(indices[k + u]) >= kend;
        if (past) break;
      }
#pragma GCC unroll 8
      for (int u = 0; u < kU; ++u) {
        uint32_t col = static_cast<uint32_t>(indices[k + u]);
        col = col <= col_max ? col : 0;
        const V v = S::set1(values[k + u]);
        const float* b = bj + static_cast<int64_t>(col) * ldb;
        V* a = u == 0 ? acc : more[u - 1];
#pragma GCC unroll 16
        for (int t = 0; t < NV; ++t) a[t] = S::fmadd(v, simd::load_tile<S, NV, kTail>(b, t, back, last), a[t]);
      }
    }
    simd::add_sets<S>(acc, more, kU - 1);
  }
  for (; k < end; ++k) {
    uint32_t col = static_cast<uint32_t>(indices[k]);
    if (kBlocked && col >= kend) break;
    col = col <= col_max ? col : 0;
    const V v = S::set1(values[k]);
    const float* b = bj + static_cast<int64_t>(col) * ldb;
#pragma GCC unroll 16
    for (int t = 0; t < NV; ++t) acc[t] = S::fmadd(v, simd::load_tile<S, NV, kTail>(b, t, back, last), acc[t]);
  }
  *kp = k;
  const V alpha = S::set1(alpha_s), beta = S::set1(beta_s);
  const bool use_beta = beta_s != 0.0f;
  simd::store_tile<S, NV, kTail>(c + j, acc, alpha, beta, use_beta, back, last);
}

template <class S, int NV, bool kBlocked>
inline void run(const SpmmParams& p, int64_t* k, int64_t end, uint32_t kend, int64_t j, float* c, bool masked, typename S::M last, int back,
                float alpha, float beta) {
  if (!masked) tile<S, NV, simd::kWhole, kBlocked>(p, k, end, kend, j, c, last, back, alpha, beta);
  else if (p.b_padded) tile<S, NV, simd::kPadded, kBlocked>(p, k, end, kend, j, c, last, back, alpha, beta);
  else tile<S, NV, simd::kEdge, kBlocked>(p, k, end, kend, j, c, last, back, alpha, beta);
}

// Row i's entries, or an empty range when its bounds or any of its column indices are corrupt (each counted in
// *bad; the caller then fails the call, so what the row gets, beta * C[i,:], is moot).
inline void row_range(const SpmmParams& p, int32_t i, int64_t* begin, int64_t* end, int64_t* bad) {
  const CsrF32& a = p.a;
  if (!csr_row_ok(a, i, begin, end)) {
    ++*bad;
    *begin = *end = 0;  // the row is treated as empty: C[i,:] = beta * C[i,:]
    return;
  }
  const uint32_t cols = static_cast<uint32_t>(a.cols);
  int64_t row_bad = 0;
  for (int64_t k = *begin; k < *end; ++k) row_bad += static_cast<uint32_t>(a.indices[k]) >= cols;
  if (row_bad) {
    *bad += row_bad;
    *begin = *end;
  }
}


// The tiles of one column range: the widths [v, v + nv) of `vectors`, near-equal (see the top of this file).
struct TileWalk {
  int64_t vectors, tiles;
  int nv(int64_t t) const { return static_cast<int>(vectors / tiles + (t < vectors % tiles ? 1 : 0)); }
};

// Calls f(integral_constant NV) for a runtime width nv <= kMaxTile (widths above it are never instantiated).
template <int kMaxTile, class F>
inline void with_width(int nv, F&& f) {
  switch (nv) {
#define SK_CASE(NV) \
  case NV: if (NV <= kMaxTile) f(std::integral_constant<int, (NV <= kMaxTile ? NV : 1)>{}); break;
    SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6)
    SK_CASE(7) SK_CASE(8) SK_CASE(9) SK_CASE(10) SK_CASE(11) SK_CASE(12)
#undef SK_CASE
    default: break;
  }
}

}  // namespace spmm_csr_detail

// Rows [row_begin, row_end) of C. With p.block_rows (the operator's plan: a tile's rows of B do not fit in L1 and
// A is dense enough, or do not fit in L2 many times over), B is walked in blocks of that many rows: for each chunk
// of p.block_chunk rows of A (32 unless set) and each column tile, block by block, every row of the chunk
// multiplies its entries whose columns fall in the block (a cursor per row remembers where it stopped) and adds
// the result to C; the block of B stays in L1 across the chunk's rows. The first block writes C = alpha*acc +
// beta*C, later ones add alpha*acc, and only for rows with entries in them. Columns need not be sorted: a cursor
// stops at the first entry past the block and the last block takes whatever is left, so each entry is counted
// once in any order (unsorted rows only lose the blocking's benefit).
template <class S, int kMaxTile>
int64_t spmm_csr(const SpmmParams& p, int32_t row_begin, int32_t row_end) {
  static_assert(kMaxTile <= 12, "tile widths are dispatched up to 12 vectors");
  using spmm_csr_detail::row_range;
  using spmm_csr_detail::run;
  const int64_t n = p.n;
  const spmm_csr_detail::TileWalk walk{(n + S::W - 1) / S::W, ((n + S::W - 1) / S::W + kMaxTile - 1) / kMaxTile};
  const int tail = static_cast<int>(n - S::W * (walk.vectors - 1));  // lanes of the last vector, 1..W
  const typename S::M last = S::first(tail);
  const int back = S::W - tail;
  const int64_t block = p.block_rows;
  int64_t bad = 0;
  if (block <= 0 || p.a.cols <= block) {
    for (int32_t i = row_begin; i < row_end; ++i) {
      float* c = p.c + static_cast<int64_t>(i) * p.ldc;
      int64_t begin, end;
      row_range(p, i, &begin, &end, &bad);
      for (int64_t t = 0, v = 0; t < walk.tiles; ++t) {
        const int nv = walk.nv(t);
        const bool masked = v + nv == walk.vectors && tail != S::W;
        spmm_csr_detail::with_width<kMaxTile>(nv, [&](auto w) {
          int64_t k = begin;
          run<S, decltype(w)::value, false>(p, &k, end, 0, S::W * v, c, masked, last, back, p.alpha, p.beta);
        });
        v += nv;
      }
    }
    return bad;
  }
  const int chunk = p.block_chunk > 0 ? std::min(p.block_chunk, kMaxBlockChunk) : 32;
  int64_t lo[kMaxBlockChunk], hi[kMaxBlockChunk], cur[kMaxBlockChunk];
  const int32_t* indices = p.a.indices;
  for (int32_t r0 = row_begin; r0 < row_end; r0 += chunk) {
    const int rows = static_cast<int>(std::min<int64_t>(chunk, static_cast<int64_t>(row_end) - r0));
    for (int r = 0; r < rows; ++r) row_range(p, r0 + r, &lo[r], &hi[r], &bad);
    for (int64_t t = 0, v = 0; t < walk.tiles; ++t) {
      const int nv = walk.nv(t);
      const bool masked = v + nv == walk.vectors && tail != S::W;
      spmm_csr_detail::with_width<kMaxTile>(nv, [&](auto w) {
        constexpr int NV = decltype(w)::value;
        for (int r = 0; r < rows; ++r) cur[r] = lo[r];
        for (int64_t k0 = 0; k0 < p.a.cols; k0 += block) {
          const bool first = k0 == 0;
          const uint32_t kend = k0 + block >= p.a.cols ? UINT32_MAX : static_cast<uint32_t>(k0 + block);
          for (int r = 0; r < rows; ++r) {
            if (!first && (cur[r] >= hi[r] || static_cast<uint32_t>(indices[cur[r]]) >= kend)) continue;
            float* c = p.c + static_cast<int64_t>(r0 + r) * p.ldc;
            run<S, NV, true>(p, &cur[r], hi[r], kend, S::W * v, c, masked, last, back, p.alpha, first ? p.beta : 1.0f);
          }
        }
      });
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
