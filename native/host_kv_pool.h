// The host KV tier: a pool of blocks in ordinary memory with exactly the device pool's block
// layout (kv_pool.h), so a block moves between tiers with one contiguous copy and a run of
// consecutive block ids on both sides with one copy. The bytes are opaque here: only the
// transfer engine reads or writes them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tokenflow {

class HostKvPool {
 public:
  // floor(budget_bytes / block_bytes) blocks, capped so that block ids fit an int32; throws
  // std::runtime_error when that is zero or the memory cannot be reserved. Pages are mapped
  // lazily (touched on first copy).
  HostKvPool(int64_t block_bytes, uint64_t budget_bytes);
  ~HostKvPool();
  HostKvPool(const HostKvPool&) = delete;
  HostKvPool& operator=(const HostKvPool&) = delete;

  int64_t num_blocks() const { return num_blocks_; }
  int64_t block_bytes() const { return block_bytes_; }
  // First byte of block `block` (blocks are contiguous: block b + 1 follows block b).
  uint8_t* block(int64_t block) const { return base_ + block * block_bytes_; }

 private:
  int64_t block_bytes_;
  int64_t num_blocks_ = 0;
  size_t mapped_bytes_ = 0;
  uint8_t* base_ = nullptr;
};

}  // namespace tokenflow
