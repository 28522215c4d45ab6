#include "common.h"

#include <cstring>

namespace skb {

Napi::Error make_error(Napi::Env env, sk::Code code, const std::string& message) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data && !data->error_class.IsEmpty()) {
    Napi::Object err = data->error_class.New({Napi::String::New(env, sk::code_name(code)), Napi::String::New(env, message)});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, sk::code_name(code)));
  return err;
}

void fail(Napi::Env env, sk::Code code, const std::string& message) { throw make_error(env, code, message); }

void fail_from_exception(Napi::Env env) {
  const sk::Status status = status_of([]() -> sk::Status { throw; });
  fail(env, status.code, status.message);
}

View<float> dense_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t rows, int64_t cols) {
  View<float> d = float32_arg(info, i, name);
  expect_length(info.Env(), d.length, rows * cols, name);
  return d;
}

void throw_if_error(Napi::Env env, const sk::Status& status) {
  if (!status.is_ok()) fail(env, status.code, status.message);
}

namespace {

// One napi_get_typedarray_info call gives the kind, length and data pointer (already at byteOffset) together:
// node-addon-api's TypedArrayType(), ElementLength() and Data() make one call each, and finding the kind is the
// costly part (a third of an 8x8 spmv's time went there).
template <typename T>
View<T> typed_view(const Napi::CallbackInfo& info, size_t i, const char* name, napi_typedarray_type type, const char* type_name) {
  napi_value v = info[i];
  bool is_typed = false;
  napi_typedarray_type got;
  size_t length = 0;
  void* data = nullptr;
  if (napi_is_typedarray(info.Env(), v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(info.Env(), v, &got, &length, &data, nullptr, nullptr) != napi_ok || got != type) {
    fail(info.Env(), sk::Code::kDtype, std::string("Expected ") + type_name + " for " + name);
  }
  // A detached buffer reports no data: its view is empty, and the length checks that follow refuse it.
  if (data == nullptr) length = 0;
  return View<T>{static_cast<T*>(data), length};
}

}  // namespace

View<float> float32_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return typed_view<float>(info, i, name, napi_float32_array, "Float32Array");
}

View<int32_t> int32_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return typed_view<int32_t>(info, i, name, napi_int32_array, "Int32Array");
}

View<uint8_t> uint8_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return typed_view<uint8_t>(info, i, name, napi_uint8_array, "Uint8Array");
}

namespace {

// The argument names of a CSR operand, made once per operand name rather than on every call.
struct CsrNames {
  std::string rows, cols, indptr, indices, values;
  explicit CsrNames(const std::string& n) : rows(n + ".rows"), cols(n + ".cols"), indptr(n + ".indptr"), indices(n + ".indices"), values(n + ".values") {}
};

const CsrNames& csr_names(const char* name) {
  static const CsrNames a("A"), pattern("pattern"), weight("weight");
  if (std::strcmp(name, "A") == 0) return a;
  if (std::strcmp(name, "pattern") == 0) return pattern;
  if (std::strcmp(name, "weight") == 0) return weight;
  static thread_local CsrNames other("");
  other = CsrNames(name);
  return other;
}

}  // namespace

CsrArgs csr_args(const Napi::CallbackInfo& info, size_t first, const char* name) {
  Napi::Env env = info.Env();
  const CsrNames& n = csr_names(name);
  CsrArgs r;
  r.a.rows = dim_arg(info, first, n.rows.c_str());
  r.a.cols = dim_arg(info, first + 1, n.cols.c_str());
  r.indptr = int32_arg(info, first + 2, n.indptr.c_str());
  r.indices = int32_arg(info, first + 3, n.indices.c_str());
  r.values = float32_arg(info, first + 4, n.values.c_str());
  expect_length(env, r.indptr.length, static_cast<int64_t>(r.a.rows) + 1, n.indptr.c_str());
  expect_length(env, r.values.length, static_cast<int64_t>(r.indices.length), n.values.c_str());
  r.a.nnz = static_cast<int64_t>(r.indices.length);
  r.a.indptr = r.indptr.data;
  r.a.indices = r.indices.data;
  r.a.values = r.values.data;
  return r;
}

int32_t dim_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), sk::Code::kArgument, std::string("Expected a number for ") + name);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 2147483647.0) || d != static_cast<double>(static_cast<int64_t>(d))) {
    fail(info.Env(), sk::Code::kRange, std::string("Expected an integer in [0, 2^31-1] for ") + name);
  }
  return static_cast<int32_t>(d);
}

float float_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), sk::Code::kArgument, std::string("Expected a number for ") + name);
  return v.As<Napi::Number>().FloatValue();
}

void expect_length(Napi::Env env, size_t got, int64_t want, const char* name) {
  if (static_cast<int64_t>(got) != want) {
    fail(env, sk::Code::kShape,
         std::string("Expected length ") + std::to_string(want) + " for " + name + " but received " + std::to_string(got));
  }
}

}  // namespace skb
