// Describes this CPU as a board: int16 MACs per cycle from its SIMD width, caches as on-chip
// memory, and a measured DRAM read bandwidth.
#include "plan/cpu_board.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <thread>
#include <vector>

#include "sbe/cpu_info.h"
#include "sbe/error.h"

namespace sbe {
namespace {

double ClockMhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return std::stod(line.substr(colon + 1));
    }
  }
  return 2000.0;  // a stated fallback; the planner's CPU figures are estimates anyway
}

}  // namespace

double MeasureReadBandwidthGbs() {
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  // 4x the largest last-level cache seen on servers we target, so reads come from DRAM.
  const size_t words = (size_t{256} << 20) / sizeof(uint64_t);
  std::vector<uint64_t> buffer(words, 1);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<uint64_t> sums(threads);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const size_t lo = words * t / threads, hi = words * (t + 1) / threads;
        sums[t] = std::accumulate(buffer.begin() + lo, buffer.begin() + hi, uint64_t{0});
      });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (std::accumulate(sums.begin(), sums.end(), uint64_t{0}) != words) Fail("internal: bandwidth probe");
    best = std::max(best, words * sizeof(uint64_t) / s * 1e-9);
  }
  return best;
}

Board DetectCpuBoard(bool measure_bandwidth) {
  const CpuInfo& cpu = GetCpuInfo();
  Board b;
  b.name = "cpu";
  b.kind = "cpu";
  b.description = cpu.brand + " (this machine)";
  b.clock_mhz = ClockMhz();
  const int cores = std::max(1, cpu.logical_cores);
  const int lanes16 = cpu.avx512bw ? 32 : cpu.avx2 ? 16 : 8;
  b.macs_per_cycle = int64_t{lanes16} * 2 * cores;
  b.pe_counting = fmt::format("int16 multiply-adds per cycle: {} 16-bit lanes x 2 vector ports x "
                              "{} cores", lanes16, cores);
  b.word_bits = 16;
  const int64_t l1 = cpu.DataCacheBytes(1), l2 = cpu.DataCacheBytes(2), l3 = cpu.DataCacheBytes(3);
  b.weight_buffer_bytes = std::max<int64_t>(l2 * cores + l3, int64_t{1} << 20);
  b.state_buffer_bytes = std::max<int64_t>(l1 * cores, int64_t{32} << 10);
  b.dram_gbs = measure_bandwidth ? MeasureReadBandwidthGbs() : 20.0;
  b.dram_latency_ns = 100;
  b.dram_burst_bytes = 64;
  b.dram_port_bits = 512 * cores;
  b.static_watts = 1.5 * cores;
  b.full_watts = 5.0 * cores;
  b.mac_latency = 5;
  b.adder_latency = 4;
  b.activation_latency = 30;
  b.sources = {
      {"macs_per_cycle", "CPUID SIMD width (AVX-512BW: 32 lanes, AVX2: 16) x 2 ports x cores"},
      {"onchip", "CPUID caches: L2 x cores + L3 for weights, L1d x cores for state"},
      {"dram", measure_bandwidth ? "measured: all cores summing a 256 MiB buffer, best of 3"
                                 : "nominal 20 GB/s (not measured)"},
      {"clock_mhz", "/proc/cpuinfo 'cpu MHz'"},
      {"power", "assumption: 5 W per core busy, 1.5 W per core idle (a TDP share, not measured)"}};
  return b;
}

Board DetectCpuBoardMeasured() {
  Board b = DetectCpuBoard();
  const double gmacs = MeasurePeakInt16Gmacs();
  b.macs_per_cycle = std::max<int64_t>(1, static_cast<int64_t>(gmacs * 1e3 / b.clock_mhz + 0.5));
  b.pe_counting = fmt::format("measured: {:.1f} G int16 multiply-adds/s on all cores at {:.0f} MHz",
                              gmacs, b.clock_mhz);
  b.sources["macs_per_cycle"] = "measured: a multiply-add loop on all cores (Highway, best target)";
  return b;
}

}  // namespace sbe
