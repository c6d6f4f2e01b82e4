// The KV transfer engine of the CPU runtime: one copy thread serving two FIFO queues, store
// (device -> host: write-through, evict) and load (host -> device). The thread alternates
// between the queues chunk by chunk, so a long evict never holds a load back (and the reverse),
// and both run while the forward pass computes on the thread pool. A transfer's block pairs are
// coalesced into runs of consecutive ids on both sides, each run one memcpy (in chunks).
// Completions are collected under a mutex and handed out by take_completed(); they are data
// for a later step's output, never a callback. The caller guarantees (transfer_locks.h) that no
// copy races another copy or the forward pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tokenflow {

// One completed transfer.
struct TransferDone {
  int32_t id = 0;
  bool is_load = false;
  int64_t bytes = 0;
  double copy_ms = 0.0;     // time the copy thread spent copying it (bytes / copy_ms = bandwidth)
  double latency_ms = 0.0;  // from enqueue to completion, queueing included
};

class TransferEngine {
 public:
  // Copies between device_base and host_base, both laid out as contiguous blocks of
  // block_bytes (the pools outlive the engine). Starts the copy thread.
  TransferEngine(uint8_t* device_base, uint8_t* host_base, int64_t block_bytes);
  // Stops after the chunk being copied (queued copies are abandoned) and joins the thread.
  ~TransferEngine();
  TransferEngine(const TransferEngine&) = delete;
  TransferEngine& operator=(const TransferEngine&) = delete;

  // Queues one transfer of n block pairs (ids already validated). Thread-safe.
  void enqueue(int32_t id, bool is_load, const int32_t* device_blocks, const int32_t* host_blocks, int n);
  // Appends the completions since the last call to `out`, in completion order. Thread-safe.
  void take_completed(std::vector<TransferDone>& out);
  // Blocks until both queues are empty (every transfer enqueued so far is done), or shutdown.
  void wait_idle();
  // Blocks until a completion awaits take_completed(), or both queues are empty, or shutdown.
  void wait_progress();
  // Makes the thread stop after its current chunk and wakes every waiter. Idempotent.
  void shutdown();
  // TEST ONLY: while held, the thread starts no new chunk (so tests can keep transfers in
  // flight deterministically). shutdown() works regardless.
  void set_held(bool held);

 private:
  struct Run {
    int64_t device_block;
    int64_t host_block;
    int64_t num_blocks;
  };
  struct Job {
    int32_t id = 0;
    bool is_load = false;
    std::vector<Run> runs;
    size_t run = 0;          // cursor: the run being copied
    int64_t run_offset = 0;  // cursor: bytes of that run already handed out
    int64_t bytes = 0;
    double copy_ms = 0.0;
    std::chrono::steady_clock::time_point enqueued;
  };
  struct Chunk {
    uint8_t* dst;
    const uint8_t* src;
    size_t bytes;
  };

  void loop();
  // The next piece of `job` to copy; advances its cursor. Sets `last` when it is the final one.
  Chunk next_chunk(Job& job, bool& last) const;
  bool idle() const { return queues_[0].empty() && queues_[1].empty(); }

  uint8_t* device_base_;
  uint8_t* host_base_;
  int64_t block_bytes_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // the copy thread waits for jobs
  std::condition_variable done_cv_;  // callers wait for completions
  std::deque<Job> queues_[2];        // [0] store, [1] load; only the copy thread pops
  std::vector<TransferDone> completed_;
  bool stop_ = false;
  bool held_ = false;
  int turn_ = 0;  // queue served next when both have work
  std::thread thread_;
};

}  // namespace tokenflow
