#include "host_kv_pool.h"

#include <sys/mman.h>

#include <stdexcept>
#include <string>

namespace tokenflow {

HostKvPool::HostKvPool(int64_t block_bytes, uint64_t budget_bytes) : block_bytes_(block_bytes) {
  num_blocks_ = static_cast<int64_t>(budget_bytes / static_cast<uint64_t>(block_bytes_));
  if (num_blocks_ < 1) {
    throw std::runtime_error("hostKvBytes (" + std::to_string(budget_bytes) + ") is smaller than one KV block (" +
                             std::to_string(block_bytes_) + " bytes); pass 0 for no host tier");
  }
  // Host block ids are int32 in step inputs.
  const int64_t max_blocks = (int64_t{1} << 31) - 1;
  if (num_blocks_ > max_blocks) num_blocks_ = max_blocks;
  mapped_bytes_ = static_cast<size_t>(num_blocks_ * block_bytes_);
  void* p = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw std::runtime_error("cannot reserve " + std::to_string(mapped_bytes_) + " bytes for the host KV tier");
  }
  base_ = static_cast<uint8_t*>(p);
}

HostKvPool::~HostKvPool() {
  if (base_) ::munmap(base_, mapped_bytes_);
}

}  // namespace tokenflow
