// This machine's ceilings, measured (not from a datasheet): what `sbe bench` reports its
// rooflines against.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sbe {

struct BandwidthLevel {
  std::string name;        // "L2", "L3", "DRAM"
  int64_t capacity_bytes;  // what the level holds for all the threads together
  double gbs;              // measured read bandwidth of all the threads
};

struct MachineCeilings {
  int threads = 1;
  double fp32_gflops = 0;  // fused multiply-adds: 2 flops per lane
  double int16_gops = 0;   // int16 multiply-add pairs into int32: 2 ops per multiply-add
  // The two int16 measurements int16_gops is the faster of (machine_ceilings.cc).
  double int16_probe_gops = 0, int16_tile_gops = 0;
  std::vector<BandwidthLevel> levels;  // increasing capacity; the last is DRAM

  double dram_gbs() const { return levels.empty() ? 0 : levels.back().gbs; }
  // The first level that holds `bytes`.
  double BandwidthFor(int64_t bytes) const;
  // GOPS bound of a schedule doing `ops` operations while reading `bytes` from a working set
  // of `working_set` bytes: min(peak, bandwidth x ops / bytes).
  double Roofline(double ops, double bytes, int64_t working_set, bool int16) const;
  nlohmann::json ToJson() const;
  // Keeps the faster of this and `other`, ceiling by ceiling (levels matched by name): each is
  // an upper bound that a slow spell of a shared machine can only lower.
  void Raise(const MachineCeilings& other);
};

// About 2 s: both peaks and the read bandwidth of L2, L3 (sized from CPUID) and DRAM.
MachineCeilings MeasureCeilings(int threads);

}  // namespace sbe
