#include "hw/cosim.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/cache_dir.h"
#include "hw/activation_tables.h"
#include "hw/tool_runner.h"
#include "sbe/error.h"
#include "sbe/simulator.h"

namespace sbe::hw {
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// A fresh folder for one run's files, removed when the run is over.
class WorkDir {
 public:
  WorkDir() {
    std::string pattern = (fs::temp_directory_path() / "sbe-cosim-XXXXXX").string();
    if (!mkdtemp(pattern.data())) Fail("cannot create a folder under {}", fs::temp_directory_path().string());
    path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

std::string HwDir() {
  if (const char* d = std::getenv("SBE_HW_DIR"); d && *d) return d;
  return (fs::path(SBE_SOURCE_DIR) / "hw").string();
}

std::vector<std::string> RtlSources() {
  const fs::path rtl = fs::path(HwDir()) / "rtl";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(rtl, ec)) {
    if (e.path().extension() == ".sv") files.push_back(e.path().string());
  }
  if (files.empty()) Fail("no RTL in {} (set SBE_HW_DIR to the source tree's hw/)", rtl.string());
  std::sort(files.begin(), files.end());
  return files;
}

VerilatorBuild CosimBuild(const HwConfig& config, TraceKind trace) {
  VerilatorBuild b;
  b.top = "sbe_top";
  b.sources = RtlSources();
  b.include_dirs = {(fs::path(HwDir()) / "rtl").string()};
  b.parameters = config.Parameters();
  b.harness = {(fs::path(HwDir()) / "cosim" / "harness.cpp").string()};
  b.trace = trace;
  b.cflags = {"-O2", std::string("-DSBE_TRACE_") + (trace == TraceKind::kFst ? "FST" : trace == TraceKind::kVcd ? "VCD" : "NONE")};
  if (const char* d = std::getenv("SBE_HW_CACHE_DIR"); d && *d) {
    b.cache_dir = d;
  } else {
    const auto cache = CacheDir();
    b.cache_dir = ((cache ? *cache : fs::temp_directory_path() / "sbe-cache") / "hw").string();
  }
  return b;
}

CosimResult Cosimulate(const QuantizedModel& m, const HwProgram& p, const FixedInput& in, const CosimOptions& o) {
  CosimResult r;
  auto t0 = std::chrono::steady_clock::now();
  r.executable = BuildVerilatorModel(CosimBuild(p.config, o.trace));
  r.build_seconds = Seconds(t0);

  WorkDir work;
  WriteActivationTables(work.path().string());
  const fs::path dram_in = work.path() / "dram.bin", dram_out = work.path() / "dram.out", log = work.path() / "run.log";
  {
    std::ofstream f(dram_in, std::ios::binary);
    f.write(reinterpret_cast<const char*>(p.dram.data()), static_cast<std::streamsize>(p.dram.size()));
    if (!f) Fail("cannot write {}", dram_in.string());
  }
  ToolCommand c;
  c.argv = {r.executable, "--dram", dram_in.string(), "--out", dram_out.string(),
            "--desc-base", std::to_string(p.desc_base),
            "--bytes-per-cycle", fmt::format("{:.17g}", p.config.bytes_per_cycle),
            "--latency", std::to_string(p.config.latency_cycles),
            "--burst-bytes", std::to_string(p.config.burst_bytes),
            "--beat-bytes", std::to_string(p.config.axi_bits / 8),
            "--max-cycles", std::to_string(o.max_cycles)};
  if (o.trace != TraceKind::kNone) c.argv.insert(c.argv.end(), {"--trace", fs::absolute(o.trace_path).string()});
  c.work_dir = work.path().string();  // the tables' $readmemh paths are relative
  c.log_path = log.string();
  c.timeout_s = o.timeout_s;
  t0 = std::chrono::steady_clock::now();
  const int status = RunProgram(c);
  r.run_seconds = Seconds(t0);
  if (status != 0) Fail("co-simulation failed: {}", LastErrorLine(log.string()));
  // The harness's one JSON object is its last line.
  std::ifstream lf(log);
  std::string line, last;
  while (std::getline(lf, line)) {
    if (!line.empty() && line[0] == '{') last = line;
  }
  const nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded()) Fail("co-simulation: no result in {}", log.string());
  r.cycles = j.at("cycles").get<int64_t>();
  r.dram_read_bytes = j.at("read_bytes").get<int64_t>();
  r.dram_write_bytes = j.at("write_bytes").get<int64_t>();
  r.sat_preacts = j.at("sat_preacts").get<int64_t>();
  r.sat_cells = j.at("sat_cells").get<int64_t>();
  std::ifstream df(dram_out, std::ios::binary);
  std::vector<uint8_t> dram((std::istreambuf_iterator<char>(df)), std::istreambuf_iterator<char>());
  if (dram.size() < p.dram.size()) Fail("co-simulation: {} is short", dram_out.string());
  r.output = ReadOutput(m, p, in, dram);
  return r;
}

}  // namespace sbe::hw

namespace sbe::hw {

CosimRun CosimDocument(const LstmModel& model, const Board& board, const LstmInput& input, const CosimRequest& r) {
  CosimRun run;
  if (r.input_range) r.input_range->Check();
  run.quantized = Calibrate(model, r.input_range ? *r.input_range : RangeFromSample(input.x));
  for (const std::string& w : run.quantized.warnings) Warn(w);
  SaturationCounts counts;
  const FixedInput fixed = QuantizeInput(run.quantized, input, &counts);
  PlanRequest request = r.plan;
  request.steps = static_cast<int>(fixed.x.shape[0]);
  const Plan plan = ChoosePlan(run.quantized.shape, board, request).best;
  const HwProgram program = Compile(run.quantized, plan, board, fixed);
  const CosimResult rtl = Cosimulate(run.quantized, program, fixed, r.options);
  const FixedOutput golden = RunGolden(run.quantized, fixed);
  SimOptions timing;
  timing.compute_values = false;
  const SimResult sim = Simulate(run.quantized, board, plan, fixed, timing);

  int64_t mismatches = 0;
  auto count = [&](const auto& a, const auto& b) {
    for (size_t i = 0; i < a.data.size(); ++i) mismatches += a.data[i] != b.data[i] ? 1 : 0;
  };
  count(rtl.output.y, golden.y);
  count(rtl.output.h_n, golden.h_n);
  count(rtl.output.c_n, golden.c_n);
  run.bit_exact = mismatches == 0;
  run.output = rtl.output;

  const int64_t samples = fixed.x.shape[1], T = fixed.x.shape[0];
  const double seconds = static_cast<double>(rtl.cycles) / (board.clock_mhz * 1e6);
  const double ops = 2.0 * static_cast<double>(model.shape.MacsPerStep()) * static_cast<double>(T * samples);
  nlohmann::json& j = run.document;
  j["board"] = board.name;
  j["model"] = model.name;
  j["samples"] = samples;
  j["steps"] = T;
  j["plan"] = PlanJson(plan);
  j["hw_config"] = program.config.Json();
  j["descriptors"] = program.descriptors;
  j["unit_ops"] = {{"load", program.unit_ops[0]}, {"compute", program.unit_ops[1]}, {"tail", program.unit_ops[2]},
                   {"store", program.unit_ops[3]}};
  j["cycles"] = rtl.cycles;
  j["seconds"] = seconds;
  j["ms_per_sample"] = seconds * 1e3 / static_cast<double>(samples);
  j["gops"] = ops / seconds * 1e-9;
  j["sim_cycles"] = sim.cycles;
  j["cycles_over_sim"] = static_cast<double>(rtl.cycles) / static_cast<double>(std::max<int64_t>(sim.cycles, 1));
  j["dram_read_bytes"] = rtl.dram_read_bytes;
  j["dram_write_bytes"] = rtl.dram_write_bytes;
  j["sim_dram_read_bytes"] = sim.dram_read_bytes;
  j["bit_exact"] = run.bit_exact;
  j["mismatches"] = mismatches;
  j["saturation"] = {{"preacts", rtl.sat_preacts}, {"cells", rtl.sat_cells}};
  j["build_seconds"] = rtl.build_seconds;
  j["run_seconds"] = rtl.run_seconds;
  if (r.options.trace != TraceKind::kNone) j["waveform"] = r.options.trace_path;
  return run;
}

}  // namespace sbe::hw
