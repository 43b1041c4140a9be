// This machine's ceilings, measured (not from a datasheet): what `sbe bench` reports its
// rooflines against.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace sbe {

struct BandwidthLevel {
  std::string name;        // "L2", "L3", "DRAM"
  int64_t capacity_bytes;  // what the level holds for all the threads together
  double gbs;              // measured read bandwidth of all the threads
};

// One phase of a run for the roofline: `ops` operations while reading `bytes` from a working
// set of `working_set` bytes. The phases of a run follow each other (the hoisted input part,
// then the recurrence), so one phase's compute does not hide another's memory traffic.
struct RooflinePhase {
  double ops = 0;
  double bytes = 0;
  int64_t working_set = 0;
};

struct MachineCeilings {
  int threads = 1;
  double fp32_gflops = 0;  // fused multiply-adds: 2 flops per lane
  double int16_gops = 0;   // int16 multiply-add pairs into int32: 2 ops per multiply-add
  // The two int16 measurements int16_gops is the faster of (machine_ceilings.cc).
  double int16_probe_gops = 0, int16_tile_gops = 0;
  std::vector<BandwidthLevel> levels;  // increasing capacity; the last is DRAM
  // Read bandwidth of all the threads streaming a working set of exactly this many bytes (the
  // workloads' W_x and W_h): where it sits between two levels, or fills one (W_h of
  // deepbench-2048 in int16 is the 32 MiB of this L3), neither level's figure is its
  // bandwidth. Increasing bytes.
  std::vector<std::pair<int64_t, double>> working_sets;

  double dram_gbs() const { return levels.empty() ? 0 : levels.back().gbs; }
  // The bandwidth measured for a working set of `bytes`, or else that of the first level that
  // holds it.
  double BandwidthFor(int64_t bytes) const;
  // GOPS bound of a run of these phases: all their operations over the sum of each phase's
  // shortest time, max(ops / peak, bytes / bandwidth of its working set).
  double Roofline(const std::vector<RooflinePhase>& phases, bool int16) const;
  nlohmann::json ToJson() const;
  // Keeps the faster of this and `other`, ceiling by ceiling (levels matched by name): each is
  // an upper bound that a slow spell of a shared machine can only lower.
  void Raise(const MachineCeilings& other);
};

// About 2 s: both peaks and the read bandwidth of L2, L3 (sized from CPUID) and DRAM; then,
// about 0.15 s each, the read bandwidth of each of `working_sets` (bytes).
MachineCeilings MeasureCeilings(int threads, const std::vector<int64_t>& working_sets = {});

}  // namespace sbe
