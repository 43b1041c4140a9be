// What the subcommands of `sbe` share: registration, output in text or JSON, argument errors.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <vector>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/stats.h"
#include "sbe/board.h"
#include "sbe/documents.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/lstm_io.h"
#include "sbe/model.h"
#include "sbe/plan.h"

namespace sbe::cli {

// Each subcommand adds itself to the app; its callback runs when the user picks it.
void AddRunCommand(CLI::App& app);
void AddInfoCommand(CLI::App& app);
void AddPlanCommand(CLI::App& app);
void AddSimulateCommand(CLI::App& app);
void AddBenchCommand(CLI::App& app);
void AddReportCommand(CLI::App& app);
void AddHwCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddLoadgenCommand(CLI::App& app);

// Where a command's input sequences come from: .npy files, or random values of a given count
// (samples) and length.
struct InputArgs {
  std::string input, h0, c0, seq_lens;
  std::optional<int64_t> count, steps;
  bool batch_first = false;
  uint64_t seed = 0;
};
// Adds --input, --h0, --c0, --seq-lens, COUNT_FLAG, --steps, --batch-first and --seed.
void AddInputOptions(CLI::App* cmd, InputArgs* args, const char* count_flag);
// Reads or draws the input (random values in [-1, 1)) and validates it against the model.
LstmInput MakeInput(const InputArgs& a, const char* count_flag, const std::string& model_arg,
                    const LstmModel& model, const IoLayout& io);

// An option that takes one of a fixed set of names and stores the matching value: options
// become enums here, at the edge, never strings compared deep inside. A value not in the set
// is an error naming the flag, the value and the choices. `flag` may list other names after a
// comma ("--sync,--schedule"); messages use the first.
template <typename E>
CLI::Option* AddChoice(CLI::App* cmd, const std::string& flag, E* value,
                       std::vector<std::pair<std::string, E>> choices, const std::string& help) {
  std::string names, current;
  for (const auto& [name, v] : choices) {
    names += (names.empty() ? "" : ", ") + name;
    if (v == *value) current = name;
  }
  return cmd
      ->add_option_function<std::string>(
          flag,
          [=](const std::string& text) {
            for (const auto& [name, v] : choices) {
              if (name == text) {
                *value = v;
                return;
              }
            }
            throw CLI::ValidationError(flag.substr(0, flag.find(',')) + " " + text, "expected one of " + names);
          },
          help + " (" + names + ")")
      ->default_str(current);
}

// How a command picks and configures an executor: --executor, --precision, --threads,
// --sync (also --schedule), --decomposition, --blocks and --input-range (`run`, `serve`), and the
// board of the simulator.
struct ExecutorArgs {
  std::string executor = "auto";
  Precision precision = Precision::kFp32;
  int threads = 0;
  StepSync sync = StepSync::kStallFree;
  std::string decomposition = "auto";
  std::string blocks = "auto";
  std::vector<double> input_range;
  std::string board = "vx690t";
};
// with_executor: also --executor and --board (`run`); the others pick their executor themselves.
void AddExecutorOptions(CLI::App* cmd, ExecutorArgs* args, bool with_executor);
// The options for `model`, checked against it with the flags' names; `sample` is the input the
// fixed-point executors calibrate for when --input-range is absent.
ExecutorOptions MakeExecutorOptions(const ExecutorArgs& a, const LstmModel& model, const TensorF* sample);
// --decomposition: adds the option (help lists the kinds) to `cmd`.
void AddDecompositionOption(CLI::App* cmd, std::string* value);
// "auto" or a kind of DecompositionKinds(); else Error naming --decomposition.
std::string CheckDecomposition(const std::string& value);
// The precision and arithmetic names of every registered executor, for --help.
std::string ExecutorHelp();
// "auto" or a positive integer, for --batch and --blocks.
std::optional<int> AutoOrInt(const std::string& value, const char* flag);
// --blocks for `model`: "auto" or an integer in [1, hidden size].
std::optional<int> BlocksFor(const std::string& value, const LstmModel& model);
// A board argument: an FPGA preset or .json file (LoadBoard), with the flag in its errors;
// "cpu" is refused with a pointer to what runs on this CPU.
Board LoadFpgaBoard(const std::string& spec, const std::string& flag);

// How a command chooses its plan: --batch, --blocks, --input-part, --objective, --max-batch,
// --max-latency-ms and --non-block-batch, shared by `plan` and `simulate`.
struct PlanChoiceArgs {
  std::string batch = "auto", blocks = "auto";
  Objective objective = Objective::kThroughput;
  int max_batch = 256;
  std::optional<double> max_latency_ms;
  bool non_block_batch = false;
  std::optional<InputMode> input;  // --input-part: fixed, or (auto) chosen
};
// `input_flag` names --input-part; `sbe plan`, which reads no input data, also calls it --input.
void AddPlanChoiceOptions(CLI::App* cmd, PlanChoiceArgs* args, const std::string& input_flag = "--input-part");
PlanRequest MakePlanRequest(const PlanChoiceArgs& a, int steps, const LstmModel& model);
// One line describing a plan's JSON (PlanJson, CpuPlanJson): batch, the cases of W_h and W_x (per
// step or hoisted), block-batch or not; for the CPU, its tiling.
std::string PlanLine(const nlohmann::json& plan);

// Puts the flag a library error came from in front of it, keeping it one line: the library
// speaks of what it knows (a path, "batch 0"), the CLI adds "--input" or "--batch". A message
// that starts with the value gets the flag before it ("--input x.npy: ..."); one that already
// names the flag stays; any other gets "FLAG VALUE: " before it.
std::string WithFlag(const std::string& flag, const std::string& value, const std::string& message);
template <typename F>
auto ForArgument(const std::string& flag, const std::string& value, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw Error(WithFlag(flag, value, e.what()));
  }
}
// The same for library messages that open with the library's word for the argument
// ("threads -2: ...", "input range 2,1: ..."): that word becomes the flag.
template <typename F>
auto ForSubject(const std::string& subject, const std::string& flag, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.rfind(subject, 0) == 0 ? flag + what.substr(subject.size()) : WithFlag(flag, "", what));
  }
}

// The contents of a secret's file (--auth-token-file), trailing whitespace and newline cut.
std::string ReadTokenFile(const std::string& path, const char* flag);

// Writes the JSON object as the only thing on stdout (so `sbe ... --json | jq` works).
void PrintJson(const nlohmann::json& j);

// Times `run` `repeat` times after one warm-up (when repeat > 1, so that first-touch and
// cache effects are not measured); seconds per run.
template <typename F>
std::vector<double> TimeRuns(int repeat, F&& run) {
  if (repeat > 1) run();
  std::vector<double> seconds;
  for (int r = 0; r < repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return seconds;
}

// Footer of every --help: examples, one per line.
std::string Examples(std::initializer_list<const char*> lines);

}  // namespace sbe::cli
