// Short measurements of this CPU, with Highway's runtime dispatch to its best SIMD target: the
// multiply-add peaks and read bandwidths that the `cpu` board (cpu_board.cc) records.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace sbe {

// Runs body(thread) on `threads` threads at once; returns the wall time in seconds.
template <typename F>
double TimeOnThreads(int threads, F body) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { body(t); });
  for (auto& th : pool) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// int16 multiply-adds per second on `threads` threads (0: all cores), in units of 1e9.
double MeasurePeakInt16Gmacs(int threads = 0);
// fp32 flops per second (2 per fused multiply-add lane) on `threads` threads, in units of 1e9.
double MeasurePeakFp32Gflops(int threads = 0);
// Read bandwidth, GB/s, of `threads` threads streaming their shares of a working set of
// `working_set_bytes` (repeatedly, so that a cache-sized set is read from that cache).
double MeasureReadBandwidthGbs(int64_t working_set_bytes, int threads);

}  // namespace sbe
