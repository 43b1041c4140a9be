// The benchmark (bench_suite.h): workloads, engines taking turns, ceilings, the document.
#include "bench/bench_suite.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include <fmt/ranges.h>

#include "bench/onednn_anchor.h"
#include "common/python_tools.h"
#include "common/stats.h"
#include "sbe/cpu_board.h"
#include "sbe/cpu_info.h"
#include "sbe/cpu_plan.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/formats.h"
#include "sbe/presets.h"

namespace sbe {
namespace {

double MaxAbsDiff(const TensorF& a, const TensorF& b) {
  double m = 0;
  for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i) {
    m = std::max(m, std::abs(static_cast<double>(a.data[i]) - b.data[i]));
  }
  return a.data.size() == b.data.size() ? m : INFINITY;
}

struct Result {
  std::string engine, precision, schedule;
  std::string forced;  // sbe: the decomposition forced (its Spec()), "" for the planner's choice
  std::vector<double> seconds;
  double agreement = 0;  // max |y - y_oneDNN|
  std::string note;
  nlohmann::json plan;  // sbe engines: the plan they executed
};

nlohmann::json ResultJson(const Result& r, double macs, const BenchWorkload& w, const LstmShape& s,
                          const MachineCeilings& ceilings, double onednn_s, double torch_s) {
  const double t = Median(r.seconds);
  const double gops = 2 * macs / t * 1e-9;
  nlohmann::json j{{"engine", r.engine}, {"precision", r.precision}, {"seconds", t},
                   {"all_seconds", r.seconds}, {"gops", gops},
                   {"ms_per_sample", t * 1e3 / w.batch}};
  if (!r.schedule.empty()) j["schedule"] = r.schedule;
  if (!r.forced.empty()) j["forced_decomposition"] = r.forced;
  if (onednn_s > 0) j["vs_onednn"] = onednn_s / t;
  if (torch_s > 0) j["vs_torch"] = torch_s / t;
  const bool int16 = r.precision == "int16";
  const double roof = ceilings.Roofline(CpuPhases(s, w.steps, w.batch, int16 ? Precision::kInt16 : Precision::kFp32), int16);
  j["roofline_gops"] = roof;
  j["roofline_fraction"] = gops / roof;
  j["max_abs_diff_vs_onednn"] = r.agreement;
  if (!r.note.empty()) j["note"] = r.note;
  if (!r.plan.is_null()) {
    j["plan"] = r.plan;
    const nlohmann::json& d = r.plan.at("cpu").at("decomposition");
    j["decomposition"] = d.at("spec");
    j["predicted_seconds"] = r.plan.at("predicted_ms_per_batch").get<double>() * 1e-3;
  }
  return j;
}

// Times every engine `repeat` times, in rounds of up to three runs in which the engines take
// turns: on a shared VM whose speed drifts from second to second, every engine then meets the
// same drift, while its weights are as warm in cache as in a long-running server. Seconds per
// run, per engine.
//
// Each turn opens with untimed warm-up runs for at least kWarmUp. One run warms the caches,
// but the previous engine's threads may still be spinning for their next job (oneDNN's OpenMP
// threads, for milliseconds), and with as many threads as cores the next engine would share
// the cores with them. Sleeping through that time instead made shared VMs slow the next runs
// down, as if the host took a while to give the cores back (docs/PERFORMANCE.md, "Measurements
// behind the code"). A server runs one engine, busy, not five in turns.
constexpr auto kWarmUp = std::chrono::milliseconds(20);
std::vector<std::vector<double>> TimeInTurns(int repeat, const std::vector<std::function<void()>>& runs) {
  const int rounds = (repeat + 2) / 3;
  std::vector<std::vector<double>> seconds(runs.size());
  for (int round = 0; round < rounds; ++round) {
    const int share = repeat / rounds + (round < repeat % rounds ? 1 : 0);
    for (size_t e = 0; e < runs.size(); ++e) {
      const auto warm = std::chrono::steady_clock::now() + kWarmUp;
      do {
        runs[e]();
      } while (std::chrono::steady_clock::now() < warm);
      for (int r = 0; r < share; ++r) {
        const auto start = std::chrono::steady_clock::now();
        runs[e]();
        seconds[e].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  }
  return seconds;
}

// PyTorch in a subprocess on the same weights (safetensors) and input (.npy).
std::optional<Result> RunTorch(const LstmModel& m, const LstmInput& in, int threads, int repeat,
                               const TensorF& onednn_y, std::string* note) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("sbe_bench_{}", ::getpid());
  fs::create_directories(dir);
  const std::string model_path = (dir / "model.safetensors").string();
  const std::string x_path = (dir / "x.npy").string(), y_path = (dir / "y.npy").string();
  SaveSafetensors(model_path, m);
  WriteNpy(x_path, in.x);
  std::optional<Result> r;
  try {
    const std::string out = RunPythonTool(
        "bench_torch.py",
        {"--model", model_path, "--input", x_path, "--threads", std::to_string(threads),
         "--warmup", "1", "--repeat", std::to_string(repeat), "--output", y_path, "--json"},
        fmt::format("PyTorch on {} (tools/bench_torch.py)", m.name));
    const nlohmann::json j = nlohmann::json::parse(out);
    r = Result{"pytorch", "fp32", "", "", j.at("seconds_all").get<std::vector<double>>(), 0,
               fmt::format("torch {}, {}", j.value("torch", "?"), j.value("blas", "?")), {}};
    r->agreement = MaxAbsDiff(ReadNpyFloat(y_path), onednn_y);
  } catch (const std::exception& e) {
    *note = fmt::format("PyTorch skipped: {}", e.what());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

// Per precision: every forced decomposition's predicted and measured seconds, the planner's
// choice (its stall-free run), the fastest measured, and how far the choice is from it.
nlohmann::json DecompositionSummary(const nlohmann::json& results) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* precision : {"fp32", "int16"}) {
    nlohmann::json points = nlohmann::json::array();
    std::string chosen, best;
    double best_s = INFINITY, chosen_s = 0;
    for (const nlohmann::json& r : results) {
      if (r["engine"] != "sbe" || r["precision"] != precision) continue;
      if (!r.contains("forced_decomposition")) {
        if (r["schedule"] == "stall-free") chosen = r["decomposition"].get<std::string>();
        continue;
      }
      const double measured = r["seconds"].get<double>(), predicted = r["predicted_seconds"].get<double>();
      points.push_back({{"decomposition", r["forced_decomposition"]}, {"predicted_seconds", predicted},
                        {"measured_seconds", measured}, {"error", predicted / measured - 1}});
      if (measured < best_s) best_s = measured, best = r["forced_decomposition"].get<std::string>();
    }
    for (const nlohmann::json& p : points) {
      if (p["decomposition"] == chosen) chosen_s = p["measured_seconds"].get<double>();
    }
    if (points.empty()) continue;
    out[precision] = {{"points", points}, {"chosen", chosen}, {"best_measured", best},
                      {"chosen_vs_best", chosen_s > 0 ? chosen_s / best_s : 0.0}};
  }
  return out;
}

}  // namespace

std::string BenchResultKey(const nlohmann::json& r) {
  std::string key = fmt::format("{} {}", r.at("engine").get<std::string>(), r.at("precision").get<std::string>());
  if (r.contains("schedule")) key += fmt::format(" {}", r["schedule"].get<std::string>());
  if (r.contains("forced_decomposition")) key += fmt::format(" {}", r["forced_decomposition"].get<std::string>());
  return key;
}

std::vector<std::string> SuiteNames() { return {"lrcn", "deepbench", "practice", "all"}; }

std::vector<BenchWorkload> SuiteWorkloads(const std::string& suite, const std::vector<int>& batches,
                                          std::optional<int> steps) {
  const std::vector<std::string> names = SuiteNames();
  if (std::find(names.begin(), names.end(), suite) == names.end()) {
    Fail("suite {}: unknown suite ({})", suite, fmt::join(names, ", "));
  }
  std::vector<BenchWorkload> w;
  if (suite == "lrcn" || suite == "all") {
    for (int b : batches.empty() ? std::vector<int>{1, 8, 32, 128} : batches) {
      w.push_back({"lrcn", b, steps.value_or(PresetSteps("lrcn"))});
    }
  }
  if (suite == "deepbench" || suite == "all") {
    for (const std::string& name : DeepBenchPresetNames()) {
      for (int b : batches.empty() ? std::vector<int>{1, 2, 4} : batches) {
        w.push_back({name, b, steps.value_or(PresetSteps(name))});
      }
    }
  }
  if (suite == "practice" || suite == "all") {
    for (const std::string& name : PracticePresetNames()) {
      for (int b : batches.empty() ? std::vector<int>{1, FindPreset(name).serving_batch} : batches) {
        w.push_back({name, b, steps.value_or(PresetSteps(name))});
      }
    }
  }
  return w;
}

nlohmann::json RunBench(const std::vector<BenchWorkload>& workloads, const BenchOptions& a) {
  if (a.repeat < 1) Fail("repeat {}: must be at least 1", a.repeat);
  if (a.threads < 0) Fail("threads {}: must be at least 1 (0: all cores)", a.threads);
  const int threads = a.threads > 0 ? a.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto progress = [&](int k, const std::string& what) {
    if (a.progress) a.progress(k, static_cast<int>(workloads.size()), what);
  };
  std::vector<LstmShape> shapes;
  for (const BenchWorkload& w : workloads) {
    if (w.batch < 1 || w.steps < 1) Fail("{}: batch {} and steps {} must be at least 1", w.model, w.batch, w.steps);
    shapes.push_back(LoadModel(w.model, a.seed).shape);
  }
  // The rooflines' bandwidths: streams of each workload's W_x and W_h, in both precisions.
  std::vector<int64_t> working_sets;
  for (size_t i = 0; i < workloads.size(); ++i) {
    for (Precision precision : {Precision::kInt16, Precision::kFp32}) {
      for (const RooflinePhase& p : CpuPhases(shapes[i], workloads[i].steps, workloads[i].batch, precision)) {
        working_sets.push_back(p.working_set);
      }
    }
  }
  // The ceilings are measured before the workloads and again after them, and the faster of
  // each kept: they are upper bounds, and on a shared VM a slow spell during one measurement
  // had put rooflines above 100%.
  progress(0, fmt::format("measuring this machine's ceilings on {} threads", threads));
  MachineCeilings ceilings = MeasureCeilings(threads, working_sets);
  const CpuInfo& cpu = GetCpuInfo();
  nlohmann::json report{
      {"machine", {{"cpu", cpu.brand}, {"cores", cpu.logical_cores}, {"simd", cpu.SimdSummary()}}},
      {"versions",
       {{"sbe", SBE_VERSION},
        {"compiler", __VERSION__},
        {"kernels", DetectCpuBoard().kernels},
        {"onednn", OneDnnVersion()}}},
      {"threads", threads},
      {"repeat", a.repeat},
      {"workloads", nlohmann::json::array()}};
  struct Measured {
    BenchWorkload w;
    LstmShape shape;
    double macs;
    std::vector<Result> results;
  };
  std::vector<Measured> measured;
  std::string torch_note;
  for (size_t i = 0; i < workloads.size(); ++i) {
    const BenchWorkload& w = workloads[i];
    progress(static_cast<int>(i + 1), fmt::format("{} batch {} steps {}", w.model, w.batch, w.steps));
    const LstmModel m = LoadModel(w.model, a.seed);
    const LstmInput in = RandomLstmInput(m.shape, w.steps, w.batch, a.seed + 1);
    const double macs = static_cast<double>(m.shape.MacsPerStep()) * w.steps * w.batch;
    // oneDNN first: its output is what every other engine is compared with.
    OneDnnLstm onednn(m, w.steps, w.batch, threads);
    TensorF onednn_y;
    std::vector<Result> results{{"onednn", "fp32", "", "", {}, 0, onednn.Describe(), {}}};
    std::vector<std::function<void()>> runs{[&] { onednn.Run(in.x, &onednn_y); }};
    std::vector<std::unique_ptr<Executor>> engines;
    // The planner's choice under both syncs, then (with --decompositions) every candidate forced.
    struct Variant {
      Precision precision;
      StepSync sync;
      std::string forced;
    };
    std::vector<Variant> variants;
    for (Precision precision : {Precision::kFp32, Precision::kInt16}) {
      for (StepSync sync : {StepSync::kStallFree, StepSync::kBarrier}) variants.push_back({precision, sync, ""});
    }
    if (a.decompositions) {
      for (Precision precision : {Precision::kFp32, Precision::kInt16}) {
        CpuPlanRequest r;
        r.steps = w.steps;
        r.batch = w.batch;
        r.precision = precision;
        r.threads = threads;
        for (const DecompositionCandidate& c : PlanCpu(m.shape, ThisCpuBoard(), r).candidates) {
          variants.push_back({precision, StepSync::kStallFree, c.decomposition.Spec()});
        }
      }
    }
    std::vector<LstmOutput> outs(variants.size());
    for (const Variant& v : variants) {
      ExecutorOptions o;
      o.precision = v.precision;
      o.threads = threads;
      o.sync = v.sync;
      o.decomposition = v.forced;
      o.calibration_sample = &in.x;
      engines.push_back(MakeExecutor("cpu", m, o));
      results.push_back({"sbe", PrecisionName(v.precision), StepSyncName(v.sync), v.forced, {}, 0, "", {}});
      runs.push_back([&, e = engines.back().get(), out = &outs[engines.size() - 1]] { *out = e->Run(in); });
    }
    const std::vector<std::vector<double>> seconds = TimeInTurns(a.repeat, runs);
    for (size_t e = 0; e < results.size(); ++e) {
      results[e].seconds = seconds[e];
      if (e > 0) {
        results[e].agreement = MaxAbsDiff(outs[e - 1].y, onednn_y);
        results[e].plan = engines[e - 1]->Details().value("plan", nlohmann::json());
      }
    }
    if (a.torch) {
      if (auto t = RunTorch(m, in, threads, a.repeat, onednn_y, &torch_note)) results.push_back(*t);
    }
    measured.push_back({w, m.shape, macs, std::move(results)});
  }
  progress(0, "measuring the ceilings again");
  ceilings.Raise(MeasureCeilings(threads, working_sets));
  // The planner plans this CPU from these figures from now on (sbe/cpu_board.h).
  if (threads == static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))) RecordCpuCeilings(ceilings);
  report["ceilings"] = ceilings.ToJson();
  for (const Measured& mw : measured) {
    const BenchWorkload& w = mw.w;
    const double onednn_s = Median(mw.results[0].seconds);
    double torch_s = 0;
    for (const Result& r : mw.results) {
      if (r.engine == "pytorch") torch_s = Median(r.seconds);
    }
    nlohmann::json jw{{"model", w.model}, {"batch", w.batch}, {"steps", w.steps},
                      {"macs", mw.macs}, {"results", nlohmann::json::array()}};
    for (const Result& r : mw.results) {
      jw["results"].push_back(ResultJson(r, mw.macs, w, mw.shape, ceilings, onednn_s, torch_s));
    }
    if (a.decompositions) jw["decompositions"] = DecompositionSummary(jw["results"]);
    report["workloads"].push_back(jw);
  }
  if (!torch_note.empty()) report["notes"].push_back(torch_note);
  return report;
}

}  // namespace sbe
