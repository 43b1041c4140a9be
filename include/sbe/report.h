// The paper's evaluation, regenerated on this machine (`sbe report`): one versioned document
// with every number of it, each labelled measured, simulated, predicted or published. The
// document is computed here, in C++; tools/plot_report.py only draws its figures.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sbe {

// The document's layout version: bumped whenever a field changes meaning or goes away.
inline constexpr int kReportSchemaVersion = 3;

enum class ReportMode {
  kSummary,  // the first table only: lrcn on this CPU and on the paper's boards (the main job)
  kQuick,    // every section, fewer repetitions and points
  kFull,     // every section
};

struct ReportOptions {
  ReportMode mode = ReportMode::kFull;
  std::vector<std::string> boards = {"vx690t", "z7045", "u280"};  // FPGA boards to simulate
  int threads = 0;                 // CPU measurements; 0: all cores
  bool torch = true;               // PyTorch beside the engines (not in the summary)
  std::optional<double> cpu_watts; // else an assumption the report states
  uint64_t seed = 0;
  // Caps the steps of the DeepBench and practice suites' workloads (0: each preset's own; the
  // LRCN of the first table keeps its 32): a run through every section in a fraction of the
  // time, its suite timings of shorter sequences (the sanitizer builds' test uses it; the
  // report says so).
  int max_steps = 0;
  std::string command;             // how the report was asked for, recorded in it
  // Progress: called once per step with (steps done, steps in all, what was done).
  std::function<void(int, int, const std::string&)> progress;
};

// The published figures the report compares with (data/published.json, compiled in): the
// paper's tables, with the source of each.
const nlohmann::json& PublishedFigures();

// Measures, simulates and predicts everything `options.mode` asks for. Throws Error on a board
// that cannot be loaded or is not an FPGA.
nlohmann::json EvaluatePaper(const ReportOptions& options);

// The first table (the paper's "CPU, GPU vs FPGA" beside this machine) as aligned text, with its
// notes and the machine line: what `sbe report --summary` prints.
std::string ReportSummaryText(const nlohmann::json& document);
// report.md: every section's tables and the figures' links (the files named in
// document["figures"], drawn by tools/plot_report.py).
std::string ReportMarkdown(const nlohmann::json& document);

}  // namespace sbe
