// N-API side of the CUDA backend (compiled only by npm run build:cuda): DeviceBuffer, a block of device memory
// owned by a JS object (freed by dispose() or, as a backstop, by its finalizer), explicit uploads and downloads,
// and the device SpMM. Argument order mirrors lib/cuda.ts. Every CUDA failure is a SparseError ERR_CUDA.
#include "../binding/common.h"
#include "cuda.h"

namespace skb {
namespace {

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
      bytes_ = static_cast<size_t>(bytes);
      throw_if_error(info.Env(), sk::cuda::device_alloc(bytes_, &ptr_));
    } catch (const Napi::Error&) {
      throw;
    } catch (...) {
      fail_from_exception(info.Env());
    }
  }

  ~DeviceBuffer() override { (void)sk::cuda::device_free(ptr_); }  // the finalizer backstop

  void* ptr(Napi::Env env, const char* name) const {
    if (!ptr_) fail(env, sk::Code::kArgument, std::string(name) + " was disposed");
    return ptr_;
  }
  size_t bytes() const { return bytes_; }

 private:
  // upload(typedArray): the whole array into the start of the buffer.
  Napi::Value Upload(const Napi::CallbackInfo& info) {
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
    void* p = ptr_;
    ptr_ = nullptr;
    throw_if_error(info.Env(), sk::cuda::device_free(p));
    return info.Env().Undefined();
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

DeviceBuffer* buffer_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min_bytes) {
  if (!info[i].IsObject()) fail(info.Env(), sk::Code::kArgument, std::string("Expected a DeviceBuffer for ") + name);
  DeviceBuffer* b = Napi::ObjectWrap<DeviceBuffer>::Unwrap(info[i].As<Napi::Object>());
  if (!b) fail(info.Env(), sk::Code::kArgument, std::string("Expected a DeviceBuffer for ") + name);
  if (static_cast<int64_t>(b->bytes()) < min_bytes) {
    fail(info.Env(), sk::Code::kShape, std::string(name) + " holds " + std::to_string(b->bytes()) + " bytes, " + std::to_string(min_bytes) + " needed");
  }
  return b;
}

// cudaSpmm(rows, cols, nnz, indptr, indices, values, b, n, c, alpha, beta): all DeviceBuffers; synchronous.
Napi::Value CudaSpmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t rows = dim_arg(info, 0, "A.rows"), cols = dim_arg(info, 1, "A.cols"), nnz = dim_arg(info, 2, "A.nnz"), n = dim_arg(info, 7, "B.cols");
  void* indptr = buffer_arg(info, 3, "A.indptr", (static_cast<int64_t>(rows) + 1) * 4)->ptr(env, "A.indptr");
  void* indices = buffer_arg(info, 4, "A.indices", static_cast<int64_t>(nnz) * 4)->ptr(env, "A.indices");
  void* values = buffer_arg(info, 5, "A.values", static_cast<int64_t>(nnz) * 4)->ptr(env, "A.values");
  void* b = buffer_arg(info, 6, "B", static_cast<int64_t>(cols) * n * 4)->ptr(env, "B");
  void* c = buffer_arg(info, 8, "out", static_cast<int64_t>(rows) * n * 4)->ptr(env, "out");
  for (const void* in : {b, values, indices, indptr}) {
    if (c == in) fail(env, sk::Code::kArgument, "out must not share memory with an input");
  }
  const sk::CsrF32 a{rows, cols, nnz, static_cast<const int32_t*>(indptr), static_cast<const int32_t*>(indices), static_cast<const float*>(values)};
  throw_if_error(env, sk::cuda::spmm_csr_f32_sync({a, static_cast<const float*>(b), n, static_cast<float*>(c), n, n, float_arg(info, 9, "alpha"),
                                                   float_arg(info, 10, "beta")}));
  return env.Undefined();
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("DeviceBuffer", DeviceBuffer::Define(env));
  exports.Set("cudaSpmm", Napi::Function::New(env, guarded<CudaSpmm>, "cudaSpmm"));
}

}  // namespace skb
