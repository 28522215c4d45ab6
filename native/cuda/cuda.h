// The optional CUDA backend (npm run build:cuda; CMake option SPARSEKIT_CUDA). Nothing here is compiled into the
// default build. Every CUDA error becomes a Status with code kCuda and the CUDA error text; nothing aborts.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../core/status.h"
#include "../kernels/params.h"

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
  bool available;      // at least one usable device
  std::string reason;  // why not, when !available (the CUDA error text)
  int runtime_version, driver_version;
  bool cusparse;       // linked with cuSPARSE (the baseline)
  std::vector<Device> devices;
};

// Probes the driver and devices (cheap; safe without a GPU or driver).
Info info();

// Device memory and copies (synchronous); every failure is kCuda with the CUDA error name and text.
Status error_status(const char* what, int cuda_error);
Status device_alloc(size_t bytes, void** out);
Status device_free(void* p);
Status copy_to_device(void* dst, const void* src, size_t bytes);
Status copy_to_host(void* dst, const void* src, size_t bytes);
Status synchronize();

// C = alpha * A B + beta * C on the current device, all pointers device pointers (A's structure, B, C row-major with
// leading dimensions ldb, ldc), on `stream` (a cudaStream_t, 0 for the default stream). A row is handled by one
// warp, its lanes across columns of B, so uneven rows cost what they hold; column indices are bounds-checked on the
// device and anomalies counted into *anomalies (a device int64), as the CPU kernels do. Returns kCuda on a launch
// error. Synchronous only if the caller synchronises the stream.
Status spmm_csr_f32(const SpmmParams& device_params, void* stream, long long* anomalies);
// spmm_csr_f32 on the default stream, waited for: out-of-range structure entries become kFormat.
Status spmm_csr_f32_sync(const SpmmParams& device_params);
// y = alpha * A x + beta * y, one warp per row.
Status spmv_csr_f32(const SpmvParams& device_params, void* stream, long long* anomalies);

}  // namespace cuda
}  // namespace sk
