// Operators: the entry points the binding calls. They pick the kernel for the active ISA, split the work over the
// thread pool (CSR and BSR by stored entries, not by row count; N:M rows are uniform; transposed SpMM by columns
// of C), and turn what the kernels report into a Status. The binding has already checked every array length
// against the dimensions; operators re-check nothing the kernels guard themselves (see kernels/params.h).
#pragma once
#include "../kernels/params.h"
#include "status.h"

namespace sk {

Status spmv_csr_f32(const SpmvParams& p);
Status spmm_csr_f32(const SpmmParams& p);
Status sddmm_csr_f32(const SddmmParams& p);
// C = alpha * Aᵀ B + beta * C by scattering (no transpose of A is formed).
Status spmmt_csr_f32(const SpmmtParams& p);

// C = alpha * Aᵀ B + beta * C through a cached transpose of A's pattern: spmm.a.indptr / indices describe Aᵀ (its
// values pointer is not read), perm[k] is the index in A's values (src_values, src_nnz entries) of Aᵀ's k-th entry.
// Each task gathers the values of its rows of Aᵀ into its thread's scratch and runs the forward SpMM on them: no
// memory shared between calls, so concurrent calls through one plan (a weight and its gradient share a pattern)
// do not race.
//
// With a value cache (cache_values, cache_snapshot and cache_state all set; one call at a time per cache, which the
// caller guarantees): cache_values holds Aᵀ's values in Aᵀ's order, gathered from cache_snapshot, a copy of A's
// values as they were then. When cache_state[0] is 1 (the cache holds such a pair) and A's values equal the
// snapshot bit for bit (a sequential read over the pool; with beta 0, by the tasks as they multiply on the cache,
// the call running again if any differed), the product reads cache_values and gathers nothing; otherwise the tasks
// gather into cache_values and copy A's values into the snapshot as they go.
// cache_state[1] is set to 1 when the cache was used as it was, 0 when it was refilled, 2 when the call read no
// values (alpha 0, width 0). A call that fails may leave the cache half written: the caller must clear
// cache_state[0] then.
struct SpmmtPlanParams {
  SpmmParams spmm;
  const int32_t* perm;
  const float* src_values;
  int64_t src_nnz;
  float* cache_values = nullptr;
  float* cache_snapshot = nullptr;
  int32_t* cache_state = nullptr;
};
Status spmmt_plan_csr_f32(const SpmmtPlanParams& p);

Status spmm_bsr_f32(const SpmmBsrParams& p);
Status spmm_nm_f32(const SpmmNmParams& p);
Status spmv_nm_f32(const SpmvNmParams& p);

// Optimizer updates over n elements (parameters, gradients and state of one tensor).
Status sgd_f32(const SgdParams& p, int32_t n);
Status adam_f32(const AdamParams& p, int32_t n);

// Dense C = alpha op(A) B + beta C, rows of C split over threads.
Status gemm_f32(const GemmParams& p);

}  // namespace sk
