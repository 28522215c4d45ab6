// Elementwise passes of the training layers (native/core/elementwise.h). Argument order mirrors lib/binding.ts.
#include "../core/elementwise.h"
#include "common.h"

namespace skb {
namespace {

// Either the same array as `in` or no shared bytes at all: an in-place pass is fine, a shifted overlap is not.
template <typename T>
void expect_same_or_disjoint(Napi::Env env, const View<T>& out, const char* out_name, const View<T>& in, const char* in_name) {
  if (out.data != in.data) expect_disjoint(env, out, out_name, in, in_name);
}

// addRowBias(y, rows, cols, bias): y[i, :] += bias[i], in place.
Napi::Value AddRowBias(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 1, "rows"), cols = dim_arg(info, 2, "cols");
  View<float> y = dense_arg(info, 0, "y", rows, cols);
  View<float> b = float32_arg(info, 3, "bias");
  expect_length(info.Env(), b.length, rows, "bias");
  expect_disjoint(info.Env(), y, "y", b, "bias");
  sk::add_row_bias_f32(y.data, rows, cols, b.data);
  return info.Env().Undefined();
}

// rowSums(m, rows, cols, out)
Napi::Value RowSums(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 1, "rows"), cols = dim_arg(info, 2, "cols");
  View<float> m = dense_arg(info, 0, "m", rows, cols);
  View<float> out = float32_arg(info, 3, "out");
  expect_length(info.Env(), out.length, rows, "out");
  expect_disjoint(info.Env(), out, "out", m, "m");
  sk::row_sums_f32(m.data, rows, cols, out.data);
  return info.Env().Undefined();
}

// relu(x, out)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  View<float> x = float32_arg(info, 0, "x"), out = float32_arg(info, 1, "out");
  expect_length(info.Env(), out.length, static_cast<int64_t>(x.length), "out");
  expect_same_or_disjoint(info.Env(), out, "out", x, "x");
  sk::relu_f32(x.data, out.data, static_cast<int64_t>(x.length));
  return info.Env().Undefined();
}

// reluBackward(x, dy, out)
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  View<float> x = float32_arg(info, 0, "x"), dy = float32_arg(info, 1, "dy"), out = float32_arg(info, 2, "out");
  expect_length(info.Env(), dy.length, static_cast<int64_t>(x.length), "dy");
  expect_length(info.Env(), out.length, static_cast<int64_t>(x.length), "out");
  expect_disjoint(info.Env(), out, "out", x, "x");
  expect_same_or_disjoint(info.Env(), out, "out", dy, "dy");
  sk::relu_backward_f32(x.data, dy.data, out.data, static_cast<int64_t>(x.length));
  return info.Env().Undefined();
}

// transpose(a, rows, cols, out): out (cols x rows) = aᵀ.
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 1, "rows"), cols = dim_arg(info, 2, "cols");
  View<float> a = dense_arg(info, 0, "a", rows, cols);
  View<float> out = dense_arg(info, 3, "out", cols, rows);
  expect_disjoint(info.Env(), out, "out", a, "a");
  sk::transpose_f32(a.data, rows, cols, out.data);
  return info.Env().Undefined();
}

}  // namespace

void register_layers(Napi::Env env, Napi::Object exports) {
  exports.Set("addRowBias", Napi::Function::New(env, guarded<AddRowBias>, "addRowBias"));
  exports.Set("rowSums", Napi::Function::New(env, guarded<RowSums>, "rowSums"));
  exports.Set("relu", Napi::Function::New(env, guarded<Relu>, "relu"));
  exports.Set("reluBackward", Napi::Function::New(env, guarded<ReluBackward>, "reluBackward"));
  exports.Set("transpose", Napi::Function::New(env, guarded<Transpose>, "transpose"));
}

}  // namespace skb
