// This CPU as the planner sees it (`--board cpu`): what CPUID says, the SIMD target the
// engine's kernels dispatch to, and what was measured on it (multiply-add peaks, read
// bandwidth of each cache level and of DRAM). The measurement takes about a second; it is
// made once per machine and kept in a cache file (docs/CPU_ENGINE.md, "The plan"), which
// `sbe bench` refreshes with its own measurements.
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

// The ceilings of this machine, measured (not from a datasheet).
struct MachineCeilings {
  int threads = 1;         // measured with this many threads at once
  double fp32_gflops = 0;  // fused multiply-adds: 2 flops per lane
  double int16_gops = 0;   // int16 multiply-add pairs into int32: 2 ops per multiply-add
  // The two int16 measurements int16_gops is the faster of: a probe loop, and the engine's own
  // tile on L1-resident weights (on some cores the tile issues faster than the probe's
  // dependent chains).
  double int16_probe_gops = 0, int16_tile_gops = 0;
  // The engine's fp32 tile on L1-resident weights: below the FMA probe's figure (the tile also
  // loads its weights); the planner's compute times use the tiles' figures.
  double fp32_tile_gflops = 0;
  // Nanoseconds per (sample, hidden unit) of the cell epilogue (activations, c and h), one
  // thread, call overhead included.
  double cell_ns_fp32 = 0, cell_ns_int16 = 0;
  // Microseconds for the engine's threads to meet once (a barrier of its thread pool, all
  // threads): what every step of a hidden-split costs beyond its work.
  double meeting_us = 0;
  std::vector<BandwidthLevel> levels;  // increasing capacity; the last is DRAM
  // Read bandwidth of all the threads streaming a working set of exactly this many bytes (a
  // workload's W_x or W_h): where it sits between two levels, or fills one, neither level's
  // figure is its bandwidth. Increasing bytes.
  std::vector<std::pair<int64_t, double>> working_sets;

  double dram_gbs() const { return levels.empty() ? 0 : levels.back().gbs; }
  // The bandwidth measured for a working set of `bytes`, or else that of the first level that
  // holds it.
  double BandwidthFor(int64_t bytes) const;
  // GOPS bound of a run of these phases: all their operations over the sum of each phase's
  // shortest time, max(ops / peak, bytes / bandwidth of its working set).
  double Roofline(const std::vector<RooflinePhase>& phases, bool int16) const;
  // The same machine with `threads` threads busy: compute and the private caches (L1, L2)
  // scale with the threads, the shared levels (L3, DRAM) keep what all of them measured.
  MachineCeilings ForThreads(int threads) const;
  nlohmann::json ToJson() const;
  static MachineCeilings FromJson(const nlohmann::json& j);  // throws Error on a bad document
  // Keeps the faster of this and `other`, ceiling by ceiling (levels matched by name): each is
  // an upper bound that a slow spell of a shared machine can only lower.
  void Raise(const MachineCeilings& other);
};

// About 0.6 s: both peaks, a meeting of the threads, and the read bandwidth of L2, L3 (sized
// from CPUID) and DRAM; then,
// about 0.15 s each, the read bandwidth of each of `working_sets` (bytes).
MachineCeilings MeasureCeilings(int threads, const std::vector<int64_t>& working_sets = {});

// What a busy hardware thread is assumed to draw where no power counter says: its share of a
// server CPU's TDP (the paper's Xeon E5-2665 drew 93 W over 16 threads, 5.8 W each).
inline constexpr double kAssumedWattsPerBusyCore = 5.0;

struct CpuBoard {
  // CPUID.
  std::string brand;
  int cores = 1;                 // logical cores: the threads the engine uses by default
  std::string simd;              // "avx2 fma avx512f ..."
  int64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;  // L1d and L2 per core; L3 in all
  double clock_mhz = 0;          // /proc/cpuinfo
  // The engine's kernels on this CPU (the best SIMD target Highway dispatches to).
  std::string kernels;           // "AVX3_DL", "AVX2", ...
  int lanes = 1;                 // 32-bit lanes: the hidden units of a unit tile
  int samples_per_tile_fp32 = 1, samples_per_tile_int16 = 1;  // the register tile's samples
  // Measured on all cores; empty (threads 0) when not measured.
  MachineCeilings measured;
  std::string measured_on;       // the date
  std::string cache_path;        // the file the measurement was kept in ("": none)
  std::string described_by;      // the description file ($SBE_CPU_BOARD) it came from ("": measured)
  // Power is not measured (no counter on most machines): an assumption, stated.
  double watts_per_core_busy = kAssumedWattsPerBusyCore, watts_per_core_idle = 1.5;

  nlohmann::json ToJson() const;
};

// CPUID and the kernels' target, without measuring (instant).
CpuBoard DetectCpuBoard();
// The CPU the engine plans for. When $SBE_CPU_BOARD names a description (DescribedCpuBoard),
// that one: plans then depend on the file, not on what this machine measures or on what else
// runs while it measures (the test suite plans this way). Otherwise DetectCpuBoard with the
// measured ceilings: read from the cache file when it holds this machine (same CPU, cores,
// kernels and sbe version), else measured now (once per process, about a second, with a note
// on stderr when it is a terminal) and written there. The cache file lives in $SBE_CACHE_DIR,
// else $XDG_CACHE_HOME/sbe, else ~/.cache/sbe; when none is writable the measurement is only
// kept for this process.
CpuBoard ThisCpuBoard();
// A CPU described by a JSON file of the form `sbe plan --board cpu --json` prints as
// "board_info" (so one machine's measured board, saved, describes it anywhere): its cores,
// caches and "measured" ceilings are the file's; the kernels are always this CPU's, since the
// engine can only run what this CPU dispatches to. Throws Error naming the file and the
// problem.
CpuBoard DescribedCpuBoard(const std::string& path);
// Replaces the cached measurement with `measured` (sbe bench, after measuring).
void RecordCpuCeilings(const MachineCeilings& measured);

}  // namespace sbe
