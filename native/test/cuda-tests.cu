// CUDA kernel tests (scripts/cuda-tests.sh). Every kernel body of native/cuda/kernels.cuh is compared with the scalar
// CPU kernels over the awkward shapes of the CPU tests (empty rows, one column, widths around the vector and warp
// sizes, leading dimensions wider than the matrix, corrupt structure), twice:
//   emulated  the launchers under the CPU emulation (cuda.h: emulated()): the bodies run on the CPU over their
//             whole launch grid (every block, thread and lane, warp sums in the GPU's order); this runs everywhere,
//             CI included, and checks indexing, tiling, the row order, the transposed walk, bounds checks and exact
//             anomaly counts;
//   GPU       the same launchers on the device, when there is one; otherwise this part says plainly that it did
//             not run.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "../cuda/cuda.h"
#include "cuda-check.h"
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


// Where a run's operands live: the host vectors themselves (emulation), or device copies that finish() brings
// back into the vectors (GPU).
struct Mem {
  bool gpu;
  struct Copy {
    void* device;
    void* host;
    size_t bytes;
  };
  std::vector<Copy> copies;
  template <typename T>
  T* operator()(std::vector<T>& v) {
    if (!gpu) return v.data();
    T* d = upload_vector(v);
    copies.push_back({d, v.data(), v.size() * sizeof(T)});
    return d;
  }
  void finish() {
    for (const Copy& c : copies) {
      if (c.bytes) CHECK_CUDA(cudaMemcpy(c.host, c.device, c.bytes, cudaMemcpyDeviceToHost));
      CHECK_CUDA(cudaFree(c.device));
    }
    copies.clear();
  }
};

// Runs one launch through the launchers (the emulation or the GPU, whichever is on) and returns the exact anomaly
// count it reported.
int64_t launch(const char* what, const std::function<sk::Status(const sk::cuda::Launch&)>& enqueue) {
  unsigned long long count = 0;
  const sk::Status s = sk::cuda::run(what, enqueue, &count);
  if (!s.is_ok() && s.code != sk::Code::kFormat) {
    ++failures;
    std::printf("FAIL %s: %s\n", what, s.message.c_str());
  }
  return static_cast<int64_t>(count);
}

std::string label;  // the case being run, for failure messages

void compare(const char* what, const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-4f) {
  ++checks;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(got[i] - want[i]) <= tol * (1.0f + std::fabs(want[i])))) {
      if (++failures <= 30) std::printf("FAIL %s %s: [%zu] = %.9g, CPU %.9g\n", what, label.c_str(), i, got[i], want[i]);
      return;
    }
  }
}

void compare_bad(const char* what, int64_t got, int64_t want) {
  ++checks;
  if (got != want && ++failures <= 30) std::printf("FAIL %s %s anomalies: %lld, CPU %lld\n", what, label.c_str(), static_cast<long long>(got), static_cast<long long>(want));
}

struct Csr {
  int32_t rows, cols;
  std::vector<int32_t> indptr{0}, indices;
  std::vector<float> values;
};

Csr random_csr(int rows, int cols, double density, Lcg& r) {
  Csr a{rows, cols};
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols && i % 5 != 2; ++j)  // every fifth row empty
      if ((r.uniform() + 1) / 2 < density) a.indices.push_back(j), a.values.push_back(r.uniform());
    a.indptr.push_back(static_cast<int32_t>(a.indices.size()));
  }
  return a;
}

// Aᵀ's structure and the permutation from its entries to A's (a counting sort, written independently of the
// library's transpose).
void transpose(const Csr& a, std::vector<int32_t>* indptr, std::vector<int32_t>* indices, std::vector<int32_t>* perm) {
  indptr->assign(a.cols + 1, 0);
  for (int32_t j : a.indices) ++(*indptr)[j + 1];
  for (int j = 0; j < a.cols; ++j) (*indptr)[j + 1] += (*indptr)[j];
  std::vector<int32_t> next(indptr->begin(), indptr->end() - 1);
  indices->assign(a.indices.size(), 0);
  perm->assign(a.indices.size(), 0);
  for (int i = 0; i < a.rows; ++i)
    for (int32_t k = a.indptr[i]; k < a.indptr[i + 1]; ++k) {
      const int32_t at = next[a.indices[k]]++;
      (*indices)[at] = i;
      (*perm)[at] = k;
    }
}

// Rows longest first (what lib/cuda.ts uploads as a matrix's row order).
std::vector<int32_t> longest_first(const std::vector<int32_t>& indptr) {
  std::vector<int32_t> order(indptr.size() - 1);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return indptr[x + 1] - indptr[x] > indptr[y + 1] - indptr[y]; });
  return order;
}

std::vector<float> randoms(size_t n, Lcg& r) {
  std::vector<float> v(n);
  for (float& f : v) f = r.uniform();
  return v;
}

// SpMM (plain and with the row order), SpMV, SDDMM and the transposed SpMM of one matrix, against the CPU.
void run_products(bool gpu, const Csr& a, int n, int64_t ld_pad, bool corrupt, Lcg& r) {
  Csr m = a;
  if (corrupt && !m.indices.empty()) {
    m.indices[m.indices.size() / 2] = m.cols + 7;
    m.indices[0] = m.cols;  // the first index out of range
  }
  const int64_t nnz = static_cast<int64_t>(m.indices.size());
  const int64_t ldb = n + ld_pad, ldc = n + ld_pad;
  std::vector<float> b = randoms(static_cast<size_t>(m.cols) * ldb, r), c0 = randoms(static_cast<size_t>(m.rows) * ldc, r);
  std::vector<float> x = randoms(m.cols, r), y0 = randoms(m.rows, r);
  const sk::CsrF32 host_a{m.rows, m.cols, nnz, m.indptr.data(), m.indices.data(), m.values.data()};

  // CPU references.
  std::vector<float> c_cpu = c0, y_cpu = y0;
  const int64_t bad_cpu = sk::sk_f32_spmm_csr__scalar({host_a, b.data(), ldb, c_cpu.data(), ldc, n, 0.5f, 2.0f}, 0, m.rows);
  sk::sk_f32_spmv_csr__scalar({host_a, x.data(), y_cpu.data(), 1.5f, -1.0f}, 0, m.rows);
  const int k = n;  // SDDMM: X is rows x k, Y is cols x k (leading dimension k)
  std::vector<float> sx = randoms(static_cast<size_t>(m.rows) * k, r), sy = randoms(static_cast<size_t>(m.cols) * k, r);
  std::vector<float> s0 = randoms(nnz, r), s_cpu = s0;
  sk::sk_f32_sddmm_csr__scalar({host_a, sx.data(), k, sy.data(), k, k, s_cpu.data(), 0.75f, 0.5f}, 0, m.rows);

  Mem mem{gpu};
  for (bool ordered : {false, true}) {
    std::vector<int32_t> indptr = m.indptr, indices = m.indices, order = longest_first(m.indptr);
    std::vector<float> values = m.values, bb = b, c = c0;
    const sk::CsrF32 da{m.rows, m.cols, nnz, mem(indptr), mem(indices), mem(values)};
    const sk::SpmmParams p{da, mem(bb), ldb, mem(c), ldc, n, 0.5f, 2.0f};
    const sk::cuda::SpmmDevice d{p, ordered ? mem(order) : nullptr, nullptr, nnz};
    const int64_t bad = launch("spmm", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_csr_f32(d, l); });
    mem.finish();
    compare(ordered ? "spmm (row order)" : "spmm", c, c_cpu);
    compare_bad("spmm", bad, bad_cpu);
  }
  {
    std::vector<int32_t> indptr = m.indptr, indices = m.indices;
    std::vector<float> values = m.values, xx = x, y = y0;
    const sk::SpmvParams p{{m.rows, m.cols, nnz, mem(indptr), mem(indices), mem(values)}, mem(xx), mem(y), 1.5f, -1.0f};
    const int64_t bad = launch("spmv", [&](const sk::cuda::Launch& l) { return sk::cuda::spmv_csr_f32(p, l); });
    mem.finish();
    compare("spmv", y, y_cpu);
    compare_bad("spmv", bad, bad_cpu);
  }
  {
    std::vector<int32_t> indptr = m.indptr, indices = m.indices;
    std::vector<float> xx = sx, yy = sy, out = s0;
    const sk::SddmmParams p{{m.rows, m.cols, nnz, mem(indptr), mem(indices), nullptr}, mem(xx), k, mem(yy), k, k, mem(out), 0.75f, 0.5f};
    const int64_t bad = launch("sddmm", [&](const sk::cuda::Launch& l) { return sk::cuda::sddmm_csr_f32(p, l); });
    mem.finish();
    compare("sddmm", out, s_cpu);
    compare_bad("sddmm", bad, bad_cpu);
    std::vector<int32_t> indptr2 = m.indptr, indices2 = m.indices;
    const sk::CsrF32 ca{m.rows, m.cols, nnz, mem(indptr2), mem(indices2), nullptr};
    const int64_t checked = launch("check", [&](const sk::cuda::Launch& l) { return sk::cuda::check_csr(ca, l); });
    mem.finish();
    compare_bad("CSR check", checked, bad_cpu);
  }
  if (corrupt) return;  // the transposed walk's structure is made from a valid A (as lib/cuda.ts does at upload)
  // Transposed: C2 (cols x n) = alpha Aᵀ B2 + beta C2, B2 rows x n, through Aᵀ's structure and the permutation.
  std::vector<float> b2 = randoms(static_cast<size_t>(m.rows) * ldb, r), t0 = randoms(static_cast<size_t>(m.cols) * ldc, r), t_cpu = t0;
  sk::sk_f32_spmmt_csr__scalar({host_a, b2.data(), ldb, t_cpu.data(), ldc, n, -0.5f, 1.5f}, 0, n);
  for (bool bad_perm : {false, true}) {
    std::vector<int32_t> tindptr, tindices, perm;
    transpose(m, &tindptr, &tindices, &perm);
    if (bad_perm && !perm.empty()) perm.back() = static_cast<int32_t>(nnz) + 3;
    std::vector<int32_t> order = longest_first(tindptr);
    std::vector<float> values = m.values, bb = b2, c = t0;
    const sk::SpmmParams p{{m.cols, m.rows, nnz, mem(tindptr), mem(tindices), mem(values)}, mem(bb), ldb, mem(c), ldc, n, -0.5f, 1.5f};
    const sk::cuda::SpmmDevice d{p, mem(order), mem(perm), nnz};
    const int64_t bad = launch("spmmT", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_csr_f32(d, l); });
    mem.finish();
    if (!bad_perm) compare("spmmT", c, t_cpu);
    compare_bad(bad_perm ? "spmmT (corrupt permutation)" : "spmmT", bad, bad_perm && nnz && n ? 1 : 0);
  }
}

// N:M SpMM (rows of ceil(cols / m) groups of n slots) against the CPU; `corrupt` puts a position >= m in a
// non-zero slot.
void run_nm(bool gpu, int rows, int cols, int nn, int mm, int width, int64_t pad, bool corrupt, Lcg& r) {
  const int64_t groups = (cols + mm - 1) / mm, slots = groups * nn;
  std::vector<float> values(static_cast<size_t>(rows) * slots, 0.0f);
  std::vector<uint8_t> positions(values.size(), 0);
  for (int i = 0; i < rows; ++i)
    for (int64_t g = 0; g < groups; ++g) {
      const int valid = static_cast<int>(std::min<int64_t>(mm, cols - g * mm));  // the last group may be partial
      std::vector<int> pick(valid);
      std::iota(pick.begin(), pick.end(), 0);
      for (int q = valid - 1; q > 0; --q) std::swap(pick[q], pick[static_cast<int>((r.uniform() + 1) / 2 * q)]);
      std::sort(pick.begin(), pick.begin() + std::min(nn, valid));
      for (int t = 0; t < nn && t < valid; ++t) {
        const size_t at = static_cast<size_t>(i) * slots + g * nn + t;
        positions[at] = static_cast<uint8_t>(pick[t]);
        values[at] = i % 4 == 1 && t == 0 ? 0.0f : r.uniform();  // some zero slots
      }
    }
  if (corrupt && !values.empty()) {
    values[values.size() / 2] = 1.0f;
    positions[values.size() / 2] = static_cast<uint8_t>(mm);
  }
  const int64_t ld = width + pad;
  std::vector<float> b = randoms(static_cast<size_t>(cols) * ld, r), c0 = randoms(static_cast<size_t>(rows) * ld, r), c_cpu = c0;
  const int64_t bad_cpu = sk::sk_f32_spmm_nm__scalar({{rows, cols, nn, mm, values.data(), positions.data()}, b.data(), ld, c_cpu.data(), ld, width, 0.5f, -1.0f}, 0, rows);
  Mem mem{gpu};
  std::vector<float> c = c0;
  const sk::SpmmNmParams p{{rows, cols, nn, mm, mem(values), mem(positions)}, mem(b), ld, mem(c), ld, width, 0.5f, -1.0f};
  const int64_t bad = launch("spmm N:M", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_nm_f32(p, l); });
  mem.finish();
  compare("spmm N:M", c, c_cpu);
  compare_bad("spmm N:M", bad, bad_cpu);
}

// Row sums, bias, SGD and Adam against the CPU.
void run_elementwise(bool gpu, int rows, int cols, Lcg& r) {
  Mem mem{gpu};
  std::vector<float> m = randoms(static_cast<size_t>(rows) * cols, r), sums(rows, 9.0f), bias = randoms(rows, r);
  std::vector<float> sums_cpu(rows), biased_cpu = m;
  for (int i = 0; i < rows; ++i) {
    double s = 0;
    for (int j = 0; j < cols; ++j) s += m[static_cast<size_t>(i) * cols + j], biased_cpu[static_cast<size_t>(i) * cols + j] += bias[i];
    sums_cpu[i] = static_cast<float>(s);
  }
  {
    std::vector<float> mm = m;
    float *dm = mem(mm), *ds = mem(sums);
    launch("row sums", [&](const sk::cuda::Launch& l) { return sk::cuda::row_sums_f32(dm, rows, cols, ds, l); });
    mem.finish();
    compare("row sums", sums, sums_cpu);
  }
  {
    std::vector<float> y = m, bb = bias;
    float *dy = mem(y), *db = mem(bb);
    launch("bias", [&](const sk::cuda::Launch& l) { return sk::cuda::add_row_bias_f32(dy, rows, cols, db, l); });
    mem.finish();
    compare("bias", y, biased_cpu, 0.0f);
  }
  const int n = rows * cols;
  const std::vector<float> w0 = randoms(n, r), g0 = randoms(n, r), buf0 = randoms(n, r);
  for (bool nesterov : {false, true}) {
    std::vector<float> w_cpu = w0, buf_cpu = buf0, w = w0, g = g0, buf = buf0;
    sk::sk_f32_sgd__scalar({w_cpu.data(), g0.data(), buf_cpu.data(), 0.1f, 0.9f, 0.01f, nesterov}, 0, n);
    const sk::SgdParams p{mem(w), mem(g), mem(buf), 0.1f, 0.9f, 0.01f, nesterov};
    launch("sgd", [&](const sk::cuda::Launch& l) { return sk::cuda::sgd_f32(p, n, l); });
    mem.finish();
    compare("sgd", w, w_cpu, 1e-6f);
    compare("sgd momentum", buf, buf_cpu, 1e-6f);
  }
  for (bool decoupled : {false, true}) {
    std::vector<float> w_cpu = w0, m_cpu(n, 0.01f), v_cpu(n, 0.02f), w = w0, g = g0, mm(n, 0.01f), vv(n, 0.02f);
    const sk::AdamParams host{w_cpu.data(), g0.data(), m_cpu.data(), v_cpu.data(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 1 / (1 - 0.9f), 1 / (1 - 0.999f), decoupled};
    sk::sk_f32_adam__scalar(host, 0, n);
    sk::AdamParams p = host;
    p.w = mem(w), p.g = mem(g), p.m = mem(mm), p.v = mem(vv);
    launch("adam", [&](const sk::cuda::Launch& l) { return sk::cuda::adam_f32(p, n, l); });
    mem.finish();
    compare("adam", w, w_cpu, 1e-5f);
    compare("adam m", mm, m_cpu, 1e-6f);
    compare("adam v", vv, v_cpu, 1e-6f);
  }
}

void run_all(bool gpu) {
  Lcg r{42};
  for (int rows : {0, 1, 7, 13, 37, 300})
    for (int cols : {1, 4, 33})
      for (int n : {1, 3, 4, 5, 31, 32, 33, 64, 257})
        for (double density : {0.0, 0.3, 1.0})
          for (int64_t pad : {0, 3}) {
            label = std::to_string(rows) + "x" + std::to_string(cols) + " n=" + std::to_string(n) + " density=" + std::to_string(density) + " pad=" + std::to_string(pad);
            run_products(gpu, random_csr(rows, cols, density, r), n, pad, false, r);
          }
  for (int n : {1, 17, 64}) {
    label = "corrupt 50x20 n=" + std::to_string(n);
    run_products(gpu, random_csr(50, 20, 0.5, r), n, 0, true, r);
  }
  // A row with bounds past nnz: every kernel skips it and counts it once.
  {
    label = "corrupt indptr";
    Csr a = random_csr(9, 6, 0.5, r);
    a.indptr[4] = static_cast<int32_t>(a.indices.size()) + 5;
    run_products(gpu, a, 8, 0, true, r);
  }
  for (const auto& [nn, mm] : {std::pair{2, 4}, {1, 4}, {2, 8}, {4, 8}, {3, 5}})
    for (int rows : {0, 1, 7, 37})
      for (int cols : {1, 4, 13, 64})
        for (int width : {1, 5, 32, 33, 257})
          for (int64_t pad : {0, 3}) {
            label = std::to_string(nn) + ":" + std::to_string(mm) + " " + std::to_string(rows) + "x" + std::to_string(cols) + " n=" + std::to_string(width) + " pad=" + std::to_string(pad);
            run_nm(gpu, rows, cols, nn, mm, width, pad, false, r);
          }
  label = "corrupt 2:4";
  run_nm(gpu, 9, 16, 2, 4, 8, 0, true, r);
  for (int rows : {1, 5, 33})
    for (int cols : {1, 31, 32, 100}) {
      label = "elementwise " + std::to_string(rows) + "x" + std::to_string(cols);
      run_elementwise(gpu, rows, cols, r);
    }
}

}  // namespace

int main() {
  sk::cuda::set_emulated(true);
  run_all(false);
  std::printf("cuda tests, emulated on the CPU: %d comparisons, %d failures\n", checks, failures);
  const int emulated_failures = failures;
  sk::cuda::set_emulated(false);
  const sk::cuda::Info info = sk::cuda::info();
  if (!info.available) {
    std::printf("cuda tests on a GPU: NOT RUN, no usable GPU (%s)\n", info.reason.c_str());
    return emulated_failures == 0 ? 0 : 1;
  }
  checks = failures = 0;
  std::printf("cuda tests on %s (sm_%d%d)\n", info.devices[0].name.c_str(), info.devices[0].major, info.devices[0].minor);
  run_all(true);
  std::printf("cuda tests on the GPU: %d comparisons, %d failures\n", checks, failures);
  return emulated_failures == 0 && failures == 0 ? 0 : 1;
}
