// Optimizer updates (native/core/ops.h). Argument order mirrors lib/binding.ts (RawAddon).
#include "../core/ops.h"
#include "common.h"

namespace skb {
namespace {

// sgdStep(w, g, buf | null, lr, momentum, weightDecay, nesterov)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> w = float32_arg(info, 0, "param.value"), g = float32_arg(info, 1, "param.grad");
  expect_length(env, g.length, static_cast<int64_t>(w.length), "param.grad");
  if (w.length > 2147483647u) fail(env, sk::Code::kRange, "parameters beyond int32 indexing");
  expect_disjoint(env, w, "param.value", g, "param.grad");
  float* buf = nullptr;
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    View<float> b = float32_arg(info, 2, "momentum buffer");
    expect_length(env, b.length, static_cast<int64_t>(w.length), "momentum buffer");
    expect_disjoint(env, b, "momentum buffer", w, "param.value");
    expect_disjoint(env, b, "momentum buffer", g, "param.grad");
    buf = b.data;
  }
  const sk::SgdParams p{w.data, g.data, buf, float_arg(info, 3, "lr"), float_arg(info, 4, "momentum"), float_arg(info, 5, "weightDecay"),
                        info[6].ToBoolean().Value()};
  throw_if_error(env, sk::sgd_f32(p, static_cast<int32_t>(w.length)));
  return env.Undefined();
}

// adamStep(w, g, m, v, lr, beta1, beta2, eps, weightDecay, c1, c2, decoupled)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  View<float> w = float32_arg(info, 0, "param.value"), g = float32_arg(info, 1, "param.grad");
  View<float> m = float32_arg(info, 2, "first moment"), v = float32_arg(info, 3, "second moment");
  if (w.length > 2147483647u) fail(env, sk::Code::kRange, "parameters beyond int32 indexing");
  for (const auto* x : {&g, &m, &v}) expect_length(env, x->length, static_cast<int64_t>(w.length), "optimizer state");
  expect_disjoint(env, w, "param.value", g, "param.grad");
  expect_disjoint(env, m, "first moment", w, "param.value");
  expect_disjoint(env, v, "second moment", w, "param.value");
  expect_disjoint(env, m, "first moment", v, "second moment");
  const sk::AdamParams p{w.data, g.data, m.data, v.data, float_arg(info, 4, "lr"), float_arg(info, 5, "beta1"), float_arg(info, 6, "beta2"),
                         float_arg(info, 7, "eps"), float_arg(info, 8, "weightDecay"), float_arg(info, 9, "c1"), float_arg(info, 10, "c2"),
                         info[11].ToBoolean().Value()};
  throw_if_error(env, sk::adam_f32(p, static_cast<int32_t>(w.length)));
  return env.Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgdStep", Napi::Function::New(env, guarded<SgdStep>, "sgdStep"));
  exports.Set("adamStep", Napi::Function::New(env, guarded<AdamStep>, "adamStep"));
}

}  // namespace skb
