// The optional CUDA backend (npm run build:cuda; CMake option SPARSEKIT_CUDA). Nothing here is compiled into the
// default build. Every CUDA error becomes a Status with code kCuda and the CUDA error text; nothing aborts.
//
// Streams: every host thread that calls in here gets its own non-blocking stream (made on first use, kept for the
// thread's life), and every call below waits for its own work before returning. So the JS thread's synchronous calls
// and the async calls that run on libuv's worker threads can run side by side on the GPU rather than queue on one stream,
// and a call that has returned has finished (there is no hidden ordering to get wrong between streams).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../core/status.h"
#include "../kernels/params.h"
#include "kernels.cuh"

namespace sk {
namespace cuda {

struct Device {
  int index;
  std::string name;
  int major, minor;  // compute capability
  int multiprocessors;
  uint64_t total_bytes, free_bytes;
};

struct Info {
  bool available;      // at least one usable device (or the emulation)
  bool emulated;       // SPARSEKIT_CUDA_EMULATE=1: the CPU stands in for the GPU (see emulated() below)
  std::string reason;  // why not, when !available (the CUDA error text)
  int runtime_version, driver_version;
  std::string cusparse;  // the cuSPARSE library loaded at run time for the fallback ("" if none; see vendor.cc)
  std::string cublas;    // likewise cuBLAS (benchmarks only)
  std::vector<Device> devices;
};

// Probes the driver and devices (cheap; safe without a GPU or driver).
Info info();

// The CPU emulation of the device, for testing everything above the kernels on machines without a GPU: with
// SPARSEKIT_CUDA_EMULATE=1 in the environment (read once), "device" memory is host memory and every launcher runs
// its kernel body on the CPU over the whole launch grid, lane by lane (kernels.cu). info() then says emulated.
// Nothing about it is fast; it exists so that the same tests run in CI and on a GPU.
bool emulated();
void set_emulated(bool on);  // for the C++ test program

// Device memory and copies, on the calling thread's stream and waited for.
Status error_status(const char* what, int cuda_error);
Status device_alloc(size_t bytes, void** out);
Status device_free(void* p);
Status copy_to_device(void* dst, const void* src, size_t bytes);
Status copy_to_host(void* dst, const void* src, size_t bytes);

// What a launcher enqueues onto: the calling thread's stream and a zeroed device anomaly counter.
struct Launch {
  void* stream;  // cudaStream_t
  unsigned long long* anomalies;
};

// Zeroes the counter, runs `enqueue`, waits for the stream, and turns a non-zero anomaly count into kFormat
// "<what>: A is not a valid <format> matrix (N structure entries out of range)"; the count also goes to *count.
Status run(const char* what, const std::function<Status(const Launch&)>& enqueue, unsigned long long* count = nullptr, const char* format = "CSR");

// Launchers (enqueue only; all pointers are device pointers). The kernels are in kernels.cuh.
Status spmm_csr_f32(const SpmmDevice& d, const Launch& l);     // C = alpha A B + beta C, or Aᵀ B via d.perm
Status spmm_nm_f32(const SpmmNmParams& p, const Launch& l);     // C = alpha A B + beta C, A N:M
Status spmv_csr_f32(const SpmvParams& p, const Launch& l);     // y = alpha A x + beta y
Status sddmm_csr_f32(const SddmmParams& p, const Launch& l);   // out = alpha (X Yᵀ at A's pattern) + beta out
Status check_csr(const CsrF32& a, const Launch& l);               // counts anomalies only
Status row_sums_f32(const float* m, int32_t rows, int32_t cols, float* out, const Launch& l);
Status add_row_bias_f32(float* y, int32_t rows, int32_t cols, const float* bias, const Launch& l);
Status sgd_f32(const SgdParams& p, int64_t n, const Launch& l);
Status adam_f32(const AdamParams& p, int64_t n, const Launch& l);

// cuSPARSE's SpMM (CSR, row-major B and C) through the library found at run time (vendor.cc): the fallback and
// the baseline. kUnsupported when no cuSPARSE library can be loaded.
Status spmm_cusparse_f32(const SpmmParams& p, const Launch& l);
// cuBLAS SGEMM on row-major operands, C = alpha A B + beta C (A m x k, B k x n): the dense baseline of the benchmark.
// The file names of the libraries loaded (loading them on first call), or "" where none could be.
std::string cusparse_library();
std::string cublas_library();
Status sgemm_cublas_f32(int32_t m, int32_t n, int32_t k, float alpha, const float* a, const float* b, float beta, float* c, const Launch& l);

}  // namespace cuda
}  // namespace sk
