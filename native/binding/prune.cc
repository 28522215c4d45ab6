// Selection for pruning (native/core/select.h). Argument order mirrors lib/binding.ts (RawAddon).
#include <vector>

#include "../core/regrow.h"
#include "../core/select.h"
#include "common.h"

namespace skb {
namespace {

int64_t count_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) fail(info.Env(), sk::Code::kArgument, std::string("Expected a number for ") + name);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 9007199254740991.0) || d != static_cast<double>(static_cast<int64_t>(d))) {
    fail(info.Env(), sk::Code::kRange, std::string("Expected a non-negative integer for ") + name);
  }
  return static_cast<int64_t>(d);
}

// An optional second factor (y) of the same length as x, or null.
const float* optional_y(const Napi::CallbackInfo& info, Napi::Value v, size_t length, const char* name) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    fail(info.Env(), sk::Code::kDtype, std::string("Expected a Float32Array for ") + name);
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  expect_length(info.Env(), a.ElementLength(), static_cast<int64_t>(length), name);
  return a.Data();
}

uint32_t* bits_for(const Napi::CallbackInfo& info, Napi::Value v, size_t length, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    fail(info.Env(), sk::Code::kDtype, std::string("Expected a Uint32Array for ") + name);
  }
  Napi::Uint32Array a = v.As<Napi::Uint32Array>();
  expect_length(info.Env(), a.ElementLength(), static_cast<int64_t>((length + 31) / 32), name);
  return a.Data();
}

// selectGlobal(xs[], ys[], scales[], bits[], keep, abs, nanPrune)
Napi::Value SelectGlobal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 4; ++i)
    if (!info[i].IsArray()) fail(env, sk::Code::kArgument, "selectGlobal expects arrays of tensors, factors, scales and bit sets");
  Napi::Array xs = info[0].As<Napi::Array>(), ys = info[1].As<Napi::Array>(), scales = info[2].As<Napi::Array>(), bits = info[3].As<Napi::Array>();
  const uint32_t count = xs.Length();
  if (ys.Length() != count || scales.Length() != count || bits.Length() != count) fail(env, sk::Code::kShape, "selectGlobal: lists of different lengths");
  std::vector<sk::ScoreTensor> tensors(count);
  for (uint32_t t = 0; t < count; ++t) {
    Napi::Value xv = xs[t];
    if (!xv.IsTypedArray() || xv.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) fail(env, sk::Code::kDtype, "Expected Float32Array tensors");
    Napi::Float32Array x = xv.As<Napi::Float32Array>();
    Napi::Value sv = scales[t];
    if (!sv.IsNumber()) fail(env, sk::Code::kArgument, "Expected numeric scales");
    tensors[t] = sk::ScoreTensor{x.Data(), optional_y(info, ys[t], x.ElementLength(), "y"), static_cast<int64_t>(x.ElementLength()),
                                 sv.As<Napi::Number>().FloatValue(), bits_for(info, bits[t], x.ElementLength(), "bits")};
  }
  throw_if_error(env, sk::select_global(tensors.data(), static_cast<int>(count), count_arg(info, 4, "keep"), info[5].ToBoolean().Value(),
                                        info[6].ToBoolean().Value()));
  return env.Undefined();
}

// selectSegments(x, y | null, rows, cols, byRow, keep, abs, nanPrune, bits)
Napi::Value SelectSegments(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> x = float32_arg(info, 0, "W.data");
  const int32_t rows = dim_arg(info, 2, "W.rows"), cols = dim_arg(info, 3, "W.cols");
  expect_length(env, x.length, static_cast<int64_t>(rows) * cols, "W.data");
  const sk::ScoreTensor t{x.data, optional_y(info, info[1], x.length, "G.data"), static_cast<int64_t>(x.length), 1.0f,
                          bits_for(info, info[8], x.length, "bits")};
  throw_if_error(env, sk::select_segments(t, rows, cols, info[4].ToBoolean().Value(), count_arg(info, 5, "keep"),
                                          info[6].ToBoolean().Value(), info[7].ToBoolean().Value()));
  return env.Undefined();
}

// selectNm(x, rows, cols, n, m, nanPrune, values, positions)
Napi::Value SelectNm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> x = float32_arg(info, 0, "W.data");
  const int32_t rows = dim_arg(info, 1, "W.rows"), cols = dim_arg(info, 2, "W.cols");
  const int32_t n = dim_arg(info, 3, "n"), m = dim_arg(info, 4, "m");
  if (m < 1 || m > 255 || n < 1 || n > m) fail(env, sk::Code::kRange, "Expected 1 <= n <= m <= 255");
  expect_length(env, x.length, static_cast<int64_t>(rows) * cols, "W.data");
  View<float> values = float32_arg(info, 6, "values");
  View<uint8_t> positions = uint8_arg(info, 7, "positions");
  const int64_t slots = static_cast<int64_t>(rows) * ((static_cast<int64_t>(cols) + m - 1) / m) * n;
  expect_length(env, values.length, slots, "values");
  expect_length(env, positions.length, slots, "positions");
  expect_disjoint(env, values, "values", x, "W.data");
  throw_if_error(env, sk::select_nm(x.data, rows, cols, n, m, info[5].ToBoolean().Value(), values.data, positions.data));
  return env.Undefined();
}

// regrowCsr(rows, cols, indptr, indices, values, k, scores, abs, outIndptr, outIndices, outValues, from)
Napi::Value RegrowCsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs w = csr_args(info, 0, "weight");
  const int64_t k = count_arg(info, 5, "k");
  View<float> scores = float32_arg(info, 6, "scores");
  expect_length(env, scores.length, static_cast<int64_t>(w.a.rows) * w.a.cols, "scores");
  View<int32_t> indptr = int32_arg(info, 8, "out indptr"), indices = int32_arg(info, 9, "out indices"), from = int32_arg(info, 11, "from");
  View<float> values = float32_arg(info, 10, "out values");
  expect_length(env, indptr.length, static_cast<int64_t>(w.a.rows) + 1, "out indptr");
  for (const auto* v : {&indices, &from}) expect_length(env, v->length, w.a.nnz, "out indices / from");
  expect_length(env, values.length, w.a.nnz, "out values");
  // The outputs are written while the weight and scores are read: no shared bytes between any two of them.
  auto apart = [&](const auto& out, const char* name) {
    expect_disjoint(env, out, name, w.indptr, "weight.indptr");
    expect_disjoint(env, out, name, w.indices, "weight.indices");
    expect_disjoint(env, out, name, w.values, "weight.values");
    expect_disjoint(env, out, name, scores, "scores");
  };
  apart(indptr, "out indptr"), apart(indices, "out indices"), apart(values, "out values"), apart(from, "from");
  expect_disjoint(env, indptr, "out indptr", indices, "out indices");
  expect_disjoint(env, indptr, "out indptr", values, "out values");
  expect_disjoint(env, indptr, "out indptr", from, "from");
  expect_disjoint(env, indices, "out indices", values, "out values");
  expect_disjoint(env, indices, "out indices", from, "from");
  expect_disjoint(env, values, "out values", from, "from");
  const sk::RegrowParams p{w.a, k, scores.data, info[7].ToBoolean().Value(), indptr.data, indices.data, values.data, from.data};
  throw_if_error(env, sk::regrow_csr_f32(p));
  return env.Undefined();
}

}  // namespace

void register_prune(Napi::Env env, Napi::Object exports) {
  exports.Set("selectGlobal", Napi::Function::New(env, guarded<SelectGlobal>, "selectGlobal"));
  exports.Set("selectSegments", Napi::Function::New(env, guarded<SelectSegments>, "selectSegments"));
  exports.Set("selectNm", Napi::Function::New(env, guarded<SelectNm>, "selectNm"));
  exports.Set("regrowCsr", Napi::Function::New(env, guarded<RegrowCsr>, "regrowCsr"));
}

}  // namespace skb
