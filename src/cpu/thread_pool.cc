#include "cpu/thread_pool.h"

namespace sbe::cpu {

void SpinBarrier::Wait() {
  if (count_ == 1) return;
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == count_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  SpinUntil([&] { return generation_.load(std::memory_order_acquire) != generation; });
}

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), barrier_(threads_) {
  for (int t = 1; t < threads_; ++t) workers_.emplace_back([this, t] { Worker(t); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::Worker(int thread) {
  uint64_t seen = 0;
  for (;;) {
    // Spin first (jobs follow each other closely while a model runs), then sleep. No
    // yielding in between: a yielding thread stays runnable, and on a machine with as many
    // threads as cores an idle pool's yields took the cores from another engine's threads
    // for milliseconds after each of its runs.
    const auto deadline = std::chrono::steady_clock::now() + kIdleSpin;
    for (int spins = 0; generation_.load(std::memory_order_acquire) == seen; ++spins) {
      if (spins % 64 == 63 && std::chrono::steady_clock::now() > deadline) {
        generation_.wait(seen, std::memory_order_acquire);
      } else {
        CpuRelax();
      }
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    job_(context_, thread);
    running_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::Run(Job job, void* context) {
  job_ = job;
  context_ = context;
  running_.store(threads_ - 1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  job(context, 0);
  SpinUntil([&] { return running_.load(std::memory_order_acquire) == 0; });
}

void ThreadPool::Barrier() { barrier_.Wait(); }

}  // namespace sbe::cpu
