// What `sbe hw emit` produces and `sbe hw cosim` runs: the accelerator's synthesis parameters
// for a board and plan, and one run compiled from the planner's schedule into descriptors and
// a DRAM image (docs/HARDWARE.md has the formats).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbe/board.h"
#include "sbe/golden.h"
#include "sbe/plan.h"
#include "sbe/quantized_model.h"

namespace sbe::hw {

// The RTL's parameters (sbe_top's), from the board, the model's shape and the plan.
struct HwConfig {
  std::string board;
  int axi_bits = 128;
  int lanes = 1, row_lanes = 4;
  int64_t cpi = 1;         // chunks of a weight column: ceil(4H / row_lanes)
  int cpi_max = 1;         // the accumulators' chunks per slot: cpi
  int slots = 1;           // sample slots of each lane's accumulators: SamplesPerLane(batch, lanes)
  int adder_latency = 1;
  int64_t wdepth = 1;      // words per weight bank
  int64_t sdepth = 1;      // 16-bit state words (x and h, two parities each)
  int64_t cdepth = 1;      // 32-bit cell words
  int64_t bdepth = 1;      // 32-bit bias words (two cells' worth)
  int64_t idepth = 2;      // hoisted input parts: (step, sample, element) words of four gates
  int state_banks = 1, cell_banks = 4;
  // The DRAM channel as the simulator models it (sim/dram_channel), for the co-simulation's
  // memory model.
  double bytes_per_cycle = 1;
  int64_t latency_cycles = 0;
  int64_t burst_bytes = 16;

  // Bytes of the PE array's partial sums: per PE, kAccumulatorSets memories of slots x chunks,
  // 32 bits each (slots: the batch's, or a hoisted group's rows if more).
  int64_t AccumulatorBytes() const {
    return static_cast<int64_t>(lanes) * row_lanes * kAccumulatorSets * slots * cpi_max * 4;
  }
  // name -> value, as Verilator's -G and Yosys' chparam take them.
  std::map<std::string, int64_t> Parameters() const;
  nlohmann::json Json() const;
};

// One run: descriptors and data in a DRAM image, and where the results land.
struct HwProgram {
  HwConfig config;
  int64_t desc_base = 0;
  int64_t descriptors = 0;
  std::vector<uint8_t> dram;
  // Counts per unit (load, compute, tail, store), for the report.
  int64_t unit_ops[4] = {0, 0, 0, 0};
  // Where the outputs are, to read them back.
  struct Batch {
    int64_t first = 0, count = 0;   // the input's samples [first, first + count)
    int64_t stride = 0;             // the batch as run: count, then zero samples up to the plan's
    // Position in the batch -> the input's sample first + order[j]: by decreasing length, so
    // that a step's running samples are the first ones (the tail's `active` count).
    std::vector<int64_t> order;
    int64_t y_base = 0;             // last layer's output: per time, direction, (H, B) 16-bit
    std::vector<int64_t> hn_base;   // per cell: (H, B) 16-bit
    std::vector<int64_t> cn_base;   // per cell: (H, B) 32-bit
    int64_t y_step_bytes = 0;       // bytes between time indices of a layer's output
    int64_t y_dir_bytes = 0;        // bytes between directions within a time index
  };
  std::vector<Batch> batches;
};

// Why this model, input and plan cannot run on the RTL yet, or nullopt: the one-line
// refusal of `sbe hw emit` (the hoisted input part of a stack, ...).
std::optional<std::string> Unsupported(const QuantizedModel& m, const Plan& plan, const Board& board);

// The RTL's parameters for this model and plan on `board`, its memories sized for batches up
// to plan.batch; `shared_sizes` rounds them up to common minimums (co-simulation: one build
// serves many small models), else they are what the plan needs (synthesis).
HwConfig ConfigFor(const LstmShape& shape, const Plan& plan, const Board& board, bool shared_sizes);

// Compiles every batch of `in` (plan.batch samples at a time, the last one smaller) into
// descriptors and a DRAM image. Throws Error with Unsupported's message where it applies.
HwProgram Compile(const QuantizedModel& m, const Plan& plan, const Board& board, const FixedInput& in);

// The outputs of a run, read from the DRAM image after it.
FixedOutput ReadOutput(const QuantizedModel& m, const HwProgram& p, const FixedInput& in,
                       const std::vector<uint8_t>& dram);

}  // namespace sbe::hw
