// The SBE accelerator's discrete-event model: it follows a planner schedule on a board
// description, computes real outputs in the golden datapath's arithmetic, and counts cycles
// from its models of the DRAM channel, the PE array, the tail and the on-chip buffers.
// docs/SIMULATOR.md describes the models and what they reproduce.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbe/board.h"
#include "sbe/golden.h"
#include "sbe/plan.h"
#include "sbe/quantized_model.h"

namespace sbe {

// The PE array's organisation. kStallFree: column-wise order, samples interleaved, a column
// starts when its weights and its element of h_{t-1} exist. kBaseline: row-wise dot products
// (each accumulator takes one add per adder latency), one sample after another, and a full
// barrier between time steps.
enum class Architecture { kStallFree, kBaseline };
std::string ArchitectureName(Architecture arch);

struct SimOptions {
  Architecture arch = Architecture::kStallFree;
  // false: timing only. The datapath's timing does not depend on the values it carries, so
  // sweeps may skip the arithmetic; outputs are then left empty.
  bool compute_values = true;
  bool trace = false;               // record DMA, PE-array and tail events
  int64_t max_trace_events = 200000;  // beyond this, recording stops (trace_truncated)
};

// Where the PE array's idle cycles went, by the cause that held it.
struct StallCycles {
  int64_t weights = 0;      // a weight column not yet arrived from DRAM
  int64_t input = 0;        // x_t not yet arrived from DRAM
  int64_t recurrence = 0;   // an element of h_{t-1} not yet out of the tail
  int64_t barrier = 0;      // baseline: the step waits for the whole previous step
  // Read-after-write on a partial sum: a lane's next item of the same sample within the
  // adder's latency (stall-free), or the row-wise pass's one add per adder latency (baseline);
  // and, stall-free per step, the h part's items waiting for the previous step's tail to be
  // done with the one memory that part adds into (the RTL's, docs/HARDWARE.md).
  int64_t accumulator = 0;
  int64_t fill_drain = 0;   // the MAC pipeline and the tail draining after the last issue
  int64_t total() const { return weights + input + recurrence + barrier + accumulator + fill_drain; }
};

// On-chip memory as the simulator allocates it from the schedule, against the board.
struct BufferUse {
  int64_t weight_slot_bytes = 0;  // every slot the schedule loads into, at its largest block
  int64_t state_bytes = 0;        // x, h (x2) and c of the batch; hoisted: every step's x and input parts
  int64_t capacity_bytes = 0;     // the board's usable BRAM and URAM
  int64_t accumulator_bytes = 0;  // the PEs' partial sums, in distributed RAM
  int64_t accumulator_capacity_bytes = 0;
};

struct TraceEvent {
  std::string name;
  int track = 0;  // 0 DRAM, 1 PE array, 2 tail
  int64_t begin = 0, end = 0;  // cycles
};

struct SimResult {
  Architecture arch = Architecture::kStallFree;
  Plan plan;                 // of a full batch
  int64_t samples = 0, batches = 0, steps = 0;
  int64_t cycles = 0;
  int64_t busy_cycles = 0;   // cycles the PE array issued multiply-adds
  int64_t macs = 0;          // multiply-adds done (2 ops each): the useful PE-cycles
  // PE-cycles of the busy cycles that did no multiply-add; with the stalls they add up:
  // N_pe x cycles = macs + idle_lane_pe_cycles + idle_row_pe_cycles + N_pe x stalls.total().
  int64_t idle_lane_pe_cycles = 0;  // lanes a lockstep group left empty
  int64_t idle_row_pe_cycles = 0;   // row PEs an item left without a row
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  StallCycles stalls;
  BufferUse buffers;
  double seconds = 0, gops = 0, ms_per_sample = 0, ms_per_batch = 0, mj_per_sample = 0;
  double pe_utilization = 0;    // macs / (N_pe x cycles)
  double dram_utilization = 0;  // bytes moved / (DRAM bytes per cycle x cycles)
  FixedOutput output;           // empty when !compute_values
  SaturationCounts saturation;
  std::vector<TraceEvent> trace;
  bool trace_truncated = false;
};

// Simulates `input` (any batch; split into batches of plan.batch, the last one smaller) with
// the schedule BuildSchedule makes for `plan`. plan.steps must equal the input's steps. Throws
// Error when the plan does not fit the board's buffers or does not match the model.
SimResult Simulate(const QuantizedModel& model, const Board& board, const Plan& plan,
                   const FixedInput& input, const SimOptions& options = {});

// Writes the events as Chrome trace-event JSON (chrome://tracing, Perfetto); times in us.
void WriteChromeTrace(const SimResult& result, const Board& board, const std::string& path);

}  // namespace sbe
