#include "attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "half.h"
#include "ops.h"

namespace tokenflow {

PagedAttention::PagedAttention(ThreadPool& pool, IsaLevel isa, int num_heads, int num_kv_heads, int head_dim)
    : pool_(pool),
      isa_(isa),
      num_heads_(num_heads),
      num_kv_heads_(num_kv_heads),
      head_dim_(head_dim),
      scale_(1.0f / std::sqrt(static_cast<float>(head_dim))),
      scratch_(pool.size()) {}

void PagedAttention::head(const KvPool& kv, int layer, const int32_t* table, int n_keys, bool decode, const float* q,
                          float* out, int kv_head, Scratch& sc) const {
  const AttentionKernels k = attention_kernels(isa_, kv.dtype());
  const bool f16 = kv.dtype() == KvDType::F16;
  const int hd = head_dim_;
  const float* qh = q;
  if (f16) {
    for (int d = 0; d < hd; ++d) sc.q[d] = round_f16(q[d]);
    qh = sc.q.data();
  }
  float* s = sc.scores.data();
  const int num_blocks = (n_keys + kKvBlockTokens - 1) / kKvBlockTokens;
  const int padded = num_blocks * kKvBlockTokens;
  for (int b = 0; b < num_blocks; ++b) {
    const int count = std::min(kKvBlockTokens, n_keys - b * kKvBlockTokens);
    (decode ? k.scores_decode : k.scores)(qh, kv.head_block(table[b], layer, 0, kv_head), hd, count, s + b * kKvBlockTokens);
  }
  for (int j = 0; j < n_keys; ++j) s[j] *= scale_;
  // Masked keys up to the block edge, as llama.cpp's padded KV view: exp gives exact zeros.
  for (int j = n_keys; j < padded; ++j) s[j] = -INFINITY;
  softmax_inplace(isa_, s, padded);
  if (f16) {
    for (int j = 0; j < n_keys; ++j) s[j] = round_f16(s[j]);
  }
  std::fill(sc.acc.begin(), sc.acc.end(), 0.0f);
  for (int b = 0; b < num_blocks; ++b) {
    const int count = std::min(kKvBlockTokens, n_keys - b * kKvBlockTokens);
    const uint8_t* vb = kv.head_block(table[b], layer, 1, kv_head);
    if (decode) k.accumulate_decode(s + b * kKvBlockTokens, vb, hd, count, b, sc.acc.data());
    else k.accumulate(s + b * kKvBlockTokens, vb, hd, count, sc.acc.data());
  }
  (decode ? k.finish_decode : k.finish)(sc.acc.data(), hd, out);
}

void PagedAttention::run(const KvPool& kv, int layer, const AttentionRows& rows, const float* q, float* out) {
  int max_keys = 0;
  for (int t = 0; t < rows.num_tokens; ++t) max_keys = std::max(max_keys, rows.positions[t] + 1);
  const int padded = (max_keys + kKvBlockTokens - 1) / kKvBlockTokens * kKvBlockTokens;
  for (auto& sc : scratch_) {
    sc.scores.resize(padded);
    sc.q.resize(head_dim_);
    sc.acc.resize(static_cast<size_t>(head_dim_) * kAttentionAccLanes);
  }
  const int group = num_heads_ / num_kv_heads_;
  const int64_t token_stride = static_cast<int64_t>(num_heads_) * head_dim_;
  pool_.run(rows.num_tokens * num_kv_heads_, [&](int task, int thread) {
    const int t = task / num_kv_heads_;
    const int g = task % num_kv_heads_;
    const int32_t* table = rows.block_tables + static_cast<int64_t>(rows.token_row[t]) * rows.max_blocks_per_row;
    const bool decode = t < rows.num_decode;
    for (int h = g * group; h < (g + 1) * group; ++h) {
      const int64_t off = t * token_stride + static_cast<int64_t>(h) * head_dim_;
      head(kv, layer, table, rows.positions[t] + 1, decode, q + off, out + off, g, scratch_[thread]);
    }
  });
}

}  // namespace tokenflow
