// A persistent pool of compute threads. The caller of run() takes part as thread 0, so a pool
// of N threads starts N - 1 of its own. Workers spin briefly between jobs (a forward pass
// issues hundreds of short parallel regions) and then sleep, so an idle pool costs nothing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tokenflow {

class ThreadPool {
 public:
  // num_threads <= 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Total threads taking part in run(), the caller included.
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  // Runs fn(task, thread) for every task in [0, num_tasks), handing tasks out dynamically;
  // `thread` is in [0, size()) and identifies per-thread scratch. Blocks until all are done.
  // The first exception a task throws is rethrown here. Not reentrant: one run at a time.
  void run(int num_tasks, const std::function<void(int task, int thread)>& fn);

 private:
  void worker_loop(int thread_index);
  void drain(int thread_index);

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> next_task_{0};
  std::atomic<int> busy_workers_{0};
  std::atomic<bool> stop_{false};
  int num_tasks_ = 0;
  const std::function<void(int, int)>* fn_ = nullptr;
  std::mutex error_mu_;
  std::exception_ptr error_;
};

}  // namespace tokenflow
