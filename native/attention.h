// Paged attention over the KV pool for one layer of one step. A step may mix prefill chunks
// (each token attends causally to the cached prefix and the chunk up to itself) and
// single-token decodes of many sequences, each row with its own block table. Arithmetic
// follows llama.cpp's non-flash path: Q rounded to the cache type, K·Q in F32, scaled
// softmax, probabilities rounded to the cache type, then P·V.
#pragma once

#include <cstdint>
#include <vector>

#include "attention_kernels.h"
#include "isa.h"
#include "kv_pool.h"
#include "thread_pool.h"

namespace tokenflow {

// The tokens of a step as attention sees them (validated before the step runs).
struct AttentionRows {
  int num_tokens = 0;
  int num_decode = 0;                     // tokens [0, num_decode) are decode tokens
  const int32_t* positions = nullptr;     // per token; position == index in the row's KV
  const int32_t* token_row = nullptr;     // per token: its row in block_tables
  const int32_t* block_tables = nullptr;  // rows x max_blocks_per_row
  int max_blocks_per_row = 0;
};

class PagedAttention {
 public:
  PagedAttention(ThreadPool& pool, IsaLevel isa, int num_heads, int num_kv_heads, int head_dim);

  // out (num_tokens x num_heads x head_dim) = attention of q (same shape, after RoPE) over
  // the cache of `layer`, whose entries for this step's tokens are already written.
  void run(const KvPool& kv, int layer, const AttentionRows& rows, const float* q, float* out);

 private:
  struct Scratch {
    std::vector<float> scores;  // padded to whole blocks
    std::vector<float> q;       // Q rounded to the cache type
    std::vector<float> acc;     // head_dim x kAttentionAccLanes accumulators of P·V
  };
  void head(const KvPool& kv, int layer, const int32_t* table, int n_keys, bool decode, const float* q, float* out,
            int kv_head, Scratch& scratch) const;

  ThreadPool& pool_;
  IsaLevel isa_;
  int num_heads_;
  int num_kv_heads_;
  int head_dim_;
  float scale_;
  std::vector<Scratch> scratch_;  // per thread
};

}  // namespace tokenflow
