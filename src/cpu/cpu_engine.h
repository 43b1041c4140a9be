// The CPU engine (docs/CPU_ENGINE.md): the executor `sbe run` uses by default. It is made
// through the registry (MakeExecutor("cpu", ...)); this header is for the tests.
#pragma once

#include <memory>

#include "sbe/cpu_plan.h"
#include "sbe/executor.h"
#include "sbe/golden.h"

namespace sbe::cpu {

// The fp32 or int16 executor (options.precision), planned on ThisCpuBoard().
std::unique_ptr<Executor> MakeEngineExecutor(const LstmModel& model, const ExecutorOptions& options);

// The int16 engine on already quantised inputs, planned on DetectCpuBoard() (no measurement)
// with the request's threads, sync, blocks and decomposition (its steps, batch and precision
// are the input's): bit-exact with RunGolden (the contract tests compare the two directly).
FixedOutput RunCpuFixed(const QuantizedModel& model, const FixedInput& input, CpuPlanRequest request,
                        SaturationCounts* counts = nullptr);

}  // namespace sbe::cpu
