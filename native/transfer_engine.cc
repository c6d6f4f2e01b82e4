#include "transfer_engine.h"

#include <algorithm>
#include <cstring>

namespace tokenflow {

namespace {

// Largest piece copied before the thread looks at the other queue: big enough for full memcpy
// bandwidth, small enough that a load waits at most about a millisecond behind an evict.
constexpr int64_t kChunkBytes = int64_t{4} << 20;

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

TransferEngine::TransferEngine(uint8_t* device_base, uint8_t* host_base, int64_t block_bytes)
    : device_base_(device_base), host_base_(host_base), block_bytes_(block_bytes) {
  thread_ = std::thread([this] { loop(); });
}

TransferEngine::~TransferEngine() {
  shutdown();
  if (thread_.joinable()) thread_.join();
}

void TransferEngine::enqueue(int32_t id, bool is_load, const int32_t* device_blocks, const int32_t* host_blocks, int n) {
  Job job;
  job.id = id;
  job.is_load = is_load;
  job.bytes = static_cast<int64_t>(n) * block_bytes_;
  for (int i = 0; i < n; ++i) {
    Run* last = job.runs.empty() ? nullptr : &job.runs.back();
    if (last && device_blocks[i] == last->device_block + last->num_blocks &&
        host_blocks[i] == last->host_block + last->num_blocks) {
      ++last->num_blocks;
    } else {
      job.runs.push_back(Run{device_blocks[i], host_blocks[i], 1});
    }
  }
  job.enqueued = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (job.runs.empty()) {
      completed_.push_back(TransferDone{id, is_load, 0, 0.0, 0.0});
      done_cv_.notify_all();
      return;
    }
    queues_[is_load ? 1 : 0].push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void TransferEngine::take_completed(std::vector<TransferDone>& out) {
  std::lock_guard<std::mutex> lock(mu_);
  out.insert(out.end(), completed_.begin(), completed_.end());
  completed_.clear();
}

void TransferEngine::wait_idle() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return stop_ || idle(); });
}

void TransferEngine::wait_progress() {
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [this] { return stop_ || !completed_.empty() || idle(); });
}

void TransferEngine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  done_cv_.notify_all();
}

void TransferEngine::set_held(bool held) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = held;
  }
  work_cv_.notify_all();
}

TransferEngine::Chunk TransferEngine::next_chunk(Job& job, bool& last) const {
  const Run& run = job.runs[job.run];
  const int64_t run_bytes = run.num_blocks * block_bytes_;
  const int64_t n = std::min(kChunkBytes, run_bytes - job.run_offset);
  uint8_t* device = device_base_ + run.device_block * block_bytes_ + job.run_offset;
  uint8_t* host = host_base_ + run.host_block * block_bytes_ + job.run_offset;
  job.run_offset += n;
  if (job.run_offset == run_bytes) {
    ++job.run;
    job.run_offset = 0;
  }
  last = job.run == job.runs.size();
  return job.is_load ? Chunk{device, host, static_cast<size_t>(n)} : Chunk{host, device, static_cast<size_t>(n)};
}

void TransferEngine::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stop_ || (!held_ && !idle()); });
    if (stop_) return;
    const int q = queues_[turn_].empty() ? turn_ ^ 1 : turn_;
    turn_ = q ^ 1;
    // A reference into a deque survives the other thread's push_back; only this thread pops.
    Job& job = queues_[q].front();
    bool last = false;
    const Chunk c = next_chunk(job, last);
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(c.dst, c.src, c.bytes);
    const auto t1 = std::chrono::steady_clock::now();
    lock.lock();
    job.copy_ms += ms_between(t0, t1);
    if (stop_) return;
    if (!last) continue;
    completed_.push_back(TransferDone{job.id, job.is_load, job.bytes, job.copy_ms, ms_between(job.enqueued, t1)});
    queues_[q].pop_front();
    done_cv_.notify_all();
  }
}

}  // namespace tokenflow
