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

// CSR or N:M SpMM (spmm_thread is overloaded on SpmmDevice / SpmmNmParams): column tiles past gridDim.y loop.
template <typename Device>
__global__ void spmm_kernel(Device d, SpmmGrid g, unsigned long long* bad) {
  for (int64_t by = blockIdx.y; by < g.blocks_y; by += gridDim.y) count(bad, spmm_thread(d, g, blockIdx.x, by, threadIdx.x));
}

// Row bodies of the warp-per-row kernels and element bodies of the element-wise ones: each adapts one function of
// kernels.cuh to the two kernel templates below (row bodies return the anomalies they counted).
struct SpmvRows {
  SpmvParams p;
  template <class W>
  SK_HD int64_t operator()(int32_t i, const W& w) const { return spmv_row(p, i, w); }
};
struct SddmmRows {
  SddmmParams p;
  template <class W>
  SK_HD int64_t operator()(int32_t i, const W& w) const { return sddmm_row(p, i, w); }
};
struct CheckRows {
  CsrF32 a;
  template <class W>
  SK_HD int64_t operator()(int32_t i, const W& w) const { return check_row(a, i, w); }
};
struct SumRows {
  const float* m;
  int32_t cols;
  float* out;
  template <class W>
  SK_HD int64_t operator()(int32_t i, const W& w) const { return row_sum(m, cols, out, i, w), 0; }
};
struct BiasElements {
  float* y;
  int32_t cols;
  const float* bias;
  SK_HD void operator()(int64_t idx) const { add_row_bias(y, cols, bias, idx); }
};
struct SgdElements {
  SgdParams p;
  SK_HD void operator()(int64_t idx) const { sgd_element(p, idx); }
};
struct AdamElements {
  AdamParams p;
  SK_HD void operator()(int64_t idx) const { adam_element(p, idx); }
};

// A warp per row; a warp past the last row returns before any shuffle (the test is warp-uniform).
template <typename Rows>
__global__ void rows_kernel(Rows body, int64_t rows, unsigned long long* bad) {
  const int64_t i = warp_row();
  if (i < rows) count(bad, body(static_cast<int32_t>(i), DeviceWarp{static_cast<int>(threadIdx.x % kWarp)}));
}

// A grid-stride loop over n elements.
template <typename Elements>
__global__ void elements_kernel(Elements body, int64_t n) {
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < n; idx += static_cast<int64_t>(gridDim.x) * blockDim.x) body(idx);
}

Status launched(const char* what) {
  const cudaError_t err = cudaGetLastError();
  return err == cudaSuccess ? Status::ok() : error_status(what, err);
}

cudaStream_t stream_of(const Launch& l) { return static_cast<cudaStream_t>(l.stream); }

// Launches (or emulates) a CSR or N:M SpMM over its tile grid.
template <typename Device>
Status launch_spmm(const Device& d, const SpmmGrid& g, const Launch& l, const char* what) {
  if (g.blocks_x == 0 || g.blocks_y == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_spmm(d, g), Status::ok();
  const dim3 blocks(static_cast<unsigned>(g.blocks_x), static_cast<unsigned>(std::min(g.blocks_y, kMaxGridY)));
  spmm_kernel<<<blocks, kBlockThreads, 0, stream_of(l)>>>(d, g, l.anomalies);
  return launched(what);
}

// Launches (or emulates) a warp-per-row kernel over `rows` rows.
template <typename Rows>
Status launch_rows(const Rows& body, int64_t rows, const Launch& l, const char* what) {
  if (rows == 0) return Status::ok();
  if (emulated()) return *l.anomalies += emulate_rows(rows, [&](int32_t i) { return body(i, HostWarp{}); }), Status::ok();
  rows_kernel<<<static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock), kBlockThreads, 0, stream_of(l)>>>(body, rows, l.anomalies);
  return launched(what);
}

// Launches (or emulates, in order) an element-wise kernel over n elements.
template <typename Elements>
Status launch_elements(const Elements& body, int64_t n, const Launch& l, const char* what) {
  if (n == 0) return Status::ok();
  if (emulated()) {
    for (int64_t idx = 0; idx < n; ++idx) body(idx);
    return Status::ok();
  }
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + kBlockThreads - 1) / kBlockThreads, 1 << 20));
  elements_kernel<<<blocks, kBlockThreads, 0, stream_of(l)>>>(body, n);
  return launched(what);
}

}  // namespace

Status spmm_csr_f32(const SpmmDevice& d, const Launch& l) {
  const SpmmParams& p = d.p;
  return launch_spmm(d, spmm_grid(p.a.rows, p.n, p.b, p.ldb, p.c, p.ldc), l, "spmm (CUDA)");
}

Status spmm_nm_f32(const SpmmNmParams& p, const Launch& l) {
  return launch_spmm(p, spmm_grid(p.a.rows, p.n, p.b, p.ldb, p.c, p.ldc), l, "spmm N:M (CUDA)");
}

Status spmv_csr_f32(const SpmvParams& p, const Launch& l) { return launch_rows(SpmvRows{p}, p.a.rows, l, "spmv (CUDA)"); }

Status sddmm_csr_f32(const SddmmParams& p, const Launch& l) { return launch_rows(SddmmRows{p}, p.a.rows, l, "sddmm (CUDA)"); }

Status check_csr(const CsrF32& a, const Launch& l) { return launch_rows(CheckRows{a}, a.rows, l, "CSR check (CUDA)"); }

Status row_sums_f32(const float* m, int32_t rows, int32_t cols, float* out, const Launch& l) {
  return launch_rows(SumRows{m, cols, out}, rows, l, "row sums (CUDA)");
}

Status add_row_bias_f32(float* y, int32_t rows, int32_t cols, const float* bias, const Launch& l) {
  return launch_elements(BiasElements{y, cols, bias}, static_cast<int64_t>(rows) * cols, l, "bias (CUDA)");
}

Status sgd_f32(const SgdParams& p, int64_t n, const Launch& l) { return launch_elements(SgdElements{p}, n, l, "sgd (CUDA)"); }

Status adam_f32(const AdamParams& p, int64_t n, const Launch& l) { return launch_elements(AdamElements{p}, n, l, "adam (CUDA)"); }

}  // namespace cuda
}  // namespace sk
