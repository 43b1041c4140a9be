// The executor registry: which executors this build has and which one serves a precision.
#include "sbe/executor.h"

#include "sbe/error.h"

namespace sbe {

std::unique_ptr<Executor> MakeReferenceExecutor(const LstmModel& model);
std::unique_ptr<Executor> MakeGoldenExecutor(const LstmModel& model,
                                             const ExecutorOptions& options);

namespace cpu {
std::unique_ptr<Executor> MakeCpuExecutor(const LstmModel& model, const ExecutorOptions& options);
}

std::vector<std::string> ExecutorNames() { return {"reference", "golden", "cpu"}; }

std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options) {
  const std::string& p = options.precision;
  if (p != "fp32" && p != "int16") Fail("--precision {}: unknown precision (fp32, int16)", p);
  // The CPU engine is the fast path for both precisions.
  if (name == "auto" || name == "cpu") return cpu::MakeCpuExecutor(model, options);
  if (name == "reference") {
    // The reference computes in double, at least as exact as the fp32 asked for.
    if (p != "fp32") Fail("--executor reference computes in floating point, not {}", p);
    return MakeReferenceExecutor(model);
  }
  if (name == "golden") {
    if (p != "int16") Fail("--executor golden computes in int16; add --precision int16");
    return MakeGoldenExecutor(model, options);
  }
  Fail("--executor {}: unknown executor (auto, reference, golden, cpu)", name);
}

}  // namespace sbe
