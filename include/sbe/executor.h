// One call shape for every executor (reference, golden int16, CPU engine, simulator).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sbe/lstm_io.h"
#include "sbe/model.h"

namespace sbe {

struct ExecutorOptions {
  std::string precision = "fp32";  // what the user asked for: fp32 | int16
  int threads = 0;                 // 0: all cores
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
};

// The executors this build knows, in the order `--executor` lists them.
std::vector<std::string> ExecutorNames();
// Picks by name ("auto": the fastest that supports options.precision). Throws Error naming the
// executor or precision when the combination does not exist.
std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options);

}  // namespace sbe
