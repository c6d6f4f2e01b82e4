// JavaScript bindings of native sampling (sampling.h). Test-only: the runtime samples inside its
// own step, never through these.
#pragma once

#include <napi.h>

namespace tokenflow {

// Adds `sampleRowForTest(logits, params, inputs?)` to `exports` (its TypeScript shape is in
// src/runtime/addon-types.ts). It validates every argument and throws TypeError / RangeError
// on bad input; it never crashes.
void registerSamplingExports(Napi::Env env, Napi::Object exports);

}  // namespace tokenflow
