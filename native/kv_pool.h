// The paged KV cache: a pool of fixed-size blocks of kKvBlockTokens tokens. One block holds
// the keys and values of its tokens for ALL layers contiguously, laid out
// [layer][K, V][kv_head][...], so a scheduler can move a whole block between memory tiers with
// one copy. Keys are [token in block][head_dim]; values are transposed, [head_dim][token in
// block], as llama.cpp stores V without flash attention, so P·V sums over tokens in lanes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tokenflow {

constexpr int kKvBlockTokens = 16;

enum class KvDType { F16 = 0, F32 = 1 };

class KvPool {
 public:
  // Sizes the pool as floor(budget_bytes / block_bytes()) blocks; throws when that is zero or
  // the memory cannot be reserved. Memory is mapped lazily (pages are touched on first use).
  KvPool(int num_layers, int num_kv_heads, int head_dim, KvDType dtype, uint64_t budget_bytes);
  ~KvPool();
  KvPool(const KvPool&) = delete;
  KvPool& operator=(const KvPool&) = delete;

  int64_t num_blocks() const { return num_blocks_; }
  int64_t block_bytes() const { return block_bytes_; }
  KvDType dtype() const { return dtype_; }
  int elem_bytes() const { return dtype_ == KvDType::F16 ? 2 : 4; }
  int head_dim() const { return head_dim_; }

  // Keys (kind 0: kKvBlockTokens rows of head_dim) or values (kind 1: head_dim rows of
  // kKvBlockTokens) of one kv head of one layer in one block.
  uint8_t* head_block(int64_t block, int layer, int kind, int kv_head) const {
    return base_ + block * block_bytes_ + (static_cast<int64_t>(layer) * 2 + kind) * plane_bytes_ +
           static_cast<int64_t>(kv_head) * kKvBlockTokens * head_dim_ * elem_bytes();
  }

  // Stores one token's keys and values (num_kv_heads x head_dim floats each) for one layer at
  // slot = block * kKvBlockTokens + offset, converting to the cache type.
  void write(int64_t slot, int layer, const float* k, const float* v);

  // The whole pool (for block copies between tiers).
  uint8_t* data() const { return base_; }

 private:
  int num_layers_;
  int num_kv_heads_;
  int head_dim_;
  KvDType dtype_;
  int64_t plane_bytes_;  // one layer's K (or V) for one block: kv_heads * 16 * head_dim elems
  int64_t block_bytes_;
  int64_t num_blocks_ = 0;
  size_t mapped_bytes_ = 0;
  uint8_t* base_ = nullptr;
};

}  // namespace tokenflow
