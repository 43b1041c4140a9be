// What the subcommands of `sbe` share: registration, output in text or JSON, argument errors.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <vector>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sbe/board.h"
#include "sbe/error.h"
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

// How a command chooses its plan: --batch, --blocks, --objective, --max-batch,
// --max-latency-ms and --non-block-batch, shared by `plan` and `simulate`.
struct PlanChoiceArgs {
  std::string batch = "auto", blocks = "auto";
  std::string objective = "throughput";
  int max_batch = 256;
  std::optional<double> max_latency_ms;
  bool non_block_batch = false;
};
void AddPlanChoiceOptions(CLI::App* cmd, PlanChoiceArgs* args);
PlanRequest MakePlanRequest(const PlanChoiceArgs& a, int steps);
// A plan and its predictions as JSON fields.
nlohmann::json PlanJson(const Plan& p);
// What a board is: name, description, clock, PEs (DSP slices on an FPGA), memory and power.
nlohmann::json BoardJson(const Board& b);

// Prefixes a library error with the argument it came from, unless the message already names
// `value` (a loader's messages start with the path), keeping it one line.
template <typename F>
auto ForArgument(const std::string& arg, const std::string& value, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(what.find(value) != std::string::npos ? what : arg + " " + value + ": " + what);
  }
}

// Writes the JSON object as the only thing on stdout (so `sbe ... --json | jq` works).
void PrintJson(const nlohmann::json& j);

// The model description every JSON report carries.
nlohmann::json ModelJson(const LstmModel& model);

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
double Median(std::vector<double> v);

// Runs tools/SCRIPT with /usr/bin/python3 and the given arguments (each quoted); returns its
// stdout. On failure, throws Error "FLAG VALUE: WHAT failed: <the tool's last line>".
std::string RunPythonTool(const std::string& script, const std::vector<std::string>& args,
                          const std::string& flag, const std::string& value, const std::string& what);
// Runs tools/SCRIPT with /usr/bin/python3, its output going straight to this terminal (for
// tools that show progress); returns its exit status.
int RunPythonToolInTerminal(const std::string& script, const std::vector<std::string>& args);
// Thrown to leave `sbe` with this status when the message has already been printed.
struct ExitStatus {
  int code;
};
// Writes `data` to a temporary JSON file and runs tools/SCRIPT DATA OUT (a plotter).
void RunPlotter(const std::string& script, const nlohmann::json& data, const std::string& out,
                const std::string& flag);

// Footer of every --help: examples, one per line.
std::string Examples(std::initializer_list<const char*> lines);

}  // namespace sbe::cli
