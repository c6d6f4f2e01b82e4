#include "thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define TF_PAUSE() _mm_pause()
#else
#define TF_PAUSE() std::this_thread::yield()
#endif

namespace tokenflow {

namespace {
// Spinning before a worker goes to sleep (a few hundred microseconds), yielding the core now
// and then so that an oversubscribed machine still makes progress.
constexpr int kSpinIterations = 20000;
constexpr int kSpinsPerYield = 1024;

inline void relax(int spins) {
  if (spins % kSpinsPerYield == kSpinsPerYield - 1) std::this_thread::yield();
  else TF_PAUSE();
}
}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  int n = num_threads > 0 ? num_threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  threads_.reserve(n - 1);
  for (int i = 1; i < n; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::drain(int thread_index) {
  for (;;) {
    const int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= num_tasks_) return;
    try {
      (*fn_)(task, thread_index);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
}

void ThreadPool::worker_loop(int thread_index) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIterations) relax(spins++);
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load() != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    drain(thread_index);
    busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int num_tasks, const std::function<void(int, int)>& fn) {
  if (num_tasks <= 0) return;
  if (threads_.empty() || num_tasks == 1) {
    for (int t = 0; t < num_tasks; ++t) fn(t, 0);
    return;
  }
  fn_ = &fn;
  num_tasks_ = num_tasks;
  error_ = nullptr;
  next_task_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(threads_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  cv_.notify_all();
  drain(0);
  for (int spins = 0; busy_workers_.load(std::memory_order_acquire) != 0;) relax(spins++);
  fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

}  // namespace tokenflow
