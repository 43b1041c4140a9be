// Every executor behind one interface: the double reference, the golden fixed-point model, the
// CPU engine and the accelerator's simulator (and the RTL co-simulation to come) take the same
// options and run the same call. A new executor is one file that implements Executor and one
// line in the registry (src/common/executor.cc).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sbe/board.h"
#include "sbe/cpu_plan.h"
#include "sbe/lstm_io.h"
#include "sbe/model.h"
#include "sbe/plan.h"
#include "sbe/precision.h"
#include "sbe/quantized_model.h"
#include "sbe/simulator.h"

namespace sbe {

struct ExecutorOptions {
  Precision precision = Precision::kFp32;
  // Fixed point: the range layer-0 inputs are calibrated for; when absent, the range of
  // calibration_sample (the input about to run).
  std::optional<InputRange> input_range;
  const TensorF* calibration_sample = nullptr;
  // What the user fixed of the plan (blocks; the simulator's batch, objective, ...); the
  // planner chooses the rest for each input's steps and samples.
  PlanRequest plan;
  // The CPU engine: threads (0: every core), how they meet between steps, and a kind of
  // decomposition forced ("" or "auto": the planner's; sbe/cpu_plan.h).
  int threads = 0;
  StepSync sync = StepSync::kStallFree;
  std::string decomposition;
  // The simulator: the FPGA board it models, its options, and where to write a Chrome trace
  // of each run ("": none).
  std::optional<Board> board;
  SimOptions sim;
  std::string trace_path;
};

// An executor binds a model once (packing weights, choosing formats: never timed) and then
// runs batches of sequences. Run throws Error on input that does not fit the model. The model
// must outlive the executor (executors may keep a reference instead of a copy of the weights).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;        // its registry name: "reference", ...
  virtual std::string arithmetic() const = 0;  // what it computes in: "fp64", "fp32", "int16"
  virtual LstmOutput Run(const LstmInput& input) = 0;
  // What the last run executed and counted, for --json: the plan, the formats, saturations,
  // the simulator's cycles.
  virtual nlohmann::json Details() const { return nlohmann::json::object(); }
};

// An entry of the registry.
struct ExecutorInfo {
  std::string name;
  std::string summary;                // one line, for --help
  std::vector<Precision> precisions;  // the precisions it runs
  bool needs_board = false;           // the simulator: ExecutorOptions::board must be an FPGA
};

// Every executor of this build, in the order --help lists them.
const std::vector<ExecutorInfo>& Executors();
// The entry of `name`, or nullptr.
const ExecutorInfo* FindExecutor(const std::string& name);
// Builds an executor by name ("auto": the CPU engine, the fastest for both precisions). Throws
// Error when the name is unknown or the executor does not run options.precision.
std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options);

}  // namespace sbe
