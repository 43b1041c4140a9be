// Synthesis of the RTL for Xilinx 7-series with Yosys: the resources it maps to, its logic
// depth, and whether that fits a part.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sbe::hw {

struct SynthRequest {
  std::vector<std::string> sources;            // RTL files (.sv, .v), packages first
  std::vector<std::string> include_dirs;
  std::string top;
  std::map<std::string, int64_t> parameters;   // the top's parameters (chparam)
  std::map<std::string, std::string> defines;  // read_verilog -DNAME=VALUE
  std::string part = "xc7a100t";               // a PartCapacity name
  std::string work_dir;                        // the script, the log and stat.json go here
  double timeout_s = 3600;
};

// A part's resources, from Xilinx's data sheets (the source says which).
struct PartCapacity {
  std::string part;
  int64_t dsp48e1 = 0, ramb36 = 0, lut = 0, lutram = 0, ff = 0;
  std::string source;
};
// xc7a100t, xc7z045 or xc7vx690t, optionally followed by package and speed grade
// ("xc7a100tcsg324-1"); any other is an Error listing these.
PartCapacity CapacityOf(const std::string& part);

// Mapped cells counted by kind.
struct CellCounts {
  int64_t dsp48e1 = 0;
  int64_t ramb36 = 0;   // RAMB36E1
  int64_t ramb18 = 0;   // RAMB18E1
  int64_t lut = 0;      // LUT1..LUT6 (logic)
  int64_t lutram = 0;   // LUTs used as memory: RAM64M = 4, RAM64X1D = 2, SRLC32E = 1, ...
  int64_t ff = 0;       // FDRE, FDSE, FDCE, FDPE (and their _1 forms), LDCE, LDPE
  int64_t carry4 = 0;
  int64_t muxf = 0;     // MUXF7, MUXF8: no LUTs of their own
};

// The counts are the result's own fields (r.dsp48e1, r.lut, ...).
struct SynthResult : CellCounts {
  std::string part, top;
  std::map<std::string, int64_t> cells;  // every cell type Yosys reported, with its count
  int logic_levels = 0;
  std::string logic_levels_counts;  // what logic_levels counts
  PartCapacity capacity;
  bool fits = false;
  double seconds = 0;
  std::string log;
};

// Runs `yosys` (read_verilog -sv, chparam, synth_xilinx -family xc7 -flatten -noiopad, stat
// -json, ltp) in r.work_dir. Errors: a missing file, an unknown part, Yosys missing or failing
// (naming its log and quoting its error), a timeout.
SynthResult Synthesize(const SynthRequest& r);

// The pieces Synthesize reads Yosys' output with, on their own for the tests.
// `stat -json`'s design-wide "num_cells_by_type".
std::map<std::string, int64_t> ParseStatJson(const std::string& text, const std::string& path);
CellCounts CountCells(const std::map<std::string, int64_t>& cells);
// The largest "Longest topological path in M (length=N)" of a log (0 for a path of no cells);
// nullopt when the log has none.
std::optional<int> ParseLtpLength(const std::string& log_text);
// Every resource within the part: DSPs, BRAM (a RAMB18 is half a RAMB36), LUTs (logic and
// memory together, as they share the LUT sites), LUTs as memory, flip-flops.
bool Fits(const CellCounts& c, const PartCapacity& p);

// part, top, dsp48e1, ramb36, ramb18, lut, lutram, ff, carry4, logic_levels,
// logic_levels_counts, capacity {dsp48e1, ramb36, lut, lutram, ff, source}, fits, seconds,
// log, cells.
nlohmann::json SynthJson(const SynthResult& r);

}  // namespace sbe::hw
