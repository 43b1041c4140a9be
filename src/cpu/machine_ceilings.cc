// The machine's ceilings (sbe/cpu_board.h): measured, combined, serialised, and the roofline
// they give.
#include "sbe/cpu_board.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/probes.h"
#include "cpu/thread_pool.h"
#include "sbe/cpu_info.h"
#include "sbe/error.h"

namespace sbe {
namespace {

// Multiply-adds per second (1e9) of the engine's own tile kernel on L1-resident weights, all
// threads at once, at the register tile's full group of samples. int16: the probe loop's
// dependent chains (probes.cc) can read below what the tile reaches, which put rooflines above
// 100%, so its ceiling is the faster of the two; both precisions' figures are what the
// planner's compute times are made of (the probes' loops do nothing else and run faster).
template <typename Weight, typename Acc>
double MeasureTileGmacs(int threads) {
  threads = std::max(1, threads);
  const cpu::Target target = cpu::BestTarget();
  constexpr int kPer = sizeof(Weight) == 2 ? 2 : 1;  // columns per kernel step
  const int64_t steps = 64, n = target.group<Weight>(), N = target.lanes;
  const int64_t macs_per_call = steps * kPer * 4 * N * n;
  const int64_t calls = std::max<int64_t>(1, int64_t{2'000'000'000} / macs_per_call / 10);
  double best = 0;
  for (int rep = 0; rep < 2; ++rep) {
    const double s = TimeOnThreads(threads, [&](int t) {
      std::vector<Weight> w(steps * 4 * kPer * N, static_cast<Weight>(t + 1));
      std::vector<Weight> x(kPer * steps * cpu::kMaxGroup, static_cast<Weight>(3));
      std::vector<Acc> out(4 * N * cpu::kMaxGroup);
      cpu::TileWork<Weight, Acc> work;
      work.w = w.data();
      work.steps = steps;
      work.n = static_cast<int>(n);
      for (int j = 0; j < n; ++j) {
        work.x[j] = x.data() + kPer * steps * j;
        work.init[j] = nullptr;
        work.out[j] = out.data() + 4 * N * j;
      }
      for (int64_t c = 0; c < calls; ++c) cpu::RunTile(work);
    });
    best = std::max(best, static_cast<double>(macs_per_call) * calls * threads / s * 1e-9);
  }
  return best;
}

// Nanoseconds per (sample, hidden unit) of the LSTM cell's epilogue on one thread: kernel
// calls of one weight column and a full group of samples, their time all activations, cell
// update and call overhead. On small layers (hidden 32-128) it is much of each step.
template <typename Weight, typename Acc>
double MeasureCellNs() {
  const cpu::Target target = cpu::BestTarget();
  const int64_t n = target.group<Weight>(), N = target.lanes;
  std::vector<Weight> w(4 * 2 * N, static_cast<Weight>(0)), x(2 * cpu::kMaxGroup, static_cast<Weight>(1));
  std::vector<Acc> gx(4 * N * cpu::kMaxGroup, static_cast<Acc>(0)), c(N * cpu::kMaxGroup, static_cast<Acc>(0));
  std::vector<Weight> h(N * cpu::kMaxGroup), y(N * cpu::kMaxGroup);
  cpu::TileWork<Weight, Acc> work;
  work.w = w.data();
  work.steps = 1;
  work.n = static_cast<int>(n);
  work.epilogue = cpu::Epilogue::kCell;
  work.shift = 1;
  work.y_units = static_cast<int>(N);
  for (int j = 0; j < n; ++j) {
    work.x[j] = x.data() + 2 * j;
    work.init[j] = nullptr;
    work.input_part[j] = gx.data() + 4 * N * j;
    work.c[j] = c.data() + N * j;
    work.h[j] = h.data() + N * j;
    work.y[j] = y.data() + N * j;
  }
  constexpr int64_t kCalls = 20000;
  double best = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    const double s = TimeOnThreads(1, [&](int) {
      for (int64_t k = 0; k < kCalls; ++k) cpu::RunTile(work);
    });
    best = std::min(best, s);
  }
  return best / static_cast<double>(kCalls * n * N) * 1e9;
}

// Microseconds per meeting of `threads` threads of the engine's own pool: the best of a few
// rounds of back-to-back barriers (a shared VM's slow spells only lengthen a round).
double MeasureMeetingUs(int threads) {
  if (threads < 2) return 0;
  cpu::ThreadPool pool(threads);
  constexpr int kMeetings = 2000;
  double best = 1e9;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    pool.Run([](void* context, int) {
      auto* p = static_cast<cpu::ThreadPool*>(context);
      for (int i = 0; i < kMeetings; ++i) p->Barrier();
    }, &pool);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best / kMeetings * 1e6;
}

}  // namespace

double MachineCeilings::BandwidthFor(int64_t bytes) const {
  for (const auto& [set_bytes, gbs] : working_sets) {
    if (set_bytes == bytes) return gbs;
  }
  for (const BandwidthLevel& l : levels) {
    if (bytes <= l.capacity_bytes) return l.gbs;
  }
  return dram_gbs();
}

double MachineCeilings::Roofline(const std::vector<RooflinePhase>& phases, bool int16) const {
  const double peak = int16 ? int16_gops : fp32_gflops;
  double ops = 0, seconds = 0;
  for (const RooflinePhase& p : phases) {
    const double gbs = BandwidthFor(p.working_set);
    ops += p.ops;
    seconds += std::max(p.ops / (peak * 1e9), gbs > 0 ? p.bytes / (gbs * 1e9) : 0.0);
  }
  return seconds > 0 ? ops / seconds * 1e-9 : peak;
}

MachineCeilings MachineCeilings::ForThreads(int n) const {
  if (n == threads || threads < 1) return *this;
  MachineCeilings c = *this;
  const double share = static_cast<double>(n) / threads;
  c.threads = n;
  c.fp32_gflops *= share;
  c.int16_gops *= share;
  c.int16_probe_gops *= share;
  c.int16_tile_gops *= share;
  c.fp32_tile_gflops *= share;
  for (BandwidthLevel& l : c.levels) {
    if (l.name == "L1" || l.name == "L2") {
      l.gbs *= share;
      l.capacity_bytes = static_cast<int64_t>(static_cast<double>(l.capacity_bytes) * share);
    }
  }
  c.working_sets.clear();  // measured with all the threads: no longer this machine's figures
  return c;
}

void MachineCeilings::Raise(const MachineCeilings& other) {
  fp32_gflops = std::max(fp32_gflops, other.fp32_gflops);
  int16_probe_gops = std::max(int16_probe_gops, other.int16_probe_gops);
  int16_tile_gops = std::max(int16_tile_gops, other.int16_tile_gops);
  fp32_tile_gflops = std::max(fp32_tile_gflops, other.fp32_tile_gflops);
  // Times per unit, like a meeting's, are floors: keep the lower.
  const auto lower = [](double a, double b) { return a > 0 && b > 0 ? std::min(a, b) : std::max(a, b); };
  cell_ns_fp32 = lower(cell_ns_fp32, other.cell_ns_fp32);
  cell_ns_int16 = lower(cell_ns_int16, other.cell_ns_int16);
  meeting_us = lower(meeting_us, other.meeting_us);
  int16_gops = std::max(int16_gops, other.int16_gops);
  for (BandwidthLevel& l : levels) {
    for (const BandwidthLevel& o : other.levels) {
      if (o.name == l.name) l.gbs = std::max(l.gbs, o.gbs);
    }
  }
  for (auto& [bytes, gbs] : working_sets) {
    for (const auto& [other_bytes, other_gbs] : other.working_sets) {
      if (other_bytes == bytes) gbs = std::max(gbs, other_gbs);
    }
  }
}

nlohmann::json MachineCeilings::ToJson() const {
  nlohmann::json levels_json = nlohmann::json::array();
  for (const BandwidthLevel& l : levels) {
    levels_json.push_back({{"level", l.name},
                           {"capacity_bytes", l.capacity_bytes == std::numeric_limits<int64_t>::max()
                                                  ? nlohmann::json(nullptr)
                                                  : nlohmann::json(l.capacity_bytes)},
                           {"read_gbs", l.gbs}});
  }
  nlohmann::json sets_json = nlohmann::json::array();
  for (const auto& [bytes, gbs] : working_sets) sets_json.push_back({{"bytes", bytes}, {"read_gbs", gbs}});
  return {{"threads", threads}, {"fp32_gflops", fp32_gflops}, {"int16_gops", int16_gops},
          {"int16_probe_gops", int16_probe_gops}, {"int16_tile_gops", int16_tile_gops},
          {"fp32_tile_gflops", fp32_tile_gflops}, {"meeting_us", meeting_us},
          {"cell_ns_fp32", cell_ns_fp32}, {"cell_ns_int16", cell_ns_int16},
          {"bandwidth", levels_json}, {"working_sets", sets_json},
          {"how", "measured by sbe: FMA and multiply-add-pairs loops (int16: the faster of a "
                  "probe loop and the engine's own tile on L1-resident weights), "
                  "vector reads of a working set per level and of each workload's W_x and W_h, "
                  "back-to-back barriers of the engine's thread pool"}};
}

MachineCeilings MachineCeilings::FromJson(const nlohmann::json& j) {
  try {
    MachineCeilings c;
    c.threads = j.at("threads").get<int>();
    c.fp32_gflops = j.at("fp32_gflops").get<double>();
    c.int16_gops = j.at("int16_gops").get<double>();
    c.int16_probe_gops = j.at("int16_probe_gops").get<double>();
    c.int16_tile_gops = j.at("int16_tile_gops").get<double>();
    c.fp32_tile_gflops = j.at("fp32_tile_gflops").get<double>();
    c.meeting_us = j.at("meeting_us").get<double>();
    c.cell_ns_fp32 = j.at("cell_ns_fp32").get<double>();
    c.cell_ns_int16 = j.at("cell_ns_int16").get<double>();
    for (const nlohmann::json& l : j.at("bandwidth")) {
      const nlohmann::json& cap = l.at("capacity_bytes");
      c.levels.push_back({l.at("level").get<std::string>(),
                          cap.is_null() ? std::numeric_limits<int64_t>::max() : cap.get<int64_t>(),
                          l.at("read_gbs").get<double>()});
    }
    for (const nlohmann::json& w : j.at("working_sets")) {
      c.working_sets.emplace_back(w.at("bytes").get<int64_t>(), w.at("read_gbs").get<double>());
    }
    const bool positive = c.threads >= 1 && c.fp32_gflops > 0 && c.int16_gops > 0 && c.meeting_us >= 0 &&
                          !c.levels.empty() &&
                          std::all_of(c.levels.begin(), c.levels.end(), [](const BandwidthLevel& l) { return l.gbs > 0; });
    if (!positive) Fail("ceilings: a figure is missing, zero or negative");
    return c;
  } catch (const nlohmann::json::exception& e) {
    Fail("ceilings: {}", e.what());
  }
}

MachineCeilings MeasureCeilings(int threads, const std::vector<int64_t>& working_sets) {
  MachineCeilings c;
  c.threads = threads;
  c.fp32_gflops = MeasurePeakFp32Gflops(threads);
  c.int16_probe_gops = 2 * MeasurePeakInt16Gmacs(threads);
  c.int16_tile_gops = 2 * MeasureTileGmacs<int16_t, int32_t>(threads);
  c.fp32_tile_gflops = 2 * MeasureTileGmacs<float, float>(threads);
  c.cell_ns_fp32 = MeasureCellNs<float, float>();
  c.cell_ns_int16 = MeasureCellNs<int16_t, int32_t>();
  c.int16_gops = std::max(c.int16_probe_gops, c.int16_tile_gops);
  c.meeting_us = MeasureMeetingUs(threads);
  const CpuInfo& cpu = GetCpuInfo();
  const int64_t l2 = cpu.DataCacheBytes(2) * threads, l3 = cpu.DataCacheBytes(3);
  // Probe at half a level's capacity, so the set certainly lives there.
  if (l2 > 0) c.levels.push_back({"L2", l2, MeasureReadBandwidthGbs(l2 / 2, threads)});
  if (l3 > l2) c.levels.push_back({"L3", l3, MeasureReadBandwidthGbs(l3 / 2, threads)});
  const int64_t dram_set = std::max<int64_t>(int64_t{256} << 20, 4 * l3);
  c.levels.push_back({"DRAM", std::numeric_limits<int64_t>::max(), MeasureReadBandwidthGbs(dram_set, threads)});
  std::vector<int64_t> sets = working_sets;
  std::sort(sets.begin(), sets.end());
  sets.erase(std::unique(sets.begin(), sets.end()), sets.end());
  for (int64_t bytes : sets) c.working_sets.emplace_back(bytes, MeasureReadBandwidthGbs(bytes, threads));
  return c;
}

}  // namespace sbe
