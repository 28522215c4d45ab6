#include "ops.h"

#include <algorithm>
#include <atomic>
#include <string>

#include "dispatch.h"
#include "thread_pool.h"

namespace sk {
namespace {

// Least work worth a task of its own. Waking a pool thread costs tens of microseconds on a VM, so a task should
// run for longer than that: ~64K stored entries for SpMV (a gather each, ~1 ns), ~1M multiply-adds for SpMM
// (vectorised, ~0.03 ns each). Measured: 1024x1024 SpMV at 90% sparsity was slower on 2 threads than on 1 below this.
constexpr int64_t kSpmvEntriesPerTask = 1 << 16;
constexpr int64_t kSpmmMacsPerTask = 1 << 20;

// Splits rows [0, a.rows) into `parts` ranges of about equal cost, where a row costs its stored entries plus one
// (the +1 covers writing its output row, so long runs of empty rows are split too). bounds has parts + 1 entries.
// indptr is clamped, so a corrupt indptr gives an unbalanced but still in-range split.
void split_rows(const CsrF32& a, int parts, int32_t* bounds) {
  const int64_t total = a.nnz + a.rows;
  bounds[0] = 0;
  for (int t = 1; t < parts; ++t) {
    const int64_t target = total * t / parts;
    int32_t lo = bounds[t - 1], hi = a.rows;
    while (lo < hi) {
      const int32_t mid = lo + (hi - lo) / 2;
      const int64_t cost = std::clamp<int64_t>(a.indptr[mid], 0, a.nnz) + mid;
      if (cost < target) lo = mid + 1; else hi = mid;
    }
    bounds[t] = lo;
  }
  bounds[parts] = a.rows;
}

int task_count(const CsrF32& a, int64_t width, int64_t min_work) {
  const int64_t work = (a.nnz + a.rows) * std::max<int64_t>(width, 1);
  const int64_t by_work = std::max<int64_t>(1, work / min_work);
  return static_cast<int>(std::min<int64_t>({by_work, pool_threads(), std::max<int32_t>(a.rows, 1)}));
}

template <typename Params, typename Fn>
Status run_rows(const Params& p, Fn kernel, int64_t width, int64_t min_work, const char* what) {
  const int parts = task_count(p.a, width, min_work);
  int32_t bounds[kMaxThreads + 1];
  split_rows(p.a, parts, bounds);
  std::atomic<int64_t> bad{0};
  parallel_for(parts, [&](int t) {
    const int64_t b = kernel(p, bounds[t], bounds[t + 1]);
    if (b) bad.fetch_add(b, std::memory_order_relaxed);
  });
  if (bad.load()) {
    return Status::error(Code::kFormat, std::string(what) + ": A is not a valid CSR matrix (" +
                                            std::to_string(bad.load()) +
                                            " row bounds or column indices out of range; was it modified after "
                                            "construction?); the output is incomplete");
  }
  return Status::ok();
}

void scale(float* y, int64_t count, float beta) {
  for (int64_t i = 0; i < count; ++i) y[i] = beta == 0.0f ? 0.0f : beta * y[i];
}

Status spmv_rows(const SpmvParams& p, const char* what) {
  if (p.alpha == 0.0f) {  // BLAS semantics: A and x are not read
    scale(p.y, p.a.rows, p.beta);
    return Status::ok();
  }
  return run_rows(p, spmv_csr_f32_kernel(), 1, kSpmvEntriesPerTask, what);
}

}  // namespace

Status spmv_csr_f32(const SpmvParams& p) { return spmv_rows(p, "spmv"); }

Status spmm_csr_f32(const SpmmParams& p) {
  if (p.alpha == 0.0f) {
    for (int32_t i = 0; i < p.a.rows; ++i) scale(p.c + static_cast<int64_t>(i) * p.ldc, p.n, p.beta);
    return Status::ok();
  }
  if (p.n == 0) return Status::ok();
  if (p.n == 1 && p.ldb == 1 && p.ldc == 1) {  // a one-column B is a vector: the SpMV kernels are faster there
    return spmv_rows(SpmvParams{p.a, p.b, p.c, p.alpha, p.beta}, "spmm");
  }
  return run_rows(p, spmm_csr_f32_kernel(), p.n, kSpmmMacsPerTask, "spmm");
}

}  // namespace sk
