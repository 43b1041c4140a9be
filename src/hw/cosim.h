// Co-simulation: a compiled run (hw_program.h) on the Verilator model of the RTL, with the
// harness's AXI memory model (hw/cosim/harness.cpp), and its outputs read back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/hw_program.h"
#include "hw/verilator_build.h"
#include "sbe/lstm_io.h"
#include "sbe/model.h"

namespace sbe::hw {

// The RTL's folder: $SBE_HW_DIR when set, else the source tree's hw/ (compiled in).
std::string HwDir();
// The design's files, hw/rtl/*.sv, sorted.
std::vector<std::string> RtlSources();
// The build description of sbe_top for a configuration (with the harness, for cosim), cached
// in $SBE_HW_CACHE_DIR, else the cache folder's hw/ (common/cache_dir.h).
VerilatorBuild CosimBuild(const HwConfig& config, TraceKind trace);

struct CosimOptions {
  TraceKind trace = TraceKind::kNone;
  std::string trace_path;         // the waveform file (VCD or FST)
  int64_t max_cycles = 2000000000;
  double timeout_s = 3600;
};

struct CosimResult {
  FixedOutput output;
  int64_t cycles = 0;             // the accelerator's CYCLES register: start to done
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t sat_preacts = 0, sat_cells = 0;
  double build_seconds = 0, run_seconds = 0;
  std::string executable;
};

// Builds (or finds in the cache) the model for p.config and runs p on it.
CosimResult Cosimulate(const QuantizedModel& m, const HwProgram& p, const FixedInput& in, const CosimOptions& o);

}  // namespace sbe::hw

namespace sbe::hw {

// What `sbe hw cosim` runs and reports: the model calibrated and planned as the simulator
// would (the same plan), the RTL co-simulated, the golden model and the simulator beside it.
struct CosimRequest {
  PlanRequest plan;
  std::optional<InputRange> input_range;  // default: the input's range
  CosimOptions options;
};
struct CosimRun {
  FixedOutput output;
  QuantizedModel quantized;
  bool bit_exact = false;
  nlohmann::json document;  // `sbe hw cosim --json`
};
CosimRun CosimDocument(const LstmModel& model, const Board& board, const LstmInput& input, const CosimRequest& r);

}  // namespace sbe::hw
