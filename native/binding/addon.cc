// The export table. Each op group registers its functions from its own file.
#include "common.h"

namespace skb {
void register_runtime(Napi::Env env, Napi::Object exports);
void register_kernels(Napi::Env env, Napi::Object exports);
void register_convert(Napi::Env env, Napi::Object exports);
void register_prune(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_layers(Napi::Env env, Napi::Object exports);
#if defined(SPARSEKIT_WITH_CUDA)
void register_cuda(Napi::Env env, Napi::Object exports);
#endif
}  // namespace skb

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new skb::AddonData());  // freed by node-addon-api when this environment exits
  skb::register_runtime(env, exports);
  skb::register_kernels(env, exports);
  skb::register_convert(env, exports);
  skb::register_prune(env, exports);
  skb::register_optim(env, exports);
  skb::register_layers(env, exports);
#if defined(SPARSEKIT_WITH_CUDA)
  skb::register_cuda(env, exports);
#endif
  return exports;
}

NODE_API_MODULE(sparsekit, Init)
