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
  std::string input, h0, c0, seq_lens, output, state_output;
  std::optional<int64_t> batch, steps;
  bool batch_first = false;
  uint64_t seed = 0;
  int repeat = 1;
  bool json = false;
  bool check = false;
  std::string precision = "fp32";
  std::string executor = "auto";
  std::vector<double> input_range;
};

// Reads a state file given in the user's layout and returns it in (L*D, B, H).
TensorF ReadState(const std::string& path, const IoLayout& io) {
  TensorF t = ReadNpyFloat(path);
  if (t.rank() != 3) Fail("{}: state has rank {}, expected 3", path, t.rank());
  return io.onnx_outputs && io.batch_first ? SwapFirstTwoAxes(t) : t;
}

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

LstmInput MakeInput(const RunArgs& a, const LstmModel& model, const IoLayout& io) {
  LstmInput in;
  if (!a.input.empty()) {
    in.x = ReadNpyFloat(a.input);
    if (in.x.rank() != 3) {
      Fail("{}: input has shape {}, expected rank 3 ({})", a.input, ShapeToString(in.x.shape),
           io.batch_first ? "batch, steps, features" : "steps, batch, features");
    }
    if (io.batch_first) in.x = SwapFirstTwoAxes(in.x);
    if (a.batch && *a.batch != in.batch()) {
      Fail("--batch {} disagrees with {} (batch {})", *a.batch, a.input, in.batch());
    }
    if (a.steps && *a.steps != in.steps()) {
      Fail("--steps {} disagrees with {} ({} steps)", *a.steps, a.input, in.steps());
    }
  } else {
    const int64_t steps = a.steps.value_or(model.default_steps);
    if (steps < 1) {
      Fail("--steps: {} does not say its sequence length; give --steps or --input", a.model);
    }
    const int64_t batch = a.batch.value_or(model.default_batch);
    in.x = ForArgument("--batch/--steps", fmt::format("{}/{}", batch, steps), [&] {
      return TensorF({steps, batch, model.shape.input_size});
    });
    // Random inputs in [-1, 1), from a stream separate from the weights' stream.
    Random rng(a.seed ^ 0x9e3779b97f4a7c15ull);
    for (float& v : in.x.data) v = rng.Uniform(-1.0f, 1.0f);
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

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void Run(const RunArgs& a) {
  if (a.batch && *a.batch < 1) Fail("--batch {}: must be at least 1", *a.batch);
  if (a.steps && *a.steps < 1) Fail("--steps {}: must be at least 1", *a.steps);
  if (a.repeat < 1) Fail("--repeat {}: must be at least 1", a.repeat);
  const LstmModel model = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.seed); });
  IoLayout io = model.io;
  io.batch_first = io.batch_first || a.batch_first;
  const LstmInput in = MakeInput(a, model, io);

  ExecutorOptions options;
  options.precision = a.precision;
  if (!a.input_range.empty()) {
    options.input_range = InputRange{a.input_range[0], a.input_range[1]};
    options.input_range->Check();
  }
  options.calibration_sample = &in.x;
  auto executor = MakeExecutor(a.executor, model, options);

  // One warm-up before timed repeats, so first-touch and cache effects are not measured.
  if (a.repeat > 1) executor->Run(in);
  std::vector<double> seconds;
  LstmOutput out;
  for (int r = 0; r < a.repeat; ++r) {
    const auto start = std::chrono::steady_clock::now();
    out = executor->Run(in);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
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
                        {"precision", executor->precision()},
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
  std::printf("executor   %s, %s\n", executor->name().c_str(), executor->precision().c_str());
  std::printf("shape      batch %lld, steps %lld\n", static_cast<long long>(in.batch()),
              static_cast<long long>(in.steps()));
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
  cmd->add_option("--input", args->input, "Input x as .npy float32: (steps, batch, input) "
                                          "or (batch, steps, input) with --batch-first");
  cmd->add_option("--h0", args->h0, "Initial hidden state .npy (layers*dirs, batch, hidden)");
  cmd->add_option("--c0", args->c0, "Initial cell state .npy (layers*dirs, batch, hidden)");
  cmd->add_option("--seq-lens", args->seq_lens,
                  "Valid steps per sample, .npy int32/int64 (batch,) (ONNX sequence_lens)");
  cmd->add_option("--output", args->output, "Write y to this .npy");
  cmd->add_option("--state-output", args->state_output,
                  "Write h_n and c_n to PREFIX_h.npy and PREFIX_c.npy");
  cmd->add_option("--batch", args->batch, "Batch size for random input (default 1)");
  cmd->add_option("--steps", args->steps, "Sequence length for random input "
                                          "(default: the preset's)");
  cmd->add_flag("--batch-first", args->batch_first, "Input and y are (batch, steps, ...)");
  cmd->add_option("--seed", args->seed, "Seed of preset weights and random inputs")
      ->capture_default_str();
  cmd->add_option("--repeat", args->repeat,
                  "Timed runs after one warm-up (when > 1); the median is reported")
      ->capture_default_str();
  cmd->add_option("--precision", args->precision, "fp32 or int16")->capture_default_str();
  cmd->add_option("--executor", args->executor, "auto, reference (fp64) or golden (int16)")
      ->capture_default_str();
  cmd->add_option("--input-range", args->input_range,
                  "int16: the range LO,HI of inputs to calibrate for (default: the input's)")
      ->delimiter(',')
      ->expected(2);
  cmd->add_flag("--check", args->check,
                "Also run the double reference and report the error against it");
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->footer(Examples({
      "sbe run                                   # lrcn preset, batch 1, random input",
      "sbe run --model deepbench-512 --batch 8 --repeat 5 --json",
      "sbe run --model lstm.safetensors --input x.npy --output y.npy --state-output out",
      "sbe run --model lstm.onnx --input x.npy --seq-lens lens.npy --output y.npy",
      "sbe run --precision int16 --input-range -4,4 --json   # the golden fixed-point model",
  }));
  cmd->callback([args] { Run(*args); });
}

}  // namespace sbe::cli
