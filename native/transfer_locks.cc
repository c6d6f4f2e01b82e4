#include "transfer_locks.h"

#include <stdexcept>
#include <string>

#include "kv_pool.h"

namespace tokenflow {

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string at(const char* name, int64_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

std::string block_str(const char* tier, int32_t b) { return std::string(tier) + " block " + std::to_string(b); }

}  // namespace

// Blocks this step's transfers take, block -> transfer id.
struct TransferLocks::StepClaims {
  std::unordered_map<int32_t, int32_t> load_device, store_device, store_host, load_host;
};

TransferLocks::TransferLocks(int64_t num_device_blocks, int64_t num_host_blocks)
    : device_loading_(static_cast<size_t>(num_device_blocks), 0),
      device_storing_(static_cast<size_t>(num_device_blocks), 0),
      host_storing_(static_cast<size_t>(num_host_blocks), 0),
      host_loading_(static_cast<size_t>(num_host_blocks), 0) {}

int32_t TransferLocks::holder(bool is_load, bool device_side, int32_t block) const {
  for (const auto& [id, held] : in_flight_) {
    if (held.is_load != is_load) continue;
    for (int32_t b : device_side ? held.device_blocks : held.host_blocks) {
      if (b == block) return id;
    }
  }
  return -1;
}

void TransferLocks::check_transfer(const StepInput& in, int k, StepClaims& c) const {
  const int32_t id = in.transfer_ids[k];
  if (in_flight_.count(id)) fail(at("transferIds", k) + " = " + std::to_string(id) + " is already in flight (its completion is not reported yet)");
  const bool load = in.transfer_is_load[k] == 1;
  const std::string what = std::string(load ? "load " : "store ") + std::to_string(id);
  for (int32_t i = in.transfer_start[k]; i < in.transfer_start[k + 1]; ++i) {
    const int32_t d = in.transfer_device_blocks[i];
    const int32_t h = in.transfer_host_blocks[i];
    const std::string dev = at("transferDeviceBlocks", i) + " (" + what + "): " + block_str("device", d);
    const std::string host = at("transferHostBlocks", i) + " (" + what + "): " + block_str("host", h);
    if (device_loading_[d]) fail(dev + " is the target of load " + std::to_string(holder(true, true, d)) + " in flight");
    if (c.load_device.count(d)) fail(dev + " is the target of load " + std::to_string(c.load_device[d]) + " of this step");
    if (load) {
      if (device_storing_[d]) fail(dev + " is read by store " + std::to_string(holder(false, true, d)) + " in flight");
      if (c.store_device.count(d)) fail(dev + " is read by store " + std::to_string(c.store_device[d]) + " of this step");
    }
    if (host_storing_[h]) fail(host + " is the target of store " + std::to_string(holder(false, false, h)) + " in flight");
    if (c.store_host.count(h)) fail(host + " is the target of store " + std::to_string(c.store_host[h]) + " of this step");
    if (!load && host_loading_[h]) fail(host + " is read by load " + std::to_string(holder(true, false, h)) + " in flight");
    if (!load && c.load_host.count(h)) fail(host + " is read by load " + std::to_string(c.load_host[h]) + " of this step");
    (load ? c.load_device : c.store_device)[d] = id;
    (load ? c.load_host : c.store_host)[h] = id;
  }
}

void TransferLocks::check_rows(const StepInput& in, const StepClaims& c) const {
  if (num_loading_ > 0 || !c.load_device.empty()) {
    for (int r = 0; r < in.num_rows; ++r) {
      const int64_t row0 = static_cast<int64_t>(r) * in.max_blocks_per_row;
      for (int b = 0; b < (in.row_context_len[r] + kKvBlockTokens - 1) / kKvBlockTokens; ++b) {
        const int32_t d = in.block_tables[row0 + b];
        const std::string field = at("blockTables", row0 + b);
        if (device_loading_[d]) {
          fail(field + " = " + std::to_string(d) + ": device block " + std::to_string(d) + " is the target of load " +
               std::to_string(holder(true, true, d)) + ", not reported complete yet (a row may use it only after that)");
        }
        const auto it = c.load_device.find(d);
        if (it != c.load_device.end()) {
          fail("transferDeviceBlocks: load " + std::to_string(it->second) + " targets device block " + std::to_string(d) +
               ", which this step's rows read or write (" + field + "); a block may be loaded only while no row uses it");
        }
      }
    }
  }
  if (num_storing_ == 0 && c.store_device.empty()) return;
  for (int t = 0; t < in.num_tokens; ++t) {
    const int32_t d = in.slot_mapping[t] / kKvBlockTokens;
    const std::string field = at("slotMapping", t);
    if (device_storing_[d]) {
      fail(field + " writes device block " + std::to_string(d) + ", which store " + std::to_string(holder(false, true, d)) +
           " still reads (not reported complete yet)");
    }
    const auto it = c.store_device.find(d);
    if (it != c.store_device.end()) {
      fail("transferDeviceBlocks: store " + std::to_string(it->second) + " reads device block " + std::to_string(d) +
           ", which this step writes (" + field + "); store a block after the step that fills it");
    }
  }
}

void TransferLocks::check(const StepInput& in) const {
  if (in.num_transfers == 0 && in_flight_.empty()) return;
  StepClaims c;
  for (int k = 0; k < in.num_transfers; ++k) check_transfer(in, k, c);
  check_rows(in, c);
}

void TransferLocks::claim(const StepInput& in) {
  for (int k = 0; k < in.num_transfers; ++k) {
    Held held;
    held.is_load = in.transfer_is_load[k] == 1;
    const int32_t i0 = in.transfer_start[k];
    const int32_t i1 = in.transfer_start[k + 1];
    held.device_blocks.assign(in.transfer_device_blocks.begin() + i0, in.transfer_device_blocks.begin() + i1);
    held.host_blocks.assign(in.transfer_host_blocks.begin() + i0, in.transfer_host_blocks.begin() + i1);
    for (size_t i = 0; i < held.device_blocks.size(); ++i) {
      const int32_t d = held.device_blocks[i];
      const int32_t h = held.host_blocks[i];
      if (held.is_load) {
        device_loading_[d] = 1;
        ++host_loading_[h];
        ++num_loading_;
      } else {
        ++device_storing_[d];
        host_storing_[h] = 1;
        ++num_storing_;
      }
    }
    in_flight_[in.transfer_ids[k]] = std::move(held);
  }
}

void TransferLocks::release(int32_t id) {
  const auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const Held& held = it->second;
  for (size_t i = 0; i < held.device_blocks.size(); ++i) {
    const int32_t d = held.device_blocks[i];
    const int32_t h = held.host_blocks[i];
    if (held.is_load) {
      device_loading_[d] = 0;
      --host_loading_[h];
      --num_loading_;
    } else {
      --device_storing_[d];
      host_storing_[h] = 0;
      --num_storing_;
    }
  }
  in_flight_.erase(it);
}

}  // namespace tokenflow
