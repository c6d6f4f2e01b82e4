// Entry point of the native addon. Everything the addon exports is declared, for TypeScript,
// in src/runtime/addon-types.ts and nowhere else.
#include <napi.h>

#include "cpu_features.h"
#include "runner.h"
#include "sampling_napi.h"

namespace {

constexpr const char* kAddonVersion = "0.1.0";

// The CPU features the kernels can use on this machine.
Napi::Value CpuFeaturesJs(const Napi::CallbackInfo& info) {
  const auto& f = tokenflow::cpu_features();
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("avx2", f.avx2);
  out.Set("fma", f.fma);
  out.Set("f16c", f.f16c);
  out.Set("avx512f", f.avx512f);
  out.Set("avx512bw", f.avx512bw);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, kAddonVersion));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesJs, "cpuFeatures"));
  tokenflow::registerSamplingExports(env, exports);
  tokenflow::Runner::register_class(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tokenflow_native, Init)
