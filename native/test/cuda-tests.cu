// CUDA kernel tests (scripts/cuda-tests.sh): the GPU SpMM and SpMV against the scalar CPU kernels over the awkward
// shapes of the CPU tests (empty rows, one column, widths around the warp size, leading dimensions wider than the
// matrix), plus a corrupt column index that both must count the same way. Without a usable GPU it prints why and
// exits 0, so CI can build and run it everywhere; the output says plainly that nothing ran on a GPU.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "../cuda/cuda.h"
#include "../kernels/kernels.h"

namespace {

int failures = 0, checks = 0;

struct Lcg {
  uint64_t s;
  float uniform() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>((s >> 40) % 2000001) / 1000000.0f - 1.0f;
  }
};

#define CHECK_CUDA(x)                                                                            \
  do {                                                                                           \
    cudaError_t e = (x);                                                                         \
    if (e != cudaSuccess) {                                                                      \
      std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(e), __FILE__, __LINE__);         \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

template <typename T>
T* upload(const std::vector<T>& v) {
  T* d = nullptr;
  CHECK_CUDA(cudaMalloc(&d, std::max<size_t>(1, v.size()) * sizeof(T)));
  if (!v.empty()) CHECK_CUDA(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

void compare(const char* what, int rows, int cols, int n, const std::vector<float>& got, const std::vector<float>& want) {
  ++checks;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(got[i] - want[i]) <= 1e-4f * (1.0f + std::fabs(want[i])))) {
      if (++failures <= 20) std::printf("FAIL %s %dx%d n=%d: [%zu] = %g, CPU %g\n", what, rows, cols, n, i, got[i], want[i]);
      return;
    }
  }
}

void run_case(int rows, int cols, int n, double density, bool corrupt, Lcg& r) {
  std::vector<int32_t> indptr{0}, indices;
  std::vector<float> values;
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols && i % 5 != 2; ++j)
      if ((r.uniform() + 1) / 2 < density) indices.push_back(j), values.push_back(r.uniform());
    indptr.push_back(static_cast<int32_t>(indices.size()));
  }
  if (corrupt && !indices.empty()) indices[indices.size() / 2] = cols + 7;
  const int64_t ldb = n + 3, ldc = n + 1;
  std::vector<float> b(static_cast<size_t>(cols) * ldb), c0(static_cast<size_t>(rows) * ldc), x(cols), y0(rows);
  for (auto* v : {&b, &c0, &x, &y0})
    for (float& f : *v) f = r.uniform();
  const sk::CsrF32 host_a{rows, cols, static_cast<int64_t>(indices.size()), indptr.data(), indices.data(), values.data()};
  std::vector<float> c_cpu = c0, y_cpu = y0;
  const int64_t bad_cpu = sk::sk_f32_spmm_csr__scalar({host_a, b.data(), ldb, c_cpu.data(), ldc, n, 0.5f, 2.0f}, 0, rows);
  sk::sk_f32_spmv_csr__scalar({host_a, x.data(), y_cpu.data(), 1.5f, -1.0f}, 0, rows);

  int32_t *d_indptr = upload(indptr), *d_indices = upload(indices);
  float *d_values = upload(values), *d_b = upload(b), *d_c = upload(c0), *d_x = upload(x), *d_y = upload(y0);
  long long* d_bad = upload(std::vector<long long>{0, 0});
  const sk::CsrF32 dev_a{rows, cols, static_cast<int64_t>(indices.size()), d_indptr, d_indices, d_values};
  sk::Status s1 = sk::cuda::spmm_csr_f32({dev_a, d_b, ldb, d_c, ldc, n, 0.5f, 2.0f}, nullptr, d_bad);
  sk::Status s2 = sk::cuda::spmv_csr_f32({dev_a, d_x, d_y, 1.5f, -1.0f}, nullptr, d_bad + 1);
  CHECK_CUDA(cudaDeviceSynchronize());
  if (!s1.is_ok() || !s2.is_ok()) {
    ++failures;
    std::printf("FAIL launch: %s %s\n", s1.message.c_str(), s2.message.c_str());
  }
  std::vector<float> c_gpu(c0.size()), y_gpu(y0.size());
  std::vector<long long> bad(2);
  CHECK_CUDA(cudaMemcpy(c_gpu.data(), d_c, c_gpu.size() * 4, cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(y_gpu.data(), d_y, y_gpu.size() * 4, cudaMemcpyDeviceToHost));
  CHECK_CUDA(cudaMemcpy(bad.data(), d_bad, 16, cudaMemcpyDeviceToHost));
  compare("spmm", rows, cols, n, c_gpu, c_cpu);
  compare("spmv", rows, cols, 1, y_gpu, y_cpu);
  ++checks;
  if (bad[0] != bad_cpu || bad[1] != bad_cpu) {
    ++failures;
    std::printf("FAIL anomalies %dx%d: GPU %lld / %lld, CPU %lld\n", rows, cols, bad[0], bad[1], static_cast<long long>(bad_cpu));
  }
  for (void* p : {static_cast<void*>(d_indptr), static_cast<void*>(d_indices), static_cast<void*>(d_values), static_cast<void*>(d_b),
                  static_cast<void*>(d_c), static_cast<void*>(d_x), static_cast<void*>(d_y), static_cast<void*>(d_bad)})
    cudaFree(p);
}

}  // namespace

int main() {
  const sk::cuda::Info info = sk::cuda::info();
  if (!info.available) {
    std::printf("cuda tests: NOT RUN, no usable GPU (%s); the CUDA code was compiled only\n", info.reason.c_str());
    return 0;
  }
  std::printf("cuda tests on %s (sm_%d%d)\n", info.devices[0].name.c_str(), info.devices[0].major, info.devices[0].minor);
  Lcg r{42};
  for (int rows : {0, 1, 7, 13, 37, 300})
    for (int cols : {1, 4, 33})
      for (int n : {1, 3, 31, 32, 33, 64, 257})
        for (double d : {0.0, 0.3, 1.0}) run_case(rows, cols, n, d, false, r);
  run_case(50, 20, 17, 0.5, true, r);
  std::printf("%d comparisons, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
