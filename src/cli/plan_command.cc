// `sbe plan`: the blocking-batching plan for a model on a board, its predictions, the
// alternatives, and (with --plot) the paper's batch-size and blocking-number figures.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "cli/cli_common.h"
#include "common/python_tools.h"
#include "sbe/board.h"
#include "sbe/cpu_board.h"
#include "sbe/cpu_plan.h"
#include "sbe/error.h"
#include "sbe/plan.h"
#include "sbe/presets.h"

namespace sbe::cli {
namespace {

struct PlanArgs {
  std::string board = "vx690t";
  std::string model = "lrcn";
  PlanChoiceArgs choice;
  // --board cpu: what `sbe run` takes (the batch is the input's; the planner decides blocking).
  ExecutorArgs cpu;
  std::optional<int> steps;
  bool schedule = false;
  bool json = false;
  bool curves = false;
  std::string plot;
  uint64_t seed = 0;
};

// "8 lanes x 256 row PEs, 4 cycles an item (efficiency 100.0%, hazard x1.00); accumulators 256.0 KiB of 816.4 KiB"
std::string PeLine(const PeOrganization& o, const Board& board) {
  return fmt::format("{} lanes x {} row PEs, {} cycle{} an item (efficiency {:.1f}%, hazard x{:.2f}); accumulator "
                     "banks {:.1f} KiB of the {:.1f} KiB of distributed RAM they may take",
                     o.lanes, o.row_lanes, o.cycles_per_item, o.cycles_per_item == 1 ? "" : "s", 100 * o.efficiency,
                     o.hazard_factor, o.accumulator_bytes / 1024.0, AccumulatorCapacity(board) / 1024.0);
}

// --board cpu: the plan `sbe run` executes for this batch on this CPU, from the same planner
// and the same measured board.
void RunCpuPlan(const PlanArgs& a, const LstmModel& model, int steps) {
  if (!a.plot.empty() || a.curves || a.choice.non_block_batch || a.choice.max_latency_ms) {
    Fail("--board cpu: --plot, --curves, --non-block-batch and --max-latency-ms plan an FPGA "
         "accelerator; on this CPU the batch is the input's (--batch)");
  }
  const CpuBoard board = ThisCpuBoard();
  CpuPlanRequest r;
  r.steps = steps;
  r.batch = AutoOrInt(a.choice.batch, "--batch").value_or(model.default_batch);
  r.precision = a.cpu.precision;
  r.threads = a.cpu.threads;
  r.sync = a.cpu.sync;
  r.decomposition = CheckDecomposition(a.cpu.decomposition);
  if (a.cpu.threads < 0) Fail("--threads {}: must be at least 1 (0: all cores)", a.cpu.threads);
  if (const std::optional<int> blocks = BlocksFor(a.choice.blocks, model)) r.blocks = *blocks;
  if (a.json) {
    PrintJson(CpuPlanDocument(model, board, r));
    return;
  }
  const CpuPlan plan = PlanCpu(model.shape, board, r);
  const Plan& p = plan.plan;
  const CpuTiling& t = plan.tiling;
  const MachineCeilings& m = board.measured;
  std::string levels;
  for (const BandwidthLevel& l : m.levels) levels += fmt::format(", {} {:.0f} GB/s", l.name, l.gbs);
  std::printf("board      cpu: %s, %d cores, %s kernels (%d lanes)\n", board.brand.c_str(), board.cores,
              board.kernels.c_str(), board.lanes);
  const bool described = !board.described_by.empty();
  const std::string source = described                  ? "described in " + board.described_by + " ($SBE_CPU_BOARD)"
                             : board.cache_path.empty() ? "not kept"
                                                        : board.cache_path;
  const std::string when = board.measured_on.empty() ? "" : board.measured_on + " ";
  std::printf("%-11s%son %d threads: %.0f GFLOPS fp32, %.0f GOPS int16%s (%s)\n", described ? "described" : "measured",
              when.c_str(), m.threads, m.fp32_gflops, m.int16_gops, levels.c_str(), source.c_str());
  std::printf("model      %s (%s), %d steps, %s\n", model.name.c_str(), model.shape.ToString().c_str(), steps,
              PrecisionName(r.precision));
  std::printf("plan       %s\n", PlanLine(CpuPlanJson(plan)).c_str());
  std::printf("W_h        %s: %lld bytes per cell%s\n", p.hidden_case == 1 ? "case 1, stays in the threads' L2s" : "case 3, streams every step",
              static_cast<long long>(model.shape.GateRows() * model.shape.hidden_size * WordBytes(r.precision)),
              p.hidden_case == 1 ? "" : " (reused across the batch)");
  std::string input_blocks;
  for (int64_t c : t.input_block_columns) input_blocks += fmt::format("{}{}", input_blocks.empty() ? "" : ", ", c);
  const std::string hoisted = t.wavefront_steps > 0
                                  ? fmt::format("per block of {} steps (the layer-wavefront's)", t.wavefront_steps)
                                  : std::string("all steps at once");
  std::printf("W_x        hoisted: %s, blocks of %s columns (per layer)\n", hoisted.c_str(), input_blocks.c_str());
  std::printf("alpha      %.4f (words reused across the batch / all words moved, per sample-step)\n", p.alpha);
  std::printf("predicted  %.1f GOPS (%s bound, %.0f%% of the peak), %.4f ms per sample, %.3f ms per batch\n",
              p.predicted_gops, p.bound.c_str(), 100 * p.pe_utilization, p.predicted_ms_per_sample,
              p.predicted_ms_per_batch);
  std::printf("meeting    %.2f us per meeting of the threads (measured)\n", m.meeting_us);
  std::printf("\ndecompositions%s (predicted ms for the whole run, the chosen one first; threads: teams x "
              "threads per team, what --decomposition KIND:TEAMSxTHREADS takes)\n",
              r.decomposition.empty() ? "" : fmt::format(" of the kind forced, {}", r.decomposition).c_str());
  std::printf("  %-28s %8s %10s %10s %10s %10s %10s %10s %8s\n", "kind", "threads", "ms", "input", "compute",
              "memory", "cell", "meetings", "bound");
  for (const DecompositionCandidate& c : plan.candidates) {
    const Decomposition& d = c.decomposition;
    std::printf("  %-28s %8s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f %8s\n", d.Kind().c_str(),
                fmt::format("{}x{}", d.teams(), d.hidden_threads).c_str(), c.seconds * 1e3, c.input_seconds * 1e3,
                c.compute_seconds * 1e3, c.memory_seconds * 1e3, c.cell_seconds * 1e3, c.meeting_seconds * 1e3,
                c.bound.c_str());
  }
}

void RunPlan(const PlanArgs& a) {
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.seed); });
  const int steps = a.steps.value_or(model.default_steps > 0 ? model.default_steps : 0);
  if (steps < 1) Fail("--steps: {} does not say its sequence length; give --steps", a.model);
  if (a.board == "cpu") return RunCpuPlan(a, model, steps);
  const Board board = LoadFpgaBoard(a.board, "--board");
  const PlanRequest r = MakePlanRequest(a.choice, steps, model);
  if (a.curves && !a.json) Fail("--curves adds the figures' data to --json: add --json");
  const PlanResult result = ChoosePlan(model.shape, board, r);
  nlohmann::json j = PlanDocument(model, board, r, result, a.curves);
  if (!a.plot.empty()) {
    ForArgument("--plot", a.plot, [&] {
      RunPlotter("plot_plan.py", a.curves ? j.at("curves") : PlanCurves(model.shape, board, r.steps, a.choice.max_batch),
                 a.plot);
    });
  }
  if (a.json) {
    if (!a.plot.empty()) j["plot"] = a.plot;
    PrintJson(j);
    return;
  }
  const Plan& p = result.best;
  std::printf("board      %s\n", board.Summary().c_str());
  std::printf("model      %s (%s), %d steps\n", model.name.c_str(), model.shape.ToString().c_str(), r.steps);
  std::printf("plan       %s\n", PlanLine(PlanJson(p)).c_str());
  std::printf("PE array   %s\n", PeLine(p.pe, board).c_str());
  std::printf("alpha      %.4f (the share of the weight traffic the batch reuses)\n", p.alpha);
  std::printf("on-chip    %.2f MiB weights + %.2f MiB state of %.2f MiB; %lld + %lld of %lld memory blocks "
              "(%lld for the weight ports)\n",
              p.onchip_weight_bytes / 1048576.0, p.onchip_state_bytes / 1048576.0, board.onchip_bytes / 1048576.0,
              static_cast<long long>(p.weight_memory_blocks), static_cast<long long>(p.state_memory_blocks),
              static_cast<long long>(board.memory_blocks()),
              static_cast<long long>((board.macs_per_cycle + kWordsPerPort - 1) / kWordsPerPort));
  std::printf("predicted  %.1f GOPS (%s bound, PE utilisation %.1f%%), %.4f ms per sample, "
              "%.3f ms per batch, %.3f mJ per sample\n",
              p.predicted_gops, p.bound.c_str(), 100 * p.pe_utilization, p.predicted_ms_per_sample,
              p.predicted_ms_per_batch, p.predicted_mj_per_sample);
  if (p.paper_gops) {
    std::printf("paper      %.1f GOPS from eqs. %s at this batch\n", *p.paper_gops,
                p.hidden_case == 3 ? "(5)/(6) with this alpha" : "(2)/(3)");
  } else {
    std::printf("paper      no prediction: the paper's equations do not model the hoisted input part\n");
  }
  std::printf("\nalternatives (best batch for each blocking number and input part)\n");
  std::printf("  %6s %9s %6s %5s %8s %9s %12s %12s %8s\n", "blocks", "input", "batch", "case", "alpha", "GOPS",
              "ms/sample", "mJ/sample", "bound");
  for (const nlohmann::json& t : j.at("alternatives")) {
    std::printf("  %6d %9s %6d %5d %8.4f %9.1f %12.4f %12.4f %8s\n", t.at("blocks").get<int>(),
                t.at("input").get<std::string>().c_str(), t.at("batch").get<int>(), t.at("case").get<int>(),
                t.at("alpha").get<double>(), t.at("predicted_gops").get<double>(),
                t.at("predicted_ms_per_sample").get<double>(), t.at("predicted_mj_per_sample").get<double>(),
                t.at("bound").get<std::string>().c_str());
  }
  if (a.schedule) std::printf("\n%s", BuildSchedule(model.shape, p).Describe().c_str());
  if (!a.plot.empty()) std::printf("\nwrote      %s\n", a.plot.c_str());
}

}  // namespace

void AddPlanCommand(CLI::App& app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand("plan", "Choose blocking and batching for a model on a board");
  cmd->add_option("--board", args->board,
                  fmt::format("Board preset ({}), .json, or cpu: this machine (the plan sbe run executes)",
                              fmt::join(BoardPresetNames(), ", ")))
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Preset or .safetensors / .onnx file")->capture_default_str();
  AddPlanChoiceOptions(cmd, &args->choice, "--input-part,--input");
  AddChoice(cmd, "--precision", &args->cpu.precision, {{"fp32", Precision::kFp32}, {"int16", Precision::kInt16}},
            "cpu: the arithmetic");
  cmd->add_option("--threads", args->cpu.threads, "cpu: threads (0: all cores)")->capture_default_str();
  AddChoice(cmd, "--sync", &args->cpu.sync, {{"stall-free", StepSync::kStallFree}, {"barrier", StepSync::kBarrier}},
            "cpu: how threads meet between steps");
  AddDecompositionOption(cmd, &args->cpu.decomposition);
  cmd->add_option("--steps", args->steps, "Sequence length (default: the model's)");
  cmd->add_flag("--schedule", args->schedule, "Print the start of the explicit schedule");
  cmd->add_option("--plot", args->plot, "Draw the batch-size and blocking-number figures (PNG)");
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->add_flag("--curves", args->curves,
                "With --json: add the predicted curves of the batch and blocking figures");
  cmd->footer(Examples({"sbe plan                                  # lrcn on the VX690T",
                        "sbe plan --board z7045 --model lrcn --json",
                        "sbe plan --board z7045 --batch 1 --input per-step   # the paper's input part",
                        "sbe plan --board cpu --model deepbench-1024 --batch 4 --precision int16",
                        "sbe plan --board cpu --model speech-3x320-bi --batch 16 --decomposition direction-split",
                        "sbe plan --board u280 --model deepbench-2048 --objective latency --max-batch 8",
                        "sbe plan --board z7045 --batch 32 --blocks auto --plot z7045.png"}));
  cmd->callback([args] { RunPlan(*args); });
}

}  // namespace sbe::cli
