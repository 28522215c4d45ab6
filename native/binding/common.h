// Helpers shared by the binding files: per-environment addon data, SparseError construction, and TypedArray
// conversion that checks the kind, honours byteOffset and never copies.
#pragma once
#include <napi.h>

#include <cstdint>
#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "../core/status.h"
#include "../kernels/params.h"

namespace skb {

// Per-environment state (one per main thread or worker_thread), so the addon is context-aware.
struct AddonData {
  Napi::FunctionReference error_class;  // lib/core/errors.ts SparseError, handed over by init()
  int call_threads = 0;  // setCallThreads(): the thread cap of the kernel calls made until it is reset (0: none)
};

// Builds the SparseError the JS side catches (a plain Error until init() has run).
Napi::Error make_error(Napi::Env env, sk::Code code, const std::string& message);
[[noreturn]] void fail(Napi::Env env, sk::Code code, const std::string& message);

template <typename T>
struct View {
  T* data = nullptr;
  size_t length = 0;
  const uint8_t* begin() const { return reinterpret_cast<const uint8_t*>(data); }
  const uint8_t* end() const { return reinterpret_cast<const uint8_t*>(data + length); }
};

// The i-th argument as a TypedArray of the given kind; `name` goes into the error message.
View<float> float32_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
View<int32_t> int32_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
// A non-negative integer that fits int32.
int32_t dim_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
float float_arg(const Napi::CallbackInfo& info, size_t i, const char* name);

void expect_length(Napi::Env env, size_t got, int64_t want, const char* name);

// A dense operand of `rows` x `cols` at argument i: a Float32Array of exactly rows * cols elements.
View<float> dense_arg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t rows, int64_t cols);

// Throws ERR_ARGUMENT when the output's bytes overlap an input's.
template <typename A, typename B>
void expect_disjoint(Napi::Env env, const View<A>& out, const char* out_name, const View<B>& in, const char* in_name) {
  if (out.length && in.length && out.begin() < in.end() && in.begin() < out.end()) {
    fail(env, sk::Code::kArgument, std::string(out_name) + " must not share memory with " + in_name);
  }
}

View<uint8_t> uint8_arg(const Napi::CallbackInfo& info, size_t i, const char* name);

void throw_if_error(Napi::Env env, const sk::Status& status);

// A CSR matrix passed as five arguments (rows, cols, indptr, indices, values) starting at `first`, with
// indptr.length == rows + 1 and values.length == indices.length checked.
struct CsrArgs {
  sk::CsrF32 a;
  View<int32_t> indptr, indices;
  View<float> values;
};
CsrArgs csr_args(const Napi::CallbackInfo& info, size_t first, const char* name = "A");

// Maps a C++ exception that is not a JS error (std::bad_alloc above all) to a SparseError: ERR_NATIVE, "out of
// memory ...". Never lets one escape into N-API, where it would abort the process.
[[noreturn]] void fail_from_exception(Napi::Env env);

// Every exported function goes through this: its body's C++ exceptions become SparseErrors.
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return Fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    fail_from_exception(info.Env());
  }
}

// The status of an operator that may throw (run off the main thread, where nothing may reach N-API).
template <typename F>
sk::Status status_of(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return sk::Status::error(sk::Code::kNative, "out of memory: a native temporary could not be allocated");
  } catch (const std::exception& e) {
    return sk::Status::error(sk::Code::kNative, std::string("native error: ") + e.what());
  } catch (...) {
    return sk::Status::error(sk::Code::kNative, "native error: unknown exception");
  }
}

}  // namespace skb
