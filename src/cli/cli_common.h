// What the subcommands of `sbe` share: registration, output in text or JSON, argument errors.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

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

// Footer of every --help: examples, one per line.
std::string Examples(std::initializer_list<const char*> lines);

}  // namespace sbe::cli
