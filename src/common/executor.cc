// The executor registry: which executors this build has and which one serves a precision.
#include "sbe/executor.h"

#include "sbe/error.h"

namespace sbe {

std::unique_ptr<Executor> MakeReferenceExecutor(const LstmModel& model);

std::vector<std::string> ExecutorNames() { return {"reference"}; }

std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options) {
  if (options.precision != "fp32" && options.precision != "int16") {
    Fail("--precision {}: unknown precision (fp32, int16)", options.precision);
  }
  if (name != "auto" && name != "reference") {
    Fail("--executor {}: unknown executor (auto, reference)", name);
  }
  if (options.precision == "int16") {
    Fail("--precision int16: no executor in this build computes in 16-bit fixed point yet");
  }
  // The reference computes in double, which is at least as exact as the fp32 asked for.
  return MakeReferenceExecutor(model);
}

}  // namespace sbe
