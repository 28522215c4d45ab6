// Format conversions (native/core/convert.h). The caller (lib/) allocates every output; these functions check the
// lengths they are handed and write into them. Argument order mirrors lib/binding.ts (RawAddon).
#include "../core/convert.h"
#include "common.h"

namespace skb {
namespace {

int64_t blocks_of(int64_t n, int64_t b) { return (n + b - 1) / b; }

int32_t positive_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t max) {
  const int32_t v = dim_arg(info, i, name);
  if (v < 1 || v > max) fail(info.Env(), sk::Code::kRange, std::string("Expected an integer in [1, ") + std::to_string(max) + "] for " + name);
  return v;
}

// The outputs of a *ToCsrFill at arguments first..first+2: indptr (rows + 1) and equally long indices and values,
// whose length is the capacity the fill may write.
struct CsrOut {
  View<int32_t> indptr, indices;
  View<float> values;
  int64_t capacity() const { return static_cast<int64_t>(indices.length); }
};

CsrOut csr_out_args(const Napi::CallbackInfo& info, size_t first, int32_t rows, const char* prefix) {
  const std::string p(prefix);
  CsrOut o{int32_arg(info, first, (p + "indptr").c_str()), int32_arg(info, first + 1, (p + "indices").c_str()),
           float32_arg(info, first + 2, (p + "values").c_str())};
  expect_length(info.Env(), o.indptr.length, static_cast<int64_t>(rows) + 1, (p + "indptr").c_str());
  expect_length(info.Env(), o.values.length, o.capacity(), (p + "values").c_str());
  return o;
}

// denseToCsrCount(data, rows, cols, threshold, indptr)
Napi::Value DenseToCsrCount(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 1, "m.rows"), cols = dim_arg(info, 2, "m.cols");
  View<float> d = dense_arg(info, 0, "m.data", rows, cols);
  View<int32_t> ip = int32_arg(info, 4, "indptr");
  expect_length(info.Env(), ip.length, static_cast<int64_t>(rows) + 1, "indptr");
  sk::dense_to_csr_count(d.data, rows, cols, float_arg(info, 3, "threshold"), ip.data);
  return info.Env().Undefined();
}

// denseToCsrFill(data, rows, cols, threshold, indptr, indices, values)
Napi::Value DenseToCsrFill(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 1, "m.rows"), cols = dim_arg(info, 2, "m.cols");
  View<float> d = dense_arg(info, 0, "m.data", rows, cols);
  const CsrOut o = csr_out_args(info, 4, rows, "");
  throw_if_error(info.Env(), sk::dense_to_csr_fill(d.data, rows, cols, float_arg(info, 3, "threshold"), o.indptr.data, o.indices.data,
                                                   o.values.data, o.capacity()));
  return info.Env().Undefined();
}

// csrTranspose(rows, cols, indptr, indices, values, tIndptr, tIndices, tValues | null, perm?): without tValues only
// the structure and perm are written (a transpose plan: no values array of nnz floats made to be dropped).
Napi::Value CsrTranspose(const Napi::CallbackInfo& info) {
  CsrArgs a = csr_args(info, 0);
  View<int32_t> tp = int32_arg(info, 5, "out.indptr"), ti = int32_arg(info, 6, "out.indices");
  expect_length(info.Env(), tp.length, static_cast<int64_t>(a.a.cols) + 1, "out.indptr");
  expect_length(info.Env(), ti.length, a.a.nnz, "out.indices");
  float* values = nullptr;
  if (!info[7].IsNull()) {
    View<float> tv = float32_arg(info, 7, "out.values");
    expect_length(info.Env(), tv.length, a.a.nnz, "out.values");
    values = tv.data;
  }
  int32_t* perm = nullptr;
  if (info.Length() > 8 && !info[8].IsUndefined()) {
    View<int32_t> pv = int32_arg(info, 8, "perm");
    expect_length(info.Env(), pv.length, a.a.nnz, "perm");
    perm = pv.data;
  }
  throw_if_error(info.Env(), sk::csr_transpose(a.a, tp.data, ti.data, values, perm));
  return info.Env().Undefined();
}

// cooToCsr(rows, cols, rowIndices, colIndices, values, sumDuplicates, indptr, indices, values) -> nnz
Napi::Value CooToCsr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t rows = dim_arg(info, 0, "coo.rows"), cols = dim_arg(info, 1, "coo.cols");
  View<int32_t> ri = int32_arg(info, 2, "coo.rowIndices"), ci = int32_arg(info, 3, "coo.colIndices");
  View<float> v = float32_arg(info, 4, "coo.values");
  const bool sum = info[5].ToBoolean().Value();
  View<int32_t> ip = int32_arg(info, 6, "out.indptr"), ix = int32_arg(info, 7, "out.indices");
  View<float> vs = float32_arg(info, 8, "out.values");
  const int64_t n = static_cast<int64_t>(ri.length);
  expect_length(env, ci.length, n, "coo.colIndices");
  expect_length(env, v.length, n, "coo.values");
  expect_length(env, ip.length, static_cast<int64_t>(rows) + 1, "out.indptr");
  expect_length(env, ix.length, n, "out.indices");
  expect_length(env, vs.length, n, "out.values");
  int64_t nnz = 0;
  throw_if_error(env, sk::coo_to_csr(rows, cols, n, ri.data, ci.data, v.data, sum, ip.data, ix.data, vs.data, &nnz));
  return Napi::Number::New(env, static_cast<double>(nnz));
}

// csrToBsrCount(rows, cols, indptr, indices, values, r, c, bsrIndptr)
Napi::Value CsrToBsrCount(const Napi::CallbackInfo& info) {
  CsrArgs a = csr_args(info, 0);
  const int32_t r = positive_arg(info, 5, "block[0]", 64), c = positive_arg(info, 6, "block[1]", 64);
  View<int32_t> bp = int32_arg(info, 7, "out.indptr");
  expect_length(info.Env(), bp.length, blocks_of(a.a.rows, r) + 1, "out.indptr");
  throw_if_error(info.Env(), sk::csr_to_bsr_count(a.a, r, c, bp.data));
  return info.Env().Undefined();
}

// csrToBsrFill(rows, cols, indptr, indices, values, r, c, bsrIndptr, bsrIndices, bsrValues)
Napi::Value CsrToBsrFill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  const int32_t r = positive_arg(info, 5, "block[0]", 64), c = positive_arg(info, 6, "block[1]", 64);
  View<int32_t> bp = int32_arg(info, 7, "out.indptr"), bi = int32_arg(info, 8, "out.indices");
  View<float> bv = float32_arg(info, 9, "out.values");
  const int64_t br = blocks_of(a.a.rows, r);
  expect_length(env, bp.length, br + 1, "out.indptr");
  expect_length(env, bi.length, bp.data[br], "out.indices");
  expect_length(env, bv.length, static_cast<int64_t>(bp.data[br]) * r * c, "out.values");
  // The fill re-derives every block row and checks it against bp before writing, so bp cannot steer writes
  // out of range: but bp itself must be a valid prefix sum within the outputs.
  for (int64_t i = 0; i < br; ++i) {
    if (bp.data[i] < 0 || bp.data[i + 1] < bp.data[i]) fail(env, sk::Code::kArgument, "out.indptr is not a valid count");
  }
  throw_if_error(env, sk::csr_to_bsr_fill(a.a, r, c, bp.data, bi.data, bv.data));
  return env.Undefined();
}

sk::BsrView bsr_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sk::BsrView b;
  b.rows = dim_arg(info, 0, "A.rows");
  b.cols = dim_arg(info, 1, "A.cols");
  b.r = positive_arg(info, 2, "A.block[0]", 64);
  b.c = positive_arg(info, 3, "A.block[1]", 64);
  View<int32_t> ip = int32_arg(info, 4, "A.indptr"), ix = int32_arg(info, 5, "A.indices");
  View<float> vs = float32_arg(info, 6, "A.values");
  expect_length(env, ip.length, blocks_of(b.rows, b.r) + 1, "A.indptr");
  expect_length(env, vs.length, static_cast<int64_t>(ix.length) * b.r * b.c, "A.values");
  b.indptr = ip.data;
  b.indices = ix.data;
  b.values = vs.data;
  b.blocks = static_cast<int64_t>(ix.length);
  return b;
}

// bsrToCsrCount(rows, cols, r, c, indptr, indices, values, outIndptr)
Napi::Value BsrToCsrCount(const Napi::CallbackInfo& info) {
  sk::BsrView b = bsr_args(info);
  View<int32_t> op = int32_arg(info, 7, "out.indptr");
  expect_length(info.Env(), op.length, static_cast<int64_t>(b.rows) + 1, "out.indptr");
  throw_if_error(info.Env(), sk::bsr_to_csr_count(b, op.data));
  return info.Env().Undefined();
}

// bsrToCsrFill(rows, cols, r, c, indptr, indices, values, outIndptr, outIndices, outValues)
Napi::Value BsrToCsrFill(const Napi::CallbackInfo& info) {
  sk::BsrView b = bsr_args(info);
  const CsrOut o = csr_out_args(info, 7, b.rows, "out.");
  throw_if_error(info.Env(), sk::bsr_to_csr_fill(b, o.indptr.data, o.indices.data, o.values.data, o.capacity()));
  return info.Env().Undefined();
}

// csrToNm(rows, cols, indptr, indices, values, n, m, outValues, outPositions)
Napi::Value CsrToNm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CsrArgs a = csr_args(info, 0);
  const int32_t m = positive_arg(info, 6, "m", 255), n = positive_arg(info, 5, "n", m);
  View<float> ov = float32_arg(info, 7, "out.values");
  View<uint8_t> op = uint8_arg(info, 8, "out.positions");
  const int64_t size = static_cast<int64_t>(a.a.rows) * blocks_of(a.a.cols, m) * n;
  expect_length(env, ov.length, size, "out.values");
  expect_length(env, op.length, size, "out.positions");
  throw_if_error(env, sk::csr_to_nm(a.a, n, m, ov.data, op.data));
  return env.Undefined();
}

sk::NmView nm_args(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  sk::NmView a;
  a.rows = dim_arg(info, 0, "A.rows");
  a.cols = dim_arg(info, 1, "A.cols");
  a.m = positive_arg(info, 3, "A.m", 255);
  a.n = positive_arg(info, 2, "A.n", a.m);
  View<float> vs = float32_arg(info, 4, "A.values");
  View<uint8_t> ps = uint8_arg(info, 5, "A.positions");
  const int64_t size = static_cast<int64_t>(a.rows) * blocks_of(a.cols, a.m) * a.n;
  expect_length(env, vs.length, size, "A.values");
  expect_length(env, ps.length, size, "A.positions");
  a.values = vs.data;
  a.positions = ps.data;
  return a;
}

// nmToCsrCount(rows, cols, n, m, values, positions, outIndptr)
Napi::Value NmToCsrCount(const Napi::CallbackInfo& info) {
  sk::NmView a = nm_args(info);
  View<int32_t> op = int32_arg(info, 6, "out.indptr");
  expect_length(info.Env(), op.length, static_cast<int64_t>(a.rows) + 1, "out.indptr");
  throw_if_error(info.Env(), sk::nm_to_csr_count(a, op.data));
  return info.Env().Undefined();
}

// nmToCsrFill(rows, cols, n, m, values, positions, outIndptr, outIndices, outValues)
Napi::Value NmToCsrFill(const Napi::CallbackInfo& info) {
  sk::NmView a = nm_args(info);
  const CsrOut o = csr_out_args(info, 6, a.rows, "out.");
  throw_if_error(info.Env(), sk::nm_to_csr_fill(a, o.indptr.data, o.indices.data, o.values.data, o.capacity()));
  return info.Env().Undefined();
}

}  // namespace

void register_convert(Napi::Env env, Napi::Object exports) {
  exports.Set("denseToCsrCount", Napi::Function::New(env, guarded<DenseToCsrCount>, "denseToCsrCount"));
  exports.Set("denseToCsrFill", Napi::Function::New(env, guarded<DenseToCsrFill>, "denseToCsrFill"));
  exports.Set("csrTranspose", Napi::Function::New(env, guarded<CsrTranspose>, "csrTranspose"));
  exports.Set("cooToCsr", Napi::Function::New(env, guarded<CooToCsr>, "cooToCsr"));
  exports.Set("csrToBsrCount", Napi::Function::New(env, guarded<CsrToBsrCount>, "csrToBsrCount"));
  exports.Set("csrToBsrFill", Napi::Function::New(env, guarded<CsrToBsrFill>, "csrToBsrFill"));
  exports.Set("bsrToCsrCount", Napi::Function::New(env, guarded<BsrToCsrCount>, "bsrToCsrCount"));
  exports.Set("bsrToCsrFill", Napi::Function::New(env, guarded<BsrToCsrFill>, "bsrToCsrFill"));
  exports.Set("csrToNm", Napi::Function::New(env, guarded<CsrToNm>, "csrToNm"));
  exports.Set("nmToCsrCount", Napi::Function::New(env, guarded<NmToCsrCount>, "nmToCsrCount"));
  exports.Set("nmToCsrFill", Napi::Function::New(env, guarded<NmToCsrFill>, "nmToCsrFill"));
}

}  // namespace skb
