// The bodies of the CUDA kernels, written once as __host__ __device__ functions so that the same code runs on the
// GPU (kernels.cu launches them) and on the CPU (native/test/cuda-tests.cu runs them over the whole launch grid,
// lane by lane, against the scalar CPU kernels, so their indexing, tiling, bounds checks and anomaly counts are
// tested on machines without a GPU). Only the launch itself, float4 loads and warp shuffles are GPU-only.
//
// Warp-cooperative bodies (SpMV, SDDMM, row sums) take a Warp policy W with three members:
//   W::map(f)   f(lane) for the lanes this caller stands for: on the GPU the calling thread's own lane (a float),
//               on the CPU all 32 lanes (an array of 32 floats);
//   W::sum(v)   the warp-wide sum by the xor butterfly of __shfl_xor_sync (the CPU does the same additions in the
//               same order, so results match bit for bit);
//   W::leader() whether this caller writes the row's results and counts its anomalies once (lane 0 / always).
//
// Every body re-checks what it indexes, as the CPU kernels do (kernels/params.h): a row whose bounds are not
// 0 <= indptr[i] <= indptr[i+1] <= nnz is treated as empty, a column or permutation entry out of range is skipped,
// and each is counted as an anomaly, which the caller turns into ERR_FORMAT.
#pragma once
#include <cmath>
#include <cstdint>

#include "../kernels/params.h"

#if defined(__CUDACC__)
#define SK_HD __host__ __device__ inline
#else
#define SK_HD inline
#endif

namespace sk {
namespace cuda {

constexpr int kWarp = 32;
constexpr int kBlockThreads = 128;       // every kernel: 4 warps a block
constexpr int kWarpsPerBlock = kBlockThreads / kWarp;
constexpr int kColsPerThread = 4;        // SpMM: one float4 of a row of C per thread
constexpr int64_t kMaxGridY = 65535;     // CUDA's limit on gridDim.y; larger column counts loop

SK_HD bool row_bounds(const CsrF32& a, int32_t i, int64_t* begin, int64_t* end) {
  const int64_t b = a.indptr[i], e = a.indptr[i + 1];
  *begin = b;
  *end = e;
  return b >= 0 && b <= e && e <= a.nnz;
}

SK_HD float scaled(float acc, float alpha, float beta, float old) { return beta == 0.0f ? alpha * acc : alpha * acc + beta * old; }

// ---- SpMM (and transposed SpMM) -------------------------------------------------------------------------------
// C = alpha * A B + beta * C, in the spirit of Sputnik (Gale et al. 2020): a thread owns kColsPerThread adjacent
// columns of one row of C and walks that row's stored entries once (the entry's column index and value are the
// same for every thread of the row, so they are broadcast loads), reading the matching four floats of a row of B
// (coalesced across the threads of the row). `tpr` threads share a row, tpr the smallest power of two that covers
// the width (1 to 32), so narrow products do not leave lanes idle; a block holds kBlockThreads / tpr rows. Load
// balance for uneven rows: rows are handed to blocks in `order` (longest first, computed once per matrix), so the
// rows of a block have similar lengths (little divergence) and the long rows start first instead of last (row
// swizzle).
//
// Transposed SpMM (C = alpha * Aᵀ B + beta * C) is the same walk over Aᵀ's structure, kept on the device with a
// permutation from its entries to A's values (`perm`), so A's values can change between calls (training) and no
// atomics are used: the result is deterministic.
struct SpmmDevice {
  SpmmParams p;          // p.a: the structure walked (A, or Aᵀ with a.values = A's values)
  const int32_t* order;  // null, or a.rows row numbers: the order rows are given to blocks
  const int32_t* perm;   // null, or per entry of p.a the index into p.a.values
  int64_t values_len;    // entries readable in p.a.values
};

struct SpmmGrid {
  int32_t tpr;             // threads per row
  int32_t rows_per_block;  // kBlockThreads / tpr
  int64_t blocks_x;        // blocks over rows
  int64_t blocks_y;        // blocks over column tiles of kColsPerThread * tpr
  bool vec4;               // B, C and their leading dimensions allow float4 loads (GPU only; derived from them)
};

SK_HD bool aligned_rows(const float* p, int64_t ld) { return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0; }

// The launch grid of C = A B (rows x n), and whether B's and C's rows allow float4 access.
SK_HD SpmmGrid spmm_grid(int32_t rows, int32_t n, const float* b, int64_t ldb, const float* c, int64_t ldc) {
  const int64_t threads_needed = (static_cast<int64_t>(n) + kColsPerThread - 1) / kColsPerThread;
  int32_t tpr = 1;
  while (tpr < kWarp && tpr < threads_needed) tpr *= 2;
  SpmmGrid g;
  g.tpr = tpr;
  g.rows_per_block = kBlockThreads / tpr;
  g.blocks_x = (static_cast<int64_t>(rows) + g.rows_per_block - 1) / g.rows_per_block;
  g.blocks_y = (threads_needed + tpr - 1) / tpr;
  g.vec4 = aligned_rows(b, ldb) && aligned_rows(c, ldc);
  return g;
}

// The tile of thread tx of block (bx, by): the row r (before any row order) and first column j0 it owns, and how
// many of its kColsPerThread columns are inside C (w). False when the thread is past the end of C.
SK_HD bool spmm_tile(const SpmmGrid& g, int32_t rows, int32_t n, int64_t bx, int64_t by, int tx, int64_t* r, int64_t* j0, int* w) {
  *r = bx * g.rows_per_block + tx / g.tpr;
  *j0 = (by * g.tpr + tx % g.tpr) * kColsPerThread;
  if (*r >= rows || *j0 >= n) return false;
  const int64_t left = n - *j0;
  *w = left < kColsPerThread ? static_cast<int>(left) : kColsPerThread;
  return true;
}

// acc[0..w) += v * brow[0..w), with one float4 load on the GPU when the tile is whole and aligned.
SK_HD void accumulate(float* acc, float v, const float* brow, int w, bool vec4) {
#if defined(__CUDA_ARCH__)
  if (vec4 && w == kColsPerThread) {
    const float4 b4 = __ldg(reinterpret_cast<const float4*>(brow));
    acc[0] = fmaf(v, b4.x, acc[0]);
    acc[1] = fmaf(v, b4.y, acc[1]);
    acc[2] = fmaf(v, b4.z, acc[2]);
    acc[3] = fmaf(v, b4.w, acc[3]);
    return;
  }
#else
  (void)vec4;
#endif
  for (int t = 0; t < w; ++t) acc[t] = fmaf(v, brow[t], acc[t]);
}

SK_HD void store(float* crow, const float* acc, int w, float alpha, float beta) {
  for (int t = 0; t < w; ++t) crow[t] = scaled(acc[t], alpha, beta, beta == 0.0f ? 0.0f : crow[t]);
}

// Thread tx of block (bx, by): its part of C, and the anomalies it counts (one thread per row counts them all).
SK_HD int64_t spmm_thread(const SpmmDevice& d, const SpmmGrid& g, int64_t bx, int64_t by, int tx) {
  const SpmmParams& p = d.p;
  int64_t r, j0;
  int w;
  if (!spmm_tile(g, p.a.rows, p.n, bx, by, tx, &r, &j0, &w)) return 0;
  const bool counts = j0 == 0;
  int32_t i = static_cast<int32_t>(r);
  if (d.order) {
    i = d.order[r];
    if (static_cast<uint32_t>(i) >= static_cast<uint32_t>(p.a.rows)) return counts ? 1 : 0;
  }
  float acc[kColsPerThread] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t bad = 0, begin, end;
  if (!row_bounds(p.a, i, &begin, &end)) {
    bad = 1;
    begin = end = 0;
  }
  for (int64_t k = begin; k < end; ++k) {
    const int32_t col = p.a.indices[k];
    if (static_cast<uint32_t>(col) >= static_cast<uint32_t>(p.a.cols)) {
      ++bad;
      continue;
    }
    int64_t at = k;
    if (d.perm) {
      at = d.perm[k];
      if (static_cast<uint64_t>(at) >= static_cast<uint64_t>(d.values_len)) {
        ++bad;
        continue;
      }
    }
    accumulate(acc, p.a.values[at], p.b + static_cast<int64_t>(col) * p.ldb + j0, w, g.vec4);
  }
  store(p.c + static_cast<int64_t>(i) * p.ldc + j0, acc, w, p.alpha, p.beta);
  return counts ? bad : 0;
}

// ---- N:M SpMM (2:4 and the like): the same tiles as CSR SpMM over rows of groups * n slots --------------------
// Rows are all the same length, so there is no row order. A zero slot is skipped; a non-zero slot whose position is
// >= m or whose column is >= cols is an anomaly, as on the CPU.
SK_HD int64_t spmm_thread(const SpmmNmParams& p, const SpmmGrid& g, int64_t bx, int64_t by, int tx) {
  int64_t r, j0;
  int w;
  if (!spmm_tile(g, p.a.rows, p.n, bx, by, tx, &r, &j0, &w)) return 0;
  const int64_t groups = (static_cast<int64_t>(p.a.cols) + p.a.m - 1) / p.a.m, slots = groups * p.a.n, base = r * slots;
  float acc[kColsPerThread] = {0.0f, 0.0f, 0.0f, 0.0f};
  int64_t bad = 0;
  for (int64_t s = 0; s < slots; ++s) {
    const float v = p.a.values[base + s];
    if (v == 0.0f) continue;
    const int32_t q = p.a.positions[base + s];
    const int64_t col = (s / p.a.n) * p.a.m + q;
    if (q >= p.a.m || col >= p.a.cols) {
      ++bad;
      continue;
    }
    accumulate(acc, v, p.b + col * p.ldb + j0, w, g.vec4);
  }
  store(p.c + r * p.ldc + j0, acc, w, p.alpha, p.beta);
  return j0 == 0 ? bad : 0;
}

// ---- Warp policies --------------------------------------------------------------------------------------------
struct HostLanes {
  float v[kWarp];
};

// The CPU stand-in for a warp: one caller runs all 32 lanes. (Its members are __host__ __device__ only so that
// the bodies that take it compile for both sides; it is used on the CPU.)
struct HostWarp {
  template <class F>
  SK_HD HostLanes map(F f) const {
    HostLanes l;
    for (int lane = 0; lane < kWarp; ++lane) l.v[lane] = f(lane);
    return l;
  }
  SK_HD float sum(HostLanes l) const {
    for (int off = kWarp / 2; off > 0; off /= 2) {
      HostLanes next;
      for (int lane = 0; lane < kWarp; ++lane) next.v[lane] = l.v[lane] + l.v[lane ^ off];
      l = next;
    }
    return l.v[0];
  }
  SK_HD bool leader() const { return true; }
};

#if defined(__CUDACC__)
// A real warp: each thread stands for its own lane. The whole warp must call sum() together (every body keeps
// its loops warp-uniform). Used only in device code; the host side of these members is never run.
struct DeviceWarp {
  int lane;
  template <class F>
  SK_HD float map(F f) const {
    return f(lane);
  }
  SK_HD float sum(float v) const {
#if defined(__CUDA_ARCH__)
    for (int off = kWarp / 2; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
#endif
    return v;
  }
  SK_HD bool leader() const { return lane == 0; }
};
#endif

// ---- SpMV: y = alpha * A x + beta * y, a warp per row, lanes across the row's entries --------------------------
template <class W>
SK_HD int64_t spmv_row(const SpmvParams& p, int32_t i, const W& w) {
  int64_t begin, end, bad = 0;
  if (!row_bounds(p.a, i, &begin, &end)) {
    if (w.leader()) bad = 1;
    begin = end = 0;
  }
  const float dot = w.sum(w.map([&](int lane) {
    float acc = 0.0f;
    for (int64_t k = begin + lane; k < end; k += kWarp) {
      const int32_t col = p.a.indices[k];
      if (static_cast<uint32_t>(col) < static_cast<uint32_t>(p.a.cols)) acc = fmaf(p.a.values[k], p.x[col], acc);
      else ++bad;
    }
    return acc;
  }));
  if (w.leader()) p.y[i] = scaled(dot, p.alpha, p.beta, p.beta == 0.0f ? 0.0f : p.y[i]);
  return bad;
}

// ---- Structure check: the anomalies the kernels above would skip, counted without computing anything. Run before
// a structure goes to a library that trusts it (cuSPARSE), so a corrupt index is ERR_FORMAT, not a wild read.
template <class W>
SK_HD int64_t check_row(const CsrF32& a, int32_t i, const W& w) {
  int64_t begin, end, bad = 0;
  if (!row_bounds(a, i, &begin, &end)) return w.leader() ? 1 : 0;
  w.map([&](int lane) {
    for (int64_t k = begin + lane; k < end; k += kWarp) bad += static_cast<uint32_t>(a.indices[k]) >= static_cast<uint32_t>(a.cols);
    return 0.0f;
  });
  return bad;
}

// ---- SDDMM: out[k] = alpha * dot(X[i, :], Y[j, :]) + beta * out[k] at every stored (i, j) ----------------------
// A warp per row of the pattern, lanes across the dot product's length (coalesced reads of X[i, :] and Y[j, :]).
template <class W>
SK_HD int64_t sddmm_row(const SddmmParams& p, int32_t i, const W& w) {
  int64_t begin, end, bad = 0;
  if (!row_bounds(p.a, i, &begin, &end)) return w.leader() ? 1 : 0;
  const float* x = p.x + static_cast<int64_t>(i) * p.ldx;
  for (int64_t k = begin; k < end; ++k) {
    const int32_t j = p.a.indices[k];  // the same for the whole warp, so the branch is uniform
    if (static_cast<uint32_t>(j) >= static_cast<uint32_t>(p.a.cols)) {
      if (w.leader()) ++bad;
      continue;
    }
    const float* y = p.y + static_cast<int64_t>(j) * p.ldy;
    const float dot = w.sum(w.map([&](int lane) {
      float acc = 0.0f;
      for (int32_t t = lane; t < p.k; t += kWarp) acc = fmaf(x[t], y[t], acc);
      return acc;
    }));
    if (w.leader()) p.out[k] = scaled(dot, p.alpha, p.beta, p.beta == 0.0f ? 0.0f : p.out[k]);
  }
  return bad;
}

// ---- Element-wise passes of a layer and the optimizers -----------------------------------------------------------
// out[i] = sum of row i of a rows x cols row-major matrix (the bias gradient), a warp per row.
template <class W>
SK_HD void row_sum(const float* m, int32_t cols, float* out, int32_t i, const W& w) {
  const float* row = m + static_cast<int64_t>(i) * cols;
  const float s = w.sum(w.map([&](int lane) {
    float acc = 0.0f;
    for (int32_t j = lane; j < cols; j += kWarp) acc += row[j];
    return acc;
  }));
  if (w.leader()) out[i] = s;
}

// y[idx] += bias[idx / cols] for one element of a rows x cols row-major matrix.
SK_HD void add_row_bias(float* y, int32_t cols, const float* bias, int64_t idx) { y[idx] += bias[idx / cols]; }

// One element of SgdParams / AdamParams (kernels/params.h), with the CPU kernels' arithmetic.
SK_HD void sgd_element(const SgdParams& p, int64_t i) {
  float g = p.g[i] + p.weight_decay * p.w[i];
  if (p.buf) {
    p.buf[i] = p.momentum * p.buf[i] + g;
    g = p.nesterov ? g + p.momentum * p.buf[i] : p.buf[i];
  }
  p.w[i] -= p.lr * g;
}

SK_HD void adam_element(const AdamParams& p, int64_t i) {
  float g = p.g[i];
  if (p.decoupled) p.w[i] -= p.lr * p.weight_decay * p.w[i];
  else g += p.weight_decay * p.w[i];
  p.m[i] = p.beta1 * p.m[i] + (1.0f - p.beta1) * g;
  p.v[i] = p.beta2 * p.v[i] + (1.0f - p.beta2) * g * g;
  p.w[i] -= p.lr * (p.m[i] * p.c1) / (sqrtf(p.v[i] * p.c2) + p.eps);
}

// ---- The CPU emulation of a launch (cuda.h: emulated(); also the libFuzzer target) -----------------------------
// Every block, thread and lane, in order, on the calling thread; returns the anomalies counted.
template <typename Device>
inline int64_t emulate_spmm(const Device& d, const SpmmGrid& g) {
  int64_t bad = 0;
  for (int64_t bx = 0; bx < g.blocks_x; ++bx)
    for (int64_t by = 0; by < g.blocks_y; ++by)
      for (int tx = 0; tx < kBlockThreads; ++tx) bad += spmm_thread(d, g, bx, by, tx);
  return bad;
}

// A warp-per-row kernel: row(i) runs row i's body with a HostWarp and returns its anomalies.
template <typename F>
inline int64_t emulate_rows(int64_t rows, F row) {
  int64_t bad = 0;
  for (int64_t i = 0; i < rows; ++i) bad += row(static_cast<int32_t>(i));
  return bad;
}

}  // namespace cuda
}  // namespace sk
