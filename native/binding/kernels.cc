// The kernels, sync and async: spmv, spmm (CSR, BSR, N:M), sddmm, spmmT. Argument order mirrors lib/binding.ts
// (RawAddon). Each *_params function converts and re-checks one call's arguments; Sync/Async run it.
#include <memory>
#include <utility>
#include <vector>

#include "../core/ops.h"
#include "../core/thread_pool.h"
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

// A trailing transB argument of the spmm entries: B.data holds Bᵀ (n rows of A.cols floats). Absent: false.
bool trans_b_arg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return false;
  if (!info[i].IsBoolean()) fail(info.Env(), sk::Code::kArgument, "Expected a boolean for transB");
  return info[i].As<Napi::Boolean>().Value();
}

// spmm(rows, cols, indptr, indices, values, b, n, c, alpha, beta, transB)
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
  sk::SpmmParams p{a.a, b.data, n, c.data, n, n, float_arg(info, 8, "alpha"), float_arg(info, 9, "beta")};
  if (trans_b_arg(info, 10)) {
    p.b_trans = true;
    p.ldb = a.a.cols;
  }
  return p;
}

// Runs an operator on a libuv worker thread. The params were built on the main thread; the worker holds a
// reference to every argument that is an object, so the buffers they point into stay alive until it settles.
template <typename Params, sk::Status (*Op)(const Params&)>
class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(const Napi::CallbackInfo& info, const Params& params, const char* name)
      : Napi::AsyncWorker(info.Env(), name),
        params_(params),
        deferred_(Napi::Promise::Deferred::New(info.Env())),
        threads_(info.Env().GetInstanceData<AddonData>()->call_threads) {
    for (size_t i = 0; i < info.Length(); ++i) {
      if (info[i].IsObject()) refs_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    }
  }
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {  // no N-API here
    const sk::ThreadCap cap(threads_);
    status_ = status_of([this] { return Op(params_); });
  }
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
  int threads_;
};

template <typename Params, sk::Status (*Op)(const Params&)>
Napi::Value queue(const Napi::CallbackInfo& info, const Params& params, const char* name) {
  auto* worker = new OpWorker<Params, Op>(info, params, name);  // deleted by node-addon-api once it settles
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

// sddmm(rows, cols, indptr, indices, values, x, k, y, out, alpha, beta): out has nnz entries.
sk::SddmmParams sddmm_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0, "pattern");
  const int32_t k = dim_arg(info, 6, "X.cols");
  View<float> x = dense_arg(info, 5, "X.data", a.a.rows, k);
  View<float> y = dense_arg(info, 7, "Y.data", a.a.cols, k);
  View<float> out = float32_arg(info, 8, "out");
  expect_length(env, out.length, a.a.nnz, "out");
  expect_disjoint(env, out, "out", x, "X.data");
  expect_disjoint(env, out, "out", y, "Y.data");
  expect_disjoint(env, out, "out", a.indptr, "pattern.indptr");
  expect_disjoint(env, out, "out", a.indices, "pattern.indices");
  return sk::SddmmParams{a.a, x.data, k, y.data, k, k, out.data, float_arg(info, 9, "alpha"), float_arg(info, 10, "beta")};
}

// spmmT(rows, cols, indptr, indices, values, b, n, c, alpha, beta): C (cols x n) = alpha Aᵀ B + beta C.
sk::SpmmtParams spmmt_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  const int32_t n = dim_arg(info, 6, "B.cols");
  View<float> b = dense_arg(info, 5, "B.data", a.a.rows, n);
  View<float> c = dense_arg(info, 7, "out.data", a.a.cols, n);
  expect_disjoint_from_csr(env, c, "out.data", a);
  expect_disjoint(env, c, "out.data", b, "B.data");
  return sk::SpmmtParams{a.a, b.data, n, c.data, n, n, float_arg(info, 8, "alpha"), float_arg(info, 9, "beta")};
}

// spmmTPlan(rows, cols, indptr, indices, values, tIndptr, tIndices, perm, b, n, c, alpha, beta
//           [, cacheValues, cacheSnapshot, cacheState]): the plan's value cache (ops.h), all three or none.
sk::SpmmtPlanParams spmmt_plan_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  View<int32_t> tp = int32_arg(info, 5, "plan.indptr"), ti = int32_arg(info, 6, "plan.indices"), perm = int32_arg(info, 7, "plan.perm");
  expect_length(env, tp.length, static_cast<int64_t>(a.a.cols) + 1, "plan.indptr");
  expect_length(env, ti.length, a.a.nnz, "plan.indices");
  expect_length(env, perm.length, a.a.nnz, "plan.perm");
  const int32_t n = dim_arg(info, 9, "B.cols");
  View<float> b = dense_arg(info, 8, "B.data", a.a.rows, n);
  View<float> c = dense_arg(info, 10, "out.data", a.a.cols, n);
  expect_disjoint_from_csr(env, c, "out.data", a);
  expect_disjoint(env, c, "out.data", b, "B.data");
  // Aᵀ's structure; its values are gathered per task into native scratch (ops.h), so the pointer stays null.
  const sk::CsrF32 at{a.a.cols, a.a.rows, a.a.nnz, tp.data, ti.data, nullptr};
  const sk::SpmmParams spmm{at, b.data, n, c.data, n, n, float_arg(info, 11, "alpha"), float_arg(info, 12, "beta")};
  sk::SpmmtPlanParams p{spmm, perm.data, a.values.data, a.a.nnz};
  if (info.Length() > 13 && !info[13].IsUndefined()) {
    View<float> values = float32_arg(info, 13, "plan cache values"), snapshot = float32_arg(info, 14, "plan cache snapshot");
    View<int32_t> state = int32_arg(info, 15, "plan cache state");
    expect_length(env, values.length, a.a.nnz, "plan cache values");
    expect_length(env, snapshot.length, a.a.nnz, "plan cache snapshot");
    expect_length(env, state.length, 2, "plan cache state");
    for (const auto& [w, name] : {std::pair{values, "plan cache values"}, std::pair{snapshot, "plan cache snapshot"}}) {
      expect_disjoint(env, w, name, a.values, "A.values");
      expect_disjoint(env, w, name, b, "B.data");
      expect_disjoint(env, w, name, c, "out.data");
    }
    expect_disjoint(env, values, "plan cache values", snapshot, "plan cache snapshot");
    p.cache_values = values.data;
    p.cache_snapshot = snapshot.data;
    p.cache_state = state.data;
  }
  return p;
}

struct BsrArgs {
  sk::BsrF32 a;
  View<int32_t> indptr, indices;
  View<float> values;
};

BsrArgs bsr_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BsrArgs r;
  sk::BsrF32& a = r.a;
  a.rows = dim_arg(info, 0, "A.rows");
  a.cols = dim_arg(info, 1, "A.cols");
  a.r = dim_arg(info, 2, "A.block[0]");
  a.c = dim_arg(info, 3, "A.block[1]");
  if (a.r < 1 || a.r > 64 || a.c < 1 || a.c > 64) fail(env, sk::Code::kRange, "Expected A.block in [1, 64] x [1, 64]");
  r.indptr = int32_arg(info, 4, "A.indptr");
  r.indices = int32_arg(info, 5, "A.indices");
  r.values = float32_arg(info, 6, "A.values");
  expect_length(env, r.indptr.length, (static_cast<int64_t>(a.rows) + a.r - 1) / a.r + 1, "A.indptr");
  expect_length(env, r.values.length, static_cast<int64_t>(r.indices.length) * a.r * a.c, "A.values");
  a.blocks = static_cast<int64_t>(r.indices.length);
  a.indptr = r.indptr.data;
  a.indices = r.indices.data;
  a.values = r.values.data;
  return r;
}

// spmmBsr(rows, cols, r, c, indptr, indices, values, b, n, c, alpha, beta, transB)
sk::SpmmBsrParams spmm_bsr_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BsrArgs a = bsr_args(info);
  const int32_t n = dim_arg(info, 8, "B.cols");
  View<float> b = dense_arg(info, 7, "B.data", a.a.cols, n);
  View<float> c = dense_arg(info, 9, "out.data", a.a.rows, n);
  expect_disjoint(env, c, "out.data", b, "B.data");
  expect_disjoint(env, c, "out.data", a.indptr, "A.indptr");
  expect_disjoint(env, c, "out.data", a.indices, "A.indices");
  expect_disjoint(env, c, "out.data", a.values, "A.values");
  sk::SpmmBsrParams p{a.a, b.data, n, c.data, n, n, float_arg(info, 10, "alpha"), float_arg(info, 11, "beta")};
  if (trans_b_arg(info, 12)) {
    p.b_trans = true;
    p.ldb = a.a.cols;
  }
  return p;
}

sk::NmF32 nm_arg(const Napi::CallbackInfo& info, View<float>* values, View<uint8_t>* positions) {
  Napi::Env env = info.Env();
  sk::NmF32 a;
  a.rows = dim_arg(info, 0, "A.rows");
  a.cols = dim_arg(info, 1, "A.cols");
  a.n = dim_arg(info, 2, "A.n");
  a.m = dim_arg(info, 3, "A.m");
  if (a.m < 1 || a.m > 255 || a.n < 1 || a.n > a.m) fail(env, sk::Code::kRange, "Expected 1 <= A.n <= A.m <= 255");
  *values = float32_arg(info, 4, "A.values");
  *positions = uint8_arg(info, 5, "A.positions");
  const int64_t slots = static_cast<int64_t>(a.rows) * ((static_cast<int64_t>(a.cols) + a.m - 1) / a.m) * a.n;
  expect_length(env, values->length, slots, "A.values");
  expect_length(env, positions->length, slots, "A.positions");
  a.values = values->data;
  a.positions = positions->data;
  return a;
}

// spmmNm(rows, cols, n, m, values, positions, b, width, c, alpha, beta, transB)
sk::SpmmNmParams spmm_nm_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> vs;
  View<uint8_t> ps;
  sk::NmF32 a = nm_arg(info, &vs, &ps);
  const int32_t n = dim_arg(info, 7, "B.cols");
  View<float> b = dense_arg(info, 6, "B.data", a.cols, n);
  View<float> c = dense_arg(info, 8, "out.data", a.rows, n);
  expect_disjoint(env, c, "out.data", b, "B.data");
  expect_disjoint(env, c, "out.data", vs, "A.values");
  expect_disjoint(env, c, "out.data", ps, "A.positions");
  sk::SpmmNmParams p{a, b.data, n, c.data, n, n, float_arg(info, 9, "alpha"), float_arg(info, 10, "beta")};
  if (trans_b_arg(info, 11)) {
    p.b_trans = true;
    p.ldb = a.cols;
  }
  return p;
}

// spmvNm(rows, cols, n, m, values, positions, x, y, alpha, beta)
sk::SpmvNmParams spmv_nm_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> vs;
  View<uint8_t> ps;
  sk::NmF32 a = nm_arg(info, &vs, &ps);
  View<float> x = dense_arg(info, 6, "x", a.cols, 1);
  View<float> y = dense_arg(info, 7, "out", a.rows, 1);
  expect_disjoint(env, y, "out", x, "x");
  expect_disjoint(env, y, "out", vs, "A.values");
  expect_disjoint(env, y, "out", ps, "A.positions");
  return sk::SpmvNmParams{a, x.data, y.data, float_arg(info, 8, "alpha"), float_arg(info, 9, "beta")};
}

// gemm(a, m, k, transA, b, n, c, alpha, beta): C (m x n) = alpha op(A) B + beta C; A is m x k, or k x m when transA.
sk::GemmParams gemm_params(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t m = dim_arg(info, 1, "A rows (op(A))"), k = dim_arg(info, 2, "A cols (op(A))");
  const bool trans = info[3].ToBoolean().Value();
  View<float> a = dense_arg(info, 0, "A.data", m, k);
  const int32_t n = dim_arg(info, 5, "B.cols");
  View<float> b = dense_arg(info, 4, "B.data", k, n);
  View<float> c = dense_arg(info, 6, "out.data", m, n);
  expect_disjoint(env, c, "out.data", a, "A.data");
  expect_disjoint(env, c, "out.data", b, "B.data");
  return sk::GemmParams{a.data, trans ? m : k, trans, b.data, n, c.data, n, m, n, k, float_arg(info, 7, "alpha"), float_arg(info, 8, "beta")};
}

template <typename Params, Params (*Parse)(const Napi::CallbackInfo&), sk::Status (*Op)(const Params&)>
Napi::Value Sync(const Napi::CallbackInfo& info) {
  const sk::ThreadCap cap(info.Env().GetInstanceData<AddonData>()->call_threads);
  throw_if_error(info.Env(), Op(Parse(info)));
  return info.Env().Undefined();
}

template <typename Params, Params (*Parse)(const Napi::CallbackInfo&), sk::Status (*Op)(const Params&)>
Napi::Value Async(const Napi::CallbackInfo& info) {
  return queue<Params, Op>(info, Parse(info), "sparsekit.kernel");
}

}  // namespace

void register_kernels(Napi::Env env, Napi::Object exports) {
#define SK_EXPORT(name, Params, parse, op)                                                        \
  exports.Set(name, Napi::Function::New(env, guarded<Sync<Params, parse, op>>, name));                    \
  exports.Set(name "Async", Napi::Function::New(env, guarded<Async<Params, parse, op>>, name "Async"));
  SK_EXPORT("spmv", sk::SpmvParams, spmv_params, sk::spmv_csr_f32)
  SK_EXPORT("spmm", sk::SpmmParams, spmm_params, sk::spmm_csr_f32)
  SK_EXPORT("sddmm", sk::SddmmParams, sddmm_params, sk::sddmm_csr_f32)
  SK_EXPORT("spmmT", sk::SpmmtParams, spmmt_params, sk::spmmt_csr_f32)
  SK_EXPORT("spmmTPlan", sk::SpmmtPlanParams, spmmt_plan_params, sk::spmmt_plan_csr_f32)
  SK_EXPORT("spmmBsr", sk::SpmmBsrParams, spmm_bsr_params, sk::spmm_bsr_f32)
  SK_EXPORT("spmmNm", sk::SpmmNmParams, spmm_nm_params, sk::spmm_nm_f32)
  SK_EXPORT("spmvNm", sk::SpmvNmParams, spmv_nm_params, sk::spmv_nm_f32)
  SK_EXPORT("gemm", sk::GemmParams, gemm_params, sk::gemm_f32)
#undef SK_EXPORT
}

}  // namespace skb
