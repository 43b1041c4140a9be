// The paper's evaluation computed (sbe/report.h): the engines measured by the bench, the
// boards simulated by the sim executor, the planner's predictions, and the published figures
// beside them, into one document.
#include <chrono>
#include <ctime>
#include <deque>
#include <cctype>

#include "bench/bench_suite.h"
#include "common/date.h"
#include "report/published.h"
#include "sbe/cpu_board.h"
#include "sbe/board.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/plan.h"
#include "sbe/presets.h"
#include "sbe/report.h"

namespace sbe {
namespace {

using json = nlohmann::json;

// What each mode measures and simulates.
struct Scope {
  std::vector<int> lrcn_batches, deepbench_batches, sweep_batches, sweep_blocks;
  std::vector<std::string> parts_models;
  std::vector<std::string> practice_models;  // each at batch 1 and its serving batch
  int repeat;
};

Scope ScopeOf(ReportMode mode) {
  const std::vector<std::string> deepbench = DeepBenchPresetNames();
  if (mode == ReportMode::kFull) {
    return {{1, 8, 32, 128}, {1, 2, 4},
            {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256},
            {1, 2, 3, 4, 6, 8, 16, 32, 64, 128, 256}, deepbench, PracticePresetNames(), 5};
  }
  // Quick: one shape of each kind the practice suite has (speech encoder, NMT stack, small model).
  return {{1, 32}, {1}, {1, 4, 16, 64, 256}, {1, 4, 16, 64},
          {deepbench.front(), deepbench[deepbench.size() / 2], deepbench.back()},
          {"speech-3x320-bi", "nmt-8x512", "sensor-2x128"},
          mode == ReportMode::kSummary ? 3 : 2};
}

class Evaluation {
 public:
  explicit Evaluation(const ReportOptions& o) : o_(o), scope_(ScopeOf(o.mode)) {}

  json Run() {
    const auto started = std::chrono::steady_clock::now();
    std::vector<Board> boards;
    for (const std::string& b : o_.boards) {
      if (b == "cpu") Fail("board cpu: the report simulates FPGA boards; this CPU is measured");
      boards.push_back(LoadBoard(b));
    }
    const bool summary = o_.mode == ReportMode::kSummary;
    // Every board preset, and any other board given, beside the published designs.
    std::vector<Board> design_boards;
    for (const std::string& name : BoardPresetNames()) design_boards.push_back(LoadBoard(name));
    for (const Board& b : boards) {
      bool known = false;
      for (const Board& d : design_boards) known = known || d.name == b.name;
      if (!known) design_boards.push_back(b);
    }
    const int n_sweep = 1 + 3 * static_cast<int>(scope_.sweep_batches.size()) + 3 * static_cast<int>(scope_.sweep_blocks.size());
    total_ = static_cast<int>(scope_.lrcn_batches.size()) + 6;
    if (!summary) {
      total_ += static_cast<int>(DeepBenchPresetNames().size() * scope_.deepbench_batches.size()) +
                2 * static_cast<int>(scope_.practice_models.size()) +
                static_cast<int>(design_boards.size()) +
                static_cast<int>(boards.size()) * (n_sweep + 4 + static_cast<int>(scope_.parts_models.size()));
    }

    json doc = {{"schema_version", kReportSchemaVersion},
                {"generator", fmt::format("sbe {}", SBE_VERSION)},
                {"command", o_.command},
                {"date", Today()},
                {"mode", summary ? "summary" : o_.mode == ReportMode::kQuick ? "quick" : "full"},
                {"boards", o_.boards},
                {"max_steps", o_.max_steps},
                {"published", PublishedFigures()}};
    std::vector<BenchWorkload> lrcn;
    for (int b : scope_.lrcn_batches) lrcn.push_back({"lrcn", b, PresetSteps("lrcn")});
    doc["bench_lrcn"] = Bench(lrcn, !summary && o_.torch);
    const int threads = doc["bench_lrcn"]["threads"].get<int>();
    const double watts = o_.cpu_watts.value_or(kAssumedWattsPerBusyCore * threads);
    doc["cpu_power"] = {{"watts", watts},
                        {"note", o_.cpu_watts ? fmt::format("{:g} W, given with --cpu-watts", watts)
                                              : fmt::format("assumed {:g} W = {:g} W × {} threads; this machine "
                                                            "exposes no power counter",
                                                            watts, kAssumedWattsPerBusyCore, threads)}};
    doc["platforms"] = Platforms(doc["bench_lrcn"], watts);
    if (!summary) {
      std::vector<BenchWorkload> deepbench;
      for (const std::string& name : DeepBenchPresetNames()) {
        for (int b : scope_.deepbench_batches) deepbench.push_back({name, b, Steps(name)});
      }
      doc["bench_deepbench"] = Bench(deepbench, o_.torch);
      std::vector<BenchWorkload> practice;
      for (const std::string& name : scope_.practice_models) {
        for (int b : {1, FindPreset(name).serving_batch}) practice.push_back({name, b, Steps(name)});
      }
      doc["bench_practice"] = Bench(practice, o_.torch);
      doc["fpga_designs"] = Designs(design_boards);
      doc["sweeps"] = json::array();
      for (const Board& b : boards) doc["sweeps"].push_back(Sweep(b));
      doc["stall_free_vs_baseline"] = Architectures(boards);
      doc["current_parts"] = Parts(boards);
      json figures = json::object();
      for (const Board& b : boards) {
        // Board names come from their files: only characters safe in a file name.
        std::string safe = b.name;
        for (char& c : safe) {
          if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '_';
        }
        figures[fmt::format("batch_blocks_{}", b.name)] = fmt::format("batch_blocks_{}.png", safe);
      }
      figures["cpu_lrcn"] = "cpu_lrcn.png";
      figures["cpu_deepbench"] = "cpu_deepbench.png";
      figures["cpu_practice"] = "cpu_practice.png";
      figures["fpga_deepbench"] = "fpga_deepbench.png";
      doc["figures"] = figures;
    }
    doc["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return doc;
  }

 private:
  void Step(const std::string& label) {
    ++done_;
    if (o_.progress) o_.progress(done_, std::max(total_, done_), label);
  }

  // A suite workload's steps: its preset's, or --max-steps when that is fewer. (The LRCN's 32
  // steps are never cut: the first table sets its time against the paper's.)
  int Steps(const std::string& preset) const {
    const int steps = PresetSteps(preset);
    return o_.max_steps > 0 ? std::min(steps, o_.max_steps) : steps;
  }

  // The bench's document; one progress step per workload.
  json Bench(const std::vector<BenchWorkload>& workloads, bool torch) {
    BenchOptions b;
    b.threads = o_.threads;
    b.repeat = scope_.repeat;
    b.torch = torch;
    b.seed = o_.seed;
    std::string running;  // the workload being measured, done when the next one starts
    b.progress = [&](int k, int, const std::string& what) {
      if (k == 0) return;
      if (!running.empty()) Step(fmt::format("bench {}", running));
      running = what;
    };
    json report = RunBench(workloads, b);
    if (!running.empty()) Step(fmt::format("bench {}", running));
    return report;
  }

  // One simulation by the sim executor on random inputs in [-1, 1): its plan, results and
  // board; with `check`, whether its outputs are the golden model's. Nullopt when the plan does
  // not fit the board (a point the figures leave out).
  struct Simulated {
    json plan, sim, board;
    std::optional<bool> bit_exact;
  };
  std::optional<Simulated> Simulate(const std::string& model_name, const Board& board, PlanRequest request,
                                    std::optional<int64_t> samples, bool check, Architecture arch,
                                    const std::string& label) {
    Step(label);
    const LstmModel& model = Model(model_name);
    request.steps = model.default_steps;
    try {
      const int64_t n = samples.value_or(ChoosePlan(model.shape, board, request).best.batch);
      const LstmInput in = RandomLstmInput(model.shape, model.default_steps, n, o_.seed);
      ExecutorOptions options;
      options.precision = Precision::kInt16;
      options.board = board;
      options.plan = request;
      options.calibration_sample = &in.x;
      options.sim.arch = arch;
      options.sim.compute_values = check;
      const auto executor = MakeExecutor("sim", model, options);
      const LstmOutput out = executor->Run(in);
      const json details = executor->Details();
      Simulated s{details.at("plan"), details.at("simulation"), BoardJson(board), std::nullopt};
      if (check) {
        options.board.reset();
        const LstmOutput want = MakeExecutor("golden", model, options)->Run(in);
        s.bit_exact = want.y.data == out.y.data && want.h_n.data == out.h_n.data && want.c_n.data == out.c_n.data;
      }
      return s;
    } catch (const Error&) {
      return std::nullopt;
    }
  }

  const LstmModel& Model(const std::string& name) {
    for (const LstmModel& m : models_) {
      if (m.name == name) return m;
    }
    models_.push_back(LoadModel(name, o_.seed));
    return models_.back();
  }

  // The first table: this CPU measured (every lrcn batch), the paper's boards simulated, the
  // paper's rows published.
  json Platforms(const json& bench, double watts) {
    json rows = json::array();
    const std::string cpu = fmt::format("this CPU ({}, {} threads)", bench["machine"]["cpu"].get<std::string>(),
                                        bench["threads"].get<int>());
    const std::pair<const char*, const char*> engines[] = {
        {"sbe int16 stall-free", "sbe engine"}, {"sbe fp32 stall-free", "sbe engine"},
        {"onednn fp32", "oneDNN"}, {"pytorch fp32", "PyTorch"}};
    for (const json& w : bench["workloads"]) {
      for (const auto& [key, engine] : engines) {
        for (const json& r : w["results"]) {
          if (BenchResultKey(r) != key) continue;
          const bool int16 = r["precision"] == "int16";
          json row = {{"platform", cpu}, {"kind", "CPU"}, {"engine", engine}, {"precision", r["precision"]},
                      {"batch", w["batch"]}, {"ms", r["ms_per_sample"]}, {"gops", r["gops"]}, {"watts", watts},
                      {"mj", r["ms_per_sample"].get<double>() * watts}, {"source", "measured"}};
          if (int16) row["error_vs_fp32"] = r["max_abs_diff_vs_onednn"];
          rows.push_back(row);
        }
      }
    }
    // The paper's boards at the planner's throughput batch and at batch 1, with the input part
    // as the planner chooses it and, at batch 1, per step as in the paper's design.
    struct Config {
      const char* board;
      const char* label;
      std::optional<int> batch;
      std::optional<int64_t> samples;
      bool check;
      std::optional<InputMode> input;
    };
    const Config configs[] = {{"vx690t", "planner", std::nullopt, std::nullopt, false, std::nullopt},
                              {"vx690t", "batch 1", 1, 4, true, std::nullopt},
                              {"vx690t", "batch 1, W_x per step", 1, std::nullopt, false, InputMode::kPerStep},
                              {"z7045", "planner", std::nullopt, std::nullopt, true, std::nullopt},
                              {"z7045", "batch 1", 1, std::nullopt, true, std::nullopt},
                              {"z7045", "batch 1, W_x per step", 1, std::nullopt, false, InputMode::kPerStep}};
    for (const Config& c : configs) {
      PlanRequest request;
      request.batch = c.batch;
      request.input = c.input;
      const Board board = LoadBoard(c.board);
      const auto s = Simulate("lrcn", board, request, c.samples, c.check, Architecture::kStallFree,
                              fmt::format("simulate lrcn on {}, {}", c.board, c.label));
      if (!s) Fail("board {}: the lrcn plan of the paper's first table does not fit", c.board);
      const double ms = s->sim["ms_per_sample"], mj = s->sim["mj_per_sample"];
      json row = {{"platform", fmt::format("{} ({:g} MHz, {} PEs)", board.name, board.clock_mhz, board.macs_per_cycle)},
                  {"kind", "FPGA"}, {"engine", fmt::format("SBE, {}", c.label)}, {"precision", "int16"},
                  {"batch", s->plan["batch"]}, {"ms", ms}, {"gops", s->sim["gops"]}, {"watts", mj / ms}, {"mj", mj},
                  {"source", "simulated"}, {"board", board.name}, {"config", c.label},
                  {"predicted_gops", s->plan["predicted_gops"]}, {"paper_gops", s->plan["paper_gops"]},
                  {"plan", s->plan}, {"pe_cycles", s->sim["pe_cycles"]}, {"stall_cycles", s->sim["stall_cycles"]},
                  {"cycles", s->sim["cycles"]}};
      if (s->bit_exact) row["bit_exact"] = *s->bit_exact;
      rows.push_back(row);
    }
    const double ops = PublishedFigures()["workload"]["operations_per_sample"];
    for (const json& p : PublishedFigures()["platforms"]) {
      rows.push_back({{"platform", p["platform"]}, {"kind", p["kind"]}, {"engine", "published"},
                      {"precision", p["precision"]}, {"batch", nullptr}, {"ms", p["ms"]},
                      {"gops", ops / (p["ms"].get<double>() * 1e6)}, {"watts", p["watts"]}, {"mj", p["mj"]},
                      {"source", "published"}});
    }
    return rows;
  }

  // lrcn at the planner's throughput batch on every board, beside the published designs.
  json Designs(const std::vector<Board>& boards) {
    json rows = json::array();
    for (const Board& b : boards) {
      const auto s = Simulate("lrcn", b, PlanRequest{}, std::nullopt, false, Architecture::kStallFree,
                              fmt::format("simulate lrcn on {}", b.name));
      if (!s) continue;
      const double watts = s->sim["mj_per_sample"].get<double>() / s->sim["ms_per_sample"].get<double>();
      rows.push_back({{"board", b.name}, {"description", b.description}, {"word_bits", b.word_bits},
                      {"dsps", b.macs_per_cycle}, {"mhz", b.clock_mhz}, {"gops", s->sim["gops"]}, {"watts", watts},
                      {"batch", s->plan["batch"]}});
    }
    return rows;
  }

  // Simulated and predicted GOPS against the batch (block-batch with the planner's blocks, and
  // non block-batch) and against the blocking number, with the paper's rooflines.
  json Sweep(const Board& board) {
    Step(fmt::format("plan lrcn on {}", board.name));
    const LstmModel& m = Model("lrcn");
    const json curves = PlanCurves(m.shape, board, m.default_steps, PlanRequest{}.max_batch);
    // Block-batch with the input part per step (the paper's schedule) and hoisted, and the non
    // block-batch baseline (per step: hoisting is block-batch by nature).
    struct Series {
      const char* name;
      bool block_batch;
      InputMode input;
    };
    const Series series[] = {{"block-batch, W_x per step", true, InputMode::kPerStep},
                             {"block-batch, W_x hoisted", true, InputMode::kHoisted},
                             {"non block-batch", false, InputMode::kPerStep}};
    json points = json::object();
    for (const Series& se : series) points[se.name] = json::array();
    for (int b : scope_.sweep_batches) {
      for (const Series& se : series) {
        PlanRequest r;
        r.batch = b;
        r.block_batch = se.block_batch;
        r.input = se.input;
        if (const auto s = Simulate("lrcn", board, r, std::nullopt, false, Architecture::kStallFree,
                                    fmt::format("simulate lrcn on {}, batch {}, {}", board.name, b, se.name))) {
          points[se.name].push_back({{"batch", b}, {"gops", s->sim["gops"]}, {"predicted", s->plan["predicted_gops"]},
                                     {"blocks", s->plan["blocks"]}});
        }
      }
    }
    json by_blocks = json::object();
    for (int nb : scope_.sweep_blocks) {
      for (int b : {1, 8, 32}) {
        PlanRequest r;
        r.batch = b;
        r.blocks = nb;
        if (const auto s = Simulate("lrcn", board, r, std::nullopt, false, Architecture::kStallFree,
                                    fmt::format("simulate lrcn on {}, batch {}, {} blocks", board.name, b, nb))) {
          by_blocks[std::to_string(b)].push_back({{"blocks", nb}, {"gops", s->sim["gops"]},
                                                  {"predicted", s->plan["predicted_gops"]}});
        }
      }
    }
    return {{"board", board.name}, {"model", "lrcn"}, {"peak_gops", board.peak_gops()}, {"points", points},
            {"by_blocks", by_blocks}, {"roofline_case12", curves["roofline_case12"]},
            {"roofline_case3", curves["roofline_case3"]}, {"alpha_case3", curves["alpha_case3"]}};
  }

  // The stall-free PE array against the row-wise baseline, lrcn at batch 1 and 32.
  json Architectures(const std::vector<Board>& boards) {
    json rows = json::array();
    for (const Board& board : boards) {
      for (int batch : {1, 32}) {
        // Both with the input part per step, as the paper compares them.
        PlanRequest r;
        r.batch = batch;
        r.input = InputMode::kPerStep;
        const auto s = Simulate("lrcn", board, r, std::nullopt, false, Architecture::kStallFree,
                                fmt::format("simulate lrcn on {}, batch {}, stall-free", board.name, batch));
        const auto b = Simulate("lrcn", board, r, std::nullopt, false, Architecture::kBaseline,
                                fmt::format("simulate lrcn on {}, batch {}, baseline", board.name, batch));
        if (!s || !b) continue;
        rows.push_back({{"board", board.name}, {"model", "lrcn"}, {"batch", batch},
                        {"stall_free_gops", s->sim["gops"]}, {"baseline_gops", b->sim["gops"]},
                        {"baseline_cycles", b->sim["cycles"]}, {"baseline_busy_cycles", b->sim["busy_cycles"]},
                        {"baseline_stall_cycles", b->sim["stall_cycles"]}});
      }
    }
    return rows;
  }

  // DeepBench's LSTMs on current FPGA parts, at the planner's throughput batch.
  json Parts(const std::vector<Board>& boards) {
    json rows = json::array();
    for (const Board& board : boards) {
      for (const std::string& model : scope_.parts_models) {
        const auto s = Simulate(model, board, PlanRequest{}, std::nullopt, false, Architecture::kStallFree,
                                fmt::format("simulate {} on {}", model, board.name));
        json row = {{"board", board.name}, {"model", model}, {"peak", board.peak_gops()}, {"fits", s.has_value()}};
        if (s) {
          row.update({{"gops", s->sim["gops"]}, {"predicted_gops", s->plan["predicted_gops"]},
                      {"batch", s->plan["batch"]}, {"blocks", s->plan["blocks"]},
                      {"ms_per_sample", s->sim["ms_per_sample"]}, {"mj_per_sample", s->sim["mj_per_sample"]},
                      {"pe_utilization", s->sim["pe_utilization"]}});
        }
        rows.push_back(row);
      }
    }
    return rows;
  }

  const ReportOptions& o_;
  Scope scope_;
  int done_ = 0, total_ = 0;
  std::deque<LstmModel> models_;  // stable references
};

}  // namespace

const nlohmann::json& PublishedFigures() {
  static const json published = json::parse(PublishedFiguresText());
  return published;
}

nlohmann::json EvaluatePaper(const ReportOptions& options) { return Evaluation(options).Run(); }

}  // namespace sbe
