// Device memory, copies, the per-thread streams and the checked run of a launch (see cuda.h).
#include <cuda_runtime.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "cuda.h"

namespace sk {
namespace cuda {

Status error_status(const char* what, int err) {
  const cudaError_t e = static_cast<cudaError_t>(err);
  cudaGetLastError();  // clear it, so the next call starts clean
  return Status::error(Code::kCuda, std::string(what) + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
}

#define SK_CUDA_TRY(what, call)                           \
  do {                                                    \
    const cudaError_t e_ = (call);                        \
    if (e_ != cudaSuccess) return error_status(what, e_); \
  } while (0)

namespace {

// The calling thread's stream and anomaly counter, made on first use. They are never destroyed: a thread_local
// destructor would run after the CUDA runtime has shut down at process exit.
struct ThreadState {
  cudaStream_t stream = nullptr;
  unsigned long long* anomalies = nullptr;
};

Status thread_state(ThreadState** out) {
  thread_local ThreadState state;
  if (!state.stream) {
    cudaStream_t s = nullptr;
    SK_CUDA_TRY("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    void* counter = nullptr;
    const cudaError_t e = cudaMalloc(&counter, sizeof(unsigned long long));
    if (e != cudaSuccess) {
      cudaStreamDestroy(s);
      return error_status("cudaMalloc (anomaly counter)", e);
    }
    state.stream = s;
    state.anomalies = static_cast<unsigned long long*>(counter);
  }
  *out = &state;
  return Status::ok();
}

Status wait(cudaStream_t s) {
  SK_CUDA_TRY("cudaStreamSynchronize", cudaStreamSynchronize(s));
  return Status::ok();
}

}  // namespace

namespace {
std::atomic<int> emulation{-1};  // -1: not read from the environment yet
}  // namespace

bool emulated() {
  int e = emulation.load();
  if (e < 0) {
    const char* v = std::getenv("SPARSEKIT_CUDA_EMULATE");
    e = v && std::strcmp(v, "1") == 0 ? 1 : 0;
    emulation.store(e);
  }
  return e == 1;
}

void set_emulated(bool on) { emulation.store(on ? 1 : 0); }

Status device_alloc(size_t bytes, void** out) {
  *out = nullptr;
  if (emulated()) {
    *out = std::malloc(bytes ? bytes : 1);
    return *out ? Status::ok() : Status::error(Code::kNative, "out of memory: emulated device memory (malloc) failed");
  }
  SK_CUDA_TRY("cudaMalloc", cudaMalloc(out, bytes ? bytes : 1));
  return Status::ok();
}

Status device_free(void* p) {
  if (emulated()) {
    std::free(p);
    return Status::ok();
  }
  if (p) SK_CUDA_TRY("cudaFree", cudaFree(p));
  return Status::ok();
}

namespace {

// One copy on the calling thread's stream, waited for (memcpy under the emulation).
Status copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, const char* what) {
  if (!bytes) return Status::ok();
  if (emulated()) {
    std::memcpy(dst, src, bytes);
    return Status::ok();
  }
  ThreadState* t;
  Status s = thread_state(&t);
  if (!s.is_ok()) return s;
  SK_CUDA_TRY(what, cudaMemcpyAsync(dst, src, bytes, kind, t->stream));
  return wait(t->stream);
}

}  // namespace

Status copy_to_device(void* dst, const void* src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyHostToDevice, "cudaMemcpyAsync (host to device)");
}

Status copy_to_host(void* dst, const void* src, size_t bytes) {
  return copy(dst, src, bytes, cudaMemcpyDeviceToHost, "cudaMemcpyAsync (device to host)");
}

namespace {

Status anomalies_status(const char* what, unsigned long long count, const char* format) {
  if (!count) return Status::ok();
  return Status::error(Code::kFormat, std::string(what) + ": A is not a valid " + format + " matrix (" + std::to_string(count) + " structure entries out of range)");
}

}  // namespace

Status run(const char* what, const std::function<Status(const Launch&)>& enqueue, unsigned long long* count_out, const char* format) {
  if (emulated()) {  // the launchers run the kernel bodies on this thread and add to a host counter
    unsigned long long count = 0;
    const Status s = enqueue(Launch{nullptr, &count});
    if (count_out) *count_out = count;
    return s.is_ok() ? anomalies_status(what, count, format) : s;
  }
  ThreadState* t;
  Status s = thread_state(&t);
  if (!s.is_ok()) return s;
  SK_CUDA_TRY("cudaMemsetAsync (anomaly counter)", cudaMemsetAsync(t->anomalies, 0, sizeof(unsigned long long), t->stream));
  s = enqueue(Launch{t->stream, t->anomalies});
  unsigned long long count = 0;
  // Wait even when the enqueue failed part-way, so nothing of this call is still running when it returns.
  const cudaError_t copied = cudaMemcpyAsync(&count, t->anomalies, sizeof count, cudaMemcpyDeviceToHost, t->stream);
  const Status waited = wait(t->stream);
  if (!s.is_ok()) return s;
  if (copied != cudaSuccess) return error_status("cudaMemcpyAsync (anomaly counter)", copied);
  if (!waited.is_ok()) return waited;
  if (count_out) *count_out = count;
  return anomalies_status(what, count, format);
}

}  // namespace cuda
}  // namespace sk
