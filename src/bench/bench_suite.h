// The benchmark: the CPU engine side by side with oneDNN's LSTM and PyTorch's nn.LSTM, in the
// same run, on the same weights and inputs, against this machine's measured ceilings. `sbe
// bench` prints and plots its document; `sbe report` takes it into the paper's evaluation.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sbe {

struct BenchWorkload {
  std::string model;  // a preset name or a model file
  int batch = 1;
  int steps = 1;
};

// The suites: "lrcn" (the paper's workload at batch 1, 8, 32, 128), "deepbench" (DeepBench's
// inference LSTMs, hidden 256..2048, at batch 1, 2, 4), "practice" (the practice presets at
// batch 1 and their serving batch) or "all"; `batches` and `steps`, when
// given, replace the suite's. Throws Error on an unknown suite.
std::vector<BenchWorkload> SuiteWorkloads(const std::string& suite, const std::vector<int>& batches,
                                          std::optional<int> steps);
// The names of the suites, for messages and help.
std::vector<std::string> SuiteNames();

struct BenchOptions {
  int threads = 0;      // every engine's threads; 0: all cores
  int repeat = 5;       // timed runs per engine
  bool torch = true;    // also PyTorch (a /usr/bin/python3 subprocess)
  // Also every decomposition the planner considers, in both precisions, each forced: the
  // workload's "decompositions" then hold each one's predicted and measured time.
  bool decompositions = false;
  uint64_t seed = 0;    // weights and inputs
  // Told as each step starts: (the workload about to run, counted from 1, or 0 for the
  // ceilings' measurements; the number of workloads; what it is).
  std::function<void(int, int, const std::string&)> progress;
};

// A result's name in the document: "sbe int16 stall-free", "onednn fp32", "pytorch fp32",
// "sbe fp32 stall-free batch-split:2x1" (a decomposition forced).
std::string BenchResultKey(const nlohmann::json& result);

// Runs the workloads and returns the document: machine, versions, measured ceilings, and per
// workload every engine's seconds, GOPS, ratios to oneDNN and PyTorch, roofline fraction and
// agreement with oneDNN's output.
nlohmann::json RunBench(const std::vector<BenchWorkload>& workloads, const BenchOptions& options);

}  // namespace sbe
