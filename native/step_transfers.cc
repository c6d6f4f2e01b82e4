#include "step_transfers.h"

#include <algorithm>
#include <string>
#include <vector>

#include "step_input_fields.h"

namespace tokenflow {

namespace {

std::string at(const char* name, int64_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

void clear_transfers(StepInput& s) {
  s.num_transfers = 0;
  s.transfer_ids.clear();
  s.transfer_is_load.clear();
  s.transfer_start.clear();
  s.transfer_device_blocks.clear();
  s.transfer_host_blocks.clear();
}

void check_blocks(const Napi::Env& env, const char* name, const std::vector<int32_t>& blocks, int64_t num_blocks,
                  const char* pool) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (blocks[i] < 0 || blocks[i] >= num_blocks) {
      field_error(env, at(name, static_cast<int64_t>(i)) + " = " + std::to_string(blocks[i]) + " is outside the " + pool +
                           " of " + std::to_string(num_blocks) + " blocks");
    }
  }
}

void check_ids(const Napi::Env& env, const StepInput& s) {
  std::vector<int32_t> ids(s.transfer_ids);
  std::sort(ids.begin(), ids.end());
  const auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end()) field_error(env, "transferIds holds " + std::to_string(*dup) + " twice");
}

}  // namespace

void parse_step_transfers(const Napi::Object& o, const StepLimits& lim, StepInput& s) {
  const Napi::Env env = o.Env();
  const Napi::Value count = o.Get("numTransfers");
  if (count.IsUndefined() || count.IsNull()) return clear_transfers(s);
  const int n = static_cast<int>(int_field(o, "numTransfers", 0, kMaxStepTransfers));
  if (n == 0) return clear_transfers(s);
  if (lim.num_host_blocks == 0) {
    field_error(env, "numTransfers is " + std::to_string(n) + " but this runner has no host KV tier (init it with hostKvBytes)");
  }
  s.num_transfers = n;
  copy_array(o, "transferIds", static_cast<size_t>(n), s.transfer_ids);
  copy_array(o, "transferIsLoad", static_cast<size_t>(n), s.transfer_is_load);
  copy_array(o, "transferStart", static_cast<size_t>(n) + 1, s.transfer_start);
  if (s.transfer_start[0] != 0) field_error(env, "transferStart[0] must be 0");
  for (int k = 0; k < n; ++k) {
    if (s.transfer_is_load[k] > 1) field_error(env, at("transferIsLoad", k) + " must be 0 (store) or 1 (load)");
    if (s.transfer_start[k + 1] <= s.transfer_start[k]) {
      field_error(env, "transferStart must be strictly increasing (transfer " + std::to_string(k) + " has no blocks)");
    }
  }
  const size_t pairs = static_cast<size_t>(s.transfer_start[n]);
  copy_array(o, "transferDeviceBlocks", pairs, s.transfer_device_blocks);
  copy_array(o, "transferHostBlocks", pairs, s.transfer_host_blocks);
  check_blocks(env, "transferDeviceBlocks", s.transfer_device_blocks, lim.num_blocks, "KV pool");
  check_blocks(env, "transferHostBlocks", s.transfer_host_blocks, lim.num_host_blocks, "host KV pool");
  check_ids(env, s);
}

}  // namespace tokenflow
