// Which KV blocks the transfers in flight hold, and the checks that keep the copy thread from
// racing another copy or the forward pass. A transfer holds its blocks from issue until its
// completion is REPORTED to the caller (not merely until the memcpy ends), so whether a step is
// accepted never depends on timing. The contract, enforced by check():
//  - a load (host h -> device d) needs d not read by a store, nor the target of another load,
//    nor read or written by this step's rows (block tables within each row's context); and h
//    not the target of a store;
//  - a store (device d -> host h) needs d not the target of a load, nor written by this step's
//    rows (slot mapping); and h not the target of another store nor read by a load. Rows may
//    read a block being stored, and several stores may read one device block;
//  - every id differs from the ids in flight.
// Used on the JS thread only (step validation and completion reports).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "step_input.h"

namespace tokenflow {

class TransferLocks {
 public:
  TransferLocks(int64_t num_device_blocks, int64_t num_host_blocks);

  // Transfers issued and not yet released.
  size_t num_in_flight() const { return in_flight_.size(); }
  // Checks the step's transfers against each other and against those in flight, and the
  // step's rows against all of them. Throws std::invalid_argument naming the field; changes
  // nothing.
  void check(const StepInput& in) const;
  // Records the step's (checked) transfers as in flight.
  void claim(const StepInput& in);
  // Releases a transfer whose completion was reported (unknown ids are ignored).
  void release(int32_t id);

 private:
  struct Held {
    bool is_load;
    std::vector<int32_t> device_blocks, host_blocks;
  };
  struct StepClaims;

  void check_transfer(const StepInput& in, int k, StepClaims& c) const;
  void check_rows(const StepInput& in, const StepClaims& c) const;
  // The id of a transfer in flight of the given kind that holds `block` (error messages only).
  int32_t holder(bool is_load, bool device_side, int32_t block) const;

  std::unordered_map<int32_t, Held> in_flight_;
  std::vector<uint8_t> device_loading_;  // target of a load
  std::vector<int32_t> device_storing_;  // read by this many stores
  std::vector<uint8_t> host_storing_;    // target of a store
  std::vector<int32_t> host_loading_;    // read by this many loads
  int64_t num_loading_ = 0;              // device blocks being loaded
  int64_t num_storing_ = 0;              // (device block, store) pairs in flight
};

}  // namespace tokenflow
