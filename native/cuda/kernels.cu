// Launches of the kernel bodies in kernels.cuh: grid shapes and the atomic anomaly counts, and, under the emulation
// (cuda.h: emulated()), the same bodies run on the CPU over the same grid. Nothing else lives here, so what the
// emulation checks is what the GPU runs, but for the launch itself, warp shuffles and float4 loads.
#include <cuda_runtime.h>

#include <algorithm>

#include "cuda.h"

namespace sk {
namespace cuda {
namespace {

__device__ inline void count(unsigned long long* counter, int64_t n) {
  if (n) atomicAdd(counter, static_cast<unsigned long long>(n));
}

__device__ inline int64_t warp_row() { return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp; }

// CSR or N:M SpMM (spmm_thread is overloaded on the operand): column tiles past gridDim.y loop.
template <typename Device>
__global__ void spmm_kernel(Device d, SpmmGrid g, unsigned long long* bad) {
  for (int64_t by = blockIdx.y; by < g.blocks_y; by += gridDim.y) count(bad, spmm_thread(d, g, blockIdx.x, by, threadIdx.x));
}

// The warp-per-row kernels return before any shuffle when their row is past the end: the test is warp-uniform.
__global__ void spmv_kernel(SpmvParams p, unsigned long long* bad) {
  const int64_t i = warp_row();
  if (i < p.a.rows) count(bad, spmv_row(p, static_cast<int32_t>(i), DeviceWarp{static_cast<int>(threadIdx.x % kWarp)}));
}

__global__ void sddmm_kernel(SddmmParams p, unsigned long long* bad) {
  const int64_t i = warp_row();
  if (i < p.a.rows) count(bad, sddmm_row(p, static_cast<int32_t>(i), DeviceWarp{static_cast<int>(threadIdx.x % kWarp)}));
}

__global__ void check_kernel(CsrF32 a, unsigned long long* bad) {
  const int64_t i = warp_row();
  if (i < a.rows) count(bad, check_row(a, static_cast<int32_t>(i), DeviceWarp{static_cast<int>(threadIdx.x % kWarp)}));
}

__global__ void row_sums_kernel(const float* m, int32_t rows, int32_t cols, float* out) {
  const int64_t i = warp_row();
  if (i < rows) row_sum(m, cols, out, static_cast<int32_t>(i), DeviceWarp{static_cast<int>(threadIdx.x % kWarp)});
}

// Element-wise kernels: a grid-stride loop over n elements.
#define SK_FOR_EACH_ELEMENT(n, idx) \
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < (n); idx += static_cast<int64_t>(gridDim.x) * blockDim.x)

__global__ void bias_kernel(float* y, int64_t n, int32_t cols, const float* bias) {
  SK_FOR_EACH_ELEMENT(n, idx) add_row_bias(y, cols, bias, idx);
}

__global__ void sgd_kernel(SgdParams p, int64_t n) {
  SK_FOR_EACH_ELEMENT(n, idx) sgd_element(p, idx);
}

__global__ void adam_kernel(AdamParams p, int64_t n) {
  SK_FOR_EACH_ELEMENT(n, idx) adam_element(p, idx);
}

Status launched(const char* what) {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? Status::ok() : error_status(what, err);
}

unsigned warp_blocks(int64_t rows) { return static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock); }

unsigned element_blocks(int64_t n) { return static_cast<unsigned>(std::min<int64_t>((n + kBlockThreads - 1) / kBlockThreads, 1 << 20)); }

cudaStream_t stream_of(const Launch& l) { return static_cast<cudaStream_t>(l.stream); }

// Launches (or emulates) a CSR or N:M SpMM over its tile grid.
template <typename Device>
Status launch_spmm(const Device& d, int32_t rows, int32_t n, const Launch& l, const char* what) {
  if (rows == 0 || n == 0) return Status::ok();
  const SpmmGrid g = spmm_grid(rows, n);
  if (emulated()) return *l.anomalies += emulate_spmm(d, g), Status::ok();
  const dim3 blocks(static_cast<unsigned>(g.blocks_x), static_cast<unsigned>(std::min(g.blocks_y, kMaxGridY)));
  spmm_kernel<<<blocks, kBlockThreads, 0, stream_of(l)>>>(d, g, l.anomalies);
  return launched(what);
}

}  // namespace

Status spmm_csr_f32(const SpmmDevice& d, const Launch& l) { return launch_spmm(d, d.p.a.rows, d.p.n, l, "spmm (CUDA)"); }

Status spmm_nm_f32(const SpmmNmDevice& d, const Launch& l) { return launch_spmm(d, d.p.a.rows, d.p.n, l, "spmm N:M (CUDA)"); }

Status spmv_csr_f32(const SpmvParams& p, const Launch& l) {
  if (p.a.rows == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_rows(p.a.rows, [&](int32_t i) { return spmv_row(p, i, HostWarp{}); }), Status::ok();
  spmv_kernel<<<warp_blocks(p.a.rows), kBlockThreads, 0, stream_of(l)>>>(p, l.anomalies);
  return launched("spmv (CUDA)");
}

Status sddmm_csr_f32(const SddmmParams& p, const Launch& l) {
  if (p.a.rows == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_rows(p.a.rows, [&](int32_t i) { return sddmm_row(p, i, HostWarp{}); }), Status::ok();
  sddmm_kernel<<<warp_blocks(p.a.rows), kBlockThreads, 0, stream_of(l)>>>(p, l.anomalies);
  return launched("sddmm (CUDA)");
}

Status check_csr(const CsrF32& a, const Launch& l) {
  if (a.rows == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_rows(a.rows, [&](int32_t i) { return check_row(a, i, HostWarp{}); }), Status::ok();
  check_kernel<<<warp_blocks(a.rows), kBlockThreads, 0, stream_of(l)>>>(a, l.anomalies);
  return launched("CSR check (CUDA)");
}

Status row_sums_f32(const float* m, int32_t rows, int32_t cols, float* out, const Launch& l) {
  if (rows == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_rows(rows, [&](int32_t i) { return row_sum(m, cols, out, i, HostWarp{}), int64_t{0}; }), Status::ok();
  row_sums_kernel<<<warp_blocks(rows), kBlockThreads, 0, stream_of(l)>>>(m, rows, cols, out);
  return launched("row sums (CUDA)");
}

Status add_row_bias_f32(float* y, int32_t rows, int32_t cols, const float* bias, const Launch& l) {
  const int64_t n = static_cast<int64_t>(rows) * cols;
  if (n == 0) return Status::ok();
  if (emulated()) {
    for (int64_t idx = 0; idx < n; ++idx) add_row_bias(y, cols, bias, idx);
    return Status::ok();
  }
  bias_kernel<<<element_blocks(n), kBlockThreads, 0, stream_of(l)>>>(y, n, cols, bias);
  return launched("bias (CUDA)");
}

Status sgd_f32(const SgdParams& p, int64_t n, const Launch& l) {
  if (n == 0) return Status::ok();
  if (emulated()) {
    for (int64_t i = 0; i < n; ++i) sgd_element(p, i);
    return Status::ok();
  }
  sgd_kernel<<<element_blocks(n), kBlockThreads, 0, stream_of(l)>>>(p, n);
  return launched("sgd (CUDA)");
}

Status adam_f32(const AdamParams& p, int64_t n, const Launch& l) {
  if (n == 0) return Status::ok();
  if (emulated()) {
    for (int64_t i = 0; i < n; ++i) adam_element(p, i);
    return Status::ok();
  }
  adam_kernel<<<element_blocks(n), kBlockThreads, 0, stream_of(l)>>>(p, n);
  return launched("adam (CUDA)");
}

}  // namespace cuda
}  // namespace sk
