// N-API side of the CUDA backend (compiled only by npm run build:cuda): DeviceBuffer, a block of device memory
// owned by a JS object (freed by dispose() or, as a backstop, by its finalizer), explicit uploads and downloads,
// and the device operations, each synchronous or (last argument true) a Promise whose work runs on a libuv worker
// thread with that thread's own CUDA stream, so the event loop stays free and async calls can run side by side on the GPU.
// Argument order mirrors lib/cuda.ts, which validates first; the checks here are the native layer's own (sizes of
// the buffers against what a kernel indexes, disposed buffers, outputs aliasing inputs). Every CUDA failure is a
// SparseError ERR_CUDA.
#include <atomic>
#include <functional>
#include <utility>

#include "../binding/common.h"
#include "cuda.h"

namespace skb {
namespace {

// Bytes held by live DeviceBuffers in this process (every thread and worker), for deviceMemoryInUse().
std::atomic<int64_t> live_bytes{0};

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DeviceBuffer",
                       {InstanceMethod<&DeviceBuffer::Upload>("upload"), InstanceMethod<&DeviceBuffer::Download>("download"),
                        InstanceMethod<&DeviceBuffer::Dispose>("dispose"), InstanceAccessor<&DeviceBuffer::ByteLength>("byteLength"),
                        InstanceAccessor<&DeviceBuffer::Disposed>("disposed")});
  }

  // new DeviceBuffer(bytes)
  explicit DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
    try {
      const double bytes = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
      if (!(bytes >= 0 && bytes <= 9007199254740991.0) || bytes != static_cast<double>(static_cast<int64_t>(bytes))) {
        fail(info.Env(), sk::Code::kRange, "Expected a byte count for DeviceBuffer");
      }
      throw_if_error(info.Env(), sk::cuda::device_alloc(static_cast<size_t>(bytes), &ptr_));
      bytes_ = static_cast<size_t>(bytes);
      live_bytes += static_cast<int64_t>(bytes_);
    } catch (const Napi::Error&) {
      throw;
    } catch (...) {
      fail_from_exception(info.Env());
    }
  }

  ~DeviceBuffer() override { release(); }  // the finalizer backstop (never while busy: pending calls hold references)

  void* ptr(Napi::Env env, const char* name) const {
    if (!ptr_) fail(env, sk::Code::kArgument, std::string(name) + " was disposed");
    return ptr_;
  }
  size_t bytes() const { return bytes_; }
  // Pending async calls that use this buffer (main thread only): dispose() and upload() wait for none of them, they
  // refuse.
  int busy = 0;

 private:
  // upload(typedArray): the whole array into the start of the buffer.
  Napi::Value Upload(const Napi::CallbackInfo& info) {
    if (busy) fail(info.Env(), sk::Code::kArgument, "The device buffer is in use by a pending async CUDA call; await it before upload()");
    const Napi::TypedArray a = typed(info, 0);
    throw_if_error(info.Env(), sk::cuda::copy_to_device(ptr(info.Env(), "buffer"), static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), a.ByteLength()));
    return info.Env().Undefined();
  }
  // download(typedArray): the start of the buffer into the whole array.
  Napi::Value Download(const Napi::CallbackInfo& info) {
    const Napi::TypedArray a = typed(info, 0);
    throw_if_error(info.Env(), sk::cuda::copy_to_host(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), ptr(info.Env(), "buffer"), a.ByteLength()));
    return info.Env().Undefined();
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    if (busy) fail(info.Env(), sk::Code::kArgument, "The device buffer is in use by a pending async CUDA call; await it before dispose()");
    throw_if_error(info.Env(), release());
    return info.Env().Undefined();
  }
  sk::Status release() {
    if (!ptr_) return sk::Status::ok();
    void* p = ptr_;
    ptr_ = nullptr;
    live_bytes -= static_cast<int64_t>(bytes_);
    return sk::cuda::device_free(p);
  }
  Napi::Value ByteLength(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(bytes_)); }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), ptr_ == nullptr); }

  Napi::TypedArray typed(const Napi::CallbackInfo& info, size_t i) const {
    if (!info[i].IsTypedArray()) fail(info.Env(), sk::Code::kDtype, "Expected a TypedArray");
    Napi::TypedArray a = info[i].As<Napi::TypedArray>();
    if (a.ByteLength() > bytes_) {
      fail(info.Env(), sk::Code::kShape, "The array (" + std::to_string(a.ByteLength()) + " bytes) does not fit the device buffer (" + std::to_string(bytes_) + " bytes)");
    }
    return a;
  }

  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// The device buffers one call uses: each argument is checked to hold what the kernel will index.
class Operands {
 public:
  explicit Operands(const Napi::CallbackInfo& info) : info_(info) {}

  template <typename T>
  T* get(size_t i, const char* name, int64_t elements) {
    Napi::Env env = info_.Env();
    if (!info_[i].IsObject()) fail(env, sk::Code::kArgument, std::string("Expected a DeviceBuffer for ") + name);
    Napi::Object o = info_[i].As<Napi::Object>();
    DeviceBuffer* b = Napi::ObjectWrap<DeviceBuffer>::Unwrap(o);
    if (!b) fail(env, sk::Code::kArgument, std::string("Expected a DeviceBuffer for ") + name);
    const int64_t need = elements * static_cast<int64_t>(sizeof(T));
    if (static_cast<int64_t>(b->bytes()) < need) {
      fail(env, sk::Code::kShape, std::string(name) + " holds " + std::to_string(b->bytes()) + " bytes, " + std::to_string(need) + " needed");
    }
    T* p = static_cast<T*>(b->ptr(env, name));
    used_.emplace_back(o, b);
    return p;
  }
  // An optional buffer: null/undefined gives nullptr.
  template <typename T>
  T* optional(size_t i, const char* name, int64_t elements) {
    return info_[i].IsNull() || info_[i].IsUndefined() ? nullptr : get<T>(i, name, elements);
  }
  // The output must not be one of the inputs (buffers are whole allocations, so sharing memory is being the same).
  void expect_distinct(const void* out, const char* out_name, std::initializer_list<const void*> inputs) const {
    for (const void* in : inputs) {
      if (in && in == out) fail(info_.Env(), sk::Code::kArgument, std::string(out_name) + " must not share memory with an input");
    }
  }
  const std::vector<std::pair<Napi::Object, DeviceBuffer*>>& used() const { return used_; }

 private:
  const Napi::CallbackInfo& info_;
  std::vector<std::pair<Napi::Object, DeviceBuffer*>> used_;
};

// An async device call: the buffers it uses are kept alive (references) and marked busy until it settles.
class CudaWorker : public Napi::AsyncWorker {
 public:
  CudaWorker(Napi::Env env, const Operands& ops, std::function<sk::Status()> work)
      : Napi::AsyncWorker(env, "sparsekit:cuda"), work_(std::move(work)), deferred_(Napi::Promise::Deferred::New(env)) {
    for (const auto& [object, buffer] : ops.used()) {
      refs_.push_back(Napi::Persistent(object));
      buffers_.push_back(buffer);
      ++buffer->busy;
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { status_ = status_of(work_); }  // no N-API here
  void OnOK() override {
    release();
    if (status_.is_ok()) deferred_.Resolve(Env().Undefined());
    else deferred_.Reject(make_error(Env(), status_.code, status_.message).Value());
  }
  void OnError(const Napi::Error& e) override {
    release();
    deferred_.Reject(e.Value());
  }

 private:
  void release() {
    for (DeviceBuffer* b : buffers_) --b->busy;
    buffers_.clear();
  }
  std::function<sk::Status()> work_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> refs_;
  std::vector<DeviceBuffer*> buffers_;
  sk::Status status_;
};

// Runs `work` now (sync) or on a worker thread (async: returns the Promise).
Napi::Value dispatch(const Napi::CallbackInfo& info, size_t async_arg, const Operands& ops, std::function<sk::Status()> work) {
  if (!info[async_arg].ToBoolean().Value()) {
    throw_if_error(info.Env(), status_of(work));
    return info.Env().Undefined();
  }
  auto* worker = new CudaWorker(info.Env(), ops, std::move(work));  // deleted by node-addon-api once it settles
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// A CSR structure of rows x cols with nnz entries at arguments first.. first + 4 (rows, cols, nnz, indptr,
// indices); values are separate because the transposed product reads A's values through a permutation.
sk::CsrF32 csr_at(const Napi::CallbackInfo& info, Operands& ops, size_t first, const char* name) {
  const std::string n(name);
  const int32_t rows = dim_arg(info, first, (n + ".rows").c_str()), cols = dim_arg(info, first + 1, (n + ".cols").c_str());
  const int32_t nnz = dim_arg(info, first + 2, (n + ".nnz").c_str());
  const int32_t* indptr = ops.get<int32_t>(first + 3, (n + ".indptr").c_str(), static_cast<int64_t>(rows) + 1);
  const int32_t* indices = ops.get<int32_t>(first + 4, (n + ".indices").c_str(), nnz);
  return sk::CsrF32{rows, cols, nnz, indptr, indices, nullptr};
}

// cudaSpmm(kernel, rows, cols, nnz, indptr, indices, values, valuesLength, order, perm, b, n, c, alpha, beta, async):
// C = alpha * S B + beta * C for the structure S (A itself, or Aᵀ's with perm into A's values). kernel 0: sparsekit,
// 1: cuSPARSE (no perm).
Napi::Value CudaSpmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operands ops(info);
  const int32_t kernel = dim_arg(info, 0, "kernel");
  sk::CsrF32 a = csr_at(info, ops, 1, "A");
  const int32_t values_len = dim_arg(info, 7, "A.values.length");
  a.values = ops.get<float>(6, "A.values", values_len);
  const int32_t* order = ops.optional<int32_t>(8, "A.order", a.rows);
  const int32_t* perm = ops.optional<int32_t>(9, "A.perm", a.nnz);
  if (!perm && values_len < a.nnz) fail(env, sk::Code::kShape, "A.values holds fewer entries than A.nnz");
  const int32_t n = dim_arg(info, 11, "B.cols");
  const float* b = ops.get<float>(10, "B", static_cast<int64_t>(a.cols) * n);
  float* c = ops.get<float>(12, "out", static_cast<int64_t>(a.rows) * n);
  ops.expect_distinct(c, "out", {b, a.values, a.indices, a.indptr, order, perm});
  const float alpha = float_arg(info, 13, "alpha"), beta = float_arg(info, 14, "beta");
  const sk::SpmmParams p{a, b, n, c, n, n, alpha, beta};
  if (kernel == 1) {
    if (perm) fail(env, sk::Code::kUnsupported, "The cuSPARSE kernel does not do the transposed product");
    return dispatch(info, 15, ops, [p] {
      // cuSPARSE trusts the structure: it is checked first, so a corrupt index is ERR_FORMAT and never a wild read.
      sk::Status s = sk::cuda::run("spmm (cuSPARSE)", [&](const sk::cuda::Launch& l) { return sk::cuda::check_csr(p.a, l); });
      return s.is_ok() ? sk::cuda::run("spmm (cuSPARSE)", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_cusparse_f32(p, l); }) : s;
    });
  }
  const sk::cuda::SpmmDevice d{p, order, perm, values_len};
  return dispatch(info, 15, ops, [d] { return sk::cuda::run(d.perm ? "spmmT (CUDA)" : "spmm (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_csr_f32(d, l); }); });
}

// cudaSpmmNm(rows, cols, n, m, values, positions, b, width, c, alpha, beta, async): C = alpha * A B + beta * C, A N:M.
Napi::Value CudaSpmmNm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Operands ops(info);
  const int32_t rows = dim_arg(info, 0, "A.rows"), cols = dim_arg(info, 1, "A.cols"), n = dim_arg(info, 2, "A.n"), m = dim_arg(info, 3, "A.m");
  if (n < 1 || m < n || m > 255) fail(env, sk::Code::kArgument, "Expected 1 <= n <= m <= 255 for an N:M matrix but received " + std::to_string(n) + ":" + std::to_string(m));
  const int64_t slots = static_cast<int64_t>(rows) * ((static_cast<int64_t>(cols) + m - 1) / m) * n;
  const float* values = ops.get<float>(4, "A.values", slots);
  const uint8_t* positions = ops.get<uint8_t>(5, "A.positions", slots);
  const int32_t width = dim_arg(info, 7, "B.cols");
  const float* b = ops.get<float>(6, "B", static_cast<int64_t>(cols) * width);
  float* c = ops.get<float>(8, "out", static_cast<int64_t>(rows) * width);
  ops.expect_distinct(c, "out", {b, values, positions});
  const sk::SpmmNmParams d{{rows, cols, n, m, values, positions}, b, width, c, width, width, float_arg(info, 9, "alpha"), float_arg(info, 10, "beta")};
  return dispatch(info, 11, ops, [d] { return sk::cuda::run("spmm N:M (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::spmm_nm_f32(d, l); }, nullptr, "N:M"); });
}

// cudaSpmv(rows, cols, nnz, indptr, indices, values, x, y, alpha, beta, async)
Napi::Value CudaSpmv(const Napi::CallbackInfo& info) {
  Operands ops(info);
  sk::CsrF32 a = csr_at(info, ops, 0, "A");
  a.values = ops.get<float>(5, "A.values", a.nnz);
  const float* x = ops.get<float>(6, "x", a.cols);
  float* y = ops.get<float>(7, "out", a.rows);
  ops.expect_distinct(y, "out", {x, a.values, a.indices, a.indptr});
  const sk::SpmvParams p{a, x, y, float_arg(info, 8, "alpha"), float_arg(info, 9, "beta")};
  return dispatch(info, 10, ops, [p] { return sk::cuda::run("spmv (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::spmv_csr_f32(p, l); }); });
}

// cudaSddmm(rows, cols, nnz, indptr, indices, x, y, k, out, alpha, beta, async)
Napi::Value CudaSddmm(const Napi::CallbackInfo& info) {
  Operands ops(info);
  const sk::CsrF32 a = csr_at(info, ops, 0, "pattern");
  const int32_t k = dim_arg(info, 7, "X.cols");
  const float* x = ops.get<float>(5, "X", static_cast<int64_t>(a.rows) * k);
  const float* y = ops.get<float>(6, "Y", static_cast<int64_t>(a.cols) * k);
  float* out = ops.get<float>(8, "out", a.nnz);
  ops.expect_distinct(out, "out", {x, y, a.indices, a.indptr});
  const sk::SddmmParams p{a, x, k, y, k, k, out, float_arg(info, 9, "alpha"), float_arg(info, 10, "beta")};
  return dispatch(info, 11, ops, [p] { return sk::cuda::run("sddmm (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::sddmm_csr_f32(p, l); }); });
}

// cudaAddRowBias(y, rows, cols, bias): y[i, :] += bias[i]; synchronous.
Napi::Value CudaAddRowBias(const Napi::CallbackInfo& info) {
  Operands ops(info);
  const int32_t rows = dim_arg(info, 1, "rows"), cols = dim_arg(info, 2, "cols");
  float* y = ops.get<float>(0, "y", static_cast<int64_t>(rows) * cols);
  const float* bias = ops.get<float>(3, "bias", rows);
  ops.expect_distinct(y, "y", {bias});
  throw_if_error(info.Env(), sk::cuda::run("bias (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::add_row_bias_f32(y, rows, cols, bias, l); }));
  return info.Env().Undefined();
}

// cudaRowSums(m, rows, cols, out): out[i] = sum of row i; synchronous.
Napi::Value CudaRowSums(const Napi::CallbackInfo& info) {
  Operands ops(info);
  const int32_t rows = dim_arg(info, 1, "rows"), cols = dim_arg(info, 2, "cols");
  const float* m = ops.get<float>(0, "m", static_cast<int64_t>(rows) * cols);
  float* out = ops.get<float>(3, "out", rows);
  ops.expect_distinct(out, "out", {m});
  throw_if_error(info.Env(), sk::cuda::run("row sums (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::row_sums_f32(m, rows, cols, out, l); }));
  return info.Env().Undefined();
}

// cudaSgd(w, g, buf|null, n, lr, momentum, weightDecay, nesterov): one SGD step over n values; synchronous.
Napi::Value CudaSgd(const Napi::CallbackInfo& info) {
  Operands ops(info);
  const int32_t n = dim_arg(info, 3, "n");
  sk::SgdParams p{ops.get<float>(0, "value", n), ops.get<float>(1, "grad", n), ops.optional<float>(2, "momentum buffer", n),
                  float_arg(info, 4, "lr"), float_arg(info, 5, "momentum"), float_arg(info, 6, "weightDecay"), info[7].ToBoolean().Value()};
  ops.expect_distinct(p.w, "value", {p.g, p.buf});
  ops.expect_distinct(p.buf, "momentum buffer", {p.g});
  throw_if_error(info.Env(), sk::cuda::run("sgd (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::sgd_f32(p, n, l); }));
  return info.Env().Undefined();
}

// cudaAdam(w, g, m, v, n, lr, beta1, beta2, eps, weightDecay, c1, c2, decoupled): one Adam step; synchronous.
Napi::Value CudaAdam(const Napi::CallbackInfo& info) {
  Operands ops(info);
  const int32_t n = dim_arg(info, 4, "n");
  sk::AdamParams p{ops.get<float>(0, "value", n), ops.get<float>(1, "grad", n), ops.get<float>(2, "m", n), ops.get<float>(3, "v", n),
                   float_arg(info, 5, "lr"), float_arg(info, 6, "beta1"), float_arg(info, 7, "beta2"), float_arg(info, 8, "eps"),
                   float_arg(info, 9, "weightDecay"), float_arg(info, 10, "c1"), float_arg(info, 11, "c2"), info[12].ToBoolean().Value()};
  ops.expect_distinct(p.w, "value", {p.g, p.m, p.v});
  ops.expect_distinct(p.m, "m", {p.g, p.v});
  ops.expect_distinct(p.v, "v", {p.g});
  throw_if_error(info.Env(), sk::cuda::run("adam (CUDA)", [&](const sk::cuda::Launch& l) { return sk::cuda::adam_f32(p, n, l); }));
  return info.Env().Undefined();
}

// cudaMemoryInUse(): bytes held by live DeviceBuffers.
Napi::Value CudaMemoryInUse(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(live_bytes.load())); }

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("DeviceBuffer", DeviceBuffer::Define(env));
  exports.Set("cudaMemoryInUse", Napi::Function::New(env, guarded<CudaMemoryInUse>, "cudaMemoryInUse"));
  exports.Set("cudaSpmm", Napi::Function::New(env, guarded<CudaSpmm>, "cudaSpmm"));
  exports.Set("cudaSpmmNm", Napi::Function::New(env, guarded<CudaSpmmNm>, "cudaSpmmNm"));
  exports.Set("cudaSpmv", Napi::Function::New(env, guarded<CudaSpmv>, "cudaSpmv"));
  exports.Set("cudaSddmm", Napi::Function::New(env, guarded<CudaSddmm>, "cudaSddmm"));
  exports.Set("cudaAddRowBias", Napi::Function::New(env, guarded<CudaAddRowBias>, "cudaAddRowBias"));
  exports.Set("cudaRowSums", Napi::Function::New(env, guarded<CudaRowSums>, "cudaRowSums"));
  exports.Set("cudaSgd", Napi::Function::New(env, guarded<CudaSgd>, "cudaSgd"));
  exports.Set("cudaAdam", Napi::Function::New(env, guarded<CudaAdam>, "cudaAdam"));
}

}  // namespace skb
