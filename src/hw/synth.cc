// Yosys synthesis for Xilinx 7-series (synth.h): the script, its stat and ltp output, the parts.
#include "hw/synth.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string_view>

#include "hw/tool_runner.h"
#include "sbe/error.h"

namespace sbe::hw {
namespace {

namespace fs = std::filesystem;

// The parts' figures. A LUT as memory holds 64 bits, so distributed RAM / 64 bits is the count
// of memory-capable LUTs (4 per SLICEM); Vivado's "LUT as Memory" capacity rounds it to whole
// SLICEMs.
const std::array<PartCapacity, 3>& Parts() {
  static const std::array<PartCapacity, 3> parts = {{
      // DS180 (7 Series FPGAs Data Sheet: Overview), Artix-7 table: 15,850 slices (x4 LUTs,
      // x8 FFs), 1,188 Kb distributed RAM (19,008 LUTs; Vivado: 19,000), 240 DSP48E1, 135 BRAM36.
      {"xc7a100t", 240, 135, 63400, 19000, 126800,
       "Xilinx DS180 (XC7A100T): 240 DSP48E1, 135 RAMB36, 63,400 LUTs (19,000 as memory: 1,188 Kb), 126,800 FFs"},
      // DS190 (Zynq-7000 SoC Data Sheet: Overview): 218,600 LUTs, 437,200 FFs, 545 BRAM36,
      // 900 DSP48E1. DS190 gives no distributed RAM figure: 70,400 is Vivado's "LUT as Memory"
      // capacity of the part (17,600 SLICEMs).
      {"xc7z045", 900, 545, 218600, 70400, 437200,
       "Xilinx DS190 (XC7Z045): 900 DSP48E1, 545 RAMB36, 218,600 LUTs, 437,200 FFs; 70,400 LUTs as memory (Vivado)"},
      // DS180, Virtex-7 table: 108,300 slices (x4 LUTs, x8 FFs), 10,888 Kb distributed RAM
      // (174,208 LUTs; Vivado: 174,200), 3,600 DSP48E1, 1,470 BRAM36.
      {"xc7vx690t", 3600, 1470, 433200, 174200, 866400,
       "Xilinx DS180 (XC7VX690T): 3,600 DSP48E1, 1,470 RAMB36, 433,200 LUTs (174,200 as memory: 10,888 Kb), 866,400 FFs"},
  }};
  return parts;
}

// LUT sites a memory cell takes (UG474: a RAM64M is the four LUTs of a SLICEM, a RAM64X1D
// two; an SRL one). The UltraScale-only cells are listed for completeness.
const std::map<std::string, int64_t>& LutramWeights() {
  static const std::map<std::string, int64_t> w = {
      {"RAM16X1S", 1},  {"RAM16X1D", 2},  {"RAM32X1S", 1},   {"RAM32X1D", 2},  {"RAM32X2S", 2},
      {"RAM32M", 4},    {"RAM64X1S", 1},  {"RAM64X1D", 2},   {"RAM64M", 4},    {"RAM128X1S", 2},
      {"RAM128X1D", 4}, {"RAM256X1S", 4}, {"SRL16E", 1},     {"SRLC16E", 1},   {"SRLC32E", 1},
      {"RAM32M16", 8},  {"RAM64M8", 8},   {"RAM256X1D", 8},  {"RAM512X1S", 8},
  };
  return w;
}

bool IsFlipFlop(const std::string& type) {
  static const char* const kTypes[] = {"FDRE",   "FDSE",   "FDCE", "FDPE", "FDRE_1", "FDSE_1",
                                       "FDCE_1", "FDPE_1", "LDCE", "LDPE", "LDCE_1", "LDPE_1"};
  return std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return type == t; });
}

// Yosys scripts split commands at ';', start comments at '#' and words at blanks; a path with
// one of those (or a quote) cannot be named safely in one.
void CheckScriptWord(const std::string& word, std::string_view what) {
  if (word.empty() || word.find_first_of(" \t\r\n;#\"'\\") != std::string::npos) {
    Fail("{}: Yosys scripts cannot name {} with blanks, ';', '#', quotes or backslashes", word, what);
  }
}

// A Verilog constant chparam reads: plain decimals for what fits an int, sized two's
// complement otherwise (chparam cannot read a minus sign).
std::string ParamValue(int64_t v) {
  if (v >= 0 && v <= std::numeric_limits<int32_t>::max()) return std::to_string(v);
  if (v < 0 && v >= std::numeric_limits<int32_t>::min()) return fmt::format("32'sh{:08x}", static_cast<uint32_t>(v));
  return fmt::format("64'sh{:016x}", static_cast<uint64_t>(v));
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Where a running Yosys is: the last pass its log names ("11.34. Executing OPT_EXPR pass
// (...)" -> "pass 11.34, OPT_EXPR"), from the log's tail (the whole log grows to gigabytes).
std::string LastYosysPass(const std::string& log_path) {
  std::ifstream in(log_path, std::ios::binary | std::ios::ate);
  const std::streamoff size = in.tellg();
  if (!in || size <= 0) return "starting";
  const std::streamoff tail = std::min<std::streamoff>(size, 256 * 1024);
  std::string text(static_cast<size_t>(tail), '\0');
  in.seekg(size - tail);
  in.read(text.data(), tail);
  static const std::regex re(R"((?:^|\n)(\d+(?:\.\d+)*)\. Executing (\S+))");
  std::string found = "reading the design";
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
    std::string pass = (*it)[2].str();
    while (!pass.empty() && pass.back() == '.') pass.pop_back();
    found = fmt::format("pass {}, {}", (*it)[1].str(), pass);
  }
  return found;
}

constexpr std::string_view kLevelsCounts =
    "LUT, CARRY4 and MUXF7/8 cells on the longest path between flip-flops, memories, DSPs and "
    "ports (Yosys ltp; each CARRY4 is one)";

}  // namespace

PartCapacity CapacityOf(const std::string& part) {
  std::string lower = part;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const PartCapacity& p : Parts()) {
    if (lower.rfind(p.part, 0) == 0) return p;
  }
  std::string names;
  for (const PartCapacity& p : Parts()) names += (names.empty() ? "" : ", ") + p.part;
  Fail("part {}: no capacity figures for it; known parts: {}", part, names);
}

std::map<std::string, int64_t> ParseStatJson(const std::string& text, const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: not Yosys' stat -json output: {}", path, e.what());
  }
  const nlohmann::json* stats = nullptr;
  if (j.contains("design")) {
    stats = &j["design"];
  } else if (j.contains("modules") && j["modules"].size() == 1) {
    stats = &j["modules"].begin().value();
  }
  if (!stats || !stats->is_object()) Fail("{}: no design statistics in Yosys' stat -json output", path);
  std::map<std::string, int64_t> cells;
  if (stats->contains("num_cells_by_type")) {
    for (const auto& [type, n] : (*stats)["num_cells_by_type"].items()) {
      if (!n.is_number_integer()) Fail("{}: cell count of {} is not an integer", path, type);
      cells[type] = n.get<int64_t>();
    }
  }
  return cells;
}

CellCounts CountCells(const std::map<std::string, int64_t>& cells) {
  CellCounts c;
  for (const auto& [type, n] : cells) {
    if (type == "DSP48E1") c.dsp48e1 += n;
    else if (type == "RAMB36E1") c.ramb36 += n;
    else if (type == "RAMB18E1") c.ramb18 += n;
    else if (type == "CARRY4") c.carry4 += n;
    else if (type == "MUXF7" || type == "MUXF8") c.muxf += n;
    else if (type.size() == 4 && type.rfind("LUT", 0) == 0 && type[3] >= '1' && type[3] <= '6') c.lut += n;
    else if (IsFlipFlop(type)) c.ff += n;
    else if (auto w = LutramWeights().find(type); w != LutramWeights().end()) c.lutram += n * w->second;
  }
  return c;
}

std::optional<int> ParseLtpLength(const std::string& log_text) {
  static const std::regex re(R"(Longest topological path in \S+ \(length=(-?\d+)\):)");
  std::optional<int> best;
  for (auto it = std::sregex_iterator(log_text.begin(), log_text.end(), re); it != std::sregex_iterator(); ++it) {
    const int n = std::max(0, std::stoi((*it)[1].str()));
    best = best ? std::max(*best, n) : n;
  }
  return best;
}

bool Fits(const CellCounts& c, const PartCapacity& p) {
  return c.dsp48e1 <= p.dsp48e1 && 2 * c.ramb36 + c.ramb18 <= 2 * p.ramb36 && c.lut + c.lutram <= p.lut &&
         c.lutram <= p.lutram && c.ff <= p.ff;
}

SynthResult Synthesize(const SynthRequest& r) {
  const PartCapacity capacity = CapacityOf(r.part);
  if (r.top.empty()) Fail("no top module given for synthesis");
  if (r.sources.empty()) Fail("{}: no RTL source files given for synthesis", r.top);
  if (r.work_dir.empty()) Fail("{}: no work folder given for synthesis", r.top);
  CheckScriptWord(r.top, "a module");
  std::string read = "read_verilog -sv";
  for (const std::string& d : r.include_dirs) {
    const std::string abs = fs::absolute(d).lexically_normal().string();
    CheckScriptWord(abs, "an include folder");
    read += " -I" + abs;
  }
  for (const auto& [name, value] : r.defines) {
    const std::string def = value.empty() ? name : name + "=" + value;
    CheckScriptWord(def, "a define");
    read += " -D" + def;
  }
  for (const std::string& s : r.sources) {
    std::error_code ec;
    if (!fs::is_regular_file(s, ec)) Fail("{}: no such file (an RTL source of {})", s, r.top);
    const std::string abs = fs::absolute(s).lexically_normal().string();
    CheckScriptWord(abs, "a source file");
    read += " " + abs;
  }

  std::error_code ec;
  fs::create_directories(r.work_dir, ec);
  if (ec) Fail("{}: cannot create the synthesis folder: {}", r.work_dir, ec.message());
  const fs::path work = fs::absolute(r.work_dir).lexically_normal();
  const fs::path stat_path = work / "stat.json", log_path = work / "yosys.log", script_path = work / "synth.ys";
  fs::remove(stat_path, ec);

  std::string script = read + "\n";
  if (!r.parameters.empty()) {
    std::string chparam = "chparam";
    for (const auto& [name, value] : r.parameters) {
      CheckScriptWord(name, "a parameter");
      chparam += fmt::format(" -set {} {}", name, ParamValue(value));
    }
    script += chparam + " " + r.top + "\n";
  }
  // -flatten: one module, so that ltp sees whole paths and stat counts every instance.
  // -noiopad: the core is a block inside a larger design, not the chip's top: no I/O buffers.
  // The defaults already put a registered 16x16 multiply-accumulate in one DSP48E1 (its A/B
  // and P registers absorbed); -abc9 and -dff change nothing there.
  script += fmt::format("synth_xilinx -family xc7 -top {} -flatten -noiopad\n", r.top);
  script += "tee -q -o stat.json stat -json\n";
  // Only wires and combinational cells are selected: a path ends at anything else (FFs, BRAM,
  // DSPs, LUTRAM), so its length is the logic levels between registers.
  script += "ltp w:* t:LUT* t:CARRY4 t:MUXF7 t:MUXF8\n";
  std::ofstream(script_path) << script;
  if (!fs::is_regular_file(script_path, ec)) Fail("{}: cannot write the Yosys script", script_path.string());

  ToolCommand c;
  c.argv = {"yosys", "-s", script_path.string()};
  c.work_dir = work.string();
  c.log_path = log_path.string();
  c.timeout_s = r.timeout_s;
  c.progress = [&](double elapsed) {
    Note(fmt::format("yosys: {:.0f} min, {}", elapsed / 60, LastYosysPass(log_path.string())));
  };
  const auto start = std::chrono::steady_clock::now();
  RunChecked(c);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!fs::is_regular_file(stat_path, ec)) Fail("{}: Yosys wrote no statistics (log {})", stat_path.string(), log_path.string());
  SynthResult result;
  result.cells = ParseStatJson(ReadText(stat_path), stat_path.string());
  static_cast<CellCounts&>(result) = CountCells(result.cells);
  const std::optional<int> levels = ParseLtpLength(ReadText(log_path));
  if (!levels) Fail("{}: no longest path (ltp) in Yosys' log", log_path.string());
  result.part = r.part;
  result.top = r.top;
  result.logic_levels = *levels;
  result.logic_levels_counts = std::string(kLevelsCounts);
  result.capacity = capacity;
  result.fits = Fits(result, capacity);
  result.seconds = seconds;
  result.log = log_path.string();
  return result;
}

nlohmann::json SynthJson(const SynthResult& r) {
  return {
      {"part", r.part},
      {"top", r.top},
      {"dsp48e1", r.dsp48e1},
      {"ramb36", r.ramb36},
      {"ramb18", r.ramb18},
      {"lut", r.lut},
      {"lutram", r.lutram},
      {"ff", r.ff},
      {"carry4", r.carry4},
      {"logic_levels", r.logic_levels},
      {"logic_levels_counts", r.logic_levels_counts},
      {"capacity",
       {{"dsp48e1", r.capacity.dsp48e1},
        {"ramb36", r.capacity.ramb36},
        {"lut", r.capacity.lut},
        {"lutram", r.capacity.lutram},
        {"ff", r.capacity.ff},
        {"source", r.capacity.source}}},
      {"fits", r.fits},
      {"seconds", r.seconds},
      {"log", r.log},
      {"cells", r.cells},
  };
}

}  // namespace sbe::hw
