// init, info, setThreads, setIsa, setPackTuning, panelPlan, blockPlan, alignmentOffset.
#include <string>

#include "../core/cpu.h"
#include "../core/dispatch.h"
#include "../core/pack.h"
#include "../core/thread_pool.h"
#include "common.h"
#if defined(SPARSEKIT_WITH_CUDA)
#include "../cuda/cuda.h"
#endif

namespace skb {
namespace {

// init(SparseError): the class native errors are built from, kept per environment.
Napi::Value Init(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) fail(info.Env(), sk::Code::kArgument, "init expects the SparseError class");
  info.Env().GetInstanceData<AddonData>()->error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object r = Napi::Object::New(env);
  r.Set("isa", sk::isa_name(sk::active_isa()));
  Napi::Array isas = Napi::Array::New(env);
  const uint32_t mask = sk::supported_isas();
  for (int i = 0, k = 0; i < sk::kIsaCount; ++i)
    if (mask & (1u << i)) isas.Set(k++, sk::isa_name(i));
  r.Set("isas", isas);
  r.Set("bestIsa", sk::isa_name(sk::best_isa()));
  r.Set("threads", sk::pool_threads());
  sk::Chosen chosen[16];
  const int count = sk::chosen_kernels(chosen, 16);
  Napi::Object kernels = Napi::Object::New(env);
  for (int i = 0; i < count && i < 16; ++i) {
    Napi::Object k = Napi::Object::New(env);
    k.Set("kernel", chosen[i].kernel);
    k.Set("isa", chosen[i].isa);
    kernels.Set(chosen[i].family, k);
  }
  r.Set("kernels", kernels);
  r.Set("l2CacheBytes", static_cast<double>(sk::l2_cache_bytes()));
  r.Set("l1CacheBytes", static_cast<double>(sk::l1_cache_bytes()));
#if defined(SPARSEKIT_WITH_CUDA)
  const sk::cuda::Info ci = sk::cuda::info();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("available", ci.available);
  if (ci.emulated) cuda.Set("emulated", true);
  if (!ci.available) cuda.Set("reason", ci.reason);
  cuda.Set("runtimeVersion", ci.runtime_version);
  cuda.Set("driverVersion", ci.driver_version);
  cuda.Set("cusparse", ci.cusparse.empty() ? env.Null() : Napi::String::New(env, ci.cusparse));
  cuda.Set("cublas", ci.cublas.empty() ? env.Null() : Napi::String::New(env, ci.cublas));
  Napi::Array devices = Napi::Array::New(env);
  for (size_t d = 0; d < ci.devices.size(); ++d) {
    const auto& dev = ci.devices[d];
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", dev.index);
    o.Set("name", dev.name);
    o.Set("computeCapability", std::to_string(dev.major) + "." + std::to_string(dev.minor));
    o.Set("multiprocessors", dev.multiprocessors);
    o.Set("totalBytes", static_cast<double>(dev.total_bytes));
    o.Set("freeBytes", static_cast<double>(dev.free_bytes));
    devices.Set(static_cast<uint32_t>(d), o);
  }
  cuda.Set("devices", devices);
  r.Set("cuda", cuda);
#else
  r.Set("cuda", env.Null());
#endif
  return r;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  const int32_t n = dim_arg(info, 0, "threads");
  if (n < 1 || n > sk::kMaxThreads) {
    fail(info.Env(), sk::Code::kRange, "Expected threads in [1, " + std::to_string(sk::kMaxThreads) + "]");
  }
  sk::set_pool_threads(n);
  return info.Env().Undefined();
}

// setCallThreads(n): the kernel calls made from now on (sync, and async ones queued now) split their work over at
// most n threads; 0 removes the cap. lib/core/binding.ts sets it around one call and resets it right after.
Napi::Value SetCallThreads(const Napi::CallbackInfo& info) {
  const int32_t n = dim_arg(info, 0, "threads");
  if (n > sk::kMaxThreads) fail(info.Env(), sk::Code::kRange, "Expected threads in [0, " + std::to_string(sk::kMaxThreads) + "]");
  info.Env().GetInstanceData<AddonData>()->call_threads = n;
  return info.Env().Undefined();
}

// poolHold(on): keeps the pool's idle threads spinning between the calls of a sequence (sk::pool_hold); nests.
// Returns the holds now on.
Napi::Value PoolHold(const Napi::CallbackInfo& info) {
  if (!info[0].IsBoolean()) fail(info.Env(), sk::Code::kArgument, "Expected a boolean for on");
  return Napi::Number::New(info.Env(), sk::pool_hold(info[0].As<Napi::Boolean>().Value()));
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) fail(info.Env(), sk::Code::kArgument, "Expected a string for isa");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const int isa = name == "auto" ? sk::best_isa() : sk::isa_from_name(name.c_str());
  if (isa < 0 || !sk::set_active_isa(isa)) {
    fail(info.Env(), sk::Code::kUnsupported, "ISA '" + name + "' is not available on this CPU");
  }
  return info.Env().Undefined();
}

// alignmentOffset(buffer): bytes from the start of an ArrayBuffer to the next 64-byte boundary, so JS can place a
// view on a cache line (kernels load B a whole line at a time; see f32-spmm-csr-avx512.cc).
Napi::Value AlignmentOffset(const Napi::CallbackInfo& info) {
  if (!info[0].IsArrayBuffer()) fail(info.Env(), sk::Code::kArgument, "Expected an ArrayBuffer for buffer");
  const auto addr = reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  return Napi::Number::New(info.Env(), static_cast<double>((64 - (addr & 63)) & 63));
}

// setPackTuning(mode, panelWidth, blockBytes): forces how dense B operands are packed (native/core/pack.h): 'auto',
// 'always' or 'never', a panel width in floats (0: chosen from the ISA and L2), and L1 blocking (0: chosen, -1:
// never, > 0: always, blocks of that many bytes). For tests and benchmarks.
Napi::Value SetPackTuning(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) fail(info.Env(), sk::Code::kArgument, "Expected a string for mode");
  const std::string mode = info[0].As<Napi::String>().Utf8Value();
  const sk::PackMode m = mode == "auto" ? sk::PackMode::kAuto : mode == "always" ? sk::PackMode::kAlways : mode == "never" ? sk::PackMode::kNever : static_cast<sk::PackMode>(-1);
  if (static_cast<int>(m) < 0) fail(info.Env(), sk::Code::kUnsupported, "Expected 'auto', 'always' or 'never' for mode but received '" + mode + "'");
  const double block = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  if (!(block >= -1 && block <= 1 << 30) || block != static_cast<double>(static_cast<int64_t>(block))) {
    fail(info.Env(), sk::Code::kRange, "Expected an integer in [-1, 2^30] for blockBytes");
  }
  sk::set_pack_tuning(m, dim_arg(info, 1, "panelWidth"), static_cast<int64_t>(block));
  return info.Env().Undefined();
}

// panelPlan(rows, n, uses, aligned): the panels a product would use for a B of rows x n read `uses` times per
// task, at the active ISA: { width, ld, pack } (the bench prints it).
Napi::Value PanelPlanOf(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 0, "rows"), n = dim_arg(info, 1, "n");
  const double uses = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  // A stand-in pointer with the requested alignment: only its address is looked at.
  const float* b = reinterpret_cast<const float*>(info[3].ToBoolean().Value() ? 64 : 68);
  const sk::PanelPlan plan = sk::plan_panels(b, n, rows, n, static_cast<int64_t>(uses), sk::active_isa());
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("width", static_cast<double>(plan.width));
  r.Set("ld", static_cast<double>(plan.ld));
  r.Set("pack", plan.pack);
  return r;
}

// blockPlan(rows, n, entries, aRows, csr, csrPays): the rows of B per L1 block of an SpMM (0: not blocked) at the
// active ISA, for a B of rows x n and an A of `entries` stored entries over aRows rows, for the CSR kernel when csr
// is true, else for N:M; csrPays true or false: as on a core where blocking CSR products pays or does not, else this
// one (the tests read it).
Napi::Value BlockPlanOf(const Napi::CallbackInfo& info) {
  const int32_t rows = dim_arg(info, 0, "rows"), n = dim_arg(info, 1, "n"), a_rows = dim_arg(info, 3, "aRows");
  const double entries = info[2].IsNumber() ? info[2].As<Napi::Number>().DoubleValue() : 0;
  const bool csr = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  const int pays = info.Length() > 5 && info[5].IsBoolean() ? (info[5].As<Napi::Boolean>().Value() ? 1 : 0) : -1;
  return Napi::Number::New(info.Env(), static_cast<double>(sk::plan_block_rows(rows, n, static_cast<int64_t>(entries), a_rows, sk::active_isa(), csr, pays)));
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, guarded<Init>, "init"));
  exports.Set("info", Napi::Function::New(env, guarded<Info>, "info"));
  exports.Set("setThreads", Napi::Function::New(env, guarded<SetThreads>, "setThreads"));
  exports.Set("setIsa", Napi::Function::New(env, guarded<SetIsa>, "setIsa"));
  exports.Set("setCallThreads", Napi::Function::New(env, guarded<SetCallThreads>, "setCallThreads"));
  exports.Set("poolHold", Napi::Function::New(env, guarded<PoolHold>, "poolHold"));
  exports.Set("setPackTuning", Napi::Function::New(env, guarded<SetPackTuning>, "setPackTuning"));
  exports.Set("panelPlan", Napi::Function::New(env, guarded<PanelPlanOf>, "panelPlan"));
  exports.Set("blockPlan", Napi::Function::New(env, guarded<BlockPlanOf>, "blockPlan"));
  exports.Set("alignmentOffset", Napi::Function::New(env, guarded<AlignmentOffset>, "alignmentOffset"));
}

}  // namespace skb
