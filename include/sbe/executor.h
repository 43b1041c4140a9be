// One call shape for every executor (reference, golden int16, CPU engine, simulator).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sbe/lstm_io.h"
#include "sbe/model.h"
#include "sbe/quantized_model.h"

namespace sbe {

struct ExecutorOptions {
  std::string precision = "fp32";  // what the user asked for: fp32 | int16
  int threads = 0;                 // 0: all cores
  std::string schedule = "stall-free";  // the CPU engine's: stall-free | barrier
  // Fixed point: the range layer-0 inputs are calibrated for (--input-range); when absent,
  // the range of calibration_sample (the input about to run).
  std::optional<InputRange> input_range;
  const TensorF* calibration_sample = nullptr;
};

// An executor binds a model once (packing weights, choosing formats: never timed) and then
// runs batches of sequences. Run throws Error on input that does not fit the model. The model
// must outlive the executor (executors may keep a reference instead of a copy of the weights).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;       // "reference", ...
  virtual std::string precision() const = 0;  // arithmetic actually used: "fp64", "int16", ...
  virtual LstmOutput Run(const LstmInput& input) = 0;
  // What the executor chose and counted (formats, saturations), for --json reports.
  virtual nlohmann::json Details() const { return nlohmann::json::object(); }
};

// The executors this build knows, in the order `--executor` lists them.
std::vector<std::string> ExecutorNames();
// Picks by name ("auto": the fastest that supports options.precision). Throws Error naming the
// executor or precision when the combination does not exist.
std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options);

}  // namespace sbe
