// The report's document rendered (sbe/report.h): the summary's text and report.md. Every table
// says in its headers or rows where each number comes from: measured, simulated, predicted or
// published.
#include <map>

#include "bench/bench_suite.h"
#include "report/table.h"
#include "sbe/report.h"

namespace sbe {
namespace {

using json = nlohmann::json;
using report::Num;
using report::Ratio;
using report::Table;

std::string Str(const json& j) { return j.is_string() ? j.get<std::string>() : j.is_null() ? "–" : Num(j.get<double>()); }

std::string MachineLine(const json& bench) {
  const json& m = bench["machine"];
  const json& v = bench["versions"];
  return fmt::format("{}, {} logical cores, {}; {} threads; sbe {} ({} kernels, {}), oneDNN {}",
                     m["cpu"].get<std::string>(), m["cores"].get<int>(), m["simd"].get<std::string>(),
                     bench["threads"].get<int>(), v.value("sbe", "?"), v.value("kernels", "?"),
                     v.value("compiler", "?"), v.value("onednn", "?"));
}

std::string TorchNote(const json& bench) {
  for (const json& w : bench["workloads"]) {
    for (const json& r : w["results"]) {
      if (r["engine"] == "pytorch") return r.value("note", "");
    }
  }
  if (bench.contains("notes") && !bench["notes"].empty()) return bench["notes"][0];
  return "PyTorch not run (--no-torch)";
}

// Table 1; the notes under it say what the marks (*, †, ‡) mean.
Table PlatformTable(const json& rows) {
  Table t({"platform", "engine", "precision", "batch", "ms / sample", "GOPS", "power (W)", "mJ / sample", "source"});
  for (const json& r : rows) {
    std::string source = r["source"];
    if (source == "measured") source += "*";
    if (source == "simulated" && r.value("bit_exact", false)) source += "†";
    if (source == "published") source += "‡";
    t.Add({r["platform"], r["engine"], r["precision"], Str(r["batch"]), Str(r["ms"]), Str(r["gops"]),
           Str(r["watts"]), Str(r["mj"]), source});
  }
  return t;
}

std::string Int16ErrorLine(const json& rows) {
  double worst = -1;
  int n = 0;
  for (const json& r : rows) {
    if (!r.contains("error_vs_fp32")) continue;
    worst = std::max(worst, r["error_vs_fp32"].get<double>());
    ++n;
  }
  if (n == 0) return "";
  return fmt::format("int16 against fp32 (measured): max |y_int16 − y_fp32| = {:.3g} over {} batch size{} (y in "
                     "(−1, 1); the int16 engine is bit-exact with the golden model, and so is the simulator)",
                     worst, n, n > 1 ? "s" : "");
}

std::vector<std::string> PlatformNotes(const json& doc) {
  const double ops = doc["published"]["workload"]["operations_per_sample"];
  std::vector<std::string> notes = {
      fmt::format("* time measured; power {}; mJ = measured ms × that power.", doc["cpu_power"]["note"].get<std::string>()),
      "† simulated with the values computed: bit-exact with the golden model.",
      fmt::format("‡ time, power and energy as published; GOPS = {:.1f} M operations ÷ the published time.", ops * 1e-6)};
  const std::string err = Int16ErrorLine(doc["platforms"]);
  if (!err.empty()) notes.push_back(err + ".");
  return notes;
}

// The paper's four ratios (Z7045 against CPU and GPU) recomputed: the simulated Z7045 against
// each CPU engine measured here at its best per-sample time, and against the published GPU.
Table RatioTable(const json& doc) {
  const json& rows = doc["platforms"];
  const json& pub = doc["published"];
  json z, gpu;
  for (const json& r : rows) {
    if (r.value("board", "") == "z7045" && r.value("config", "") == "planner") z = r;
    if (r["source"] == "published" && r["kind"] == "GPU") gpu = r;
  }
  const json& xeon = pub["platforms"][0];
  const json& zynq = pub["platforms"][3];
  const json& ratios = pub["ratios"];
  Table t({"ratio", "the paper (published)", "recomputed", "from"});
  if (z.is_null() || gpu.is_null()) return t;
  std::map<std::string, json> best;  // engine + precision -> its fastest row
  std::vector<std::string> order;
  for (const json& r : rows) {
    if (r["kind"] != "CPU" || r["source"] != "measured") continue;
    const std::string k = fmt::format("{} {}", r["engine"].get<std::string>(), r["precision"].get<std::string>());
    if (!best.count(k)) order.push_back(k);
    if (!best.count(k) || r["ms"].get<double>() < best[k]["ms"].get<double>()) best[k] = r;
  }
  const double z_ms = z["ms"], z_mj = z["mj"];
  t.Add({"Z7045 speed-up over the CPU",
         fmt::format("{:g}× (published; {:g} / {:g} ms = {:.1f}×)", ratios["speedup_cpu"].get<double>(),
                     xeon["ms"].get<double>(), zynq["ms"].get<double>(), xeon["ms"].get<double>() / zynq["ms"].get<double>()),
         "", ""});
  for (const std::string& k : order) {
    t.Add({fmt::format("  over {} (batch {})", k, best[k]["batch"].get<int>()), "",
           Ratio(best[k]["ms"].get<double>() / z_ms), "simulated Z7045 ÷ measured CPU time per sample"});
  }
  t.Add({"Z7045 speed-up over the GPU",
         fmt::format("{:g}× (published; {:g} / {:g} ms)", ratios["speedup_gpu"].get<double>(), gpu["ms"].get<double>(),
                     zynq["ms"].get<double>()),
         Ratio(gpu["ms"].get<double>() / z_ms), "simulated Z7045 ÷ published TITAN X time per sample"});
  t.Add({"Z7045 energy per sample against the CPU",
         fmt::format("{} (published; {:g} / {:g} mJ)", Ratio(1 / ratios["energy_cpu"].get<double>()),
                     zynq["mj"].get<double>(), xeon["mj"].get<double>()),
         "", ""});
  for (const std::string& k : order) {
    t.Add({fmt::format("  against {} (batch {})", k, best[k]["batch"].get<int>()), "",
           Ratio(z_mj / best[k]["mj"].get<double>()), "simulated Z7045 mJ ÷ (measured CPU time × assumed power)"});
  }
  t.Add({"Z7045 energy per sample against the GPU",
         fmt::format("{} (published; {:g} / {:g} mJ)", Ratio(1 / ratios["energy_gpu"].get<double>()),
                     zynq["mj"].get<double>(), gpu["mj"].get<double>()),
         Ratio(z_mj / gpu["mj"].get<double>()), "simulated Z7045 mJ ÷ published TITAN X mJ"});
  return t;
}

Table DesignTable(const json& doc) {
  Table t({"design", "FPGA", "bits", "DSPs used", "MHz", "GOPS", "GOPS/W", "GOPS/DSP", "source"});
  for (const json& d : doc["published"]["designs"]) {
    t.Add({d["design"], d["fpga"], d["bits"], Str(d["dsps"]), Str(d["mhz"]), Str(d["gops"]), Str(d["gops_per_watt"]),
           Str(d["gops_per_dsp"]), "published"});
  }
  for (const json& d : doc["fpga_designs"]) {
    const std::string description = d["description"];
    const double gops = d["gops"], watts = d["watts"], dsps = d["dsps"];
    t.Add({fmt::format("sbe, batch {}", d["batch"].get<int>()),
           fmt::format("{}: {}", d["board"].get<std::string>(), description.substr(0, description.find(':'))),
           std::to_string(d["word_bits"].get<int>()), Str(d["dsps"]), Str(d["mhz"]), Num(gops), Num(gops / watts),
           Num(gops / dsps), "simulated (DSPs: the PE array, one DSP per PE)"});
  }
  return t;
}

Table SweepTable(const json& s) {
  std::vector<std::string> header = {"batch"};
  std::vector<std::map<int, json>> series;
  std::map<int, int> batches;
  for (const auto& [name, pts] : s["points"].items()) {
    header.push_back(name + " GOPS (simulated)");
    header.push_back("(predicted)");
    header.push_back("blocks");
    std::map<int, json> by_batch;
    for (const json& p : pts) {
      by_batch[p["batch"]] = p;
      batches[p["batch"]] = 1;
    }
    series.push_back(by_batch);
  }
  Table t(header);
  for (const auto& [b, _] : batches) {
    std::vector<std::string> row = {std::to_string(b)};
    for (auto& by_batch : series) {
      const json x = by_batch.count(b) ? by_batch[b] : json();
      row.push_back(x.is_null() ? "does not fit" : Str(x["gops"]));
      row.push_back(x.is_null() ? "–" : Str(x["predicted"]));
      row.push_back(x.is_null() ? "–" : Str(x["blocks"]));
    }
    t.Add(row);
  }
  return t;
}

// The paper's two boards under the accelerator model: each simulated row beside the planner,
// the paper's equations and the published figure, and where the PE-cycles went.
Table FidelityTable(const json& doc) {
  Table t({"board", "configuration", "batch", "W_h", "W_x", "GOPS (simulated)", "(predicted, the planner)", "(predicted, eqs. 2-6)",
           "published GOPS", "simulated ÷ published", "PE-cycles: MACs / idle lanes / idle rows / stalled (simulated)",
           "stalls: weights / input / h / accumulator / fill (simulated, % of cycles)"});
  std::map<std::string, double> published;
  const double ops = doc["published"]["workload"]["operations_per_sample"];
  for (const json& p : doc["published"]["platforms"]) {
    if (p.contains("board")) published[p["board"].get<std::string>()] = ops / (p["ms"].get<double>() * 1e6);
  }
  for (const json& r : doc["platforms"]) {
    if (r["source"] != "simulated") continue;
    const json& plan = r["plan"];
    const json& pe = r["pe_cycles"]["shares"];
    const json& st = r["stall_cycles"];
    const double cycles = r["cycles"];
    auto pct = [](double v) { return fmt::format("{:.1f}%", 100 * v); };
    const std::string board = r["board"];
    const bool hoisted = plan["input_hoisted"];
    t.Add({board, r["config"], Str(r["batch"]), fmt::format("case {}", plan["case"].get<int>()),
           hoisted ? "hoisted" : fmt::format("per step, case {}", plan["input_case"].get<int>()), Str(r["gops"]),
           Str(r["predicted_gops"]), r["paper_gops"].is_null() ? "– (hoisted)" : Str(r["paper_gops"]),
           published.count(board) ? Num(published[board]) : "–",
           published.count(board) ? Ratio(r["gops"].get<double>() / published[board]) : "–",
           fmt::format("{} / {} / {} / {}", pct(pe["useful"]), pct(pe["idle_lanes"]), pct(pe["idle_rows"]),
                       pct(pe["stalled"])),
           fmt::format("{} / {} / {} / {} / {}", pct(st["weights"].get<double>() / cycles),
                       pct(st["input"].get<double>() / cycles), pct(st["recurrence"].get<double>() / cycles),
                       pct(st["accumulator"].get<double>() / cycles), pct(st["fill_drain"].get<double>() / cycles))});
  }
  return t;
}

Table ArchitectureTable(const json& doc) {
  Table t({"board", "model", "batch", "stall-free GOPS (simulated)", "baseline GOPS (simulated)", "speed-up (simulated)",
           "baseline cycles: busy / accumulator / barrier / weights / other (simulated)"});
  for (const json& r : doc["stall_free_vs_baseline"]) {
    const json& st = r["baseline_stall_cycles"];
    const double c = r["baseline_cycles"];
    auto pct = [&](double v) { return fmt::format("{:.0f}%", 100 * v / c); };
    const double other = st["input"].get<double>() + st["recurrence"].get<double>() + st["fill_drain"].get<double>();
    t.Add({r["board"], r["model"], std::to_string(r["batch"].get<int>()), Str(r["stall_free_gops"]),
           Str(r["baseline_gops"]),
           fmt::format("{:.2f}×", r["stall_free_gops"].get<double>() / r["baseline_gops"].get<double>()),
           fmt::format("{} / {} / {} / {} / {}", pct(r["baseline_busy_cycles"]), pct(st["accumulator"]),
                       pct(st["barrier"]), pct(st["weights"]), pct(other))});
  }
  return t;
}

// results of one bench workload by "engine precision [schedule]"
std::map<std::string, json> Results(const json& w) {
  std::map<std::string, json> r;
  for (const json& x : w["results"]) {
    r[BenchResultKey(x)] = x;
  }
  return r;
}

Table CpuSyncTable(const std::vector<const json*>& benches) {
  Table t({"model", "batch", "precision", "stall-free ms (measured)", "barrier ms (measured)",
           "stall-free speed-up (measured)"});
  for (const json* bench : benches) {
    for (const json& w : (*bench)["workloads"]) {
      const auto r = Results(w);
      for (const char* precision : {"int16", "fp32"}) {
        const std::string sf = fmt::format("sbe {} stall-free", precision), ba = fmt::format("sbe {} barrier", precision);
        if (!r.count(sf) || !r.count(ba)) continue;
        const double a = r.at(sf)["seconds"], b = r.at(ba)["seconds"];
        t.Add({w["model"], std::to_string(w["batch"].get<int>()), precision, Num(a * 1e3), Num(b * 1e3),
               fmt::format("{:.2f}×", b / a)});
      }
    }
  }
  return t;
}

Table BenchTable(const json& bench) {
  Table t({"model", "batch", "steps", "sbe int16 GOPS (measured)", "sbe fp32 (measured)", "oneDNN fp32 (measured)",
           "PyTorch fp32 (measured)", "int16 ÷ oneDNN (measured)", "int16 ÷ PyTorch (measured)",
           "int16 roofline fraction (measured ÷ predicted)"});
  for (const json& w : bench["workloads"]) {
    const auto r = Results(w);
    auto gops = [&](const char* k) { return r.count(k) ? Str(r.at(k)["gops"]) : "–"; };
    const json i16 = r.count("sbe int16 stall-free") ? r.at("sbe int16 stall-free") : json();
    t.Add({w["model"], std::to_string(w["batch"].get<int>()), std::to_string(w["steps"].get<int>()),
           gops("sbe int16 stall-free"), gops("sbe fp32 stall-free"), gops("onednn fp32"), gops("pytorch fp32"),
           !i16.is_null() && i16.contains("vs_onednn") ? fmt::format("{:.2f}×", i16["vs_onednn"].get<double>()) : "–",
           !i16.is_null() && i16.contains("vs_torch") ? fmt::format("{:.2f}×", i16["vs_torch"].get<double>()) : "–",
           !i16.is_null() ? fmt::format("{:.0f}%", 100 * i16["roofline_fraction"].get<double>()) : "–"});
  }
  return t;
}

// The practice suite: each precision's chosen decomposition, both precisions against oneDNN, and
// how close each engine comes to its roofline and the planner to the measurement.
Table PracticeTable(const json& bench) {
  Table t({"model", "batch", "steps", "decomposition fp32 / int16", "sbe fp32 ÷ oneDNN (measured)",
           "sbe int16 ÷ oneDNN (measured)", "roofline fraction: oneDNN / sbe fp32 / sbe int16 (measured ÷ predicted)",
           "sbe fp32 / int16 ms (measured)", "sbe fp32 / int16 ms (predicted)"});
  for (const json& w : bench["workloads"]) {
    const auto r = Results(w);
    const char* f32 = "sbe fp32 stall-free";
    const char* i16 = "sbe int16 stall-free";
    if (!r.count(f32) || !r.count(i16) || !r.count("onednn fp32")) continue;
    const json &a = r.at(f32), &b = r.at(i16), &d = r.at("onednn fp32");
    auto pct = [](const json& x) { return fmt::format("{:.0f}%", 100 * x["roofline_fraction"].get<double>()); };
    auto ms = [](const json& x, const char* k) { return Num(1e3 * x[k].get<double>()); };
    t.Add({w["model"], std::to_string(w["batch"].get<int>()), std::to_string(w["steps"].get<int>()),
           fmt::format("{} / {}", a["decomposition"].get<std::string>(), b["decomposition"].get<std::string>()),
           fmt::format("{:.2f}×", a["vs_onednn"].get<double>()), fmt::format("{:.2f}×", b["vs_onednn"].get<double>()),
           fmt::format("{} / {} / {}", pct(d), pct(a), pct(b)), fmt::format("{} / {}", ms(a, "seconds"), ms(b, "seconds")),
           fmt::format("{} / {}", ms(a, "predicted_seconds"), ms(b, "predicted_seconds"))});
  }
  return t;
}

Table PartsTable(const json& doc) {
  Table t({"board", "model", "batch", "blocks", "GOPS (simulated)", "GOPS (predicted)", "ms / sample (simulated)",
           "mJ / sample (simulated)", "PE utilisation (simulated)"});
  for (const json& p : doc["current_parts"]) {
    if (!p["fits"].get<bool>()) {
      t.Add({p["board"], p["model"], "–", "–", "does not fit", "–", "–", "–", "–"});
      continue;
    }
    t.Add({p["board"], p["model"], Str(p["batch"]), Str(p["blocks"]), Str(p["gops"]), Str(p["predicted_gops"]),
           Str(p["ms_per_sample"]), Str(p["mj_per_sample"]),
           fmt::format("{:.0f}%", 100 * p["pe_utilization"].get<double>())});
  }
  return t;
}

}  // namespace

std::string ReportSummaryText(const json& doc) {
  const json& w = doc["published"]["workload"];
  std::string out = fmt::format(
      "lrcn (input 1792, hidden 256, 32 steps; {:.1f} M operations per sample): the paper's first table beside "
      "this machine\n",
      w["operations_per_sample"].get<double>() * 1e-6);
  out += PlatformTable(doc["platforms"]).Text() + "\n";
  for (const std::string& note : PlatformNotes(doc)) out += note + "\n";
  out += fmt::format("machine: {}\n", MachineLine(doc["bench_lrcn"]));
  out += "every section of the paper's evaluation: sbe report --out DIR (see docs/report/report.md)\n";
  return out;
}

std::string ReportMarkdown(const json& doc) {
  const json& figures = doc["figures"];
  const bool quick = doc["mode"] == "quick";
  std::string md = "# The paper's evaluation, regenerated\n\n";
  md += fmt::format("Que et al., *Efficient Weight Reuse for Large LSTMs* (ASAP 2019), checked on this machine by "
                    "`{}` ({}{:.1f} minutes, {}).\n\n",
                    doc["command"].get<std::string>(),
                    std::string(quick ? "quick: fewer repetitions and points; " : "") +
                        (doc.value("max_steps", 0) > 0
                             ? fmt::format("the suites' sequences cut to at most {} steps; ", doc["max_steps"].get<int>())
                             : ""),
                    doc["seconds"].get<double>() / 60, doc["date"].get<std::string>());
  const json& lrcn = doc["bench_lrcn"];
  md += fmt::format("- **Machine:** {}. {}.\n", MachineLine(lrcn), TorchNote(lrcn));
  md += fmt::format("- **CPU power:** {}.\n", doc["cpu_power"]["note"].get<std::string>());
  std::string boards;
  for (const json& b : doc["boards"]) boards += (boards.empty() ? "" : ", ") + b.get<std::string>();
  md += fmt::format("- **Boards simulated:** {} (`boards/*.json`; every figure's source is listed there; "
                    "docs/BOARDS.md).\n", boards);
  md += fmt::format("- **Every number says what it is:** *measured* (timed on this machine now, median of {} runs, the "
                    "engines taking turns in rounds of up to three runs, each turn opened by 20 ms of warm-up runs), "
                    "*simulated* (`sbe simulate`, the accelerator's discrete-event model), *predicted* (`sbe plan`, "
                    "the paper's performance model), or *published* (copied from the paper, never mixed with the "
                    "others; data/published.json names the slide of each).\n\n",
                    lrcn["repeat"].get<int>());

  md += "## 1. CPU, GPU vs FPGA\n\n";
  md += "The LRCN workload of the paper: input 1792, hidden 256, 32 steps, 134.2 M operations per sample (2 per "
        "multiply-add). CPU rows are per-sample times at each batch; FPGA rows are simulated on the paper's two "
        "boards.\n\n";
  md += PlatformTable(doc["platforms"]).Markdown() + "\n";
  // A note that opens with '*' would start a list item's emphasis: escaped.
  for (const std::string& note : PlatformNotes(doc)) md += fmt::format("- {}{}\n", note[0] == '*' ? "\\" : "", note);
  md += "\nThe paper's two boards under the accelerator model (docs/SIMULATOR.md explains each difference from the "
        "paper): every PE-cycle is a multiply-add, a lane or row PE left idle in an issuing cycle, or part of a "
        "stall, and they add up to 100%. The paper's equations do not describe the hoisted input part.\n\n";
  md += FidelityTable(doc).Markdown();
  md += "\nThe paper's ratios compare its Zynq 7Z045 with the CPU and GPU. Recomputed for our rows (the simulated "
        "Z7045 at the planner's throughput batch; there is no GPU on this machine, so the GPU ratios use the "
        "published GPU row):\n\n";
  md += RatioTable(doc).Markdown() + "\n";

  md += "## 2. Comparison with other FPGA designs\n\n";
  md += "lrcn at the planner's throughput batch on every board preset. GOPS/W uses the simulated energy (static "
        "power plus the dynamic part in proportion to PE utilisation).\n\n";
  md += DesignTable(doc).Markdown() + "\n";

  md += "## 3. Batch size and blocking number\n\n";
  md += "Simulated points over the planner's predictions for the same plans, with the paper's rooflines (eqs. 2, "
        "3, 5, 6). Block-batch uses the planner's blocking number for each batch, with the input part W_x·x_t "
        "computed per step as in the paper or hoisted (all steps of the batch at once, W_x streamed once per "
        "batch); non block-batch fetches streamed weights once per sample. On the right, throughput against the "
        "blocking number at batch 1, 8 and 32 (the planner's input part).\n\n";
  for (const json& s : doc["sweeps"]) {
    const std::string board = s["board"];
    md += fmt::format("### lrcn on {}\n\n![lrcn on {}]({})\n\n", board, board,
                      figures[fmt::format("batch_blocks_{}", board)].get<std::string>());
    md += SweepTable(s).Markdown() + "\n";
  }

  md += "## 4. Stall-free against baseline\n\n";
  md += "On the accelerator (simulated): the column-wise, stall-free PE array against the row-wise baseline, whose "
        "accumulator waits for its adder and whose time steps wait at a barrier.\n\n";
  md += ArchitectureTable(doc).Markdown() + "\n";
  md += "On this CPU (measured): the engine's stall-free sync (per-chunk ready flags, a thread runs at most one "
        "step ahead) against a barrier between time steps.\n\n";
  md += CpuSyncTable({&doc["bench_lrcn"], &doc["bench_deepbench"]}).Markdown() + "\n";

  md += "## 5. Beyond the paper\n\n### The CPU engine against oneDNN and PyTorch\n\n";
  md += fmt::format("![lrcn on this CPU]({})\n\n![DeepBench on this CPU]({})\n\n",
                    figures["cpu_lrcn"].get<std::string>(), figures["cpu_deepbench"].get<std::string>());
  md += "DeepBench's inference LSTMs (input = hidden), on the same weights and inputs:\n\n";
  md += BenchTable(doc["bench_deepbench"]).Markdown() + "\nlrcn:\n\n" + BenchTable(doc["bench_lrcn"]).Markdown() + "\n";
  md += fmt::format("### The CPU engine on shapes from practice\n\n![the practice suite on this CPU]({})\n\n",
                    figures["cpu_practice"].get<std::string>());
  md += "Speech encoders (bidirectional stacks), NMT stacks and small models over long sequences, each at batch 1 "
        "and at a serving batch (`sbe bench --suite practice`). The planner chooses how the threads split the work "
        "(docs/CPU_ENGINE.md, \"Decompositions\"): hidden-split:1x2 is one team of two threads sharing each step, "
        "batch-split:2x1 two teams of one thread with half the samples each, direction-split:2x1 one direction per "
        "thread.\n\n";
  md += PracticeTable(doc["bench_practice"]).Markdown() + "\n";
  md += fmt::format("### Current FPGA parts\n\n![DeepBench on FPGA parts]({})\n\n",
                    figures["fpga_deepbench"].get<std::string>());
  md += PartsTable(doc).Markdown();
  return md;
}

}  // namespace sbe
