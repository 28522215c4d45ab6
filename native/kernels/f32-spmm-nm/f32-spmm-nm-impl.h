// SIMD N:M SpMM body, instantiated by the -avx2 and -avx512 files: the CSR SpMM scheme (column tiles accumulated
// in registers over the row's slots, written once) with the column of each slot computed from its group and uint8
// position instead of read from an index array. Zero slots are skipped. With p.block_rows (the operator's L1
// blocking plan, core/pack.h), the groups are walked in blocks for a chunk of rows at a time, as the CSR kernel
// does with its rows of B (f32-spmm-csr-impl.h): the first block writes C = alpha*acc + beta*C, later ones add.
#pragma once
#include <algorithm>
#include <cstring>

#include "../kernels.h"
#include "../vec.h"

namespace sk {

// Whether a slot's value is non-zero (NaN included), tested on its bits: compared as a float, the value was loaded
// into a register and broadcast from there, a shuffle that competes with the FMAs for their pipes (AMD Zen); the
// kernel broadcasts it straight from memory instead.
inline bool nonzero(const float* v) {
  uint32_t bits;
  std::memcpy(&bits, v, sizeof bits);
  return (bits << 1) != 0;
}

// kN: the N of N:M when known at compile time (0: read from the matrix), so the slot loop unrolls.
// Groups [g0, g1) of row i (`groups` per row) into columns [j, j + NV*W) of C: C = alpha * acc + beta * C.
// The loops over the tile's vectors are unrolled by pragma: left to GCC 12, acc[] stayed an array in memory (a
// `rep stos` zeroing it on every call, the registers copied back after the loop) and the group count was an integer
// division per call; with L1 blocking a call covers only a block of groups, so that overhead was 2-25% of the
// product (timed A/B in one process, 2:4 1024x1024 x 1024x256, noisy VM; the CSR kernel did not change).
// kTail (simd::Tail): whether the row of C ends inside vector NV-1, `back` floats short of it, and how that vector
// is read and written (simd::load_tile / store_tile, vec.h).
// kAll: the caller knows that no slot of groups [g0, g1) is zero, so none is tested (with B in L1, the test cost
// 10-20% of a 2:4 product: its load of the value, a second one beside the broadcast, and its branch).
template <class S, int NV, int kTail, int kN, bool kAll = false>
void nm_tile(const SpmmNmParams& p, int64_t groups, int32_t i, int64_t j, typename S::M last, int back, int64_t g0, int64_t g1, float alpha_s,
             float beta_s) {
  using V = typename S::V;
  const NmF32& a = p.a;
  const int32_t nn = kN > 0 ? kN : a.n;
  const int64_t base = static_cast<int64_t>(i) * groups * nn;
  const float* vals = a.values + base;
  const uint8_t* pos = a.positions + base;
  const int64_t m = a.m;
  const int64_t last_col = a.cols - 1;
  const int64_t ldb = p.ldb;
  const float* b0 = p.b + j;
  V acc[NV];
#pragma GCC unroll 16
  for (int t = 0; t < NV; ++t) acc[t] = S::zero();
  int64_t g = g0;
  if constexpr (kN > 0 && NV >= 2) {
    // Eight slots a step, their positions read as one 8-byte word a step ahead: a B row's address then waits on no
    // load. Read in the step itself, every slot's 2*NV loads of B queued behind its position's load (latency ~4
    // cycles, then the address arithmetic), which kept the FMA pipes ~40% idle (2:4, B in L1, AMD Zen 1: 5.3 ns a
    // slot and 8-vector tile, 3.8 with the positions ahead). A narrow tile has too few accumulators to cover the FMA
    // latency (as in the CSR kernel): the slots go round-robin into kSets sets of accumulators, summed at the end.
    constexpr int kStep = 8;
    constexpr int kGroups = kStep / kN;  // kN is 1, 2 or 4
    constexpr int kSets = simd::accumulator_sets(NV);
    static_assert(kStep % kN == 0 && kStep % kSets == 0, "a step is whole groups and whole rounds of the sets");
    V more[kSets > 1 ? kSets - 1 : 1][NV];
    simd::zero_sets<S>(more, kSets - 1);
    if (g1 - g >= kGroups) {
      uint64_t ahead;
      std::memcpy(&ahead, pos + g * kN, sizeof ahead);
      for (; g + kGroups <= g1; g += kGroups) {
        const uint64_t now = ahead;
        // The next step's word; on the last step the current one again (it stays in range).
        std::memcpy(&ahead, pos + std::min(g + kGroups, g1 - kGroups) * kN, sizeof ahead);
        const float* v = vals + g * kN;
        const int64_t col_base = g * m;
#pragma GCC unroll 8
        for (int u = 0; u < kStep; ++u) {
          if (kAll || nonzero(v + u)) {
            const int64_t col = std::min<int64_t>(col_base + (u / kN) * m + static_cast<int64_t>((now >> (8 * u)) & 0xff)  /* slot u's byte (vec.h: little-endian) */, last_col);
            const V w = S::load1(v + u);
            const float* b = b0 + col * ldb;
            V* a = u % kSets == 0 ? acc : more[u % kSets - 1];
#pragma GCC unroll 16
            for (int t = 0; t < NV; ++t) a[t] = S::fmadd(w, simd::load_tile<S, NV, kTail>(b, t, back, last), a[t]);
          }
        }
      }
    }
    simd::add_sets<S>(acc, more, kSets - 1);
  } else if constexpr (kN > 0) {
    // One-vector tiles (NV == 1): the position read per slot measured faster (1.42 against 1.52 ns a slot, 2:4,
    // width 8): a slot there is one load of B, and taking its position apart from the word cost more ALU work.
    // kG groups at a time, each slot of them into its own set of accumulators, summed at the end.
    constexpr int kU = simd::accumulator_sets(NV);
    constexpr int kG = (kU + kN - 1) / kN;
    constexpr int kSets = kG * kN;
    V more[kSets - 1][NV];
    simd::zero_sets<S>(more, kSets - 1);
    for (; g + kG <= g1; g += kG) {
#pragma GCC unroll 8
      for (int u = 0; u < kSets; ++u) {
        const int64_t s = g * nn + u;  // slot u / kN of group g + u / kN
        if (kAll || nonzero(vals + s)) {
          const int64_t col = std::min<int64_t>((g + u / kN) * m + pos[s], last_col);
          const V w = S::load1(vals + s);
          const float* b = b0 + col * ldb;
          V* a = u == 0 ? acc : more[u - 1];
#pragma GCC unroll 16
          for (int t = 0; t < NV; ++t) a[t] = S::fmadd(w, simd::load_tile<S, NV, kTail>(b, t, back, last), a[t]);
        }
      }
    }
    simd::add_sets<S>(acc, more, kSets - 1);
  }
  for (; g < g1; ++g) {
    const int64_t col_base = g * m;
    for (int32_t q = 0; q < nn; ++q) {
      const int64_t s = g * nn + q;
      if (nonzero(vals + s)) {
        // The caller has counted anomalies (position >= m, column past the end) before this tile; clamping keeps
        // the load in range without a branch even if the matrix changes meanwhile.
        const int64_t col = std::min<int64_t>(col_base + pos[s], last_col);
        const V w = S::load1(vals + s);
        const float* b = b0 + col * ldb;
#pragma GCC unroll 16
        for (int t = 0; t < NV; ++t) acc[t] = S::fmadd(w, simd::load_tile<S, NV, kTail>(b, t, back, last), acc[t]);
      }
    }
  }
  const V alpha = S::set1(alpha_s), beta = S::set1(beta_s);
  simd::store_tile<S, NV, kTail>(p.c + static_cast<int64_t>(i) * p.ldc + j, acc, alpha, beta, beta_s != 0.0f, back, last);
}

template <class S, int NV, int kTail>
void nm_run_tail(const SpmmNmParams& p, int64_t groups, int32_t i, int64_t j, bool all, typename S::M last, int back, int64_t g0,
                 int64_t g1, float alpha, float beta) {
  switch ((all ? 16 : 0) + (p.a.n <= 4 && p.a.n != 3 ? p.a.n : 0)) {
    case 1: nm_tile<S, NV, kTail, 1>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    case 2: nm_tile<S, NV, kTail, 2>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    case 4: nm_tile<S, NV, kTail, 4>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    case 16 + 1: nm_tile<S, NV, kTail, 1, true>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    case 16 + 2: nm_tile<S, NV, kTail, 2, true>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    case 16 + 4: nm_tile<S, NV, kTail, 4, true>(p, groups, i, j, last, back, g0, g1, alpha, beta); break;
    default: nm_tile<S, NV, kTail, 0>(p, groups, i, j, last, back, g0, g1, alpha, beta);
  }
}

template <class S, int NV>
void nm_run(const SpmmNmParams& p, int64_t groups, int32_t i, int64_t j, bool masked, bool all, typename S::M last, int back, int64_t g0,
            int64_t g1, float alpha, float beta) {
  // kAll only changes tiles with N known (1, 2 or 4): the other tiles are not instantiated twice.
  if (!masked) nm_run_tail<S, NV, simd::kWhole>(p, groups, i, j, all, last, back, g0, g1, alpha, beta);
  else if (p.b_padded) nm_run_tail<S, NV, simd::kPadded>(p, groups, i, j, all, last, back, g0, g1, alpha, beta);
  else nm_run_tail<S, NV, simd::kEdge>(p, groups, i, j, all, last, back, g0, g1, alpha, beta);
}

// Whole groups of a row before its first zero slot, found 64 slots at a time (the least of the slots' bits shifted
// past the sign, 0 for a zero; a loop GCC vectorises): the groups before the first 64 that hold a zero, or all of
// them. Not refined slot by slot: with that walk, and every short clean run split off (kMinUntested), a 2:4 with one
// slot in 37 zero ran 1.06-1.07x the time of testing every slot at width 16 (1.00-1.04x now; in-process A/B).
inline int64_t leading_groups(const float* vals, int64_t slots, int32_t n) {
  int64_t s = 0;
  for (; s + 64 <= slots; s += 64) {
    uint32_t least = UINT32_MAX;
    for (int u = 0; u < 64; ++u) {
      uint32_t bits;
      std::memcpy(&bits, vals + s + u, sizeof bits);
      least = std::min(least, bits << 1);
    }
    if (least == 0) return s / n;
  }
  while (s < slots && nonzero(vals + s)) ++s;  // the row's last slots (fewer than 64)
  return s / n;
}

// kMaxTile accumulators at most; tiles of near-equal width (a narrow tile has too few independent FMA chains).
template <class S, int kMaxTile>
int64_t spmm_nm(const SpmmNmParams& p, int32_t row_begin, int32_t row_end) {
  static_assert(kMaxTile <= 8, "tile widths are dispatched up to 8 vectors");
  const NmF32& a = p.a;
  const int64_t groups = (static_cast<int64_t>(a.cols) + a.m - 1) / a.m;
  const int64_t n = p.n;
  const int64_t vectors = (n + S::W - 1) / S::W;
  const int64_t tiles = (vectors + kMaxTile - 1) / kMaxTile;
  const int32_t tail = static_cast<int32_t>(n - (vectors - 1) * S::W);
  const typename S::M last = S::first(tail);
  const int back = S::W - tail;
  // Groups per block of B's rows (0: one pass over all groups).
  const int64_t block = p.block_rows > 0 && groups * a.m > p.block_rows ? std::max<int64_t>(1, p.block_rows / a.m) : 0;
  constexpr int kChunk = 32;
  // A row's clean groups shorter than this run tested with the rest: each split costs another pass of the tile's
  // accumulators and of its row of C.
  constexpr int64_t kMinUntested = 32;
  int64_t clean[kChunk];  // per row of the chunk: its groups before the first zero slot (leading_groups)
  // Only tiles with N of 1, 2 or 4 walk slots untested (nm_run): else no row is scanned. One-vector tiles too: a 2:4
  // with no zero slot at width 16 ran 0.87-0.89x the time it took with every slot tested (AVX-512; AVX2 at width 8
  // 0.91-0.98x), 2 threads and one.
  const bool untested = a.n == 1 || a.n == 2 || a.n == 4;
  int64_t bad = 0;
  for (int32_t r0 = row_begin; r0 < row_end; r0 += kChunk) {
    const int32_t r1 = static_cast<int32_t>(std::min<int64_t>(static_cast<int64_t>(r0) + kChunk, row_end));
    for (int32_t i = r0; i < r1; ++i) {
      // Anomalies (non-zero slots with a position >= m, or a column past the end, which only the last group can
      // have). The row's largest position first (a byte max, 32 slots an instruction with AVX2): only a row that has
      // one >= m is counted slot by slot. The count runs once per panel of B; counted outright (bytes and floats
      // widened to 64-bit sums) it kept this kernel at 1.03-1.13x the CSR kernel's time on the same 2:4 matrix,
      // 0.92-1.00x without (A/B in sequential processes, widths 8 to 256, 2 threads).
      const int64_t base = static_cast<int64_t>(i) * groups * a.n;
      const float* vals = a.values + base;
      const uint8_t* pos = a.positions + base;
      uint8_t most = 0;
      for (int64_t s = 0; s < groups * a.n; ++s) most = std::max(most, pos[s]);
      int64_t row_bad = 0;
      if (most >= a.m) {
        for (int64_t s = 0; s < groups * a.n; ++s) row_bad += (vals[s] != 0.0f) & (pos[s] >= a.m);
      }
      if (groups > 0) {
        for (int64_t s = (groups - 1) * a.n; s < groups * a.n; ++s) {
          row_bad += (vals[s] != 0.0f) & (pos[s] < a.m) & ((groups - 1) * a.m + pos[s] >= a.cols);
        }
      }
      bad += row_bad;
      clean[i - r0] = untested ? leading_groups(vals, groups * a.n, a.n) : 0;
    }
    for (int64_t t = 0, v = 0; t < tiles; ++t) {
      const int nv = static_cast<int>(vectors / tiles + (t < vectors % tiles ? 1 : 0));
      const bool masked = v + nv == vectors && tail != S::W;
      // One pass over all groups when not blocked (and one, storing beta * C, when there are none).
      const int64_t step = block > 0 ? block : std::max<int64_t>(groups, 1);
      for (int64_t g0 = 0; g0 < std::max<int64_t>(groups, 1); g0 += step) {
        const int64_t g1 = std::min(groups, g0 + step);
        const float beta = g0 == 0 ? p.beta : 1.0f;
        for (int32_t i = r0; i < r1; ++i) {
          // Groups [g0, gc) hold no zero slot and run untested; the rest, if any, adds to what they stored.
          int64_t gc = std::clamp(clean[i - r0], g0, g1);
          if (gc - g0 < kMinUntested && gc < g1) gc = g0;
          const int64_t j = v * S::W;
          switch (nv) {
#define SK_CASE(NV)                                                                                           \
  case NV:                                                                                                    \
    if (gc > g0) nm_run<S, NV>(p, groups, i, j, masked, true, last, back, g0, gc, p.alpha, beta);            \
    if (gc < g1 || gc == g0) nm_run<S, NV>(p, groups, i, j, masked, false, last, back, gc, g1, p.alpha, gc > g0 ? 1.0f : beta); \
    break;
            SK_CASE(1) SK_CASE(2) SK_CASE(3) SK_CASE(4) SK_CASE(5) SK_CASE(6) SK_CASE(7) SK_CASE(8)
#undef SK_CASE
          }
        }
      }
      v += nv;
    }
  }
  return bad;
}

}  // namespace sk
