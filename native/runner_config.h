// Parsing of a Runner's init config (model hyperparameters, tensor locations, KV budgets of
// both tiers, threads) from JavaScript. Runs on the JS thread; the result is plain C++ data.
#pragma once

#include <napi.h>

#include <vector>

#include "model_weights.h"
#include "runner_core.h"

namespace tokenflow {

struct RunnerConfig {
  ModelConfig model;
  std::vector<TensorDesc> tensors;
  RunnerOptions options;
};

// Throws Napi::Error naming the first bad field.
RunnerConfig parse_runner_config(const Napi::Object& o);

}  // namespace tokenflow
