#include "ops.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "cpu.h"
#include "dispatch.h"
#include "pack.h"
#include "thread_pool.h"

namespace sk {
namespace {

// Least work worth a task of its own: ~16K gathers for SpMV-like kernels (~0.6-0.9 ns each), ~256K multiply-adds
// for the vectorised ones (~0.03 ns each, ~8 us). A pool thread that is still spinning from the last call (50 us)
// joins in about a microsecond, so back-to-back calls gain: 1024x1024 SpMV at 90% sparsity (105K entries,
// cache-resident) ran 1.7-1.9x faster on 2 threads than on 1 with this size (no gain at 64K, where it was one task).
// 1M multiply-adds (the earlier size) kept products under ~30 us on one thread: CSR spmm 1024x1024 at 95%, width
// 32, took 96 us on 2 threads and now 53; at 90%, width 8, 157 and now 84 (the MNIST training step unchanged within
// noise). A thread that has gone to sleep costs tens of microseconds to wake, but a task it has not claimed by then
// is run by the caller, so a small split costs little when the pool sleeps.
constexpr int64_t kGathersPerTask = 1 << 14;
// Floats compared per task when checking a transpose plan's value cache (a sequential read of two arrays: ~2 us on
// this many; Buffer.compare of 105K floats took 6.3 us here).
constexpr int64_t kComparesPerTask = 1 << 15;
constexpr int64_t kMacsPerTask = 1 << 18;
// Floats of a narrow B packed transposed per chunk of k (gemm_f32): 16 KiB, half of L1.
constexpr int64_t kGemmNarrowFloats = 4096;
// gemm_f32 with A transposed: rows of op(A) copied per task at a time (floats; 128 KiB, a quarter of this L2), over
// chunks of k of at most kGemmTransposeK steps, so that a row of A read for the copy is ~120 floats long (at 4096
// steps, ~8 floats, a cache line and a page per value: 1024x1024 times one column 0.66-0.81 ms, 0.42-0.61 at 256,
// three alternating pairs).
constexpr int64_t kGemmTransposeFloats = 32768;
constexpr int64_t kGemmTransposeK = 256;
// gemm_f32 with one row of C: rows of B per pass over the task's columns (see there).
constexpr int64_t kGemmRowK = 32;
constexpr int64_t kSlotsPerTask = 1 << 16;  // N:M SpMV slots
// N:M SpMM with B at most this many columns wide runs the SpMV kernel over B's columns (spmm_nm_f32), whose cost
// grows with every column where the SpMM kernel's grows with every vector of them. 2:4, 1024 rows, 2 threads, AMD
// EPYC (Zen 5 class), ms at widths 2/4/8/12/16 (SpMM kernel -> SpMV kernel): AVX-512 K = 1024 0.33/0.33/0.33/0.33/
// 0.34 -> 0.060/0.080/0.13/0.22/0.28, K = 4096 0.92/1.03/1.06/1.04/0.98 -> 0.18/0.34/0.61/0.93/1.28; AVX2 K = 1024
// 0.21/0.22/0.22 -> 0.078/0.12/0.23 (widths 2/4/8), K = 4096 0.82/0.99/1.26 -> 0.40/0.50/1.0; at width 6, 2:4 and 4:8
// with B in place 0.17-0.18 either way. NEON: not measured on arm64 hardware (qemu only), so not used there;
// scalar: the reference SpMM kernel, never replaced.
int64_t nm_narrow_width(int isa) {
  switch (isa) {
    case kIsaAvx512: return 12;
    case kIsaAvx2: return 5;
    default: return 0;
  }
}

// SpMV splits into up to this many tasks per thread, taken in turn: a thread that joins late (woken from sleep) or
// runs slow (a vCPU the host is sharing) leaves its remaining tasks to the others instead of holding up the call.
// Only where tasks share no setup: the SpMM tasks pack B's panels per task.
constexpr int kSpmvTasksPerThread = 4;

// A product's multiply-adds per stored entry at width n, counted in whole vectors of the active kernels: a row of
// B two floats wide costs an AVX2 kernel what one of eight does (one vector load and FMA per entry).
int64_t vector_width_cost(int64_t n) {
  const int64_t w = std::max<int64_t>(1, vector_floats(active_isa()));
  return (std::max<int64_t>(n, 1) + w - 1) / w * w;
}

int task_count(int64_t work, int64_t min_work, int64_t max_parts, int per_thread = 1) {
  const int64_t by_work = std::max<int64_t>(1, work / min_work);
  const int64_t by_threads = static_cast<int64_t>(pool_threads()) * per_thread;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({by_work, by_threads, max_parts, kMaxThreads})));
}

// Splits [0, rows) into `parts` ranges of about equal cost, a row costing its stored entries (from indptr) plus
// one. indptr is clamped, so a corrupt indptr gives an unbalanced but still in-range split.
void split_by_entries(const int32_t* indptr, int32_t rows, int64_t nnz, int parts, int32_t* bounds) {
  const int64_t total = nnz + rows;
  bounds[0] = 0;
  for (int t = 1; t < parts; ++t) {
    const int64_t target = total * t / parts;
    int32_t lo = bounds[t - 1], hi = rows;
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      if (std::clamp<int64_t>(indptr[mid], 0, nnz) + mid < target) lo = mid + 1; else hi = mid;
    }
    bounds[t] = lo;
  }
  bounds[parts] = rows;
}

// Splits [0, count) into `parts` near-equal ranges whose inner bounds are congruent to `phase` modulo `align` (each
// the nearest such point to an equal split).
void split_uniform(int64_t count, int parts, int64_t align, int32_t* bounds, int64_t phase = 0) {
  bounds[0] = 0;
  for (int t = 1; t < parts; ++t) {
    const int64_t at = std::max<int64_t>(count * t / parts - phase, 0);
    bounds[t] = static_cast<int32_t>(std::clamp<int64_t>((at + align / 2) / align * align + phase, bounds[t - 1], count));
  }
  bounds[parts] = static_cast<int32_t>(count);
}

// Runs kernel(p, bounds[t], bounds[t + 1]) for every part on the pool; returns the anomalies reported.
template <typename Params, typename Fn>
int64_t run(const Params& p, Fn kernel, int parts, const int32_t* bounds) {
  if (parts == 1) return kernel(p, bounds[0], bounds[1]);  // no std::function (a heap allocation) for small calls
  std::atomic<int64_t> bad{0};
  parallel_for(
      parts,
      [&](int t) {
        const int64_t b = kernel(p, bounds[t], bounds[t + 1]);
        if (b) bad.fetch_add(b, std::memory_order_relaxed);
      },
      pool_threads());
  return bad.load();
}

Status anomalies(int64_t bad, const char* what, const char* format) {
  if (!bad) return Status::ok();
  return Status::error(Code::kFormat, std::string(what) + ": A is not a valid " + format + " matrix (" + std::to_string(bad) +
                                          " structure entries out of range; was it modified after construction?); the "
                                          "output is incomplete");
}

// One task's rows of a product with a dense B (CSR, BSR, N:M SpMM): the kernel runs once per panel of B's columns,
// on the panel packed into this thread's aligned scratch when the plan says so (pack.h). An anomaly is met once per
// panel, so the largest count is reported, not the sum.
template <typename Params, typename Fn>
int64_t paneled(const Params& p, Fn kernel, int32_t r0, int32_t r1, const PanelPlan& plan, int64_t b_rows) {
  // No rows, or no rows of B (every entry an anomaly): nothing to pack, and C or B may be null.
  if ((!plan.pack && plan.width >= p.n) || r0 >= r1 || b_rows == 0) return kernel(p, r0, r1);
  float* scratch = plan.pack ? pack_scratch(b_rows * plan.ld) : nullptr;
  int64_t bad = 0;
  for (int64_t j = 0; j < p.n; j += plan.width) {
    Params q = p;
    q.n = static_cast<int32_t>(std::min<int64_t>(plan.width, p.n - j));
    q.c = p.c + j;
    q.b_trans = false;
    if (plan.pack) {
      if (p.b_trans) pack_panel_transposed(p.b, p.ldb, b_rows, j, q.n, scratch, plan.ld);
      else pack_panel(p.b, p.ldb, b_rows, j, q.n, scratch, plan.ld);
      q.b = scratch;
      q.ldb = plan.ld;
      q.b_padded = true;  // rows of plan.ld floats (whole lines), zero past q.n
    } else {
      q.b = p.b + j;
    }
    bad = std::max(bad, kernel(q, r0, r1));
  }
  return bad;
}

// Whether a product's kernel walks B in L1 blocks (plan_panels packs an aligned B for those when its row stride
// would alias in L1). BSR's kernel does not block.
inline bool l1_blocked(const SpmmParams& p) { return p.block_rows > 0; }
inline bool l1_blocked(const SpmmNmParams& p) { return p.block_rows > 0; }
inline bool l1_blocked(const SpmmBsrParams&) { return false; }

// The panel plan of a product whose B has b_rows rows, read `uses` times in all, split over `parts` tasks. A B
// given transposed is always packed (the kernels read row-major panels).
template <typename Params>
PanelPlan panels_for(const Params& p, int64_t b_rows, int64_t uses, int parts) {
  if (p.b_trans) return plan_transposed(b_rows, p.n, active_isa());
  return plan_panels(p.b, p.ldb, b_rows, p.n, uses / std::max(parts, 1), active_isa(), l1_blocked(p));
}

// run() for a product with a dense B, over panels of B.
template <typename Params, typename Fn>
int64_t run_paneled(const Params& p, Fn kernel, int parts, const int32_t* bounds, int64_t b_rows, int64_t uses) {
  const PanelPlan plan = panels_for(p, b_rows, uses, parts);
  return run(p, [&](const Params& q, int32_t r0, int32_t r1) { return paneled(q, kernel, r0, r1, plan, b_rows); }, parts, bounds);
}

// The rows of a CSR operand split into tasks of about equal cost, each row costing (stored entries + 1) * width.
struct RowSplit {
  int parts;
  int32_t bounds[kMaxThreads + 1];
};

// `cost`: the work per stored entry (and per row), in the units of min_work: 1 gather for SpMV, vector_width_cost(n)
// multiply-adds for the products.
RowSplit split_csr_rows(const CsrF32& a, int64_t cost, int64_t min_work, int per_thread = 1) {
  RowSplit r;
  r.parts = task_count((a.nnz + a.rows) * cost, min_work, std::max(a.rows, 1), per_thread);
  split_by_entries(a.indptr, a.rows, a.nnz, r.parts, r.bounds);
  return r;
}

void scale_rows(float* c, int64_t rows, int64_t cols, int64_t ld, float beta) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) c[i * ld + j] = beta == 0.0f ? 0.0f : beta * c[i * ld + j];
}

Status spmv_rows(const SpmvParams& p, const char* what) {
  if (p.alpha == 0.0f) {  // BLAS semantics: A and x are not read
    scale_rows(p.y, p.a.rows, 1, 1, p.beta);
    return Status::ok();
  }
  const RowSplit r = split_csr_rows(p.a, 1, kGathersPerTask, kSpmvTasksPerThread);
  return anomalies(run(p, spmv_csr_f32_kernel(), r.parts, r.bounds), what, "CSR");
}

Status spmv_nm_rows(const SpmvNmParams& p, const char* what) {
  const NmF32& a = p.a;
  if (p.alpha == 0.0f) {
    scale_rows(p.y, a.rows, p.nx, p.ldy, p.beta);
    return Status::ok();
  }
  const int64_t slots = static_cast<int64_t>(a.rows) * ((a.cols + a.m - 1) / a.m) * a.n;
  // No gathers on the common ratios (see f32-spmv-nm-avx2.cc): ~0.2 ns a slot on AVX2 on the first host's Intel
  // core (2:4 1024x1024: 524K slots in 110 us on one thread; 0.67 ns, 350 us, on the AMD EPYC Zen 1 host), so a
  // task gets at least kSlotsPerTask of them (~13-44 us).
  const int parts = task_count(slots + a.rows, kSlotsPerTask, std::max(a.rows, 1), kSpmvTasksPerThread);
  int32_t bounds[kMaxThreads + 1];
  split_uniform(a.rows, parts, 1, bounds);
  return anomalies(run(p, spmv_nm_f32_kernel(), parts, bounds), what, "N:M");
}

Status spmm_rows(const SpmmParams& p, const char* what) {
  if (p.alpha == 0.0f) {
    scale_rows(p.c, p.a.rows, p.n, p.ldc, p.beta);
    return Status::ok();
  }
  if (p.n == 0) return Status::ok();
  if (p.n == 1 && (p.ldb == 1 || p.b_trans) && p.ldc == 1) {  // a one-column B is a vector: SpMV is faster there
    return spmv_rows(SpmvParams{p.a, p.b, p.c, p.alpha, p.beta}, what);
  }
  const RowSplit r = split_csr_rows(p.a, vector_width_cost(p.n), kMacsPerTask);
  SpmmParams q = p;
  q.block_rows = plan_block_rows(p.a.cols, p.n, p.a.nnz, p.a.rows, active_isa(), true);
  q.block_chunk = plan_block_chunk(q.block_rows, p.n, active_isa());
  return anomalies(run_paneled(q, spmm_csr_f32_kernel(), r.parts, r.bounds, p.a.cols, p.a.nnz), what, "CSR");
}

// SDDMM over rows [r0, r1) of a task with X's rows copied, a few at a time, into this thread's aligned scratch
// (pack_scratch) when `pack_x`: each row is read once per four stored entries, split across cache lines when it is
// misaligned (1.05x at K = 256, 90%, here). The kernel then runs on a view of A rebased to the copied rows (indptr
// from the first of them: out is still indexed by stored entry). `y_packed`: q.y is a packed copy too, so the
// kernel may read both past k (SddmmParams::padded).
constexpr int64_t kSddmmXFloats = 4096;  // 16 KiB of X rows per copy, well inside L1

int64_t sddmm_rows(SddmmCsrF32Fn kernel, const SddmmParams& q, int32_t r0, int32_t r1, bool pack_x, bool y_packed) {
  if (!pack_x || r0 >= r1) return kernel(q, r0, r1);
  const int64_t ld = (static_cast<int64_t>(q.k) + 15) / 16 * 16;
  const int32_t chunk = static_cast<int32_t>(std::max<int64_t>(1, kSddmmXFloats / ld));
  float* xs = pack_scratch(chunk * ld);
  int64_t bad = 0;
  for (int32_t i0 = r0; i0 < r1; i0 += chunk) {
    const int32_t i1 = std::min(r1, i0 + chunk);
    pack_panel(q.x + static_cast<int64_t>(i0) * q.ldx, q.ldx, i1 - i0, 0, q.k, xs, ld);
    SddmmParams t = q;
    t.a.indptr = q.a.indptr + i0;
    t.a.rows = i1 - i0;
    t.x = xs;
    t.ldx = ld;
    t.padded = y_packed;  // both copies, zero past k
    bad += kernel(t, 0, i1 - i0);
  }
  return bad;
}

}  // namespace

Status spmv_csr_f32(const SpmvParams& p) { return spmv_rows(p, "spmv"); }
Status spmm_csr_f32(const SpmmParams& p) { return spmm_rows(p, "spmm"); }

Status sddmm_csr_f32(const SddmmParams& p) {
  if (p.alpha == 0.0f) {
    scale_rows(p.out, 1, p.a.nnz, 0, p.beta);
    return Status::ok();
  }
  // A misaligned Y (rows read at random, one dot product per stored entry) is copied into aligned scratch first
  // (pack.h, plan_dot_panels). A Y that fits three quarters of an L2 budget is copied whole by each task, with X's
  // rows copied a few at a time (sddmm_rows). Where L2 is at most 512 KiB, a Y that fits the tasks' budgets
  // together is packed once, its rows split over the tasks, into the calling thread's scratch, and every task then
  // reads that copy: with K = 256 and 1024 rows (Y 1 MiB, L2 512 KiB) a 4-byte offset cost 1.22x the aligned time in
  // K panels per task, 1.12x packed whole once per task, and 1.07-1.11x packed once per call (AMD EPYC Zen 1, 2
  // threads); with L2 1 MiB the shared copy was the slowest (1.15-1.24x at K = 384 and 512, panels 0.91-0.98x).
  // Else each task copies panels of K into its own scratch, walks its rows once per panel, and sums each dot product
  // panel by panel into out (the first panel applies beta, the others add).
  const SddmmCsrF32Fn kernel = sddmm_csr_f32_kernel();
  const RowSplit r = split_csr_rows(p.a, vector_width_cost(p.k), kMacsPerTask);
  const PanelPlan plan = plan_dot_panels(p.y, p.ldy, p.a.cols, p.k, p.a.nnz / r.parts, r.parts, active_isa());
  // X is copied a few rows at a time where Y is in place or packed whole (the panels of Y use the task's scratch).
  // Not for the scalar kernel (the reference, never packed); always under PackMode::kAlways (tests).
  const bool pack_x = pack_mode() != PackMode::kNever && active_isa() != kIsaScalar && p.k > 1 &&
                      (pack_mode() == PackMode::kAlways || reinterpret_cast<uintptr_t>(p.x) % 64 != 0 || p.ldx % 16 != 0);
  auto rows_task = [&](const SddmmParams& q, int32_t r0, int32_t r1, bool y_packed) {
    return sddmm_rows(kernel, q, r0, r1, pack_x, y_packed);
  };
  if (plan.pack && plan.shared) {
    float* y = shared_pack_scratch(static_cast<int64_t>(p.a.cols) * plan.ld);
    int32_t rows[kMaxThreads + 1];
    split_uniform(p.a.cols, r.parts, 1, rows);
    run(p, [&](const SddmmParams& q, int32_t j0, int32_t j1) -> int64_t {
      pack_panel(q.y + static_cast<int64_t>(j0) * q.ldy, q.ldy, j1 - j0, 0, q.k, y + static_cast<int64_t>(j0) * plan.ld, plan.ld);
      return 0;
    }, r.parts, rows);
    SddmmParams q = p;
    q.y = y;
    q.ldy = plan.ld;
    auto task = [&](const SddmmParams& t, int32_t r0, int32_t r1) { return rows_task(t, r0, r1, true); };
    return anomalies(run(q, task, r.parts, r.bounds), "sddmm", "CSR");
  }
  auto task = [&](const SddmmParams& q, int32_t r0, int32_t r1) -> int64_t {
    if (!plan.pack) return rows_task(q, r0, r1, false);
    if (r0 >= r1) return kernel(q, r0, r1);
    if (plan.width >= q.k) {  // Y whole, in this task's own copy (shared_pack_scratch: pack_scratch holds X's rows)
      float* y = shared_pack_scratch(q.a.cols * plan.ld);
      pack_panel(q.y, q.ldy, q.a.cols, 0, q.k, y, plan.ld);
      SddmmParams t = q;
      t.y = y;
      t.ldy = plan.ld;
      return rows_task(t, r0, r1, true);
    }
    float* y = pack_scratch(q.a.cols * plan.ld);
    int64_t bad = 0;
    for (int32_t k0 = 0; k0 < q.k; k0 += static_cast<int32_t>(plan.width)) {
      SddmmParams t = q;
      t.k = static_cast<int32_t>(std::min<int64_t>(plan.width, q.k - k0));
      pack_panel(q.y, q.ldy, q.a.cols, k0, t.k, y, plan.ld);
      t.x = q.x + k0;
      t.y = y;
      t.ldy = plan.ld;
      t.beta = k0 == 0 ? q.beta : 1.0f;
      const int64_t panel_bad = kernel(t, r0, r1);
      if (k0 == 0) bad = panel_bad;  // every panel meets the same anomalies
    }
    return bad;
  };
  return anomalies(run(p, task, r.parts, r.bounds), "sddmm", "CSR");
}

Status spmmt_csr_f32(const SpmmtParams& p) {
  if (p.alpha == 0.0f) {
    scale_rows(p.c, p.a.cols, p.n, p.ldc, p.beta);
    return Status::ok();
  }
  // Threads own column ranges of C, so the scatter needs no atomics.
  const int parts = task_count((p.a.nnz + p.a.rows) * std::max<int64_t>(p.n, 1), kMacsPerTask, std::max<int64_t>(1, (p.n + 15) / 16));
  int32_t bounds[kMaxThreads + 1];
  // Each thread updates its columns of C in aligned scratch (SpmmtParams::scratch), copied in and out once, when
  // a.cols rows of at least a line of them fit the panel budget and packing is not off (pack.h). In place, the
  // updates ran 4-6x slower even on an aligned C (1024x1024 at 90%, 2 threads: width 32 1.13 ms against 0.30
  // staged, width 256 8.9 against 1.42; C's rows a power of two apart, its column tiles alias in L1), and a C 4
  // bytes past a line added split vectors and masked loads and stores to every update.
  const int64_t per_part = ((p.n + parts - 1) / parts + 31) / 16 * 16;
  const int64_t cap = std::min<int64_t>(static_cast<int64_t>(p.a.cols) * per_part, l2_cache_bytes() / static_cast<int64_t>(sizeof(float)));
  const bool staged = pack_mode() != PackMode::kNever && active_isa() != kIsaScalar && p.a.cols > 0 && cap >= static_cast<int64_t>(p.a.cols) * 16;
  const SpmmtCsrF32Fn kernel = spmmt_csr_f32_kernel();
  if (!staged) {
    // In place, the ranges start on cache lines of C's rows (of the first row; of every row when ldc is a multiple
    // of 16 floats) wherever C starts: split at multiples of 16 columns, a C 4 bytes past a line had every row's
    // middle line written by both threads (width 32 ran 3x slower than on an aligned C).
    split_uniform(p.n, parts, 16, bounds, (16 - reinterpret_cast<uintptr_t>(p.c) / sizeof(float) % 16) % 16);
    return anomalies(run(p, kernel, parts, bounds), "spmmT", "CSR");
  }
  split_uniform(p.n, parts, 16, bounds);
  auto task = [kernel, cap](const SpmmtParams& q, int32_t c0, int32_t c1) {
    SpmmtParams s = q;
    s.scratch = pack_scratch(cap);
    s.scratch_floats = cap;
    return kernel(s, c0, c1);
  };
  return anomalies(run(p, task, parts, bounds), "spmmT", "CSR");
}

namespace {
// Gathers src[perm[k]] for k in [k0, k1) into dst[k - k0]; returns the entries of perm out of range (their value 0).
int64_t gather_values(const SpmmtPlanParams& p, int64_t k0, int64_t k1, float* dst) {
  int64_t bad = 0;
  for (int64_t k = k0; k < k1; ++k) {
    const uint32_t src = static_cast<uint32_t>(p.perm[k]);
    const bool ok = src < static_cast<uint64_t>(p.src_nnz);
    bad += !ok;
    dst[k - k0] = ok ? p.src_values[src] : 0.0f;
  }
  return bad;
}

// Entries [k0, k1) of a plan's value cache made current: A's values copied into the snapshot (the same index range,
// in A's order) and Aᵀ's gathered into cache_values. Tasks that cover [0, nnz) between them refill all of it.
int64_t refill_cache(const SpmmtPlanParams& p, int64_t k0, int64_t k1) {
  if (k1 > k0) std::memcpy(p.cache_snapshot + k0, p.src_values + k0, static_cast<size_t>(k1 - k0) * sizeof(float));
  return gather_values(p, k0, k1, p.cache_values + k0);
}

// Whether the plan's value cache holds A's current values: it was filled (cache_state[0]) and A's values equal its
// snapshot bit for bit, compared over the pool (a sequential read of twice nnz floats, where the gather it replaces
// reads a line an entry).
bool cache_current(const SpmmtPlanParams& p) {
  if (p.cache_state[0] != 1) return false;
  const int parts = task_count(p.src_nnz, kComparesPerTask, std::max<int64_t>(1, p.src_nnz / 16));
  int32_t bounds[kMaxThreads + 1];
  split_uniform(p.src_nnz, parts, 16, bounds);
  auto differs = [](const SpmmtPlanParams& q, int32_t k0, int32_t k1) -> int64_t {
    return k1 > k0 && std::memcmp(q.src_values + k0, q.cache_snapshot + k0, static_cast<size_t>(k1 - k0) * sizeof(float)) != 0;
  };
  return run(p, differs, parts, bounds) == 0;
}

// How a transposed product through a plan walks Aᵀ: the forward CSR kernel, its blocks, row split and panels.
struct TransposedWalk {
  SpmmParams t;
  SpmmCsrF32Fn kernel;
  RowSplit r;
  PanelPlan plan;
};

TransposedWalk transposed_walk(const SpmmParams& q) {
  TransposedWalk w{q, spmm_csr_f32_kernel(), {}, {}};
  w.t.block_rows = plan_block_rows(q.a.cols, q.n, q.a.nnz, q.a.rows, active_isa(), true);
  w.t.block_chunk = plan_block_chunk(w.t.block_rows, q.n, active_isa());
  w.r = split_csr_rows(q.a, vector_width_cost(q.n), kMacsPerTask);
  w.plan = panels_for(w.t, q.a.cols, q.a.nnz, w.r.parts);
  return w;
}

// Whether a task's rows of Aᵀ [b0, b1) have an indptr non-decreasing within [0, nnz] (else: an anomaly a row, and
// none of them read, so no row can reach outside the task's entries).
bool monotone_rows(const CsrF32& a, int32_t b0, int32_t b1) {
  bool ok = a.indptr[b0] >= 0 && a.indptr[b1] <= a.nnz;
  for (int32_t i = b0; i < b1 && ok; ++i) ok = a.indptr[i] <= a.indptr[i + 1];
  return ok;
}

const char* const kPlanMismatch = "spmmT: the transpose plan does not match A (was A's pattern changed after the plan was made?)";

// spmmt_plan_csr_f32 with the plan's value cache (ops.h), for a call that reads A's values. Not inlined: inlined
// into spmmt_plan_csr_f32 it slowed the gathering path there (width 32, 1 thread, values changed every call: 1.10x,
// `npm run bench:ab -- OLD.node NEW.node --cases plan-train --cache-values false`), code layout the likely cause.
SK_NOINLINE Status spmmt_plan_cached(const SpmmtPlanParams& p) {
  const SpmmParams& q = p.spmm;
  const CsrF32& at = q.a;
  const bool rare = q.n == 1 && q.ldb == 1 && q.ldc == 1;
  // With beta 0 (C only written) the tasks compare A's values with the snapshot themselves while they multiply on
  // the cache, and the call runs again, refilling, if any part differed: one pass over the pool, not two (width 32,
  // 2 threads: 1.15x the forward product's time against 1.21x compared first). Otherwise they are compared first.
  const bool speculate = !rare && p.cache_state[0] == 1 && q.beta == 0.0f;
  const bool hit = !speculate && cache_current(p);
  p.cache_state[1] = hit ? 1 : 0;
  if (rare) {
    if (!hit) {
      const int parts = task_count(at.nnz, kGathersPerTask, std::max<int64_t>(1, at.nnz / 16));
      int32_t bounds[kMaxThreads + 1];
      split_uniform(at.nnz, parts, 16, bounds);
      auto refill = [](const SpmmtPlanParams& g, int32_t k0, int32_t k1) { return refill_cache(g, k0, k1); };
      if (run(p, refill, parts, bounds)) return Status::error(Code::kArgument, kPlanMismatch);
    }
    SpmmParams t = q;
    t.a.values = p.cache_values;
    return spmm_rows(t, "spmmT");
  }
  // Each task reads the cache as it is (a hit), or refills it for its own entries first; speculating, it compares
  // its share of A's values with the snapshot (entries [k0, k1) in A's order: the tasks cover [0, nnz), which the
  // caller checked) and multiplies on the cache unless a difference was found.
  const TransposedWalk w = transposed_walk(q);
  std::atomic<bool> changed{false};
  auto task = [&](const SpmmParams& s, int32_t b0, int32_t b1, bool spec) -> int64_t {
    if (b0 >= b1) return 0;
    if (!monotone_rows(s.a, b0, b1)) return b1 - b0;
    const int64_t k0 = s.a.indptr[b0], k1 = s.a.indptr[b1];
    int64_t bad = 0;
    if (spec) {
      if (k1 > k0 && std::memcmp(p.src_values + k0, p.cache_snapshot + k0, static_cast<size_t>(k1 - k0) * sizeof(float)) != 0) {
        changed.store(true, std::memory_order_relaxed);
      }
      if (changed.load(std::memory_order_relaxed)) return 0;  // the call runs again
    } else if (!hit) {
      bad = refill_cache(p, k0, k1);
    }
    SpmmParams u = s;
    u.a.values = p.cache_values;
    return bad + paneled(u, w.kernel, b0, b1, w.plan, u.a.cols);
  };
  if (speculate) {
    auto speculating = [&](const SpmmParams& s, int32_t b0, int32_t b1) { return task(s, b0, b1, true); };
    const int64_t bad = run(w.t, speculating, w.r.parts, w.r.bounds);
    if (!changed.load()) {
      p.cache_state[1] = 1;
      return anomalies(bad, "spmmT", "CSR (or the transpose plan does not match it)");
    }
    // C was only written (beta 0), so running again, refilling, gives what one refilling run gives.
  }
  auto settled = [&](const SpmmParams& s, int32_t b0, int32_t b1) { return task(s, b0, b1, false); };
  return anomalies(run(w.t, settled, w.r.parts, w.r.bounds), "spmmT", "CSR (or the transpose plan does not match it)");
}
}  // namespace

Status spmmt_plan_csr_f32(const SpmmtPlanParams& p) {
  const SpmmParams& q = p.spmm;
  const CsrF32& at = q.a;
  const bool reads = q.alpha != 0.0f && q.n != 0;  // else A's values are not read
  if (p.cache_state != nullptr) p.cache_state[1] = 2;
  if (reads && (at.indptr[0] != 0 || at.indptr[at.rows] != at.nnz)) {
    // Aᵀ's rows must hold every entry (a refill of the cache relies on the tasks' ranges covering [0, nnz)); a plan
    // whose first or last indptr was written would otherwise leave entries out of the product.
    return Status::error(Code::kArgument, kPlanMismatch);
  }
  if (reads && p.cache_values != nullptr && p.cache_snapshot != nullptr && p.cache_state != nullptr) return spmmt_plan_cached(p);
  if (!reads || (q.n == 1 && q.ldb == 1 && q.ldc == 1)) {
    // Rare shapes (a one-column B is an SpMV): gather everything into the calling thread's scratch first, split over
    // the pool, then the usual path.
    SpmmParams t = q;
    float* values = values_scratch(at.nnz);
    const int parts = task_count(at.nnz, kGathersPerTask, std::max<int64_t>(1, at.nnz / 16));
    int32_t bounds[kMaxThreads + 1];
    split_uniform(at.nnz, parts, 16, bounds);
    auto gather = [values](const SpmmtPlanParams& g, int32_t k0, int32_t k1) { return gather_values(g, k0, k1, values + k0); };
    if (run(p, gather, parts, bounds)) return Status::error(Code::kArgument, kPlanMismatch);
    t.a.values = values;
    return spmm_rows(t, "spmmT");
  }
  // Each task gathers the values of its rows of Aᵀ (contiguous entries [k0, k1)) into its own thread's scratch, then
  // walks B's panels on them. At width 32 (one panel) this ran 1.29-1.30x the forward product's time where reading
  // the values through the permutation inside the kernel ran 1.41x (1024x1024 at 90%, 2 threads, AMD EPYC Zen 1).
  // The kernel reads values[k] for the task's rows only, so values points k0 floats before the scratch. A perm entry
  // out of range is an anomaly too.
  const TransposedWalk w = transposed_walk(q);
  auto task = [&](const SpmmParams& s, int32_t b0, int32_t b1) -> int64_t {
    if (b0 >= b1) return 0;
    if (!monotone_rows(s.a, b0, b1)) return b1 - b0;
    const int64_t k0 = s.a.indptr[b0], k1 = s.a.indptr[b1];
    float* values = values_scratch(std::max<int64_t>(k1 - k0, 1));
    const int64_t bad = gather_values(p, k0, k1, values);
    SpmmParams u = s;
    u.a.values = values - k0;
    return bad + paneled(u, w.kernel, b0, b1, w.plan, u.a.cols);
  };
  return anomalies(run(w.t, task, w.r.parts, w.r.bounds), "spmmT", "CSR (or the transpose plan does not match it)");
}

Status spmm_bsr_f32(const SpmmBsrParams& p) {
  const BsrF32& a = p.a;
  if (p.alpha == 0.0f) {
    scale_rows(p.c, a.rows, p.n, p.ldc, p.beta);
    return Status::ok();
  }
  if (p.n == 0) return Status::ok();
  const int32_t block_rows = (a.rows + a.r - 1) / a.r;
  const int parts = task_count((a.blocks * a.r * a.c + a.rows) * vector_width_cost(p.n), kMacsPerTask, std::max(block_rows, 1));
  int32_t bounds[kMaxThreads + 1];
  split_by_entries(a.indptr, block_rows, a.blocks, parts, bounds);
  return anomalies(run_paneled(p, spmm_bsr_f32_kernel(), parts, bounds, a.cols, a.blocks * a.c), "spmm", "BSR");
}

Status spmm_nm_f32(const SpmmNmParams& p) {
  const NmF32& a = p.a;
  if (p.alpha == 0.0f) {
    scale_rows(p.c, a.rows, p.n, p.ldc, p.beta);
    return Status::ok();
  }
  if (p.n == 0) return Status::ok();
  if (p.n == 1 && (p.ldb == 1 || p.b_trans) && p.ldc == 1) {  // a one-column B is a vector, as in spmm_rows
    return spmv_nm_rows(SpmvNmParams{p.a, p.b, p.c, p.alpha, p.beta}, "spmm");
  }
  const int64_t slots = static_cast<int64_t>(a.rows) * ((a.cols + a.m - 1) / a.m) * a.n;
  const int parts = task_count((slots + a.rows) * vector_width_cost(p.n), kMacsPerTask, std::max(a.rows, 1));
  int32_t bounds[kMaxThreads + 1];
  split_uniform(a.rows, parts, 1, bounds);
  const int64_t ldk = (static_cast<int64_t>(a.cols) + 15) / 16 * 16;
  const int64_t budget = l2_cache_bytes() / 4 / static_cast<int64_t>(sizeof(float));
  // Only for N a power of two up to 8 (the SIMD SpMV kernels take the others to their scalar loop) and M <= 2N (their
  // x lanes then come from a permute; sparser patterns gather them, and there the SpMM kernel, which has half the
  // slots or fewer to walk, stayed faster: 1:4 and 2:8 at width 4, 0.21 ms against 0.13-0.14 with AVX-512).
  const bool permuted = a.n <= 8 && (a.n & (a.n - 1)) == 0 && a.m <= 2 * a.n;
  if (p.n <= nm_narrow_width(active_isa()) && permuted && a.cols > 0 && (p.b_trans || (pack_mode() != PackMode::kNever && ldk <= budget))) {
    // A narrow B: the SpMV kernel over several vectors at once (SpmvNmParams::nx), B's columns as its vectors (rows
    // of a B given transposed, or copied transposed into this thread's scratch, a quarter of L2 at a time), so each
    // row's positions and values are decoded once per vector of slots for all columns, not once per slot per column.
    const int64_t chunk = p.b_trans ? p.n : std::clamp<int64_t>(budget / ldk, 1, p.n);
    const SpmvNmF32Fn kernel = spmv_nm_f32_kernel();
    auto task = [&](const SpmmNmParams& q, int32_t r0, int32_t r1) -> int64_t {
      if (r0 >= r1) return 0;
      float* xs = q.b_trans ? nullptr : pack_scratch(chunk * ldk);
      int64_t bad = 0;
      for (int64_t j = 0; j < q.n; j += chunk) {
        SpmvNmParams v{q.a, xs, q.c + j, q.alpha, q.beta, static_cast<int32_t>(std::min<int64_t>(chunk, q.n - j)), ldk, q.ldc};
        if (q.b_trans) {
          v.x = q.b + j * q.ldb;
          v.ldx = q.ldb;
        } else {
          pack_panel_transposed(q.b + j, q.ldb, v.nx, 0, q.a.cols, xs, ldk);  // xs[c * ldk + k] = B[k, j + c]
        }
        bad = std::max(bad, kernel(v, r0, r1));  // every chunk meets the same anomalies
      }
      return bad;
    };
    return anomalies(run(p, task, parts, bounds), "spmm", "N:M");
  }
  SpmmNmParams q = p;
  q.block_rows = plan_block_rows(a.cols, p.n, slots, a.rows, active_isa(), false);
  return anomalies(run_paneled(q, spmm_nm_f32_kernel(), parts, bounds, a.cols, slots), "spmm", "N:M");
}

Status spmv_nm_f32(const SpmvNmParams& p) { return spmv_nm_rows(p, "spmv"); }

namespace {

// Element-wise updates: about a few nanoseconds per element; a task gets at least 64K of them, in ranges
// aligned to 16 elements.
template <typename Params, typename Fn>
Status run_elements(const Params& p, Fn kernel, int32_t n) {
  const int parts = task_count(n, kGathersPerTask, std::max<int64_t>(1, n / 16));
  int32_t bounds[kMaxThreads + 1];
  split_uniform(n, parts, 16, bounds);
  run(p, kernel, parts, bounds);
  return Status::ok();
}

}  // namespace

Status gemm_f32(const GemmParams& p) {
  if (p.m == 0 || p.n == 0) return Status::ok();
  if (p.alpha == 0.0f) {  // BLAS semantics: A and B are not read
    scale_rows(p.c, p.m, p.n, p.ldc, p.beta);
    return Status::ok();
  }
  const int parts = task_count(static_cast<int64_t>(p.m) * p.n * std::max(p.k, 1), kMacsPerTask, std::max<int64_t>(1, p.m / 4));
  int32_t bounds[kMaxThreads + 1];
  split_uniform(p.m, parts, 4, bounds);
  const GemmF32Fn kernel = gemm_f32_kernel();
  const int isa = active_isa();
  if (p.trans_a && p.n == 1 && p.ldc == 1 && p.m > 1 && isa != kIsaScalar) {
    // y = op(A) x with A stored k x m: the row yᵀ = xᵀ A, whose B is A as stored, read along its rows once (as a
    // copy of op(A)'s rows followed by dot products, 1024x1024 took 0.2-0.5 ms; numpy's A.T @ x 0.07).
    GemmParams r = p;
    r.m = 1;
    r.n = p.m;
    r.a = p.b;
    r.trans_a = p.ldb != 1;  // x as a 1 x k row: in place when contiguous, else as the transpose of a k x 1 column
    r.lda = p.ldb != 1 ? p.ldb : p.k;
    r.b = p.a;
    r.ldb = p.lda;
    r.ldc = p.m;
    return gemm_f32(r);
  }
  const bool narrow = p.n < kGemmNarrow;
  if (p.m == 1 && !p.trans_a && !narrow && p.k > 0 && isa != kIsaScalar) {
    // One row of C reads B once: no packing pays; the tasks take ranges of its columns (multiples of 16), each
    // walked kGemmRowK rows of B at a time, so that a tile's strip of B does not touch a page per row for all of k
    // (y = A.T x through here, 1024x1024: 0.135-0.18 ms unchunked, 0.094-0.10 in chunks of 16-64 rows).
    const int col_parts = task_count(static_cast<int64_t>(p.n) * p.k, kMacsPerTask, std::max<int64_t>(1, p.n / 64));
    int32_t cols[kMaxThreads + 1];
    split_uniform(p.n, col_parts, 16, cols);
    auto columns = [kernel](const GemmParams& q, int32_t j0, int32_t j1) -> int64_t {
      if (j0 >= j1) return 0;
      for (int64_t k0 = 0; k0 < q.k; k0 += kGemmRowK) {
        GemmParams s = q;
        s.a = q.a + k0;
        s.b = q.b + k0 * q.ldb + j0;
        s.c = q.c + j0;
        s.n = j1 - j0;
        s.k = static_cast<int32_t>(std::min<int64_t>(kGemmRowK, q.k - k0));
        s.beta = k0 == 0 ? q.beta : 1.0f;
        kernel(s, 0, 1);
      }
      return 0;
    };
    run(p, columns, col_parts, cols);
    return Status::ok();
  }
  const int64_t half_l2 = l2_cache_bytes() / 2 / static_cast<int64_t>(sizeof(float));  // floats
  // A wide B whose rows are not whole aligned vectors (a view at an offset, or n not a multiple of the vector) is
  // packed, a chunk of k at a time, into rows of whole vectors, zero-padded, each aligned to the vector (pack_panel;
  // shared scratch of the calling thread, read by every task): its loads would cross cache lines, and the last
  // columns need a tile of their own (1024x1024 times 9 to 15 columns ran at 1.1 ms, 2.3x times 16). Not when 16
  // of its padded rows overflow half of L2 (B read in place then), nor for one group of 4 rows (B read once: the
  // copy would cost what it saves).
  // PackMode (pack.h) forces it either way, for tests.
  const int64_t vw = std::max<int64_t>(1, vector_floats(isa));
  const int64_t ldp = (static_cast<int64_t>(p.n) + vw - 1) / vw * vw;
  const PackMode mode = pack_mode();
  const bool pack_b = !narrow && isa != kIsaScalar && p.k > 0 && p.m > 4 && mode != PackMode::kNever && 16 * ldp <= half_l2 &&
                      (mode == PackMode::kAlways || reinterpret_cast<uintptr_t>(p.b) % (vw * sizeof(float)) != 0 || p.ldb % vw != 0);
  // A wide B is read by the register tiles, each group of rows of A walking all of it: chunks of k whose rows of
  // B fill at most half of L2 keep it there (1024x1024 times 256 columns, 2 threads, AMD EPYC Zen 1:
  // 11.2-12.6 -> 8.9-9.0 ms, numpy 7.8; 512 columns 28 -> 20; 128 columns 5.5-7.1 -> 4.4-4.6).
  const int64_t wide_kc = std::max<int64_t>(16, half_l2 / (pack_b ? ldp : p.n) / 16 * 16);
  if (p.k == 0 || (!narrow && !p.trans_a && !pack_b && wide_kc >= p.k) || isa == kIsaScalar) {  // the scalar kernel reads a and b as given
    run(p, kernel, parts, bounds);
    return Status::ok();
  }
  // A narrow B: the register tiles would use n of each vector's lanes (1024x1024 times one column: 1.5 ms, where
  // numpy's matrix-vector product takes 0.06), so B is packed transposed, kGemmNarrowFloats at a time (a chunk of
  // k; bounded scratch, in L1), and each chunk's entries of C are dot products (GemmParams::bt). The packing is once
  // per chunk on the calling thread, read by every task.
  // With A transposed (k x m), the kernels want op(A)'s rows: each task copies its rows of op(A),
  // kGemmTransposeFloats at a time, into its own scratch (pack_scratch), and runs the kernel on them as on a plain
  // A. Read in place, down its columns, A costs a cache line (with a power-of-two lda, a page) per value: 1024x1024
  // times one column 1.2-2.1 ms in place, 0.31-0.61 copied; times 32 columns 1.6-1.8 -> 1.26-1.33, 256 columns
  // 17-20 -> 9.3-10.2 (numpy's A.T @ B 1.41 and 7.84). Later chunks of k add to C.
  int64_t kc = narrow ? std::max<int64_t>(16, kGemmNarrowFloats / p.n / 16 * 16) : wide_kc;
  if (p.trans_a) kc = std::min(kc, kGemmTransposeK);
  auto task = [kernel](const GemmParams& q, int32_t r0, int32_t r1) -> int64_t {
    if (!q.trans_a) return kernel(q, r0, r1);
    // Rows of the copy one line longer than whole lines: with a power-of-two stride, the rows written at once
    // would share a cache set.
    const int64_t ld = (static_cast<int64_t>(q.k) + 15) / 16 * 16 + 16;
    const int32_t rows = static_cast<int32_t>(std::max<int64_t>(1, kGemmTransposeFloats / ld));
    float* at = pack_scratch(static_cast<int64_t>(rows) * ld);
    for (int32_t i0 = r0; i0 < r1; i0 += rows) {
      const int32_t i1 = std::min(r1, i0 + rows);
      pack_panel_transposed(q.a + i0, q.lda, i1 - i0, 0, q.k, at, ld);  // at[i * ld + t] = op(A)[i0 + i, t]
      GemmParams u = q;
      u.a = at;
      u.lda = ld;
      u.trans_a = false;
      u.c = q.c + static_cast<int64_t>(i0) * q.ldc;
      u.m = i1 - i0;
      kernel(u, 0, i1 - i0);
    }
    return 0;
  };
  for (int64_t k0 = 0; k0 < p.k; k0 += kc) {
    const int64_t kn = std::min<int64_t>(kc, p.k - k0);
    GemmParams q = p;
    q.a = p.trans_a ? p.a + k0 * p.lda : p.a + k0;
    q.b = p.b + k0 * p.ldb;
    q.k = static_cast<int32_t>(kn);
    q.beta = k0 == 0 ? p.beta : 1.0f;
    if (narrow) {
      const int64_t ld = (kn + 15) / 16 * 16;
      float* bt = shared_pack_scratch(p.n * ld);
      pack_panel_transposed(q.b, p.ldb, p.n, 0, kn, bt, ld);  // bt[j * ld + t] = B[k0 + t, j], zero past kn
      q.bt = bt;
      q.ldbt = ld;
    } else if (pack_b) {
      float* bp = shared_pack_scratch(kn * ldp);
      pack_panel(q.b, p.ldb, kn, 0, p.n, bp, ldp);  // bp[t * ldp + j] = B[k0 + t, j], zero past n
      q.b = bp;
      q.ldb = ldp;
      q.b_padded = true;
    }
    run(q, task, parts, bounds);
  }
  return Status::ok();
}

Status sgd_f32(const SgdParams& p, int32_t n) { return run_elements(p, sgd_f32_kernel(), n); }
Status adam_f32(const AdamParams& p, int32_t n) { return run_elements(p, adam_f32_kernel(), n); }

}  // namespace sk
