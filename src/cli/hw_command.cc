// `sbe hw`: the accelerator as RTL (hw/, docs/HARDWARE.md). `emit` writes what a board build
// and a run need, `cosim` runs the RTL in Verilator against the golden model and the
// simulator, `synth` maps it onto a Xilinx 7-series part with Yosys.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/cli_common.h"
#include "hw/activation_tables.h"
#include "hw/cosim.h"
#include "hw/hw_program.h"
#include "hw/synth.h"
#include "hw/vivado.h"
#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/golden.h"
#include "sbe/presets.h"

namespace sbe::cli {
namespace {
namespace fs = std::filesystem;

// What emit and cosim share: the board, the model, the plan, the input.
struct HwArgs {
  std::string board = "arty-a7-100t";
  std::string model = "lrcn";
  PlanChoiceArgs choice;
  InputArgs in;
  std::vector<double> input_range;
};

void AddHwOptions(CLI::App* cmd, HwArgs* a) {
  cmd->add_option("--board", a->board, fmt::format("Board preset ({}) or .json", fmt::join(BoardPresetNames(), ", ")))
      ->capture_default_str();
  cmd->add_option("--model", a->model, "Preset or .safetensors / .onnx file")->capture_default_str();
  AddPlanChoiceOptions(cmd, &a->choice);
  AddInputOptions(cmd, &a->in, "--samples");
  cmd->add_option("--input-range", a->input_range, "The range LO,HI of inputs to calibrate for (default: the input's)")
      ->delimiter(',')
      ->expected(2);
}

struct Prepared {
  Board board;
  LstmModel model;
  IoLayout io;
  LstmInput input;
  PlanRequest request;
  std::optional<InputRange> range;
};

// The board, model, input (random: one batch of the plan's) and plan request of the arguments.
Prepared Prepare(const HwArgs& a) {
  Prepared p{LoadFpgaBoard(a.board, "--board"),
             ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.in.seed); }), {}, {}, {}, {}};
  p.io = p.model.io;
  p.io.batch_first = p.io.batch_first || a.in.batch_first;
  std::optional<LstmInput> in;
  if (!a.in.input.empty()) in = MakeInput(a.in, "--samples", a.model, p.model, p.io);
  const int steps = in ? static_cast<int>(in->steps()) : static_cast<int>(a.in.steps.value_or(p.model.default_steps));
  if (steps < 1) Fail("--steps: {} does not say its sequence length; give --steps or --input", a.model);
  p.request = MakePlanRequest(a.choice, steps, p.model);
  // The input part per step unless asked otherwise: the RTL hoists it for single layers only
  // (for a stack, emit says so), and the study's figures (docs/HARDWARE.md) are per step.
  if (!a.choice.input) p.request.input = InputMode::kPerStep;
  if (!in) {
    InputArgs random = a.in;
    random.count = a.in.count.value_or(ChoosePlan(p.model.shape, p.board, p.request).best.batch);
    in = MakeInput(random, "--samples", a.model, p.model, p.io);
  }
  p.input = std::move(*in);
  if (!a.input_range.empty()) {
    p.range = InputRange{a.input_range[0], a.input_range[1]};
    ForSubject("input range", "--input-range", [&] { p.range->Check(); });
  }
  return p;
}

// --- emit ----------------------------------------------------------------------------------

struct EmitArgs {
  HwArgs hw;
  std::string out;
  bool json = false;
};

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  if (!f) Fail("--out: cannot write {}", path.string());
}

// The planner counts the RTL's sets of partial sums (kAccumulatorSets), but a hoisted plan's as
// the larger of the input phase's and the recurrence's banks, where the RTL gives all its
// memories the deepest of both (the most slots, the longest items): at the edge of the LUTRAM it
// may not fit.
void WarnOfAccumulators(const hw::HwConfig& config, const Plan& plan, const Board& board) {
  if (config.AccumulatorBytes() <= AccumulatorCapacity(board)) return;
  Warn("plan {}: the RTL's accumulators need {} bytes of distributed RAM ({} memories a PE), the "
       "planner counted {} against the {} it allows the board: the synthesis may not fit (a smaller --batch does)",
       plan.ToString(), config.AccumulatorBytes(), kAccumulatorSets, plan.pe.accumulator_bytes,
       AccumulatorCapacity(board));
}

void RunEmit(const EmitArgs& a) {
  const Prepared p = Prepare(a.hw);
  const QuantizedModel q = Calibrate(p.model, p.range ? *p.range : RangeFromSample(p.input.x));
  SaturationCounts counts;
  const FixedInput fixed = QuantizeInput(q, p.input, &counts);
  PlanRequest request = p.request;
  request.steps = static_cast<int>(fixed.x.shape[0]);
  const Plan plan = ChoosePlan(q.shape, p.board, request).best;
  const hw::HwProgram program = hw::Compile(q, plan, p.board, fixed);
  WarnOfAccumulators(program.config, plan, p.board);
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec) Fail("--out {}: {}", a.out, ec.message());
  const fs::path out(a.out);
  // The top-level configuration: sbe_top's parameters for this board and plan, its memories
  // as deep as the plan needs (as synthesis sizes them; co-simulation rounds them up to share
  // builds, which moves no address of the DRAM image).
  const hw::HwConfig config = hw::ConfigFor(q.shape, plan, p.board, /*shared_sizes=*/false);
  std::string params;
  for (const auto& [k, v] : config.Parameters()) params += fmt::format("`define SBE_{} {}\n", k, v);
  WriteFile(out / "sbe_config.svh", "// sbe_top's parameters for board " + p.board.name + ", plan " + plan.ToString() +
                                        " (sbe hw emit)\n" + params);
  hw::WriteActivationTables(out.string());
  // The RTL beside its configuration and the Vivado script, so that the folder is the whole
  // hand-off to a machine with Vivado.
  const fs::path rtl = out / "rtl";
  fs::create_directories(rtl, ec);
  if (ec) Fail("--out {}: {}", rtl.string(), ec.message());
  for (const auto& e : fs::directory_iterator(fs::path(hw::HwDir()) / "rtl")) {
    if (e.path().extension() != ".sv" && e.path().extension() != ".svh") continue;
    fs::copy_file(e.path(), rtl / e.path().filename(), fs::copy_options::overwrite_existing, ec);
    if (ec) Fail("--out: cannot write {}: {}", (rtl / e.path().filename()).string(), ec.message());
  }
  WriteFile(out / "vivado.tcl", hw::VivadoScript(config, p.board, plan.ToString()));
  {
    std::ofstream f(out / "dram.bin", std::ios::binary);
    f.write(reinterpret_cast<const char*>(program.dram.data()), static_cast<std::streamsize>(program.dram.size()));
    if (!f) Fail("--out: cannot write {}", (out / "dram.bin").string());
  }
  nlohmann::json j;
  j["board"] = p.board.name;
  j["model"] = p.model.name;
  j["plan"] = PlanJson(plan);
  j["hw_config"] = config.Json();
  j["desc_base"] = program.desc_base;
  j["descriptors"] = program.descriptors;
  j["dram_bytes"] = program.dram.size();
  j["files"] = {"sbe_config.svh", "sigmoid.mem", "tanh.mem", "dram.bin", "program.json", "vivado.tcl"};
  WriteFile(out / "program.json", j.dump(2) + "\n");
  if (a.json) {
    PrintJson(j);
  } else {
    std::printf("board      %s\n", p.board.Summary().c_str());
    std::printf("plan       %s\n", PlanLine(j.at("plan")).c_str());
    std::printf("rtl        %d lanes x %d row PEs, %d-bit AXI; %lld descriptors, %.2f MB of DRAM image\n",
                program.config.lanes, program.config.row_lanes, program.config.axi_bits,
                static_cast<long long>(program.descriptors), static_cast<double>(program.dram.size()) * 1e-6);
    std::printf("wrote      %s/{sbe_config.svh, sigmoid.mem, tanh.mem, dram.bin, program.json, vivado.tcl, rtl/}\n",
                a.out.c_str());
  }
}

// --- cosim ---------------------------------------------------------------------------------

struct CosimArgs {
  HwArgs hw;
  std::string output, vcd, fst;
  bool json = false;
};

void RunCosim(const CosimArgs& a) {
  if (!a.vcd.empty() && !a.fst.empty()) Fail("--vcd and --fst: choose one waveform format");
  const Prepared p = Prepare(a.hw);
  hw::CosimRequest request;
  request.plan = p.request;
  request.input_range = p.range;
  if (!a.vcd.empty()) {
    request.options.trace = hw::TraceKind::kVcd;
    request.options.trace_path = a.vcd;
  } else if (!a.fst.empty()) {
    request.options.trace = hw::TraceKind::kFst;
    request.options.trace_path = a.fst;
  }
  const hw::CosimRun run = hw::CosimDocument(p.model, p.board, p.input, request);
  if (!a.output.empty()) {
    WriteNpy(a.output, PresentY(DequantizeOutput(run.quantized, run.output).y, p.io, p.model.shape.directions()));
  }
  const nlohmann::json& j = run.document;
  if (a.json) {
    nlohmann::json out = j;
    if (!a.output.empty()) out["output"] = a.output;
    PrintJson(out);
  } else {
    std::printf("board      %s\n", p.board.Summary().c_str());
    std::printf("model      %s (%s), %lld steps, %lld samples\n", p.model.name.c_str(),
                p.model.shape.ToString().c_str(), static_cast<long long>(j.at("steps").get<int64_t>()),
                static_cast<long long>(j.at("samples").get<int64_t>()));
    std::printf("plan       %s\n", PlanLine(j.at("plan")).c_str());
    std::printf("rtl        %lld cycles, %.4f ms per sample, %.2f GOPS (built in %.1f s, ran in %.1f s)\n",
                static_cast<long long>(j.at("cycles").get<int64_t>()), j.at("ms_per_sample").get<double>(),
                j.at("gops").get<double>(), j.at("build_seconds").get<double>(), j.at("run_seconds").get<double>());
    std::printf("simulator %lld cycles: RTL / simulator = %.3f\n", static_cast<long long>(j.at("sim_cycles").get<int64_t>()),
                j.at("cycles_over_sim").get<double>());
    std::printf("check      %s (%lld values differ from the golden model)\n",
                run.bit_exact ? "bit-exact with the golden model" : "MISMATCH",
                static_cast<long long>(j.at("mismatches").get<int64_t>()));
    if (!a.output.empty()) std::printf("wrote      %s\n", a.output.c_str());
    if (j.contains("waveform")) std::printf("wrote      %s\n", j.at("waveform").get<std::string>().c_str());
  }
  if (!run.bit_exact) Fail("the RTL's outputs differ from the golden model");
}

// --- synth ---------------------------------------------------------------------------------

struct SynthArgs {
  std::string board = "arty-a7-100t";
  std::string model = "lrcn";
  PlanChoiceArgs choice;
  std::optional<int64_t> steps;
  std::string part, work;
  double timeout_s = 3600;
  bool json = false;
};

void RunSynth(const SynthArgs& a) {
  const Board board = LoadFpgaBoard(a.board, "--board");
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, 0); });
  const int steps = static_cast<int>(a.steps.value_or(model.default_steps));
  if (steps < 1) Fail("--steps: {} does not say its sequence length; give --steps", a.model);
  PlanRequest request = MakePlanRequest(a.choice, steps, model);
  if (!a.choice.input) request.input = InputMode::kPerStep;
  const Plan plan = ChoosePlan(model.shape, board, request).best;
  const QuantizedModel shape_only = Calibrate(model, InputRange{});
  if (const auto why = hw::Unsupported(shape_only, plan, board)) {
    Fail("sbe hw: {}", *why);
  }
  const hw::HwConfig config = hw::ConfigFor(model.shape, plan, board, /*shared_sizes=*/false);
  const std::string part = a.part.empty() ? board.part : a.part;
  if (part.empty()) Fail("--board {}: the description names no \"part\"; give --part (xc7a100t, xc7z045, xc7vx690t)", a.board);
  ForArgument("--part", part, [&] { return hw::CapacityOf(part); });  // an unknown part fails before Yosys runs

  hw::SynthRequest r;
  r.sources = hw::RtlSources();
  r.include_dirs = {(fs::path(hw::HwDir()) / "rtl").string()};
  r.top = "sbe_top";
  r.parameters = config.Parameters();
  r.part = part;
  r.timeout_s = a.timeout_s;
  std::string work = a.work;
  if (work.empty()) {
    std::string pattern = (fs::temp_directory_path() / "sbe-synth-XXXXXX").string();
    if (!mkdtemp(pattern.data())) Fail("cannot create a folder under {}", fs::temp_directory_path().string());
    work = pattern;
  }
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec) Fail("--work {}: {}", work, ec.message());
  r.work_dir = work;
  hw::WriteActivationTables(work);  // the ROMs' $readmemh paths are relative to Yosys' folder
  WarnOfAccumulators(config, plan, board);
  Note(fmt::format("synthesizing sbe_top ({} lanes x {} row PEs) for {} with Yosys: minutes for a large array; log in {}",
       config.lanes, config.row_lanes, part, work));
  const hw::SynthResult result = hw::Synthesize(r);
  nlohmann::json j = hw::SynthJson(result);
  j["board"] = board.name;
  j["model"] = model.name;
  j["plan"] = PlanJson(plan);
  j["hw_config"] = config.Json();
  j["n_pe"] = board.macs_per_cycle;
  j["pe_array_macs"] = config.lanes * config.row_lanes;
  if (a.json) {
    PrintJson(j);
    return;
  }
  const hw::PartCapacity& cap = result.capacity;
  auto row = [](const char* what, int64_t used, int64_t of) {
    std::printf("  %-9s %8lld of %8lld (%5.1f%%)\n", what, static_cast<long long>(used), static_cast<long long>(of),
                of > 0 ? 100.0 * static_cast<double>(used) / static_cast<double>(of) : 0.0);
  };
  std::printf("board      %s\n", board.Summary().c_str());
  std::printf("rtl        %d lanes x %d row PEs, %d-bit AXI, plan %s\n", config.lanes, config.row_lanes, config.axi_bits,
              plan.ToString().c_str());
  std::printf("%s (Yosys synth_xilinx, %.0f s):\n", part.c_str(), result.seconds);
  row("DSP48E1", result.dsp48e1, cap.dsp48e1);
  row("RAMB36", result.ramb36, cap.ramb36);
  row("RAMB18", result.ramb18, 2 * cap.ramb36);
  row("LUT", result.lut, cap.lut);
  row("LUTRAM", result.lutram, cap.lutram);
  row("FF", result.ff, cap.ff);
  std::printf("fits       %s\n", result.fits ? "yes" : "NO");
  std::printf("depth      %d logic levels on the deepest register-to-register path (%s): an Fmax proxy, "
              "not a timing closure\n", result.logic_levels, result.logic_levels_counts.c_str());
  std::printf("log        %s\n", result.log.c_str());
}

}  // namespace

void AddHwCommand(CLI::App& app) {
  CLI::App* hw = app.add_subcommand("hw", "The SBE accelerator as RTL: emit, co-simulate (Verilator), synthesize (Yosys)");
  hw->require_subcommand(1);
  hw->footer(Examples({"sbe hw cosim --model deepbench-256 --steps 3 --samples 2",
                       "sbe hw emit --board arty-a7-100t --model lrcn --out build-arty",
                       "sbe hw synth --board arty-a7-100t --json"}));

  auto emit = std::make_shared<EmitArgs>();
  CLI::App* e = hw->add_subcommand("emit", "Write the RTL's configuration, the descriptors and the DRAM image of a run");
  AddHwOptions(e, &emit->hw);
  e->add_option("--out", emit->out, "Folder to write into")->required();
  e->add_flag("--json", emit->json, "Print one JSON object on stdout");
  e->footer(Examples({"sbe hw emit --board arty-a7-100t --model lrcn --out build-arty   # then vivado.tcl there",
                      "sbe hw emit --board z7045 --model deepbench-512 --batch 4 --samples 8 --out z7045 --json"}));
  e->callback([emit] { RunEmit(*emit); });

  auto cosim = std::make_shared<CosimArgs>();
  CLI::App* c = hw->add_subcommand("cosim", "Run the RTL in Verilator: outputs against the golden model, cycles against the simulator");
  AddHwOptions(c, &cosim->hw);
  c->add_option("--output", cosim->output, "Write y (dequantised) to this .npy");
  c->add_option("--vcd", cosim->vcd, "Write a VCD waveform (GTKWave) of the run");
  c->add_option("--fst", cosim->fst, "Write an FST waveform (GTKWave; smaller than VCD)");
  c->add_flag("--json", cosim->json, "Print one JSON object on stdout");
  c->footer(Examples({"sbe hw cosim --model deepbench-256 --steps 3 --samples 2",
                      "sbe hw cosim --board arty-a7-100t --model lrcn --steps 2 --json",
                      "sbe hw cosim --model lrcn --steps 4 --batch 1 --input-part hoisted   # W_x once, all steps",
                      "sbe hw cosim --model my.onnx --input x.npy --output y.npy --fst run.fst"}));
  c->callback([cosim] { RunCosim(*cosim); });
  auto synth = std::make_shared<SynthArgs>();
  CLI::App* y = hw->add_subcommand("synth", "Synthesize the RTL for the board's Xilinx 7-series part with Yosys");
  y->add_option("--board", synth->board, fmt::format("Board preset ({}) or .json", fmt::join(BoardPresetNames(), ", ")))
      ->capture_default_str();
  y->add_option("--model", synth->model, "The model whose plan sizes the memories (preset or file)")->capture_default_str();
  AddPlanChoiceOptions(y, &synth->choice);
  y->add_option("--steps", synth->steps, "Sequence length (default: the model's)");
  y->add_option("--part", synth->part, "The FPGA (default: the board's \"part\"): xc7a100t, xc7z045, xc7vx690t");
  y->add_option("--work", synth->work, "Folder for the script, the log and the statistics (default: a new one in /tmp)");
  y->add_option("--timeout-s", synth->timeout_s, "Give up after this many seconds")->capture_default_str();
  y->add_flag("--json", synth->json, "Print one JSON object on stdout");
  y->footer(Examples({"sbe hw synth                                   # lrcn's array on the Arty A7-100T",
                      "sbe hw synth --board tests/data/hw/tiny.json --model deepbench-256 --json",
                      "sbe hw synth --board z7045 --model lrcn --timeout-s 1800"}));
  y->callback([synth] { RunSynth(*synth); });
}

}  // namespace sbe::cli
