// A hardware target as the planner sees it: compute, on-chip memory, DRAM, power, latencies.
// The JSON format is documented in docs/BOARDS.md; presets live in boards/.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sbe {

// What a board is: an FPGA accelerator (a description file) or this CPU (measured).
enum class BoardKind { kFpga, kCpu };
inline const char* BoardKindName(BoardKind k) { return k == BoardKind::kCpu ? "cpu" : "fpga"; }

// Bytes of 16-bit words a BRAM36 and an UltraRAM hold, and the words one 72-bit port reads a
// cycle.
inline constexpr int64_t kBram36Bytes = 4096;
inline constexpr int64_t kUramBytes = 32768;
inline constexpr int64_t kWordsPerPort = 4;

struct Board {
  std::string name;
  std::string description;
  BoardKind kind = BoardKind::kFpga;
  std::string part;          // the FPGA ("xc7a100t"), for synthesis; empty when not given
  double clock_mhz = 0;
  // Multiply-accumulates per cycle (N_pe) and how they are counted: on an FPGA, one PE is one
  // 16x16-bit MAC per cycle in one DSP slice; on a CPU, SIMD lanes x FMA ports x cores.
  int64_t macs_per_cycle = 0;
  std::string pe_counting;
  int word_bits = 16;        // datapath word: weights, inputs and states
  // On-chip memory. A BRAM36 holds 32 Kb of 16-bit words (the 4 Kb of parity bits in each are
  // no use to them): 4096 bytes; an UltraRAM 256 Kb of its 288: 32 KiB. Each reads one 72-bit
  // word a cycle on its port: four 16-bit words (kWordsPerPort).
  int64_t bram36 = 0;
  int64_t uram = 0;
  int64_t reserved_bram36 = 0;  // kept for the memory controller, DMA FIFOs and control
  int64_t lutram_bytes = 0;     // distributed RAM (the PEs' accumulators live there)
  // What the planner may use of BRAM and URAM: one pool that weight blocks and the batch's
  // state (x, h, c) share, so batch size and blocking number trade against each other. For
  // the cpu board, its caches.
  int64_t onchip_bytes = 0;
  double dram_peak_gbs = 0;  // the DRAM's theoretical rate, 1e9 bytes per second
  double dram_efficiency = 1;  // the share of it the controller sustains on long bursts
  double dram_gbs = 0;       // sustained DRAM read bandwidth: peak x efficiency
  double dram_latency_ns = 0;
  int64_t dram_burst_bytes = 0;
  int dram_port_bits = 0;    // width of the accelerator's memory port
  double static_watts = 0;   // board power idle (configured, clocks running)
  double full_watts = 0;     // board power with the PE array busy
  int mac_latency = 0;       // cycles from operands to an accumulated sum (multiplier + adder)
  int adder_latency = 0;     // cycles of the accumulator's adder: the baseline's RAW stall
  int activation_latency = 0;  // cycles through sigmoid/tanh and the cell update
  int tail_elements_per_cycle = 1;  // hidden elements the tail (activations, cell) finishes per cycle
  std::map<std::string, std::string> sources;  // figure -> where it comes from

  double word_bytes() const { return word_bits / 8.0; }
  // N_t: weights (words) DRAM delivers per cycle.
  double words_per_cycle() const;
  // Memory blocks (BRAM36 and URAM) the planner may use, each one read port.
  int64_t memory_blocks() const { return bram36 - reserved_bram36 + uram; }
  // Peak operations per second, 2 per MAC (the paper's convention), in GOPS.
  double peak_gops() const { return 2.0 * static_cast<double>(macs_per_cycle) * clock_mhz * 1e-3; }
  // Board power at a PE utilisation in [0, 1]: static plus the dynamic part in proportion.
  double Watts(double pe_utilization) const {
    return static_watts + (full_watts - static_watts) * pe_utilization;
  }
  std::string Summary() const;
};

// What a board is, for --json reports: name, description, clock, PEs, memory, power, peak.
nlohmann::json BoardJson(const Board& b);

// Parses a board description; throws Error naming `name` and the field on anything missing,
// mistyped, zero, negative or impossible.
Board ParseBoard(const std::string& json_text, const std::string& name);
// A preset name (boards/NAME.json, compiled in) or a path to a .json file: FPGA boards. This
// machine, the board `cpu`, is measured instead (sbe/cpu_board.h).
Board LoadBoard(const std::string& spec);
std::vector<std::string> BoardPresetNames();

}  // namespace sbe
