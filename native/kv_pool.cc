#include "kv_pool.h"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "half.h"

namespace tokenflow {

KvPool::KvPool(int num_layers, int num_kv_heads, int head_dim, KvDType dtype, uint64_t budget_bytes)
    : num_layers_(num_layers), num_kv_heads_(num_kv_heads), head_dim_(head_dim), dtype_(dtype) {
  plane_bytes_ = static_cast<int64_t>(num_kv_heads) * kKvBlockTokens * head_dim * elem_bytes();
  block_bytes_ = plane_bytes_ * 2 * num_layers;
  num_blocks_ = static_cast<int64_t>(budget_bytes / static_cast<uint64_t>(block_bytes_));
  if (num_blocks_ < 1) {
    throw std::runtime_error("kvCacheBytes (" + std::to_string(budget_bytes) + ") is smaller than one KV block (" +
                             std::to_string(block_bytes_) + " bytes)");
  }
  // Slots are int32 in step inputs.
  const int64_t max_blocks = (int64_t{1} << 31) / kKvBlockTokens - 1;
  if (num_blocks_ > max_blocks) num_blocks_ = max_blocks;
  mapped_bytes_ = static_cast<size_t>(num_blocks_ * block_bytes_);
  void* p = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw std::runtime_error("cannot reserve " + std::to_string(mapped_bytes_) + " bytes for the KV pool");
  }
  base_ = static_cast<uint8_t*>(p);
}

KvPool::~KvPool() {
  if (base_) ::munmap(base_, mapped_bytes_);
}

void KvPool::write(int64_t slot, int layer, const float* k, const float* v) {
  const int64_t block = slot / kKvBlockTokens;
  const int offset = static_cast<int>(slot % kKvBlockTokens);
  for (int h = 0; h < num_kv_heads_; ++h) {
    const float* ks = k + static_cast<int64_t>(h) * head_dim_;
    const float* vs = v + static_cast<int64_t>(h) * head_dim_;
    uint8_t* kd = head_block(block, layer, 0, h) + static_cast<int64_t>(offset) * head_dim_ * elem_bytes();
    uint8_t* vd = head_block(block, layer, 1, h) + static_cast<int64_t>(offset) * elem_bytes();
    for (int i = 0; i < head_dim_; ++i) {
      if (dtype_ == KvDType::F32) {
        std::memcpy(kd + i * 4, &ks[i], 4);
        std::memcpy(vd + static_cast<int64_t>(i) * kKvBlockTokens * 4, &vs[i], 4);
      } else {
        const uint16_t kh = f32_to_f16(ks[i]);
        const uint16_t vh = f32_to_f16(vs[i]);
        std::memcpy(kd + i * 2, &kh, 2);
        std::memcpy(vd + static_cast<int64_t>(i) * kKvBlockTokens * 2, &vh, 2);
      }
    }
  }
}

}  // namespace tokenflow
