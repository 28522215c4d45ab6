// CSR SpMV / SpMM on the GPU: a warp per row of A (rows are spread over warps, so a long row does not hold up the
// others: each warp walks only its own row's stored entries), lanes across the columns of B in steps of 32 for
// SpMM (coalesced loads of a B row, one FMA per lane per stored entry) and across the stored entries for SpMV (a warp
// reduction at the end). Column indices and row bounds are checked as on the CPU; out-of-range entries are skipped
// and counted.
#include <cuda_runtime.h>

#include <string>

#include "cuda.h"

namespace sk {
namespace cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 8;

__device__ inline bool row_ok(const CsrF32& a, int32_t i, int64_t* b, int64_t* e) {
  *b = a.indptr[i];
  *e = a.indptr[i + 1];
  return *b >= 0 && *b <= *e && *e <= a.nnz;
}

__global__ void spmm_kernel(SpmmParams p, unsigned long long* bad) {
  const int32_t i = blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (i >= p.a.rows) return;
  int64_t b, e;
  unsigned long long local_bad = 0;
  if (!row_ok(p.a, i, &b, &e)) {
    b = e = 0;
    local_bad = lane == 0;
  }
  for (int64_t j0 = 0; j0 < p.n; j0 += kWarp) {
    const int64_t j = j0 + lane;
    float acc = 0.0f;
    for (int64_t k = b; k < e; ++k) {
      const int32_t col = p.a.indices[k];
      if (static_cast<uint32_t>(col) >= static_cast<uint32_t>(p.a.cols)) {
        if (j0 == 0 && lane == 0) ++local_bad;
        continue;
      }
      if (j < p.n) acc = fmaf(p.a.values[k], p.b[static_cast<int64_t>(col) * p.ldb + j], acc);
    }
    if (j < p.n) {
      float* out = p.c + static_cast<int64_t>(i) * p.ldc + j;
      *out = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * *out;
    }
  }
  if (local_bad) atomicAdd(bad, local_bad);
}

__global__ void spmv_kernel(SpmvParams p, unsigned long long* bad) {
  const int32_t i = blockIdx.x * kWarpsPerBlock + threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (i >= p.a.rows) return;
  int64_t b, e;
  unsigned long long local_bad = 0;
  float acc = 0.0f;
  if (row_ok(p.a, i, &b, &e)) {
    for (int64_t k = b + lane; k < e; k += kWarp) {
      const int32_t col = p.a.indices[k];
      if (static_cast<uint32_t>(col) < static_cast<uint32_t>(p.a.cols)) acc = fmaf(p.a.values[k], p.x[col], acc);
      else ++local_bad;
    }
  } else if (lane == 0) {
    local_bad = 1;
  }
  for (int off = kWarp / 2; off > 0; off /= 2) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if (lane == 0) p.y[i] = p.beta == 0.0f ? p.alpha * acc : p.alpha * acc + p.beta * p.y[i];
  if (local_bad) atomicAdd(bad, local_bad);
}

Status launched(const char* what) {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? Status::ok() : error_status(what, err);
}

}  // namespace

Status spmm_csr_f32(const SpmmParams& p, void* stream, long long* anomalies) {
  if (p.a.rows == 0 || p.n == 0) return Status::ok();
  const unsigned blocks = static_cast<unsigned>((p.a.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  spmm_kernel<<<blocks, kWarpsPerBlock * kWarp, 0, static_cast<cudaStream_t>(stream)>>>(p, reinterpret_cast<unsigned long long*>(anomalies));
  return launched("spmm (CUDA)");
}

Status spmv_csr_f32(const SpmvParams& p, void* stream, long long* anomalies) {
  if (p.a.rows == 0) return Status::ok();
  const unsigned blocks = static_cast<unsigned>((p.a.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  spmv_kernel<<<blocks, kWarpsPerBlock * kWarp, 0, static_cast<cudaStream_t>(stream)>>>(p, reinterpret_cast<unsigned long long*>(anomalies));
  return launched("spmv (CUDA)");
}

Status spmm_csr_f32_sync(const SpmmParams& p) {
  void* bad = nullptr;
  Status s = device_alloc(sizeof(long long), &bad);
  if (!s.is_ok()) return s;
  long long count = 0;
  s = copy_to_device(bad, &count, sizeof count);
  if (s.is_ok()) s = spmm_csr_f32(p, nullptr, static_cast<long long*>(bad));
  if (s.is_ok()) s = synchronize();
  if (s.is_ok()) s = copy_to_host(&count, bad, sizeof count);
  const Status freed = device_free(bad);
  if (!s.is_ok()) return s;
  if (!freed.is_ok()) return freed;
  if (count) {
    return Status::error(Code::kFormat, "spmm (CUDA): A is not a valid CSR matrix (" + std::to_string(count) + " structure entries out of range)");
  }
  return Status::ok();
}

}  // namespace cuda
}  // namespace sk
