// Helpers shared by the subcommands of `sbe`.
#include "cli/cli_common.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/ranges.h>

#include "sbe/cpu_plan.h"
#include "sbe/formats.h"
#include "sbe/presets.h"

namespace sbe::cli {

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

std::string PlanLine(const nlohmann::json& p) {
  const int blocks = p.at("blocks").get<int>(), input_blocks = p.at("input_blocks").get<int>();
  if (p.contains("cpu")) {
    const nlohmann::json& c = p["cpu"];
    const nlohmann::json& d = c.at("decomposition");
    const int teams = d.at("teams").get<int>();
    const int team_threads = d.at("hidden_threads").get<int>();
    return fmt::format("batch {}; {} ({} team{} of {} thread{}); W_h in {} block{}; W_x in {} block{} ({}); {} "
                       "columns per W_h block, {} per thread; {} threads, {}; {} sample{} per tile ({} kernels, {} lanes)",
                       p.at("batch").get<int>(), d.at("kind").get<std::string>(), teams, teams == 1 ? "" : "s",
                       team_threads, team_threads == 1 ? "" : "s", blocks, blocks == 1 ? "" : "s", input_blocks,
                       input_blocks == 1 ? "" : "s",
                       c.value("wavefront_steps", 0) > 0
                           ? fmt::format("hoisted per block of {} steps", c["wavefront_steps"].get<int64_t>())
                           : std::string("hoisted"),
                       c.at("block_columns").get<int64_t>(),
                       c.at("blocks_per_thread").get<int64_t>(), c.at("threads").get<int>(),
                       c.at("sync").get<std::string>(), c.at("samples_per_tile").get<int>(),
                       c.at("samples_per_tile").get<int>() == 1 ? "" : "s", c.at("kernels").get<std::string>(),
                       c.at("lanes").get<int>());
  }
  static const char* kHidden[] = {"", "resident", "two blocks, ping-pong", "streamed every step"};
  const int hidden_case = p.at("case").get<int>(), input_case = p.at("input_case").get<int>();
  const std::string input =
      p.at("input_hoisted").get<bool>()
          ? fmt::format("hoisted in {} row block{} of {} rows, streamed once per batch", input_blocks,
                        input_blocks == 1 ? "" : "s", p.at("input_block_rows").get<int64_t>())
          : fmt::format("per step in {} block{} (case {}: {})", input_blocks, input_blocks == 1 ? "" : "s", input_case,
                        input_case == 1 ? "resident" : "streamed every step");
  return fmt::format("batch {}; W_h in {} block{} (case {}: {}); W_x {}; {}", p.at("batch").get<int>(), blocks,
                     blocks == 1 ? "" : "s", hidden_case, kHidden[std::clamp(hidden_case, 0, 3)], input,
                     p.at("block_batch").get<bool>() ? "block-batch" : "non block-batch");
}

std::string Examples(std::initializer_list<const char*> lines) {
  std::string s = "\nExamples:\n";
  for (const char* line : lines) s += std::string("  ") + line + "\n";
  return s;
}

namespace {

// Reads a state file given in the user's layout and returns it in (L*D, B, H).
TensorF ReadState(const std::string& path, const IoLayout& io) {
  TensorF t = ReadNpyFloat(path);
  if (t.rank() != 3) Fail("{}: state has rank {}, expected 3", path, t.rank());
  return io.onnx_outputs && io.batch_first ? SwapFirstTwoAxes(t) : t;
}

}  // namespace

void AddInputOptions(CLI::App* cmd, InputArgs* args, const char* count_flag) {
  cmd->add_option("--input", args->input, "Input x as .npy float32: (steps, batch, input) "
                                          "or (batch, steps, input) with --batch-first");
  cmd->add_option("--h0", args->h0, "Initial hidden state .npy (layers*dirs, batch, hidden)");
  cmd->add_option("--c0", args->c0, "Initial cell state .npy (layers*dirs, batch, hidden)");
  cmd->add_option("--seq-lens", args->seq_lens,
                  "Valid steps per sample, .npy int32/int64 (batch,) (ONNX sequence_lens)");
  cmd->add_option(count_flag, args->count, "Number of random input sequences (default 1)");
  cmd->add_option("--steps", args->steps, "Sequence length for random input "
                                          "(default: the preset's)");
  cmd->add_flag("--batch-first", args->batch_first, "Input and y are (batch, steps, ...)");
  cmd->add_option("--seed", args->seed, "Seed of preset weights and random inputs")
      ->capture_default_str();
}

LstmInput MakeInput(const InputArgs& a, const char* count_flag, const std::string& model_arg,
                    const LstmModel& model, const IoLayout& io) {
  if (a.count && *a.count < 1) Fail("{} {}: must be at least 1", count_flag, *a.count);
  if (a.steps && *a.steps < 1) Fail("--steps {}: must be at least 1", *a.steps);
  LstmInput in;
  if (!a.input.empty()) {
    in.x = ReadNpyFloat(a.input);
    if (in.x.rank() != 3) {
      Fail("{}: input has shape {}, expected rank 3 ({})", a.input, ShapeToString(in.x.shape),
           io.batch_first ? "batch, steps, features" : "steps, batch, features");
    }
    if (io.batch_first) in.x = SwapFirstTwoAxes(in.x);
    if (a.count && *a.count != in.batch()) {
      Fail("{} {} disagrees with {} (batch {})", count_flag, *a.count, a.input, in.batch());
    }
    if (a.steps && *a.steps != in.steps()) {
      Fail("--steps {} disagrees with {} ({} steps)", *a.steps, a.input, in.steps());
    }
  } else {
    const int64_t steps = a.steps.value_or(model.default_steps);
    if (steps < 1) {
      Fail("--steps: {} does not say its sequence length; give --steps or --input", model_arg);
    }
    const int64_t batch = a.count.value_or(model.default_batch);
    in = ForArgument(fmt::format("{}/--steps", count_flag), fmt::format("{}/{}", batch, steps),
                     [&] { return RandomLstmInput(model.shape, steps, batch, a.seed); });
  }
  if (!a.h0.empty()) in.h0 = ReadState(a.h0, io);
  if (!a.c0.empty()) in.c0 = ReadState(a.c0, io);
  if (!a.seq_lens.empty()) in.seq_lens = ReadNpyInt(a.seq_lens);
  InputNames names;
  names.x = a.input.empty() ? "random input" : a.input;
  names.h0 = "--h0 " + a.h0;
  names.c0 = "--c0 " + a.c0;
  names.seq_lens = "--seq-lens " + a.seq_lens;
  ValidateInput(model, in, names);
  WarnIfNotFinite(in, names);
  return in;
}

// "auto" or a positive integer, for --batch and --blocks.
std::optional<int> AutoOrInt(const std::string& value, const char* flag) {
  if (value == "auto") return std::nullopt;
  try {
    size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used == value.size() && v >= 1) return v;
  } catch (const std::exception&) {
  }
  Fail("{} {}: expected a positive integer or 'auto'", flag, value);
}

std::optional<int> BlocksFor(const std::string& value, const LstmModel& model) {
  const std::optional<int> blocks = AutoOrInt(value, "--blocks");
  if (blocks && *blocks > model.shape.hidden_size) {
    Fail("--blocks {}: must be in [1, hidden size {}]", *blocks, model.shape.hidden_size);
  }
  return blocks;
}

std::string WithFlag(const std::string& flag, const std::string& value, const std::string& message) {
  if (!value.empty() && message.rfind(value, 0) == 0) return flag + " " + message;
  if (message.find(flag) != std::string::npos) return message;
  return flag + (value.empty() ? "" : " " + value) + ": " + message;
}

Board LoadFpgaBoard(const std::string& spec, const std::string& flag) {
  if (spec == "cpu") {
    Fail("{} cpu: the simulator models FPGA boards; this machine is measured instead: `sbe run` "
         "runs on it, `sbe plan --board cpu` plans for it", flag);
  }
  return ForArgument(flag, spec, [&] { return LoadBoard(spec); });
}

std::string ExecutorHelp() {
  std::string help = "auto (the cpu engine)";
  for (const ExecutorInfo& e : Executors()) help += "; " + e.name + ": " + e.summary;
  return help;
}

void AddExecutorOptions(CLI::App* cmd, ExecutorArgs* args, bool with_executor) {
  if (with_executor) {
    cmd->add_option("--executor", args->executor, ExecutorHelp())->capture_default_str();
    cmd->add_option("--board", args->board, "sim: the FPGA board (preset or .json)")->capture_default_str();
  }
  AddChoice(cmd, "--precision", &args->precision,
            {{"fp32", Precision::kFp32}, {"int16", Precision::kInt16}}, "Arithmetic");
  cmd->add_option("--threads", args->threads, "cpu engine: threads (0: all cores)")->capture_default_str();
  AddChoice(cmd, "--sync,--schedule", &args->sync,
            {{"stall-free", StepSync::kStallFree}, {"barrier", StepSync::kBarrier}},
            "cpu engine: how threads meet between steps; stall-free: a thread goes on as soon as "
            "the chunk of h it needs is out");
  AddDecompositionOption(cmd, &args->decomposition);
  cmd->add_option("--blocks", args->blocks,
                  "cpu engine: column blocks of W_h, one chunk of h each, or auto: the planner's (equal "
                  "blocks of whole unit tiles: 5 over 16 tiles runs 4 blocks of 4)")
      ->capture_default_str();
  cmd->add_option("--input-range", args->input_range,
                  "int16: the range LO,HI of inputs to calibrate for (default: the input's)")
      ->delimiter(',')
      ->expected(2);
}

void AddDecompositionOption(CLI::App* cmd, std::string* value) {
  cmd->add_option("--decomposition", *value,
                  fmt::format("cpu engine: how threads share the recurrence, or auto: the planner's "
                              "fastest prediction ({}; KIND:TEAMSxTHREADS forces the sizes too; "
                              "sbe plan --board cpu lists the candidates)",
                              fmt::join(DecompositionKinds(), ", ")))
      ->capture_default_str();
}

std::string CheckDecomposition(const std::string& value) {
  if (value == "auto") return "";
  ForSubject("decomposition", "--decomposition", [&] { CheckDecompositionSpec(value); });
  return value;
}

ExecutorOptions MakeExecutorOptions(const ExecutorArgs& a, const LstmModel& model, const TensorF* sample) {
  if (a.threads < 0) Fail("--threads {}: must be at least 1 (0: all cores)", a.threads);
  const ExecutorInfo* info = a.executor == "auto" ? &Executors().front() : FindExecutor(a.executor);
  if (!info) Fail("--executor {}: unknown executor ({})", a.executor, ExecutorHelp());
  const auto& runs = info->precisions;
  if (std::find(runs.begin(), runs.end(), a.precision) == runs.end()) {
    Fail("--executor {} computes in {}, not {}: {}", a.executor,
         info->name == "reference" ? "fp64" : PrecisionName(runs.front()), PrecisionName(a.precision),
         runs.front() == Precision::kInt16 ? "add --precision int16" : "drop --precision");
  }
  ExecutorOptions o;
  o.precision = a.precision;
  o.threads = a.threads;
  o.sync = a.sync;
  o.decomposition = CheckDecomposition(a.decomposition);
  o.plan.blocks = BlocksFor(a.blocks, model);
  if (!a.input_range.empty()) {
    o.input_range = InputRange{a.input_range[0], a.input_range[1]};
    ForSubject("input range", "--input-range", [&] { o.input_range->Check(); });
  }
  o.calibration_sample = sample;
  if (info->needs_board) o.board = LoadFpgaBoard(a.board, "--board");
  return o;
}

void AddPlanChoiceOptions(CLI::App* cmd, PlanChoiceArgs* args, const std::string& input_flag) {
  cmd->add_option("--batch", args->batch, "Batch size, or auto")->capture_default_str();
  cmd->add_option("--blocks", args->blocks, "Hidden-weight blocking number, or auto")->capture_default_str();
  AddChoice<std::optional<InputMode>>(
      cmd, input_flag, &args->input,
      {{"auto", std::nullopt}, {"per-step", InputMode::kPerStep}, {"hoisted", InputMode::kHoisted}},
      "Where W_x x_t is computed: per step beside the hidden part, or hoisted (all steps of the batch "
      "at once, W_x streamed once per batch), or auto: the planner's choice");
  AddChoice(cmd, "--objective", &args->objective,
            {{"throughput", Objective::kThroughput}, {"latency", Objective::kLatency}},
            "What the planner maximises: throughput, or the latency of one batch");
  cmd->add_option("--max-batch", args->max_batch, "Largest batch to consider")->capture_default_str();
  cmd->add_option("--max-latency-ms", args->max_latency_ms, "Bound on one batch's predicted time");
  cmd->add_flag("--non-block-batch", args->non_block_batch,
                "Plan the baseline that fetches streamed weights once per sample");
}

PlanRequest MakePlanRequest(const PlanChoiceArgs& a, int steps, const LstmModel& model) {
  PlanRequest r;
  r.batch = AutoOrInt(a.batch, "--batch");
  r.blocks = BlocksFor(a.blocks, model);
  r.steps = steps;
  r.objective = a.objective;
  if (a.max_batch < 1) Fail("--max-batch {}: must be at least 1", a.max_batch);
  r.max_batch = a.max_batch;
  if (a.max_latency_ms && !(*a.max_latency_ms > 0)) {
    Fail("--max-latency-ms {}: must be positive", *a.max_latency_ms);
  }
  r.max_latency_ms = a.max_latency_ms;
  r.block_batch = !a.non_block_batch;
  if (a.input == InputMode::kHoisted && a.non_block_batch) {
    Fail("--input-part hoisted serves the whole batch from one pass over W_x: it has no --non-block-batch form");
  }
  r.input = a.input;
  return r;
}

std::string ReadTokenFile(const std::string& path, const char* flag) {
  std::ifstream f(path);
  if (!f) Fail("{} {}: cannot read it", flag, path);
  std::stringstream s;
  s << f.rdbuf();
  std::string token = s.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

}  // namespace sbe::cli
