// `sbe simulate`: the cycle-level simulator of the SBE accelerator on a board description,
// following the planner's schedule, with real outputs (bit-exact with the golden model).
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
  std::string arch = "stall-free";
  std::string output, trace;
  std::vector<double> input_range;
  bool timing_only = false;
  bool check = false;
  bool json = false;
};

// Simulations past this many PE-array events would write traces too large to open.
constexpr int64_t kMaxTraceEvents = 200000;

nlohmann::json StallJson(const StallCycles& s) {
  return {{"weights", s.weights},     {"input", s.input},
          {"recurrence", s.recurrence}, {"barrier", s.barrier},
          {"accumulator", s.accumulator}, {"fill_drain", s.fill_drain},
          {"total", s.total()}};
}

// --check: the golden model on the same integers; the simulator must match it bit for bit.
nlohmann::json CompareWithGolden(const QuantizedModel& q, const FixedInput& x, const FixedOutput& got) {
  const FixedOutput want = RunGolden(q, x);
  int64_t mismatches = 0;
  for (size_t i = 0; i < want.y.data.size(); ++i) mismatches += want.y.data[i] != got.y.data[i];
  for (size_t i = 0; i < want.h_n.data.size(); ++i) mismatches += want.h_n.data[i] != got.h_n.data[i];
  for (size_t i = 0; i < want.c_n.data.size(); ++i) mismatches += want.c_n.data[i] != got.c_n.data[i];
  return {{"bit_exact", mismatches == 0}, {"mismatches", mismatches}};
}

void RunSimulate(const SimulateArgs& a) {
  const Architecture arch = ParseArchitecture(a.arch);
  const Board board = LoadBoard(a.board);
  if (board.kind != "fpga") {
    Fail("--board {}: the simulator models the FPGA accelerator; a CPU runs `sbe run`", a.board);
  }
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.in.seed); });
  IoLayout io = model.io;
  io.batch_first = io.batch_first || a.in.batch_first;
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
  const PlanResult planned = ChoosePlan(model.shape, board, MakePlanRequest(a.choice, steps));
  const Plan& plan = planned.best;
  if (!in) {
    InputArgs random = a.in;
    random.count = a.in.count.value_or(plan.batch);
    in = MakeInput(random, "--samples", a.model, model, io);
  }

  InputRange range = RangeFromSample(in->x);
  if (!a.input_range.empty()) {
    range = InputRange{a.input_range[0], a.input_range[1]};
    range.Check();
  }
  const QuantizedModel q = Calibrate(model, range);
  for (const std::string& w : q.warnings) Warn(w);
  SaturationCounts input_saturation;
  const FixedInput x = QuantizeInput(q, *in, &input_saturation);

  SimOptions options;
  options.arch = arch;
  options.compute_values = !a.timing_only;
  options.trace = !a.trace.empty();
  options.max_trace_events = kMaxTraceEvents;
  const SimResult r = Simulate(q, board, plan, x, options);
  if (!a.trace.empty()) {
    WriteChromeTrace(r, board, a.trace);
    if (r.trace_truncated) {
      Warn("--trace {}: only the first {} events were recorded; simulate fewer samples or steps "
           "for a whole trace", a.trace, kMaxTraceEvents);
    }
  }
  const nlohmann::json check = a.check ? CompareWithGolden(q, x, r.output) : nlohmann::json();
  if (!a.output.empty()) {
    WriteNpy(a.output, PresentY(DequantizeOutput(q, r.output).y, io, model.shape.directions()));
  }

  const double sim_over_plan = r.gops / plan.predicted_gops;
  if (a.json) {
    nlohmann::json j = {{"board", board.name},
                        {"model", model.name},
                        {"model_info", ModelJson(model)},
                        {"arch", ArchitectureName(arch)},
                        {"batch", plan.batch},
                        {"blocks", plan.blocks},
                        {"samples", r.samples},
                        {"batches", r.batches},
                        {"steps", r.steps},
                        {"cycles", r.cycles},
                        {"seconds", r.seconds},
                        {"gops", r.gops},
                        {"ms_per_sample", r.ms_per_sample},
                        {"ms_per_batch", r.ms_per_batch},
                        {"mj_per_sample", r.mj_per_sample},
                        {"pe_utilization", r.pe_utilization},
                        {"dram_utilization", r.dram_utilization},
                        {"busy_cycles", r.busy_cycles},
                        {"stall_cycles", StallJson(r.stalls)},
                        {"dram_read_bytes", r.dram_read_bytes},
                        {"dram_write_bytes", r.dram_write_bytes},
                        {"buffers",
                         {{"weight_slot_bytes", r.buffers.weight_slot_bytes},
                          {"state_bytes", r.buffers.state_bytes},
                          {"capacity_bytes", r.buffers.capacity_bytes}}},
                        {"plan", PlanJson(plan)},
                        {"sim_over_plan_gops", sim_over_plan},
                        {"values_computed", !a.timing_only},
                        {"saturation",
                         {{"inputs", input_saturation.inputs},
                          {"preactivations", r.saturation.preacts},
                          {"cells", r.saturation.cells}}}};
    j["board_info"] = BoardJson(board);
    if (a.check) j["check_vs_golden"] = check;
    if (!a.output.empty()) j["output"] = a.output;
    if (!a.trace.empty()) j["trace"] = {{"path", a.trace}, {"events", r.trace.size()}, {"truncated", r.trace_truncated}};
    PrintJson(j);
    return;
  }
  const StallCycles& st = r.stalls;
  auto pct = [&](int64_t c) { return 100.0 * static_cast<double>(c) / static_cast<double>(r.cycles); };
  std::printf("board      %s\n", board.Summary().c_str());
  std::printf("model      %s (%s), %d steps\n", model.name.c_str(), model.shape.ToString().c_str(), steps);
  std::printf("plan       batch %d; W_h in %d block%s (case %d); W_x case %d; %s; %s array\n",
              plan.batch, plan.blocks, plan.blocks == 1 ? "" : "s", plan.hidden_case, plan.input_case,
              plan.block_batch ? "block-batch" : "non block-batch", ArchitectureName(arch).c_str());
  std::printf("simulated  %lld samples in %lld batch%s: %lld cycles, %.4f ms\n",
              static_cast<long long>(r.samples), static_cast<long long>(r.batches),
              r.batches == 1 ? "" : "es", static_cast<long long>(r.cycles), r.seconds * 1e3);
  std::printf("result     %.1f GOPS, %.4f ms per sample, %.3f mJ per sample\n", r.gops,
              r.ms_per_sample, r.mj_per_sample);
  std::printf("PE array   utilisation %.1f%%; stalls: weights %.1f%%, input %.1f%%, h %.1f%%, "
              "barrier %.1f%%, accumulator %.1f%%, fill/drain %.1f%%\n",
              100 * r.pe_utilization, pct(st.weights), pct(st.input), pct(st.recurrence),
              pct(st.barrier), pct(st.accumulator), pct(st.fill_drain));
  std::printf("DRAM       %.2f MB read, %.2f MB written, utilisation %.1f%%\n",
              r.dram_read_bytes * 1e-6, r.dram_write_bytes * 1e-6, 100 * r.dram_utilization);
  std::printf("buffers    %.2f MiB weight slots + %.2f MiB state of %.2f MiB\n",
              r.buffers.weight_slot_bytes / 1048576.0, r.buffers.state_bytes / 1048576.0,
              r.buffers.capacity_bytes / 1048576.0);
  std::printf("planner    predicted %.1f GOPS; simulated / predicted = %.3f\n", plan.predicted_gops,
              sim_over_plan);
  if (a.check) {
    std::printf("check      %s (%lld values differ from the golden model)\n",
                check["bit_exact"].get<bool>() ? "bit-exact with the golden model" : "MISMATCH",
                static_cast<long long>(check["mismatches"].get<int64_t>()));
  }
  if (!a.output.empty()) std::printf("wrote      %s\n", a.output.c_str());
  if (!a.trace.empty()) std::printf("wrote      %s (%zu events)\n", a.trace.c_str(), r.trace.size());
  if (a.check && !check["bit_exact"].get<bool>()) Fail("simulator outputs differ from the golden model");
}

}  // namespace

void AddSimulateCommand(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Simulate the SBE accelerator cycle by cycle on a board (outputs and timing)");
  cmd->add_option("--board", args->board, "Board preset (vx690t, z7045, u280, zu9eg) or .json")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Preset or .safetensors / .onnx file")->capture_default_str();
  AddPlanChoiceOptions(cmd, &args->choice);
  cmd->add_option("--arch", args->arch, "stall-free (column-wise, SBE) or baseline (row-wise)")
      ->capture_default_str();
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
      "sbe simulate --model deepbench-256 --samples 2 --steps 4 --trace t.json --check",
      "sbe simulate --board vx690t --batch 64 --timing-only --json"}));
  cmd->callback([args] { RunSimulate(*args); });
}

}  // namespace sbe::cli
