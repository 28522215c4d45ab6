#include <cuda_runtime.h>

#include "cuda.h"

namespace sk {
namespace cuda {

Info info() {
  Info r{false, false, "", 0, 0, "", "", {}};
  if (emulated()) {
    r.available = r.emulated = true;
    r.devices.push_back(Device{0, "CPU emulation (SPARSEKIT_CUDA_EMULATE=1)", 0, 0, 0, 0, 0});
    return r;
  }
  cudaRuntimeGetVersion(&r.runtime_version);
  if (cudaDriverGetVersion(&r.driver_version) != cudaSuccess) r.driver_version = 0;
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    r.reason = std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
    cudaGetLastError();  // clear it, so later runtime calls start clean
    return r;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    Device dev{d, p.name, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem, 0};
    size_t free_b = 0, total_b = 0;
    if (cudaSetDevice(d) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) dev.free_bytes = free_b;
    r.devices.push_back(dev);
  }
  r.available = !r.devices.empty();
  if (!r.available) r.reason = "no CUDA device could be queried";
  // The libraries are looked for only where they could run (loading cuSPARSE takes a moment, once).
  if (r.available) {
    r.cusparse = cusparse_library();
    r.cublas = cublas_library();
  }
  return r;
}

}  // namespace cuda
}  // namespace sk
