// `sbe report`: the paper's evaluation regenerated on this machine (tools/report.py drives this
// binary's run/bench/plan/simulate and draws the figures); `--summary` is the main job's table.
#include <cstdlib>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "sbe/board.h"
#include "sbe/error.h"

namespace sbe::cli {
namespace {

struct ReportArgs {
  std::string out = "report";
  bool quick = false;
  bool summary = false;
  std::vector<std::string> boards = {"vx690t", "z7045", "u280"};
  int threads = 0;
  bool no_torch = false;
  std::optional<double> cpu_watts;
  uint64_t seed = 0;
};

// Everything a user can get wrong is checked here, so that it fails in one line before any
// long work starts.
void CheckArgs(const ReportArgs& a) {
  if (a.boards.empty()) Fail("--boards: give at least one board");
  for (const std::string& b : a.boards) LoadFpgaBoard(b, "--boards");
  if (a.threads < 0) Fail("--threads {}: must be at least 1 (0: all cores)", a.threads);
  if (a.cpu_watts && !(*a.cpu_watts > 0)) Fail("--cpu-watts {}: must be positive", *a.cpu_watts);
  if (a.summary) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(a.out, ec);
  if (ec || !fs::is_directory(a.out)) Fail("--out {}: cannot create the folder ({})", a.out, ec.message());
  if (::access(a.out.c_str(), W_OK) != 0) Fail("--out {}: folder is not writable", a.out);
}

void RunReport(const ReportArgs& a) {
  CheckArgs(a);
  namespace fs = std::filesystem;
  std::vector<std::string> args = {"--sbe", fs::read_symlink("/proc/self/exe").string(),
                                   "--threads", std::to_string(a.threads),
                                   "--seed", std::to_string(a.seed)};
  std::string boards;
  for (const std::string& b : a.boards) boards += (boards.empty() ? "" : ",") + b;
  args.insert(args.end(), {"--boards", boards});
  if (a.summary) {
    args.push_back("--summary");
  } else {
    args.insert(args.end(), {"--out", a.out});
  }
  if (a.quick) args.push_back("--quick");
  if (a.no_torch) args.push_back("--no-torch");
  if (a.cpu_watts) args.insert(args.end(), {"--cpu-watts", fmt::format("{}", *a.cpu_watts)});
  // The tool writes its own progress and, on failure, its own one-line "sbe: error: ..." to
  // this terminal; only its exit status comes back.
  const int status = RunPythonToolInTerminal("report.py", args);
  if (status != 0) throw ExitStatus{status};
}

}  // namespace

void AddReportCommand(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Regenerate the paper's evaluation on this machine: DIR/report.md with figures");
  cmd->add_option("--out", args->out, "Folder for report.md, report.json and the figures")
      ->capture_default_str();
  cmd->add_flag("--quick", args->quick, "Fewer repetitions and points (about 1 minute instead of 3 on 2 cores)");
  cmd->add_flag("--summary", args->summary,
                "Print only the first table (lrcn: this CPU measured, the paper's boards "
                "simulated, the paper's rows) and write nothing");
  cmd->add_option("--boards", args->boards, "FPGA boards to simulate (presets or .json), comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads for the CPU measurements (0: all cores)")
      ->capture_default_str();
  cmd->add_flag("--no-torch", args->no_torch, "Skip PyTorch (a /usr/bin/python3 subprocess)");
  cmd->add_option("--cpu-watts", args->cpu_watts,
                  "CPU power for the energy columns (default: an assumption the report states)");
  cmd->add_option("--seed", args->seed, "Seed of the weights and inputs")->capture_default_str();
  cmd->footer(Examples({
      "sbe report --summary                        # the main job: one table, under a minute",
      "sbe report --quick --out /tmp/report        # every section, fewer points (~1 min)",
      "sbe report --out docs/report                # the full report (~3 min)",
      "sbe report --boards z7045,zu9eg,my_board.json --cpu-watts 65",
  }));
  cmd->callback([args] { RunReport(*args); });
}

}  // namespace sbe::cli
