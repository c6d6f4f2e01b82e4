// One forward pass of a Llama-family model over a validated step: embeddings, every layer
// (RMSNorm, Q/K/V with optional bias and q/k norm, RoPE, KV write, paged attention, output
// projection, SwiGLU FFN), the final norm and the LM head for the rows that need logits.
#pragma once

#include <cstdint>
#include <vector>

#include "attention.h"
#include "gemm.h"
#include "kv_pool.h"
#include "model_weights.h"
#include "ops.h"
#include "thread_pool.h"

namespace tokenflow {

// A step as the forward pass sees it: tokens ordered decode tokens first (rows.num_decode of
// them). Arrays are validated and stay alive during run().
struct ForwardInput {
  AttentionRows rows;
  const int32_t* tokens = nullptr;        // num_tokens, each < vocab
  const int32_t* slot_mapping = nullptr;  // num_tokens KV slots
  // Index (into the tokens above) of each row whose logits are wanted, in output order.
  const std::vector<int32_t>* logit_tokens = nullptr;
};

class ForwardPass {
 public:
  ForwardPass(const ModelWeights& weights, KvPool& kv, ThreadPool& pool, IsaLevel isa);

  // Runs the step; writes logit_tokens.size() x vocab logits (row-major) to `logits`.
  void run(const ForwardInput& in, float* logits);

 private:
  void embed(const ForwardInput& in, int n);
  void attention_block(int layer, const ForwardInput& in, int n);
  void qkv_postprocess(const LayerWeights& w, int layer, const ForwardInput& in, int n);
  void ffn_block(int layer, int n, int n_decode);
  void keep_rows(const std::vector<int32_t>& rows);
  void norm_rows(const float* w, const float* x, float* y, int n, int width);
  void add_rows(float* x, const float* d, int64_t count);

  const ModelWeights& w_;
  const ModelConfig& c_;
  KvPool& kv_;
  ThreadPool& pool_;
  IsaLevel isa_;
  Gemm gemm_;
  PagedAttention attention_;
  RopeParams rope_;
  std::vector<float> x_, xn_, q_, k_, v_, att_, tmp_, gate_, up_, rope_cache_;
};

}  // namespace tokenflow
