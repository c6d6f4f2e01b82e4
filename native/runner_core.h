// The native runtime behind one Runner, free of N-API: the mapped model, the KV pool, the
// thread pool and the forward pass; executes validated steps (forward pass, then sampling).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "forward_pass.h"
#include "isa.h"
#include "kv_pool.h"
#include "model_weights.h"
#include "sampling.h"
#include "step_input.h"
#include "thread_pool.h"

namespace tokenflow {

struct RunnerOptions {
  uint64_t kv_cache_bytes = 0;
  KvDType kv_dtype = KvDType::F16;
  int num_threads = 0;          // <= 0: hardware concurrency
  std::string isa = "auto";     // auto | avx512 | avx2 | scalar
  int max_batch_tokens = 4096;  // most tokens one step may carry (sizes scratch memory)
  bool populate = true;         // pre-fault the model map
};

// What one step produced. Row-indexed arrays have num_rows entries (kMaxTopLogprobs per row
// for the top-logprob arrays); logits has one vocab-sized row per sampled row.
struct StepOutput {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::vector<int32_t> top_ids;
  std::vector<float> top_logprobs;
  std::vector<int32_t> num_top;
  std::vector<float> logits;
  double forward_ms = 0.0;
  double sample_ms = 0.0;
};

class RunnerCore {
 public:
  // Maps the model, checks it, and sizes the KV pool. Throws std::runtime_error.
  RunnerCore(const ModelConfig& config, const std::vector<TensorDesc>& tensors, const RunnerOptions& options);

  const ModelConfig& config() const { return weights_->config(); }
  const KvPool& kv() const { return *kv_; }
  int num_threads() const { return pool_->size(); }
  IsaLevel isa() const { return isa_; }
  int max_batch_tokens() const { return max_batch_tokens_; }

  // Runs a validated step (forward pass, then sampling). Not reentrant: one step at a time.
  void step(const StepInput& in, StepOutput& out);
  // The two halves of step(), for callers that fill grammar masks while the forward pass runs:
  // forward() leaves the sampled rows' logits in `out`, sample() samples them (same `in` rows).
  void forward(const StepInput& in, StepOutput& out);
  void sample(const StepInput& in, StepOutput& out);

 private:
  void sample_rows(const StepInput& in, StepOutput& out);
  // Orders the step's tokens decode rows first and fills the forward pass's view of them.
  void order_tokens(const StepInput& in, ForwardInput& fin);

  IsaLevel isa_;
  int max_batch_tokens_;
  std::unique_ptr<ModelWeights> weights_;
  std::unique_ptr<KvPool> kv_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<ForwardPass> forward_;
  std::vector<SamplingScratch> scratch_;  // per thread
  std::vector<SampleResult> results_;     // per sampled row
  std::vector<int32_t> tokens_, positions_, slots_, token_row_, logit_tokens_, new_index_;
};

}  // namespace tokenflow
