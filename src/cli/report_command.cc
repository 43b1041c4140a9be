// `sbe report`: the paper's evaluation regenerated on this machine (sbe/report.h computes it);
// `--summary` prints the first table (the main job), `--out DIR` writes report.md, report.json
// and the figures (drawn by tools/plot_report.py), `--json FILE` the document alone.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/cli_common.h"
#include "common/python_tools.h"
#include "sbe/report.h"

namespace sbe::cli {
namespace {

struct ReportArgs {
  std::string out = "report";
  std::string json;
  bool quick = false;
  bool summary = false;
  std::vector<std::string> boards = {"vx690t", "z7045", "u280"};
  int threads = 0;
  bool no_torch = false;
  std::optional<double> cpu_watts;
  uint64_t seed = 0;
  int max_steps = 0;
};

// Progress on stderr, so that stdout keeps only the report's own lines: a bar on a terminal,
// plain lines ("report: [k/n] 12s what") in logs and CI.
class Progress {
 public:
  Progress() : tty_(::isatty(1) && ::isatty(2)), start_(std::chrono::steady_clock::now()) {}
  ~Progress() {
    if (tty_ && open_) std::fprintf(stderr, "\n");
  }
  void operator()(int done, int total, const std::string& label) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (tty_) {
      constexpr int kWidth = 30;
      const int filled = kWidth * done / std::max(1, total);
      std::fprintf(stderr, "\r[%s%s] %d/%d %5.0fs  %-60.60s", std::string(filled, '#').c_str(),
                   std::string(kWidth - filled, '.').c_str(), done, total, elapsed, label.c_str());
      open_ = done < total;
      if (!open_) std::fprintf(stderr, "\n");
    } else {
      std::fprintf(stderr, "report: [%d/%d] %.0fs %s\n", done, total, elapsed, label.c_str());
    }
    std::fflush(stderr);
  }

 private:
  bool tty_, open_ = false;
  std::chrono::steady_clock::time_point start_;
};

// Everything a user can get wrong is checked here, so that it fails in one line before any
// long work starts.
void CheckArgs(const ReportArgs& a) {
  if (a.boards.empty()) Fail("--boards: give at least one board");
  for (const std::string& b : a.boards) LoadFpgaBoard(b, "--boards");
  if (a.threads < 0) Fail("--threads {}: must be at least 1 (0: all cores)", a.threads);
  if (a.max_steps < 0) Fail("--max-steps {}: must be at least 1 (or 0: each preset's own steps)", a.max_steps);
  if (a.cpu_watts && !(*a.cpu_watts > 0)) Fail("--cpu-watts {}: must be positive", *a.cpu_watts);
  if (a.summary && a.quick) Fail("--quick: --summary is already the quick first table; give one of them");
  namespace fs = std::filesystem;
  if (!a.json.empty()) {
    const fs::path parent = fs::absolute(a.json).parent_path();
    if (!fs::is_directory(parent) || ::access(parent.c_str(), W_OK) != 0) {
      Fail("--json {}: cannot write there", a.json);
    }
  }
  if (a.summary) return;
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec || !fs::is_directory(a.out)) Fail("--out {}: cannot create the folder ({})", a.out, ec.message());
  if (::access(a.out.c_str(), W_OK) != 0) Fail("--out {}: folder is not writable", a.out);
}

void WriteText(const std::string& path, const std::string& text, const std::string& flag) {
  std::ofstream out(path);
  out << text;
  if (!out) Fail("{} {}: cannot write", flag, path);
}

void RunReport(const ReportArgs& a) {
  CheckArgs(a);
  ReportOptions o;
  o.mode = a.summary ? ReportMode::kSummary : a.quick ? ReportMode::kQuick : ReportMode::kFull;
  o.boards = a.boards;
  o.threads = a.threads;
  o.torch = !a.no_torch;
  o.cpu_watts = a.cpu_watts;
  o.seed = a.seed;
  o.max_steps = a.max_steps;
  o.command = "sbe report" + std::string(a.summary ? " --summary" : a.quick ? " --quick" : "") +
              (a.summary ? "" : " --out " + a.out);
  if (a.boards != ReportArgs{}.boards) {
    std::string boards;
    for (const std::string& b : a.boards) boards += (boards.empty() ? "" : ",") + b;
    o.command += " --boards " + boards;
  }
  if (a.max_steps > 0) o.command += fmt::format(" --max-steps {}", a.max_steps);
  Progress progress;
  o.progress = [&](int done, int total, const std::string& label) { progress(done, total, label); };
  const nlohmann::json doc = EvaluatePaper(o);
  if (!a.json.empty()) WriteText(a.json, doc.dump(1) + "\n", "--json");
  if (a.summary) {
    std::printf("%s", ReportSummaryText(doc).c_str());
    return;
  }
  namespace fs = std::filesystem;
  const fs::path dir(a.out);
  WriteText((dir / "report.json").string(), doc.dump(1) + "\n", "--out");
  ForArgument("--out", a.out, [&] { RunPythonTool("plot_report.py", {(dir / "report.json").string(), a.out},
                                                  "drawing the figures (needs /usr/bin/python3 with python3-matplotlib)"); });
  WriteText((dir / "report.md").string(), ReportMarkdown(doc), "--out");
  std::printf("wrote %s with %zu figures (%.1f minutes)\n", (dir / "report.md").c_str(), doc["figures"].size(),
              doc["seconds"].get<double>() / 60);
}

}  // namespace

void AddReportCommand(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Regenerate the paper's evaluation on this machine: DIR/report.md with figures");
  cmd->add_option("--out", args->out, "Folder for report.md, report.json and the figures")
      ->capture_default_str();
  cmd->add_option("--json", args->json, "Also write the report's document (schema_version 1) to this file");
  cmd->add_flag("--quick", args->quick, "Fewer repetitions and points (about 1 minute instead of 3 on 2 cores)");
  cmd->add_flag("--summary", args->summary,
                "Print only the first table (lrcn: this CPU measured, the paper's boards simulated, the "
                "paper's rows) and write nothing but --json; needs no Python");
  cmd->add_option("--boards", args->boards, "FPGA boards to simulate (presets or .json), comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for the CPU measurements (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--no-torch", args->no_torch, "Skip PyTorch (a /usr/bin/python3 subprocess)");
  cmd->add_option("--cpu-watts", args->cpu_watts,
                  "CPU power for the energy columns (default: an assumption the report states)");
  cmd->add_option("--max-steps", args->max_steps,
                  "Cap the steps of the DeepBench and practice suites' workloads at N: every section in a "
                  "fraction of the time, their timings of shorter sequences (0: the presets' own)");
  cmd->add_option("--seed", args->seed, "Seed of the weights and inputs")->capture_default_str();
  cmd->footer(Examples({
      "sbe report --summary                        # the main job: one table, under a minute",
      "sbe report --summary --json summary.json    # and its numbers as a document",
      "sbe report --quick --out /tmp/report        # every section, fewer points (~1 min)",
      "sbe report --out docs/report                # the full report (~3 min)",
      "sbe report --boards z7045,zu9eg,my_board.json --cpu-watts 65",
  }));
  cmd->callback([args] { RunReport(*args); });
}

}  // namespace sbe::cli
