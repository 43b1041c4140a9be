// A persistent pool of spinning worker threads: the engine's threads live as long as the
// executor, so a step never pays for thread creation, and Run allocates nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace sbe::cpu {

// A hint to the core that this thread is spinning (x86 `pause`): it frees the core's
// resources for its sibling hyperthread and keeps the wait from flooding the memory order
// machinery.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Waits for `ready` to become true: spins briefly (the common case is a wait of
// microseconds), then yields, so that more threads than cores still make progress.
template <typename Ready>
void SpinUntil(Ready ready) {
  for (int spins = 0; !ready(); ++spins) {
    if (spins > 4096) {
      std::this_thread::yield();
    } else {
      CpuRelax();
    }
  }
}

// A sense-reversing barrier among a fixed team of `count` threads: the whole pool, or one team
// of a decomposition (sbe/cpu_plan.h), whose threads meet every step while the other teams go
// their own way.
class alignas(64) SpinBarrier {
 public:
  explicit SpinBarrier(int count = 1) : count_(count < 1 ? 1 : count) {}
  void Reset(int count) { count_ = count < 1 ? 1 : count; }
  void Wait();

 private:
  int count_;
  std::atomic<int> arrived_{0};
  std::atomic<uint64_t> generation_{0};
};

class ThreadPool {
 public:
  // How long an idle worker spins for the next job before it sleeps: runs of a model follow
  // each other within microseconds while a batch is served, and waking a sleeping thread
  // costs tens of microseconds.
  static constexpr std::chrono::microseconds kIdleSpin{200};

  // threads: the number of threads that run each job, the caller included (>= 1).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return threads_; }
  // Runs job(context, thread) on every thread (the caller is thread 0) and returns when all
  // have finished.
  using Job = void (*)(void* context, int thread);
  void Run(Job job, void* context);
  // A barrier among the threads of the running job.
  void Barrier();

 private:
  void Worker(int thread);

  int threads_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> running_{0};
  std::atomic<bool> stop_{false};
  Job job_ = nullptr;
  void* context_ = nullptr;
  SpinBarrier barrier_;
};

}  // namespace sbe::cpu
