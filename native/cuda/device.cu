#include <cuda_runtime.h>

#include "cuda.h"

namespace sk {
namespace cuda {

Status error_status(const char* what, int err) {
  const cudaError_t e = static_cast<cudaError_t>(err);
  cudaGetLastError();  // clear it, so the next call starts clean
  return Status::error(Code::kCuda, std::string(what) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

#define SK_CUDA_TRY(what, call)                       \
  do {                                                \
    const cudaError_t e_ = (call);                    \
    if (e_ != cudaSuccess) return error_status(what, e_); \
  } while (0)

Status device_alloc(size_t bytes, void** out) {
  *out = nullptr;
  SK_CUDA_TRY("cudaMalloc", cudaMalloc(out, bytes ? bytes : 1));
  return Status::ok();
}

Status device_free(void* p) {
  if (p) SK_CUDA_TRY("cudaFree", cudaFree(p));
  return Status::ok();
}

Status copy_to_device(void* dst, const void* src, size_t bytes) {
  if (bytes) SK_CUDA_TRY("cudaMemcpy (host to device)", cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  return Status::ok();
}

Status copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) SK_CUDA_TRY("cudaMemcpy (device to host)", cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  return Status::ok();
}

Status synchronize() {
  SK_CUDA_TRY("cudaDeviceSynchronize", cudaDeviceSynchronize());
  return Status::ok();
}

}  // namespace cuda
}  // namespace sk
