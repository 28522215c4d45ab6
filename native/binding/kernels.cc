// spmv / spmm, sync and async. Argument order mirrors lib/binding.ts (RawAddon).
#include <memory>
#include <vector>

#include "../core/ops.h"
#include "common.h"

namespace skb {
namespace {

template <typename Out>
void expect_disjoint_from_csr(Napi::Env env, const View<Out>& out, const char* name, const CsrArgs& a) {
  expect_disjoint(env, out, name, a.indptr, "A.indptr");
  expect_disjoint(env, out, name, a.indices, "A.indices");
  expect_disjoint(env, out, name, a.values, "A.values");
}

// spmv(rows, cols, indptr, indices, values, x, y, alpha, beta)
sk::SpmvParams spmv_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  View<float> x = float32_arg(info, 5, "x");
  View<float> y = float32_arg(info, 6, "out");
  expect_length(env, x.length, a.a.cols, "x");
  expect_length(env, y.length, a.a.rows, "out");
  expect_disjoint_from_csr(env, y, "out", a);
  expect_disjoint(env, y, "out", x, "x");
  return sk::SpmvParams{a.a, x.data, y.data, float_arg(info, 7, "alpha"), float_arg(info, 8, "beta")};
}

// spmm(rows, cols, indptr, indices, values, b, n, c, alpha, beta)
sk::SpmmParams spmm_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  View<float> b = float32_arg(info, 5, "B.data");
  const int32_t n = dim_arg(info, 6, "B.cols");
  View<float> c = float32_arg(info, 7, "out.data");
  expect_length(env, b.length, static_cast<int64_t>(a.a.cols) * n, "B.data");
  expect_length(env, c.length, static_cast<int64_t>(a.a.rows) * n, "out.data");
  expect_disjoint_from_csr(env, c, "out.data", a);
  expect_disjoint(env, c, "out.data", b, "B.data");
  return sk::SpmmParams{a.a, b.data, n, c.data, n, n, float_arg(info, 8, "alpha"), float_arg(info, 9, "beta")};
}

Napi::Value Spmv(const Napi::CallbackInfo& info) {
  throw_if_error(info.Env(), sk::spmv_csr_f32(spmv_params(info)));
  return info.Env().Undefined();
}

Napi::Value Spmm(const Napi::CallbackInfo& info) {
  throw_if_error(info.Env(), sk::spmm_csr_f32(spmm_params(info)));
  return info.Env().Undefined();
}

// Runs an operator on a libuv worker thread. The params were built on the main thread; the worker holds a
// reference to every argument that is an object, so the buffers they point into stay alive until it settles.
template <typename Params, sk::Status (*Op)(const Params&)>
class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(const Napi::CallbackInfo& info, const Params& params, const char* name)
      : Napi::AsyncWorker(info.Env(), name), params_(params), deferred_(Napi::Promise::Deferred::New(info.Env())) {
    for (size_t i = 0; i < info.Length(); ++i) {
      if (info[i].IsObject()) refs_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { status_ = Op(params_); }  // no N-API here
  void OnOK() override {
    if (status_.is_ok()) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Reject(make_error(Env(), status_.code, status_.message).Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Params params_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> refs_;
  sk::Status status_;
};

template <typename Params, sk::Status (*Op)(const Params&)>
Napi::Value queue(const Napi::CallbackInfo& info, const Params& params, const char* name) {
  auto* worker = new OpWorker<Params, Op>(info, params, name);  // deleted by node-addon-api once it settles
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value SpmvAsync(const Napi::CallbackInfo& info) {
  return queue<sk::SpmvParams, sk::spmv_csr_f32>(info, spmv_params(info), "sparsekit.spmv");
}

Napi::Value SpmmAsync(const Napi::CallbackInfo& info) {
  return queue<sk::SpmmParams, sk::spmm_csr_f32>(info, spmm_params(info), "sparsekit.spmm");
}

}  // namespace

void register_kernels(Napi::Env env, Napi::Object exports) {
  exports.Set("spmv", Napi::Function::New(env, Spmv, "spmv"));
  exports.Set("spmm", Napi::Function::New(env, Spmm, "spmm"));
  exports.Set("spmvAsync", Napi::Function::New(env, SpmvAsync, "spmvAsync"));
  exports.Set("spmmAsync", Napi::Function::New(env, SpmmAsync, "spmmAsync"));
}

}  // namespace skb
