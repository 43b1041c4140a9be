// `sbe bench`: the CPU engine side by side with oneDNN's LSTM and PyTorch's nn.LSTM
// (src/bench/bench_suite.cc), printed as tables, written as JSON, plotted.
#include <cstdio>
#include <fstream>

#include "bench/bench_suite.h"
#include "cli/cli_common.h"
#include "common/python_tools.h"
#include "sbe/presets.h"

namespace sbe::cli {
namespace {

struct BenchArgs {
  std::string suite = "lrcn";
  std::string model;
  std::vector<int> batches;
  std::optional<int> steps;
  int threads = 0;
  int repeat = 5;
  bool no_torch = false;
  bool decompositions = false;
  uint64_t seed = 0;
  std::string json, plot;
  bool json_stdout = false;
};

std::vector<BenchWorkload> Workloads(const BenchArgs& a) {
  for (int b : a.batches) {
    if (b < 1) Fail("--batch {}: must be at least 1", b);
  }
  if (a.steps && *a.steps < 1) Fail("--steps {}: must be at least 1", *a.steps);
  if (a.model.empty()) return ForSubject("suite", "--suite", [&] { return SuiteWorkloads(a.suite, a.batches, a.steps); });
  const LstmModel m = ForArgument("--model", a.model, [&] { return LoadModel(a.model, a.seed); });
  const int steps = a.steps.value_or(m.default_steps);
  if (steps < 1) Fail("--model {}: the file suggests no sequence length; add --steps", a.model);
  std::vector<BenchWorkload> w;
  for (int b : a.batches.empty() ? std::vector<int>{1} : a.batches) w.push_back({a.model, b, steps});
  return w;
}

void PrintWorkload(const nlohmann::json& w) {
  std::printf("\n%s, batch %d, %d steps (%.3g G multiply-adds)\n", w["model"].get<std::string>().c_str(),
              w["batch"].get<int>(), w["steps"].get<int>(), w["macs"].get<double>() * 1e-9);
  std::printf("  %-44s %10s %9s %11s %9s %9s %9s\n", "engine", "ms", "GOPS", "ms/sample", "×oneDNN",
              "×PyTorch", "roofline");
  for (const nlohmann::json& r : w["results"]) {
    std::printf("  %-44s %10.3f %9.1f %11.4f %9.2f %9s %8.0f%%\n", BenchResultKey(r).c_str(),
                r["seconds"].get<double>() * 1e3, r["gops"].get<double>(), r["ms_per_sample"].get<double>(),
                r.value("vs_onednn", 0.0),
                r.contains("vs_torch") ? fmt::format("{:.2f}", r["vs_torch"].get<double>()).c_str() : "-",
                100 * r["roofline_fraction"].get<double>());
  }
  if (!w.contains("decompositions")) return;
  for (const auto& [precision, d] : w["decompositions"].items()) {
    std::printf("  %s decompositions: the planner chose %s, the fastest measured was %s (chosen %.2fx its time)\n",
                precision.c_str(), d["chosen"].get<std::string>().c_str(), d["best_measured"].get<std::string>().c_str(),
                d["chosen_vs_best"].get<double>());
    for (const nlohmann::json& p : d["points"]) {
      std::printf("    %-30s predicted %9.3f ms, measured %9.3f ms (%+.0f%%)\n",
                  p["decomposition"].get<std::string>().c_str(), p["predicted_seconds"].get<double>() * 1e3,
                  p["measured_seconds"].get<double>() * 1e3, 100 * p["error"].get<double>());
    }
  }
}

void Bench(const BenchArgs& a) {
  if (a.repeat < 1) Fail("--repeat {}: must be at least 1", a.repeat);
  if (a.threads < 0) Fail("--threads {}: must be at least 1 (0: all cores)", a.threads);
  const std::vector<BenchWorkload> workloads = Workloads(a);
  BenchOptions o;
  o.threads = a.threads;
  o.repeat = a.repeat;
  o.torch = !a.no_torch;
  o.decompositions = a.decompositions;
  o.seed = a.seed;
  o.progress = [](int k, int n, const std::string& what) {
    if (k > 0) {
      std::fprintf(stderr, "bench: [%d/%d] %s\n", k, n, what.c_str());
    } else {
      std::fprintf(stderr, "bench: %s\n", what.c_str());
    }
    std::fflush(stderr);
  };
  const nlohmann::json report = RunBench(workloads, o);
  const bool quiet = a.json_stdout;
  if (!quiet) {
    for (const nlohmann::json& w : report["workloads"]) PrintWorkload(w);
    if (report.contains("notes")) {
      for (const nlohmann::json& note : report["notes"]) std::printf("\nnote: %s\n", note.get<std::string>().c_str());
    }
    const nlohmann::json& c = report["ceilings"];
    std::printf("\nmachine: %s, %d threads; ceilings: %.0f GFLOPS fp32, %.0f GOPS int16, %.1f GB/s DRAM\n",
                report["machine"]["cpu"].get<std::string>().c_str(), report["threads"].get<int>(),
                c["fp32_gflops"].get<double>(), c["int16_gops"].get<double>(),
                c["bandwidth"].back()["read_gbs"].get<double>());
  }
  if (!a.json.empty() && a.json != "-") {
    std::ofstream file(a.json);
    file << report.dump(2) << "\n";
    if (!file) Fail("--json {}: cannot write the report", a.json);
    if (!quiet) std::printf("wrote %s\n", a.json.c_str());
  }
  if (!a.plot.empty()) {
    ForArgument("--plot", a.plot, [&] { RunPlotter("plot_bench.py", report, a.plot); });
    if (!quiet) std::printf("wrote %s\n", a.plot.c_str());
  }
  if (a.json_stdout) PrintJson(report);
}

}  // namespace

void AddBenchCommand(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time the CPU engine against oneDNN and PyTorch on the same weights and inputs");
  cmd->add_option("--suite", args->suite, "lrcn (batch 1, 8, 32, 128), deepbench (hidden 256..2048, batch 1, 2, 4), practice (9 deployed shapes at batch 1 and a serving batch) or all")
      ->capture_default_str();
  cmd->add_option("--model", args->model, "Instead of a suite: one preset or model file");
  cmd->add_option("--batch", args->batches, "Batch sizes (comma-separated) instead of the suite's")
      ->delimiter(',');
  cmd->add_option("--steps", args->steps, "Sequence length instead of the workload's");
  cmd->add_option("--threads", args->threads, "Threads for every engine (default 0: all cores)")
      ->capture_default_str();
  cmd->add_option("--repeat", args->repeat, "Timed runs per engine, in rounds of up to 3 where the engines take turns "
                  "(each turn begins with 20 ms of warm-up runs); the median is reported")
      ->capture_default_str();
  cmd->add_flag("--no-torch", args->no_torch, "Skip PyTorch (it runs as a /usr/bin/python3 subprocess)");
  cmd->add_flag("--decompositions", args->decompositions,
                "Also run every decomposition the planner considers, each forced, and report its "
                "predicted against its measured time");
  cmd->add_option("--seed", args->seed, "Seed of the weights and inputs")->capture_default_str();
  cmd->add_option("--json", args->json, "Write the full report as JSON to this file ('-': stdout, alone)");
  cmd->add_option("--plot", args->plot, "Draw throughput and ratios per workload (PNG)");
  cmd->footer(Examples({
      "sbe bench                                   # lrcn at batch 1, 8, 32, 128",
      "sbe bench --suite all --json bench.json --plot bench.png",
      "sbe bench --suite practice --decompositions --json practice.json",
      "sbe bench --model deepbench-1024 --batch 1,4 --threads 1 --repeat 9",
      "sbe bench --suite lrcn --json - | jq '.workloads[].results[] | {engine, gops}'",
  }));
  cmd->callback([args] {
    BenchArgs a = *args;
    a.json_stdout = a.json == "-";
    Bench(a);
  });
}

}  // namespace sbe::cli
