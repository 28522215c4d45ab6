// cuSPARSE and cuBLAS, loaded at run time with dlopen rather than linked: the CUDA build needs neither library to
// compile (this machine's toolkit has neither) and never fails to load for want of one. cuSPARSE is the fallback
// SpMM (spmmDevice(..., {kernel: 'cusparse'})) and, with cuBLAS, the baseline of the benchmark
// (scripts/cuda-bench.sh). Only the few entry points used are declared here, with the enum values of cusparse.h and
// cublas_api.h (stable across CUDA 11 to 13).
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <mutex>

#include "cuda.h"

namespace sk {
namespace cuda {
namespace {

using Handle = void*;
constexpr int kOpNonTranspose = 0;  // CUSPARSE_OPERATION_NON_TRANSPOSE, CUBLAS_OP_N
constexpr int kIndex32 = 2;         // CUSPARSE_INDEX_32I
constexpr int kIndexBaseZero = 0;   // CUSPARSE_INDEX_BASE_ZERO
constexpr int kR32F = 0;            // CUDA_R_32F
constexpr int kOrderRow = 2;        // CUSPARSE_ORDER_ROW
constexpr int kSpmmAlgDefault = 0;  // CUSPARSE_SPMM_ALG_DEFAULT

struct Cusparse {
  std::string name;
  int (*create)(Handle*);
  int (*set_stream)(Handle, cudaStream_t);
  int (*create_csr)(Handle*, int64_t, int64_t, int64_t, void*, void*, void*, int, int, int, int);
  int (*create_dn_mat)(Handle*, int64_t, int64_t, int64_t, void*, int, int);
  int (*destroy_sp_mat)(Handle);
  int (*destroy_dn_mat)(Handle);
  int (*spmm_buffer_size)(Handle, int, int, const void*, Handle, Handle, const void*, Handle, int, int, size_t*);
  int (*spmm)(Handle, int, int, const void*, Handle, Handle, const void*, Handle, int, int, void*);
  const char* (*error_string)(int);  // may be absent
};

struct Cublas {
  std::string name;
  int (*create)(Handle*);
  int (*set_stream)(Handle, cudaStream_t);
  int (*sgemm)(Handle, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
  const char* (*error_string)(int);  // may be absent
};

void* open_first(std::initializer_list<const char*> names, std::string* opened) {
  for (const char* n : names) {
    if (void* h = dlopen(n, RTLD_NOW | RTLD_LOCAL)) {
      *opened = n;
      return h;
    }
  }
  return nullptr;
}

template <class F>
bool sym(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(dlsym(lib, name));
  return *out != nullptr;
}

const Cusparse* cusparse() {
  static Cusparse c;
  static bool ok = false;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = open_first({"libcusparse.so", "libcusparse.so.13", "libcusparse.so.12", "libcusparse.so.11"}, &c.name);
    ok = lib && sym(lib, "cusparseCreate", &c.create) && sym(lib, "cusparseSetStream", &c.set_stream) &&
         sym(lib, "cusparseCreateCsr", &c.create_csr) && sym(lib, "cusparseCreateDnMat", &c.create_dn_mat) &&
         sym(lib, "cusparseDestroySpMat", &c.destroy_sp_mat) && sym(lib, "cusparseDestroyDnMat", &c.destroy_dn_mat) &&
         sym(lib, "cusparseSpMM_bufferSize", &c.spmm_buffer_size) && sym(lib, "cusparseSpMM", &c.spmm);
    if (ok) sym(lib, "cusparseGetErrorString", &c.error_string);
  });
  return ok ? &c : nullptr;
}

const Cublas* cublas() {
  static Cublas c;
  static bool ok = false;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = open_first({"libcublas.so", "libcublas.so.13", "libcublas.so.12", "libcublas.so.11"}, &c.name);
    ok = lib && sym(lib, "cublasCreate_v2", &c.create) && sym(lib, "cublasSetStream_v2", &c.set_stream) && sym(lib, "cublasSgemm_v2", &c.sgemm);
    if (ok) sym(lib, "cublasGetStatusString", &c.error_string);
  });
  return ok ? &c : nullptr;
}

template <class Lib>
Status lib_status(const Lib& lib, const char* what, int code) {
  if (code == 0) return Status::ok();
  const std::string text = lib.error_string ? lib.error_string(code) : "status " + std::to_string(code);
  return Status::error(Code::kCuda, std::string(what) + ": " + text);
}

// The calling thread's handle of a library, made on first use (making one costs milliseconds) and kept for the
// thread's life, like the streams; one per library type.
template <class Lib>
Status thread_handle(const Lib& lib, const char* what, Handle* out) {
  thread_local Handle h = nullptr;
  if (!h) {
    Status s = lib_status(lib, what, lib.create(&h));
    if (!s.is_ok()) return s;
  }
  *out = h;
  return Status::ok();
}

}  // namespace

std::string cusparse_library() {
  const Cusparse* c = cusparse();
  return c ? c->name : "";
}

std::string cublas_library() {
  const Cublas* c = cublas();
  return c ? c->name : "";
}

Status spmm_cusparse_f32(const SpmmParams& p, const Launch& l) {
  if (emulated()) return Status::error(Code::kUnsupported, "spmm (cuSPARSE): not available under the CPU emulation");
  const Cusparse* c = cusparse();
  if (!c) return Status::error(Code::kUnsupported, "spmm (cuSPARSE): no cuSPARSE library could be loaded (libcusparse.so.12 or .13 on the library path)");
  Handle h, a = nullptr, b = nullptr, out = nullptr;
  Status s = thread_handle(*c, "cusparseCreate", &h);
  if (!s.is_ok()) return s;
  const cudaStream_t stream = static_cast<cudaStream_t>(l.stream);
  s = lib_status(*c, "cusparseSetStream", c->set_stream(h, stream));
  if (s.is_ok()) {
    s = lib_status(*c, "cusparseCreateCsr", c->create_csr(&a, p.a.rows, p.a.cols, p.a.nnz, const_cast<int32_t*>(p.a.indptr), const_cast<int32_t*>(p.a.indices),
                                                          const_cast<float*>(p.a.values), kIndex32, kIndex32, kIndexBaseZero, kR32F));
  }
  if (s.is_ok()) s = lib_status(*c, "cusparseCreateDnMat (B)", c->create_dn_mat(&b, p.a.cols, p.n, p.ldb, const_cast<float*>(p.b), kR32F, kOrderRow));
  if (s.is_ok()) s = lib_status(*c, "cusparseCreateDnMat (C)", c->create_dn_mat(&out, p.a.rows, p.n, p.ldc, p.c, kR32F, kOrderRow));
  size_t bytes = 0;
  void* work = nullptr;
  if (s.is_ok()) s = lib_status(*c, "cusparseSpMM_bufferSize", c->spmm_buffer_size(h, kOpNonTranspose, kOpNonTranspose, &p.alpha, a, b, &p.beta, out, kR32F, kSpmmAlgDefault, &bytes));
  if (s.is_ok() && bytes) {
    const cudaError_t e = cudaMallocAsync(&work, bytes, stream);
    if (e != cudaSuccess) s = error_status("cudaMallocAsync (cuSPARSE work space)", e);
  }
  if (s.is_ok()) s = lib_status(*c, "cusparseSpMM", c->spmm(h, kOpNonTranspose, kOpNonTranspose, &p.alpha, a, b, &p.beta, out, kR32F, kSpmmAlgDefault, work));
  if (work) cudaFreeAsync(work, stream);
  if (a) c->destroy_sp_mat(a);
  if (b) c->destroy_dn_mat(b);
  if (out) c->destroy_dn_mat(out);
  return s;
}

Status sgemm_cublas_f32(int32_t m, int32_t n, int32_t k, float alpha, const float* a, const float* b, float beta, float* c, const Launch& l) {
  if (emulated()) return Status::error(Code::kUnsupported, "sgemm (cuBLAS): not available under the CPU emulation");
  const Cublas* lib = cublas();
  if (!lib) return Status::error(Code::kUnsupported, "sgemm (cuBLAS): no cuBLAS library could be loaded (libcublas.so.12 or .13 on the library path)");
  Handle h;
  Status s = thread_handle(*lib, "cublasCreate", &h);
  if (s.is_ok()) s = lib_status(*lib, "cublasSetStream", lib->set_stream(h, static_cast<cudaStream_t>(l.stream)));
  // cuBLAS is column-major: row-major C = A B is column-major Cᵀ = Bᵀ Aᵀ, with the operands' own leading dimensions.
  if (s.is_ok()) s = lib_status(*lib, "cublasSgemm", lib->sgemm(h, kOpNonTranspose, kOpNonTranspose, n, m, k, &alpha, b, n, a, k, &beta, c, n));
  return s;
}

}  // namespace cuda
}  // namespace sk
