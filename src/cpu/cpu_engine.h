// The CPU engine (docs/CPU_ENGINE.md): the executor `sbe run` uses by default.
#pragma once

#include <memory>
#include <string>

#include "sbe/board.h"
#include "sbe/executor.h"
#include "sbe/golden.h"

namespace sbe::cpu {

// fp32 or int16 (options.precision), options.threads and options.schedule.
std::unique_ptr<Executor> MakeCpuExecutor(const LstmModel& model, const ExecutorOptions& options);

// The int16 engine on already quantised inputs: bit-exact with RunGolden (the contract tests
// compare the two directly).
FixedOutput RunCpuFixed(const QuantizedModel& model, const FixedInput& input, int threads,
                        const std::string& schedule, SaturationCounts* counts = nullptr);

// This CPU as the planner sees it for the engine (CPUID caches), detected once.
const Board& CpuPlanningBoard();

}  // namespace sbe::cpu
