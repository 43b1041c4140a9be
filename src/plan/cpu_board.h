// The `cpu` board: this machine described in the board format, from CPUID and a short
// measurement of its memory read bandwidth.
#pragma once

#include <chrono>
#include <thread>
#include <vector>

#include "sbe/board.h"

namespace sbe {

// Runs body(thread) on `threads` threads at once; returns the wall time in seconds (the
// measurements below, and the bench's ceilings).
template <typename F>
double TimeOnThreads(int threads, F body) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { body(t); });
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// measure_bandwidth = false skips the ~0.1 s DRAM probe and states a nominal 20 GB/s instead
// (enough for the engine's blocking choice, which depends on cache sizes).
Board DetectCpuBoard(bool measure_bandwidth = true);
// Sustained read bandwidth of main memory with all cores, GB/s (a ~0.1 s measurement).
double MeasureReadBandwidthGbs();
// int16 multiply-adds per second on `threads` threads (0: all cores), in units of 1e9 (about
// 0.5 s), with the best SIMD target Highway finds at run time.
double MeasurePeakInt16Gmacs(int threads = 0);
// fp32 flops per second (2 per fused multiply-add lane) on `threads` threads, in units of 1e9.
double MeasurePeakFp32Gflops(int threads = 0);
// Read bandwidth, GB/s, of `threads` threads streaming their shares of a working set of
// `working_set_bytes` (repeatedly, so that a cache-sized set is read from that cache).
double MeasureReadBandwidthGbs(int64_t working_set_bytes, int threads);
// The cpu board with macs_per_cycle measured instead of derived from the SIMD width.
Board DetectCpuBoardMeasured();

}  // namespace sbe
