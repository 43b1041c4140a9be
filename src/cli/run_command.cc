// `sbe run`: one model, one batch of sequences, through an executor; timing and outputs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <tuple>
#include <cstdio>
#include <optional>

#include "cli/cli_common.h"
#include "common/random.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/formats.h"
#include "sbe/lstm_io.h"
#include "sbe/presets.h"
#include "sbe/reference.h"

namespace sbe::cli {
namespace {

struct RunArgs {
  std::string model = "lrcn";
  InputArgs in;
  ExecutorArgs exec;
  std::string output, state_output;
  int repeat = 1;
  bool json = false;
  bool check = false;
};

// --check: the same input through the double reference, and how far the executor is from it.
nlohmann::json CheckAgainstReference(const LstmModel& model, const LstmInput& in,
                                     const LstmOutput& out) {
  const LstmResult<double> ref = RunReference(model, in);
  nlohmann::json j;
  for (const auto& [name, got, want] :
       {std::tuple{"y", &out.y, &ref.y}, std::tuple{"h_n", &out.h_n, &ref.h_n},
        std::tuple{"c_n", &out.c_n, &ref.c_n}}) {
    const ErrorStats e = CompareToReference(*got, *want);
    j[name] = {{"max_abs", e.max}, {"mean_abs", e.mean}};
  }
  return j;
}

void Run(const RunArgs& a) {
  if (a.repeat < 1) Fail("--repeat {}: must be at least 1", a.repeat);
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.in.seed); });
  IoLayout io = model.io;
  io.batch_first = io.batch_first || a.in.batch_first;
  const LstmInput in = MakeInput(a.in, "--batch", a.model, model, io);

  const ExecutorOptions options = MakeExecutorOptions(a.exec, model, &in.x);
  auto executor = MakeExecutor(a.exec.executor, model, options);

  LstmOutput out;
  const std::vector<double> seconds = TimeRuns(a.repeat, [&] { out = executor->Run(in); });
  const double median = Median(seconds);

  const nlohmann::json check = a.check ? CheckAgainstReference(model, in, out) : nlohmann::json();
  const int dirs = model.shape.directions();
  if (!a.output.empty()) WriteNpy(a.output, PresentY(out.y, io, dirs));
  if (!a.state_output.empty()) {
    WriteNpy(a.state_output + "_h.npy", PresentState(out.h_n, io, dirs));
    WriteNpy(a.state_output + "_c.npy", PresentState(out.c_n, io, dirs));
  }

  int64_t sample_steps = in.steps() * in.batch();
  if (!in.seq_lens.empty()) {
    sample_steps = 0;
    for (int64_t len : in.seq_lens) sample_steps += len;
  }
  const double ops = 2.0 * static_cast<double>(model.shape.MacsPerStep()) * sample_steps;
  const double gops = median > 0 ? ops / median * 1e-9 : 0.0;
  const double ms_per_sample = median * 1e3 / in.batch();
  if (a.json) {
    nlohmann::json j = {{"model", model.name},
                        {"model_info", ModelJson(model)},
                        {"executor", executor->name()},
                        {"precision", executor->arithmetic()},
                        {"batch", in.batch()},
                        {"steps", in.steps()},
                        {"repeat", a.repeat},
                        {"seconds", median},
                        {"seconds_all", seconds},
                        {"ms_per_sample", ms_per_sample},
                        {"gops", gops},
                        {"ops_per_sample", ops / in.batch()}};
    j.update(executor->Details());
    if (a.check) j["error_vs_reference"] = check;
    if (!a.output.empty()) j["output"] = a.output;
    if (!a.state_output.empty()) {
      j["state_output"] = {a.state_output + "_h.npy", a.state_output + "_c.npy"};
    }
    PrintJson(j);
    return;
  }
  std::printf("model      %s (%s)\n", model.name.c_str(), model.shape.ToString().c_str());
  std::printf("executor   %s, %s\n", executor->name().c_str(), executor->arithmetic().c_str());
  std::printf("shape      batch %lld, steps %lld\n", static_cast<long long>(in.batch()),
              static_cast<long long>(in.steps()));
  const nlohmann::json details = executor->Details();
  if (details.contains("plan")) std::printf("plan       %s\n", PlanLine(details["plan"]).c_str());
  std::printf("time       %.3f ms (median of %d), %.3f ms per sample, %.2f GOPS\n", median * 1e3,
              a.repeat, ms_per_sample, gops);
  if (a.check) {
    for (const char* k : {"y", "h_n", "c_n"}) {
      std::printf("vs fp64    %-4s max |error| %.3e, mean %.3e\n", k,
                  check[k]["max_abs"].get<double>(), check[k]["mean_abs"].get<double>());
    }
  }
  if (!a.output.empty()) std::printf("wrote      %s\n", a.output.c_str());
  if (!a.state_output.empty()) {
    std::printf("wrote      %s_h.npy, %s_c.npy\n", a.state_output.c_str(),
                a.state_output.c_str());
  }
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run an LSTM on a batch of sequences and time it");
  cmd->add_option("--model", args->model,
                  "Preset (lrcn, deepbench-256..2048) or .safetensors / .onnx file")
      ->capture_default_str();
  AddInputOptions(cmd, &args->in, "--batch");
  cmd->add_option("--output", args->output, "Write y to this .npy");
  cmd->add_option("--state-output", args->state_output,
                  "Write h_n and c_n to PREFIX_h.npy and PREFIX_c.npy");
  cmd->add_option("--repeat", args->repeat,
                  "Timed runs after one warm-up (when > 1); the median is reported")
      ->capture_default_str();
  AddExecutorOptions(cmd, &args->exec, /*with_executor=*/true);
  cmd->add_flag("--check", args->check,
                "Also run the double reference and report the error against it");
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->footer(Examples({
      "sbe run                                   # lrcn preset, batch 1, random input",
      "sbe run --model deepbench-512 --batch 8 --repeat 5 --json",
      "sbe run --model lstm.safetensors --input x.npy --output y.npy --state-output out",
      "sbe run --model lstm.onnx --input x.npy --seq-lens lens.npy --output y.npy",
      "sbe run --precision int16 --input-range -4,4 --json   # int16 on the cpu engine",
      "sbe run --precision int16 --executor golden --check   # the bit-exact definition",
      "sbe run --batch 32 --threads 1 --sync barrier --repeat 5",
      "sbe run --batch 8 --blocks 4 --json | jq .plan    # the plan executed, W_h in 4 blocks",
      "sbe run --precision int16 --executor sim --board z7045 --batch 4 --steps 8",
  }));
  cmd->callback([args] { Run(*args); });
}

}  // namespace sbe::cli
