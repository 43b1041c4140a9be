// `sbe simulate`: the SBE accelerator's discrete-event model on a board description (the `sim`
// executor), following the planner's schedule, with real outputs (bit-exact with the golden
// model), its cycles, stalls and traffic.
#include <cstdio>
#include <optional>

#include "cli/cli_common.h"
#include "sbe/board.h"
#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/golden.h"
#include "sbe/plan.h"
#include "sbe/presets.h"
#include "sbe/simulator.h"

namespace sbe::cli {
namespace {

struct SimulateArgs {
  std::string board = "vx690t";
  std::string model = "lrcn";
  PlanChoiceArgs choice;
  InputArgs in;
  Architecture arch = Architecture::kStallFree;
  std::string output, trace;
  std::vector<double> input_range;
  bool timing_only = false;
  bool check = false;
  bool json = false;
};

// Simulations past this many PE-array events would write traces too large to open.
constexpr int64_t kMaxTraceEvents = 200000;

void RunSimulate(const SimulateArgs& a) {
  const Board board = LoadFpgaBoard(a.board, "--board");
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.in.seed); });
  IoLayout io = model.io;
  io.batch_first = io.batch_first || a.in.batch_first;
  if (a.arch == Architecture::kBaseline && a.choice.input == InputMode::kHoisted) {
    Fail("--input-part hoisted: the row-wise baseline (--arch baseline) computes the input part per step");
  }
  if (a.timing_only && (a.check || !a.output.empty())) {
    Fail("--timing-only computes no outputs: drop --check and --output");
  }

  // The plan needs the sequence length; without --input the sample count defaults to the
  // plan's batch (one batch).
  std::optional<LstmInput> in;
  if (!a.in.input.empty()) in = MakeInput(a.in, "--samples", a.model, model, io);
  const int steps = in ? static_cast<int>(in->steps())
                       : static_cast<int>(a.in.steps.value_or(model.default_steps));
  if (steps < 1) Fail("--steps: {} does not say its sequence length; give --steps or --input", a.model);
  const PlanRequest plan_request = MakePlanRequest(a.choice, steps, model);
  if (!in) {
    InputArgs random = a.in;
    random.count = a.in.count.value_or(ChoosePlan(model.shape, board, plan_request).best.batch);
    in = MakeInput(random, "--samples", a.model, model, io);
  }

  SimulationRequest request;
  request.plan = plan_request;
  request.arch = a.arch;
  request.timing_only = a.timing_only;
  if (!a.input_range.empty()) {
    request.input_range = InputRange{a.input_range[0], a.input_range[1]};
    ForSubject("input range", "--input-range", [&] { request.input_range->Check(); });
  }
  request.trace_path = a.trace;
  request.max_trace_events = kMaxTraceEvents;
  request.check = a.check;
  const SimulationRun run = ForArgument("--trace", a.trace, [&] { return SimulateDocument(model, board, *in, request); });
  const nlohmann::json& j = run.document;
  const nlohmann::json& plan = j.at("plan");
  if (!a.trace.empty() && j.at("trace").at("truncated").get<bool>()) {
    Warn("--trace {}: only the first {} events were recorded; simulate fewer samples or steps "
         "for a whole trace", a.trace, kMaxTraceEvents);
  }
  if (!a.output.empty()) WriteNpy(a.output, PresentY(run.output.y, io, model.shape.directions()));

  if (a.json) {
    nlohmann::json out = j;
    if (!a.output.empty()) out["output"] = a.output;
    PrintJson(out);
  } else {
    const nlohmann::json& st = j.at("stall_cycles");
    const double cycles = j.at("cycles").get<double>();
    auto pct = [&](const char* k) { return 100.0 * st.at(k).get<double>() / cycles; };
    std::printf("board      %s\n", board.Summary().c_str());
    std::printf("model      %s (%s), %d steps\n", model.name.c_str(), model.shape.ToString().c_str(), steps);
    std::printf("plan       %s; %s array\n", PlanLine(plan).c_str(), ArchitectureName(a.arch).c_str());
    const int64_t batches = j.at("batches").get<int64_t>();
    std::printf("simulated  %lld samples in %lld batch%s: %lld cycles, %.4f ms\n",
                static_cast<long long>(j.at("samples").get<int64_t>()), static_cast<long long>(batches),
                batches == 1 ? "" : "es", static_cast<long long>(j.at("cycles").get<int64_t>()),
                j.at("seconds").get<double>() * 1e3);
    std::printf("result     %.1f GOPS, %.4f ms per sample, %.3f mJ per sample\n", j.at("gops").get<double>(),
                j.at("ms_per_sample").get<double>(), j.at("mj_per_sample").get<double>());
    const nlohmann::json& pe = j.at("pe_cycles").at("shares");
    const nlohmann::json& org = plan.at("pe");
    std::printf("PE array   %lld lanes x %lld row PEs; its PE-cycles: %.1f%% multiply-adds, %.1f%% lanes left empty, "
                "%.1f%% rows left empty, %.1f%% stalled\n",
                static_cast<long long>(org.at("lanes").get<int64_t>()),
                static_cast<long long>(org.at("row_lanes").get<int64_t>()), 100 * pe.at("useful").get<double>(),
                100 * pe.at("idle_lanes").get<double>(), 100 * pe.at("idle_rows").get<double>(),
                100 * pe.at("stalled").get<double>());
    std::printf("stalls     weights %.1f%%, input %.1f%%, h %.1f%%, barrier %.1f%%, accumulator %.1f%%, "
                "fill/drain %.1f%% of the cycles\n",
                pct("weights"), pct("input"), pct("recurrence"), pct("barrier"), pct("accumulator"), pct("fill_drain"));
    std::printf("DRAM       %.2f MB read, %.2f MB written, utilisation %.1f%%\n",
                j.at("dram_read_bytes").get<double>() * 1e-6, j.at("dram_write_bytes").get<double>() * 1e-6,
                100 * j.at("dram_utilization").get<double>());
    const nlohmann::json& buffers = j.at("buffers");
    std::printf("buffers    %.2f MiB weight slots + %.2f MiB state of %.2f MiB; accumulators %.1f KiB of %.1f KiB "
                "of distributed RAM\n",
                buffers.at("weight_slot_bytes").get<double>() / 1048576.0,
                buffers.at("state_bytes").get<double>() / 1048576.0,
                buffers.at("capacity_bytes").get<double>() / 1048576.0,
                buffers.at("accumulator_bytes").get<double>() / 1024.0,
                buffers.at("accumulator_capacity_bytes").get<double>() / 1024.0);
    std::printf("planner    predicted %.1f GOPS; simulated / predicted = %.3f\n",
                plan.at("predicted_gops").get<double>(), j.at("sim_over_plan_gops").get<double>());
    if (a.check) {
      std::printf("check      %s (%lld values differ from the golden model)\n",
                  run.bit_exact ? "bit-exact with the golden model" : "MISMATCH",
                  static_cast<long long>(j.at("check_vs_golden").at("mismatches").get<int64_t>()));
    }
    if (!a.output.empty()) std::printf("wrote      %s\n", a.output.c_str());
    if (!a.trace.empty()) {
      std::printf("wrote      %s (%lld events)\n", a.trace.c_str(),
                  static_cast<long long>(j.at("trace").at("events").get<int64_t>()));
    }
  }
  if (a.check && !run.bit_exact) Fail("simulator outputs differ from the golden model");
}

}  // namespace

void AddSimulateCommand(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Simulate the SBE accelerator on a board: a discrete-event model (outputs, cycles, stalls)");
  cmd->add_option("--board", args->board, fmt::format("Board preset ({}) or .json", fmt::join(BoardPresetNames(), ", ")))
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Preset or .safetensors / .onnx file")->capture_default_str();
  AddPlanChoiceOptions(cmd, &args->choice);
  AddChoice(cmd, "--arch", &args->arch,
            {{"stall-free", Architecture::kStallFree}, {"baseline", Architecture::kBaseline}},
            "The PE array: stall-free (column-wise, SBE) or baseline (row-wise)");
  AddInputOptions(cmd, &args->in, "--samples");
  cmd->add_option("--input-range", args->input_range,
                  "The range LO,HI of inputs to calibrate for (default: the input's)")
      ->delimiter(',')
      ->expected(2);
  cmd->add_option("--output", args->output, "Write y (dequantised) to this .npy");
  cmd->add_option("--trace", args->trace,
                  "Write a Chrome trace-event JSON (Perfetto) of DMA, PE array and tail");
  cmd->add_flag("--timing-only", args->timing_only,
                "Skip the arithmetic (timing does not depend on values): for sweeps");
  cmd->add_flag("--check", args->check, "Also run the golden model and require equal integers");
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->footer(Examples({
      "sbe simulate                                      # lrcn on the VX690T, planner's choice",
      "sbe simulate --board z7045 --model lrcn --json",
      "sbe simulate --board z7045 --batch 8 --arch baseline",
      "sbe simulate --board z7045 --batch 1 --input-part per-step   # W_x every step, as the paper",
      "sbe simulate --model deepbench-256 --samples 2 --steps 4 --trace t.json --check",
      "sbe simulate --board vx690t --batch 64 --timing-only --json"}));
  cmd->callback([args] { RunSimulate(*args); });
}

}  // namespace sbe::cli
