// The planner's decisions for the CPU engine (sbe/cpu_plan.h): the blocking of W_x and W_h
// from the board's caches and threads, and the predictions from its measured ceilings.
#include "sbe/cpu_plan.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/int_math.h"
#include "sbe/error.h"

namespace sbe {
namespace {

// The narrowest column block of W_h worth a kernel call per tile, whatever the caches: every
// block boundary parks and reloads the partial sums and makes a thread wait for a chunk of h,
// and shorter calls spent much of their time parking.
constexpr int64_t kMinBlockColumns = 128;
// The fewest column steps of W_x in one block of the input part.
constexpr int64_t kMinInputBlockSteps = 8;

// Columns per kernel step: int16 kernels multiply column pairs (one multiply-add-pairs per
// weight vector), fp32 kernels single columns.
int64_t ColumnsPerStep(Precision p) { return p == Precision::kInt16 ? 2 : 1; }
// The accumulators' bytes: int32 for int16, float for fp32.
constexpr int64_t kAccBytes = 4;

// How many spans of `bytes` fill half of L2: the cache a unit tile's block of weights stays in
// while the rows (W_x) or the batch's groups of samples (W_h) pass it; the other half is the
// tile's inputs, partial sums and what the other phase left.
int64_t InHalfOfL2(const CpuBoard& b, int64_t bytes) { return b.l2_bytes / 2 / std::max<int64_t>(bytes, 1); }

// W_x's column block for the hoisted input part, in columns: as few blocks as keep a unit
// tile's block in half of L2 while the T x B rows stream past it. The kernels hold a group's
// sums in registers across a whole block, so the fewer the blocks, the fewer partial sums are
// parked and reloaded; the blocks of a layer are made equal.
int64_t InputBlockColumns(const CpuBoard& b, int64_t columns, Precision p) {
  const int64_t per_step = ColumnsPerStep(p);
  const int64_t steps = std::max<int64_t>(1, CeilDiv(columns, per_step));
  const int64_t step_bytes = int64_t{kNumGates} * b.lanes * per_step * WordBytes(p);
  const int64_t steps_in_l2 = std::max(kMinInputBlockSteps, InHalfOfL2(b, step_bytes));
  const int64_t blocks = CeilDiv(steps, steps_in_l2);
  return CeilDiv(steps, blocks) * per_step;
}

// W_h's column blocks. One chunk of h per thread at least: under the stall-free sync a thread
// starts step t+1 on its own chunk while the others still produce theirs (two per thread
// gained nothing: a thread's chunks come out together, in its last column block). More only
// where a unit tile's share of the whole W_h would not stay in half of L2 while the batch's
// groups of samples pass it: then blocks as wide as fit, never narrower than kMinBlockColumns.
int64_t RecurrentBlocks(const CpuBoard& b, int64_t hidden, int threads, Precision p) {
  const int64_t column_bytes = int64_t{kNumGates} * b.lanes * WordBytes(p);
  const int64_t widest = std::max(kMinBlockColumns, InHalfOfL2(b, column_bytes));
  return std::max<int64_t>(threads, CeilDiv(hidden, widest));
}

}  // namespace

std::vector<RooflinePhase> CpuPhases(const LstmShape& s, int64_t steps, int64_t batch, Precision p) {
  std::vector<RooflinePhase> phases;
  const int64_t word = WordBytes(p);
  const double rows = static_cast<double>(steps) * static_cast<double>(batch);
  const int64_t w_h = s.GateRows() * s.hidden_size * word;
  for (int l = 0; l < s.num_layers; ++l) {
    const int64_t input = s.LayerInputSize(l);
    const int64_t w_x = s.GateRows() * input * word;
    for (int d = 0; d < s.directions(); ++d) {
      phases.push_back({2 * rows * static_cast<double>(s.GateRows() * input),
                        static_cast<double>(w_x) + rows * static_cast<double>(input * word), w_x});
      phases.push_back({2 * rows * static_cast<double>(s.GateRows() * s.hidden_size),
                        static_cast<double>(steps) * static_cast<double>(w_h) +
                            2 * rows * static_cast<double>(s.hidden_size * word),
                        w_h});
    }
  }
  return phases;
}

namespace {

// FMA latency x FMA ports: the independent accumulators a core keeps in flight to issue a
// multiply-add on every port every cycle (4 cycles x 2 ports on the AVX2 and AVX-512 cores we
// know). A kernel call of n samples has 4n (one per gate and sample), so a call of one sample
// issues at half the peak; the probes, with many chains, measure the peak.
constexpr int kChainsForPeak = 8;

int64_t WhBytes(const LstmShape& s, Precision p) { return s.GateRows() * s.hidden_size * WordBytes(p); }

// What part of a level's capacity holds weights read cyclically, step after step: the rest
// holds the inputs, states, partial sums and the other phase's weights.
constexpr double kUsableShare = 0.75;

// The bandwidth at which a working set of `bytes`, read over and over, streams: from the first
// level whose usable share holds it, the level before holding the part it can (a cyclic stream
// larger than a cache keeps only what fits). The probes' measured sets (the workloads' own
// W_x and W_h, when `sbe bench` measured them) come first.
double CyclicGbs(const MachineCeilings& m, int64_t bytes) {
  for (const auto& [set_bytes, gbs] : m.working_sets) {
    if (set_bytes == bytes) return gbs;
  }
  const BandwidthLevel* held = nullptr;  // the last level too small for it
  for (const BandwidthLevel& l : m.levels) {
    if (static_cast<double>(bytes) <= kUsableShare * static_cast<double>(l.capacity_bytes)) {
      if (!held || held->gbs <= 0 || l.gbs <= 0) return l.gbs;
      const double h = kUsableShare * static_cast<double>(held->capacity_bytes) / static_cast<double>(bytes);
      return 1 / (h / held->gbs + (1 - h) / l.gbs);
    }
    held = &l;
  }
  return m.dram_gbs();
}

// Whether weights read over and over from a working set of `bytes` come from beyond the
// cores' own L2s (the shared levels, where reading them costs beside the multiply-adds).
bool BeyondL2(const MachineCeilings& m, int64_t bytes) {
  for (const BandwidthLevel& l : m.levels) {
    if (l.name == "L2") return static_cast<double>(bytes) > kUsableShare * static_cast<double>(l.capacity_bytes);
  }
  return true;
}

// The decompositions of `threads` threads for this shape and batch: hidden-split on all of
// them first (what the engine did before there was a choice), then every other product of
// direction teams, batch teams and hidden threads that fits, fewer threads included.
std::vector<Decomposition> Candidates(const LstmShape& s, int64_t batch, int threads) {
  std::vector<Decomposition> out{{1, 1, threads}};
  for (int dt = 1; dt <= s.directions(); ++dt) {
    for (int bt = 1; bt <= threads && bt <= batch; ++bt) {
      for (int ht = 1; dt * bt * ht <= threads; ++ht) {
        const Decomposition d{dt, bt, ht};
        if (!(d == out.front())) out.push_back(d);
      }
    }
  }
  // The wavefront needs a layer's output step by step: not where a reverse direction runs.
  if (!s.bidirectional) {
    for (int stages = 2; stages <= s.num_layers && stages <= threads; ++stages) {
      for (int ht = 1; stages * ht <= threads; ++ht) out.push_back({1, 1, ht, stages});
    }
  }
  return out;
}

// The measured figures every candidate is predicted from.
struct Paces {
  double thread_ops;    // per second on one thread: the kernels' own tile on L1-resident
                        // weights, not the probes'
  double cell_seconds;  // the cell epilogue, per sample and hidden unit
  double meeting;       // one meeting of the threads
};

Paces PacesOf(const MachineCeilings& all, Precision p) {
  const bool int16 = p == Precision::kInt16;
  const double tile = int16 ? all.int16_tile_gops : all.fp32_tile_gflops;
  const double peak = int16 ? all.int16_gops : all.fp32_gflops;
  // Measured apart, on a shared machine the tile can come out a little above the probes'
  // peak; a prediction is never above the peak it is reported against.
  return {(tile > 0 ? std::min(tile, peak) : peak) * 1e9 / all.threads,
          (int16 ? all.cell_ns_int16 : all.cell_ns_fp32) * 1e-9, all.meeting_us * 1e-6};
}

// One step of one team's recurrence: its `samples` in kernel calls of up to `group`, its
// `threads` sharing the hidden units; every call reads W_h once, `readers` teams at once from
// `gbs`. A call of n samples keeps 4n accumulators in flight.
struct StepCost {
  double compute, memory, meeting, cell;
  int64_t calls;
};

StepCost StepOf(const LstmShape& s, const Paces& pace, Precision p, int64_t samples, int group, int threads,
                int readers, double gbs) {
  const int64_t H = s.hidden_size, calls = CeilDiv(samples, group);
  const double per_call = static_cast<double>(samples) / static_cast<double>(calls);
  const double occupancy = std::min(1.0, 4 * per_call / kChainsForPeak);
  StepCost c;
  c.calls = calls;
  c.compute = 2.0 * static_cast<double>(s.GateRows() * H * samples) / (pace.thread_ops * threads * occupancy);
  c.memory = gbs > 0 ? static_cast<double>(readers * calls * WhBytes(s, p)) / (gbs * 1e9) : 0;
  c.meeting = threads > 1 ? pace.meeting : 0;
  c.cell = pace.cell_seconds * static_cast<double>(samples * CeilDiv(H, threads));
  return c;
}

// `steps` steps of `step` into the candidate's shares: each the longer of its multiply-adds and
// its W_h reads, then its epilogue and its meeting.
void AddSteps(DecompositionCandidate& c, const StepCost& step, double steps) {
  (step.compute >= step.memory ? c.compute_seconds : c.memory_seconds) += steps * std::max(step.compute, step.memory);
  c.cell_seconds += steps * step.cell;
  c.meeting_seconds += steps * step.meeting;
}

// The candidate's total and its bound: the recurrence's largest share.
void Finish(DecompositionCandidate& c) {
  c.seconds = c.input_seconds + c.compute_seconds + c.memory_seconds + c.cell_seconds + c.meeting_seconds;
  c.bound = c.cell_seconds > std::max(c.compute_seconds, c.memory_seconds) ? "cell"
            : c.compute_seconds >= c.memory_seconds                       ? "compute"
                                                                           : "memory";
}

// The input part of `rows` (step, sample) rows of layer l on threads of pace `ops` and
// bandwidth `gbs`: its operations or its reads of W_x and the inputs, whichever is longer.
double InputSeconds(const LstmShape& s, int l, Precision p, int64_t rows, double ops, double gbs) {
  const int64_t I = s.LayerInputSize(l), word = WordBytes(p), wx = s.GateRows() * I * word;
  const double work = 2.0 * static_cast<double>(rows) * static_cast<double>(s.GateRows() * I);
  const double bytes = static_cast<double>(wx + rows * I * word);
  return std::max(work / ops, gbs > 0 ? bytes / (gbs * 1e9) : 0.0);
}

// The predicted time of a run under `d`, from the measured ceilings `all` (all cores): the
// input parts over every thread of the pool, then each layer's recurrence step by step, the
// largest team's samples, directions one after another within a team.
DecompositionCandidate Predict(const LstmShape& s, const MachineCeilings& all, int pool_threads, int group,
                               int64_t T, int64_t B, Precision p, const Decomposition& d) {
  DecompositionCandidate c;
  c.decomposition = d;
  const Paces pace = PacesOf(all, p);
  const MachineCeilings pool = all.ForThreads(pool_threads), team = all.ForThreads(d.threads());
  const int64_t word = WordBytes(p), wh = WhBytes(s, p);
  // Each thread reads its share of W_h once per call; every team reads it, so the caches hold
  // one share per thread.
  const int64_t footprint = d.threads() * CeilDiv(wh, d.hidden_threads);
  const StepCost step = StepOf(s, pace, p, CeilDiv(B, d.batch_teams), group, d.hidden_threads, d.teams(),
                               CyclicGbs(team, footprint));
  const int rounds = s.directions() / d.direction_teams;
  for (int l = 0; l < s.num_layers; ++l) {
    const int64_t wx = s.GateRows() * s.LayerInputSize(l) * word;
    c.input_seconds += s.directions() * InputSeconds(s, l, p, T * B, pace.thread_ops * pool_threads, pool.BandwidthFor(wx));
    const double steps = static_cast<double>(rounds * T);
    AddSteps(c, step, steps);
    if (BeyondL2(team, footprint)) c.bytes += steps * d.teams() * step.calls * wh;
    c.meeting_seconds += 2 * pace.meeting;  // the layer's job: the pool starts it and meets once inside
  }
  Finish(c);
  return c;
}

// The layer-wavefront under the same measured figures: the stages run at once, each its layers
// block by block (per layer: its input part for the block's rows, reading W_x again, then the
// block's steps), and the run takes (blocks + stages - 1) blocks of the slowest stage. The
// caches hold every layer's weights at once. Tries every power-of-two block from one step to
// all of them and keeps the fastest.
DecompositionCandidate PredictWavefront(const LstmShape& s, const MachineCeilings& all, int group, int64_t T,
                                        int64_t B, Precision p, const Decomposition& d) {
  const Paces pace = PacesOf(all, p);
  const MachineCeilings team = all.ForThreads(d.threads());
  const int64_t word = WordBytes(p), wh = WhBytes(s, p);
  int64_t footprint = 0;
  for (int l = 0; l < s.num_layers; ++l) footprint += wh + s.GateRows() * s.LayerInputSize(l) * word;
  // The stages share the bandwidth of the whole footprint, each in proportion to its threads.
  const double stage_gbs = CyclicGbs(team, footprint) * d.hidden_threads / d.threads();
  const StepCost step = StepOf(s, pace, p, B, group, d.hidden_threads, 1, stage_gbs);
  DecompositionCandidate best;
  for (int64_t K = 1;; K = std::min(T, 2 * K)) {
    const int64_t blocks = CeilDiv(T, K);
    // The slowest stage's block, each phase's share of it.
    DecompositionCandidate stage_block;
    for (int g = 0; g < d.layer_stages; ++g) {
      DecompositionCandidate b;
      for (int l = 0; l < s.num_layers; ++l) {
        if (LayerStage(l, s.num_layers, d.layer_stages) != g) continue;
        b.input_seconds += InputSeconds(s, l, p, K * B, pace.thread_ops * d.hidden_threads, stage_gbs);
        AddSteps(b, step, static_cast<double>(K));
        if (BeyondL2(team, footprint)) b.bytes += s.GateRows() * s.LayerInputSize(l) * word + K * step.calls * wh;
        b.meeting_seconds += 2 * pace.meeting;  // after the input part, and the hand-over
      }
      Finish(b);
      if (b.seconds > stage_block.seconds) stage_block = b;
    }
    // Times the blocks the pipeline takes.
    const double n = static_cast<double>(blocks + d.layer_stages - 1);
    DecompositionCandidate c;
    c.decomposition = d;
    c.wavefront_steps = K;
    c.input_seconds = n * stage_block.input_seconds;
    c.compute_seconds = n * stage_block.compute_seconds;
    c.memory_seconds = n * stage_block.memory_seconds;
    c.cell_seconds = n * stage_block.cell_seconds;
    c.meeting_seconds = n * stage_block.meeting_seconds + 2 * pace.meeting;  // the pool's job
    c.bytes = static_cast<double>(blocks) * stage_block.bytes * d.layer_stages;
    Finish(c);
    if (best.seconds == 0 || c.seconds < best.seconds) best = c;
    if (K == T) break;
  }
  return best;
}

// Without measured figures: blocks of about a quarter of the steps per stage, enough to fill
// the pipeline without re-reading W_x every step.
int64_t DefaultWavefrontSteps(int64_t T, int stages) { return std::max<int64_t>(1, CeilDiv(T, 4 * stages)); }

// --decomposition: a kind, or a kind and its exact sizes "KIND:TEAMSxTHREADS" (threads per
// team), as `sbe plan --board cpu` lists them.
struct ForcedDecomposition {
  std::string kind;
  int teams = 0, hidden_threads = 0;  // 0: the planner's
};

ForcedDecomposition ParseDecomposition(const std::string& text) {
  ForcedDecomposition f;
  const size_t colon = text.find(':');
  f.kind = text.substr(0, colon);
  const std::vector<std::string> kinds = DecompositionKinds();
  if (std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) {
    Fail("decomposition {}: unknown (auto, {}, optionally :TEAMSxTHREADS)", text, fmt::join(kinds, ", "));
  }
  if (colon != std::string::npos) {
    const std::string sizes = text.substr(colon + 1);
    char extra = 0;
    if (std::sscanf(sizes.c_str(), "%dx%d%c", &f.teams, &f.hidden_threads, &extra) != 2 || f.teams < 1 ||
        f.hidden_threads < 1) {
      Fail("decomposition {}: the sizes must be TEAMSxTHREADS, two positive integers (batch-split:2x1)", text);
    }
  }
  return f;
}

}  // namespace

int LayerStage(int layer, int layers, int stages) { return layer * stages / layers; }

std::string Decomposition::Kind() const {
  if (wavefront()) return hidden_threads > 1 ? "layer-wavefront+hidden-split" : "layer-wavefront";
  std::vector<std::string> parts;
  if (direction_teams > 1) parts.push_back("direction");
  if (batch_teams > 1) parts.push_back("batch");
  if (parts.empty()) return "hidden-split";
  if (hidden_threads > 1) parts.push_back("hidden");
  return fmt::format("{}-split", fmt::join(parts, "+"));
}

void CheckDecompositionSpec(const std::string& text) { ParseDecomposition(text); }

std::string Decomposition::Spec() const { return fmt::format("{}:{}x{}", Kind(), teams(), hidden_threads); }

std::vector<std::string> DecompositionKinds() {
  return {"hidden-split", "batch-split", "direction-split", "direction+batch-split", "batch+hidden-split",
          "direction+hidden-split", "direction+batch+hidden-split", "layer-wavefront",
          "layer-wavefront+hidden-split"};
}

CpuPlan PlanCpu(const LstmShape& s, const CpuBoard& board, const CpuPlanRequest& r) {
  if (r.steps < 1) Fail("steps {}: must be at least 1", r.steps);
  if (r.batch < 1) Fail("batch {}: must be at least 1", r.batch);
  if (r.threads < 0) Fail("threads {}: must be at least 1 (0: every core)", r.threads);
  const int64_t H = s.hidden_size;
  if (r.blocks && (*r.blocks < 1 || *r.blocks > H)) {
    Fail("blocks {}: must be in [1, hidden size {}]", *r.blocks, H);
  }
  if (r.wavefront_steps && *r.wavefront_steps < 1) Fail("wavefront steps {}: must be at least 1", *r.wavefront_steps);
  const bool forced = !r.decomposition.empty() && r.decomposition != "auto";
  const ForcedDecomposition asked = forced ? ParseDecomposition(r.decomposition) : ForcedDecomposition{};
  const int threads = r.threads > 0 ? r.threads : board.cores;
  const Precision p = r.precision;
  const int64_t group = p == Precision::kInt16 ? board.samples_per_tile_int16 : board.samples_per_tile_fp32;

  CpuPlan out;
  // The candidates, predicted where the board is measured; the chosen one first.
  const MachineCeilings& measured = board.measured;
  const bool predicted = measured.threads >= 1 && measured.fp32_gflops > 0 && measured.int16_gops > 0;
  for (const Decomposition& d : Candidates(s, r.batch, threads)) {
    if (forced && (d.Kind() != asked.kind || (asked.teams && d.teams() != asked.teams) ||
                   (asked.hidden_threads && d.hidden_threads != asked.hidden_threads))) {
      continue;
    }
    const int calls_of = static_cast<int>(std::min(group, r.batch));
    if (!predicted) {
      out.candidates.push_back({d, 0, 0, 0, 0, 0, 0, "not measured",
                                d.wavefront() ? DefaultWavefrontSteps(r.steps, d.layer_stages) : 0});
    } else if (d.wavefront()) {
      out.candidates.push_back(PredictWavefront(s, measured, calls_of, r.steps, r.batch, p, d));
    } else {
      out.candidates.push_back(Predict(s, measured, threads, calls_of, r.steps, r.batch, p, d));
    }
  }
  if (out.candidates.empty()) {
    Fail("decomposition {}: not possible for {} ({}) at batch {} on {} thread{}", r.decomposition, s.ToString(),
         s.bidirectional ? "bidirectional" : "one direction", r.batch, threads, threads == 1 ? "" : "s");
  }
  // Forced: the most threads of that kind (what the user asked to compare), then the fastest.
  const auto better = [&](const DecompositionCandidate& a, const DecompositionCandidate& b) {
    if (forced && a.decomposition.threads() != b.decomposition.threads()) {
      return a.decomposition.threads() > b.decomposition.threads();
    }
    return predicted && a.seconds < b.seconds;
  };
  std::stable_sort(out.candidates.begin(), out.candidates.end(), better);
  // Of the candidates predicted within 1% of the fastest, the one reading the fewest weight
  // bytes from beyond the L2s: memory time the model counts as hidden under compute is not
  // hidden entirely (a batch-split of a bidirectional layer reads W_h from L3 in more,
  // emptier kernel calls than a direction-split predicted equal to it, and measured up to 17%
  // slower). Weights the L2s hold cost nothing beside the multiply-adds.
  if (predicted && !forced) {
    auto lightest = out.candidates.begin();
    for (auto it = out.candidates.begin(); it != out.candidates.end(); ++it) {
      if (it->seconds > 1.01 * out.candidates.front().seconds) break;
      if (it->bytes < lightest->bytes) lightest = it;
    }
    std::rotate(out.candidates.begin(), lightest, lightest + 1);
  }
  const DecompositionCandidate& chosen = out.candidates.front();
  const Decomposition& d = chosen.decomposition;

  CpuTiling& t = out.tiling;
  t.kernels = board.kernels;
  t.lanes = board.lanes;
  t.threads = threads;
  t.sync = r.sync;
  t.decomposition = d;
  t.wavefront_steps = d.wavefront() ? std::min(r.steps, r.wavefront_steps.value_or(chosen.wavefront_steps)) : 0;
  // As many samples per kernel call as the register tile holds (the kernels' target decides);
  // the input part's rows are all steps of all samples.
  t.samples_per_tile = static_cast<int>(std::clamp<int64_t>(CeilDiv(r.batch, d.batch_teams), 1, group));
  t.rows_per_tile = static_cast<int>(std::clamp<int64_t>(r.batch * (d.wavefront() ? t.wavefront_steps : r.steps), 1, group));
  t.tiles = CeilDiv(H, t.lanes);
  const int64_t want = std::min(t.tiles, r.blocks.value_or(RecurrentBlocks(board, H, d.hidden_threads, p)));
  t.tiles_per_block = CeilDiv(t.tiles, want);
  // int16 kernels read h in column pairs: a block must start on an even column, which an odd
  // number of lanes (the scalar fallback's 1) only gives with an even number of tiles.
  if (t.lanes % 2 == 1 && p == Precision::kInt16 && t.tiles_per_block < t.tiles) {
    t.tiles_per_block = RoundUp(t.tiles_per_block, 2);
  }
  t.blocks = CeilDiv(t.tiles, t.tiles_per_block);
  t.blocks_per_thread = CeilDiv(t.blocks, d.hidden_threads);
  for (int l = 0; l < s.num_layers; ++l) {
    t.input_block_columns.push_back(InputBlockColumns(board, s.LayerInputSize(l), p));
  }

  // The paper's view of the same plan.
  Plan& plan = out.plan;
  plan.batch = static_cast<int>(std::min<int64_t>(r.batch, INT32_MAX));
  plan.steps = static_cast<int>(std::min<int64_t>(r.steps, INT32_MAX));
  plan.blocks = static_cast<int>(t.blocks);
  plan.block_batch = true;
  plan.input_hoisted = true;
  plan.input_case = 3;
  const int64_t word = WordBytes(p);
  const int64_t w_h_bytes = WhBytes(s, p);
  // W_h stays in the team's L2s from step to step (case 1: each thread's share fits its own),
  // or streams from L3 or DRAM every step, reused across the team's samples (case 3).
  const bool resident = CeilDiv(w_h_bytes, d.hidden_threads) <= board.l2_bytes;
  plan.hidden_case = resident ? 1 : 3;
  int64_t reused = 0, per_sample = 0, macs = 0, widest_input = 0;
  int input_blocks = 1;
  for (int l = 0; l < s.num_layers; ++l) {
    const int64_t I = s.LayerInputSize(l);
    widest_input = std::max(widest_input, I);
    input_blocks = std::max<int>(input_blocks, static_cast<int>(CeilDiv(I, t.input_block_columns[l])));
    for (int dir = 0; dir < s.directions(); ++dir) {
      // Words fetched once per step for the whole batch: W_x once per run (hoisted), W_h every
      // step unless it stays in cache; per sample: x_t in, h_t out.
      reused += CeilDiv(s.GateRows() * I, r.steps) + (resident ? 0 : s.GateRows() * H);
      per_sample += I + H;
      macs += r.batch * s.GateRows() * (I + H);
    }
  }
  plan.input_blocks = input_blocks;
  plan.macs_per_step = macs;
  plan.reused_words_per_step = reused;
  plan.sample_words_per_step = per_sample;
  plan.alpha = static_cast<double>(reused) / static_cast<double>(reused + per_sample);
  // What the caches hold of the weights: W_h's shares when they stay (one per thread: every
  // team holds all of it), else each thread's unit tile's share of the current column block.
  plan.onchip_weight_bytes = resident ? d.threads() * CeilDiv(w_h_bytes, d.hidden_threads)
                                      : d.threads() * kNumGates * t.lanes * t.block_columns() * word;
  plan.onchip_state_bytes = r.batch * (2 * std::max(widest_input, s.directions() * H) * word +
                                       2 * H * word + H * kAccBytes + s.GateRows() * kAccBytes);

  // Predictions: the chosen decomposition's.
  if (predicted) {
    const MachineCeilings ceilings = measured.ForThreads(threads);
    const double peak = (p == Precision::kInt16 ? ceilings.int16_gops : ceilings.fp32_gflops) * 1e9;
    const double seconds = chosen.seconds;
    const double ops = 2.0 * static_cast<double>(macs) * static_cast<double>(r.steps);
    const double cycles_per_second = board.clock_mhz * 1e6;
    plan.compute_cycles_per_step = chosen.compute_seconds * cycles_per_second / static_cast<double>(r.steps);
    plan.memory_cycles_per_step = chosen.memory_seconds * cycles_per_second / static_cast<double>(r.steps);
    plan.bound = chosen.bound;
    plan.predicted_gops = ops / seconds * 1e-9;
    plan.predicted_ms_per_batch = seconds * 1e3;
    plan.predicted_ms_per_sample = seconds * 1e3 / static_cast<double>(r.batch);
    plan.pe_utilization = plan.predicted_gops * 1e9 / peak;
    const double watts = threads * (board.watts_per_core_idle +
                                    (board.watts_per_core_busy - board.watts_per_core_idle) * plan.pe_utilization);
    plan.predicted_mj_per_sample = watts * plan.predicted_ms_per_sample;
  } else {
    plan.bound = "not measured";
  }
  return out;
}

}  // namespace sbe
