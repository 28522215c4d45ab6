// GPU SpMM benchmark (npm run bench:cuda, built by scripts/cuda-tests.sh bench): this library's CSR SpMM against cuBLAS SGEMM on
// the dense form of the same weights and cuSPARSE SpMM on the same CSR, all measured in one run on one stream with
// CUDA events (median of the timed repetitions after warm-up). Weights M x K at the given sparsity (uniform random
// pattern, and a skewed one whose row lengths follow a power law, to show the row order's load balance), dense
// operand K x N for each N. Results are checked against each other before anything is timed.
// Usage: cuda-bench [M K sparsity N...]; default 4096 4096 0.9 256 2048.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "../native/cuda/cuda.h"
#include "../native/test/cuda-check.h"

namespace {


void check(const sk::Status& s, const char* what) {
  if (!s.is_ok()) {
    std::printf("%s failed: %s\n", what, s.message.c_str());
    std::exit(1);
  }
}

struct Rng {
  uint64_t s;
  double next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(s >> 11) / 9007199254740992.0;
  }
};

// Median milliseconds of `reps` launches after `warmup`, each timed with events on `stream`.
double time_ms(cudaStream_t stream, int warmup, int reps, const std::function<void()>& launch) {
  for (int i = 0; i < warmup; ++i) launch();
  cudaEvent_t a, b;
  CHECK_CUDA(cudaEventCreate(&a));
  CHECK_CUDA(cudaEventCreate(&b));
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    CHECK_CUDA(cudaEventRecord(a, stream));
    launch();
    CHECK_CUDA(cudaEventRecord(b, stream));
    CHECK_CUDA(cudaEventSynchronize(b));
    float t = 0;
    CHECK_CUDA(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

double max_rel_diff(const std::vector<float>& x, const std::vector<float>& y) {
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]) / (1.0 + std::fabs(y[i])));
  return worst;
}

std::vector<float> download(const float* d, size_t n) {
  std::vector<float> h(n);
  CHECK_CUDA(cudaMemcpy(h.data(), d, n * 4, cudaMemcpyDeviceToHost));
  return h;
}

void run(const char* pattern_name, int m, int k, double sparsity, bool skewed, const std::vector<int>& widths) {
  Rng r{12345};
  std::vector<int32_t> indptr{0}, indices;
  std::vector<float> values, dense(static_cast<size_t>(m) * k, 0.0f);
  const double density = 1 - sparsity;
  // Skewed: row i keeps a share proportional to 1 / (1 + i % 64)^1.2, scaled to the same total density.
  double norm = 0;
  for (int i = 0; i < 64; ++i) norm += std::pow(1.0 + i, -1.2);
  for (int i = 0; i < m; ++i) {
    const double p = skewed ? std::min(1.0, density * 64 * std::pow(1.0 + i % 64, -1.2) / norm) : density;
    for (int j = 0; j < k; ++j) {
      if (r.next() < p) {
        const float v = static_cast<float>(r.next() * 2 - 1);
        indices.push_back(j);
        values.push_back(v);
        dense[static_cast<size_t>(i) * k + j] = v;
      }
    }
    indptr.push_back(static_cast<int32_t>(indices.size()));
  }
  std::vector<int32_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return indptr[x + 1] - indptr[x] > indptr[y + 1] - indptr[y]; });
  const int64_t nnz = static_cast<int64_t>(indices.size());
  std::printf("\n%s pattern: %d x %d weights, %.1f%% sparse (%lld stored), longest row %d\n", pattern_name, m, k, 100.0 * (1 - static_cast<double>(nnz) / (static_cast<double>(m) * k)),
              static_cast<long long>(nnz), indptr[order[0] + 1] - indptr[order[0]]);
  std::printf("| N | sparsekit ms | sparsekit, no row order ms | cuSPARSE ms | cuBLAS SGEMM ms | vs cuBLAS | vs cuSPARSE | max rel diff |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");

  int32_t *d_indptr = upload_vector(indptr), *d_indices = upload_vector(indices), *d_order = upload_vector(order);
  float *d_values = upload_vector(values), *d_dense = upload_vector(dense);
  cudaStream_t stream;
  CHECK_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  unsigned long long* d_bad;
  CHECK_CUDA(cudaMalloc(&d_bad, sizeof *d_bad));
  CHECK_CUDA(cudaMemset(d_bad, 0, sizeof *d_bad));
  const sk::cuda::Launch launch{stream, d_bad};
  const bool have_cusparse = !sk::cuda::cusparse_library().empty(), have_cublas = !sk::cuda::cublas_library().empty();

  for (int n : widths) {
    std::vector<float> b(static_cast<size_t>(k) * n);
    for (float& f : b) f = static_cast<float>(r.next() * 2 - 1);
    float* d_b = upload_vector(b);
    float *d_c, *d_ref;
    CHECK_CUDA(cudaMalloc(&d_c, static_cast<size_t>(m) * n * 4));
    CHECK_CUDA(cudaMalloc(&d_ref, static_cast<size_t>(m) * n * 4));
    const sk::SpmmParams p{{m, k, nnz, d_indptr, d_indices, d_values}, d_b, n, d_c, n, n, 1.0f, 0.0f};
    const sk::cuda::SpmmDevice ordered{p, d_order, nullptr, nnz}, plain{p, nullptr, nullptr, nnz};
    sk::SpmmParams ref = p;
    ref.c = d_ref;

    // Correctness first: ours against cuBLAS (dense form) or cuSPARSE.
    check(sk::cuda::spmm_csr_f32(ordered, launch), "sparsekit spmm");
    CHECK_CUDA(cudaStreamSynchronize(stream));
    double diff = -1;
    if (have_cublas) {
      check(sk::cuda::sgemm_cublas_f32(m, n, k, 1.0f, d_dense, d_b, 0.0f, d_ref, launch), "cuBLAS");
      CHECK_CUDA(cudaStreamSynchronize(stream));
      diff = max_rel_diff(download(d_c, static_cast<size_t>(m) * n), download(d_ref, static_cast<size_t>(m) * n));
    }
    if (have_cusparse) {
      check(sk::cuda::spmm_cusparse_f32(ref, launch), "cuSPARSE");
      CHECK_CUDA(cudaStreamSynchronize(stream));
      diff = std::max(diff, max_rel_diff(download(d_c, static_cast<size_t>(m) * n), download(d_ref, static_cast<size_t>(m) * n)));
    }

    const int warmup = 3, reps = 21;
    const double ours = time_ms(stream, warmup, reps, [&] { sk::cuda::spmm_csr_f32(ordered, launch); });
    const double ours_plain = time_ms(stream, warmup, reps, [&] { sk::cuda::spmm_csr_f32(plain, launch); });
    const double cusparse = have_cusparse ? time_ms(stream, warmup, reps, [&] { sk::cuda::spmm_cusparse_f32(ref, launch); }) : NAN;
    const double cublas = have_cublas ? time_ms(stream, warmup, reps, [&] { sk::cuda::sgemm_cublas_f32(m, n, k, 1.0f, d_dense, d_b, 0.0f, d_ref, launch); }) : NAN;
    std::printf("| %d | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2fx | %.2g |\n", n, ours, ours_plain, cusparse, cublas, cublas / ours, cusparse / ours, diff);
    cudaFree(d_b);
    cudaFree(d_c);
    cudaFree(d_ref);
  }
  unsigned long long bad = 0;
  CHECK_CUDA(cudaMemcpy(&bad, d_bad, sizeof bad, cudaMemcpyDeviceToHost));
  if (bad) std::printf("anomalies reported: %llu (a bug: the structure is valid)\n", bad);
  for (void* q : {static_cast<void*>(d_indptr), static_cast<void*>(d_indices), static_cast<void*>(d_order), static_cast<void*>(d_values),
                  static_cast<void*>(d_dense), static_cast<void*>(d_bad)})
    cudaFree(q);
  cudaStreamDestroy(stream);
}

}  // namespace

int main(int argc, char** argv) {
  const sk::cuda::Info info = sk::cuda::info();
  if (!info.available) {
    std::printf("cuda bench: NOT RUN, no usable GPU (%s)\n", info.reason.c_str());
    return 0;
  }
  int m = 4096, k = 4096;
  double sparsity = 0.9;
  std::vector<int> widths{256, 2048};
  if (argc >= 5) {
    m = std::atoi(argv[1]);
    k = std::atoi(argv[2]);
    sparsity = std::atof(argv[3]);
    widths.clear();
    for (int i = 4; i < argc; ++i) widths.push_back(std::atoi(argv[i]));
  }
  std::printf("cuda bench on %s (sm_%d%d, %d SMs), CUDA runtime %d, driver %d; cuSPARSE: %s; cuBLAS: %s\n", info.devices[0].name.c_str(), info.devices[0].major,
              info.devices[0].minor, info.devices[0].multiprocessors, info.runtime_version, info.driver_version,
              info.cusparse.empty() ? "not found" : info.cusparse.c_str(), info.cublas.empty() ? "not found" : info.cublas.c_str());
  std::printf("fp32 throughout (cuBLAS in its default math mode: no TF32); 'vs' columns are the baseline's time over sparsekit's\n");
  run("uniform", m, k, sparsity, false, widths);
  run("skewed", m, k, sparsity, true, widths);
  return 0;
}
