// The native runtime behind one Runner, free of N-API: the mapped model, the KV pool, the
// thread pool and the forward pass; executes validated steps (forward pass, then sampling).
// With a host tier (RunnerOptions::host_kv_bytes > 0) it also owns the host KV pool, the
// transfer engine (its own copy thread) and the locks of the transfers in flight.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "forward_pass.h"
#include "host_kv_pool.h"
#include "isa.h"
#include "kv_pool.h"
#include "model_weights.h"
#include "sampling.h"
#include "step_input.h"
#include "thread_pool.h"
#include "transfer_engine.h"
#include "transfer_locks.h"

namespace tokenflow {

struct RunnerOptions {
  uint64_t kv_cache_bytes = 0;
  uint64_t host_kv_bytes = 0;  // 0 = no host tier; else floor(host_kv_bytes / block bytes) blocks
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
  // Blocks of the host tier (0 = none).
  int64_t num_host_blocks() const { return host_ ? host_->num_blocks() : 0; }

  // Transfers (JS thread only, one call at a time): a step's transfers are checked against
  // those in flight and against its rows (transfer_locks.h; throws std::invalid_argument), then
  // issued to the copy thread before the step's forward pass starts. A transfer stays in flight
  // until take_transfers() reports it.
  size_t num_transfers_in_flight() const { return locks_ ? locks_->num_in_flight() : 0; }
  void check_transfers(const StepInput& in) const;
  void issue_transfers(const StepInput& in);
  // Appends the transfers completed since the last call to `out` and releases their blocks.
  void take_transfers(std::vector<TransferDone>& out);
  // Blocks (any thread) until every transfer issued so far has completed (or stop_transfers()).
  void wait_transfers();
  // Stops the copy thread after its current chunk and wakes waiters (dispose). Idempotent.
  void stop_transfers();
  // TEST ONLY: holds (or releases) the copy thread before its next chunk.
  void hold_transfers(bool held) {
    if (transfers_) transfers_->set_held(held);
  }

  // Runs a validated step (forward pass, then sampling). Not reentrant: one step at a time.
  // A step without rows only waits until a transfer completes (or none is left running).
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
  // Declared last: the copy thread stops (destroyed first) before the pools it copies go.
  std::unique_ptr<HostKvPool> host_;
  std::unique_ptr<TransferLocks> locks_;
  std::unique_ptr<TransferEngine> transfers_;
};

}  // namespace tokenflow
