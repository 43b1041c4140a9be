// The planner's decisions for the CPU engine (sbe/cpu_plan.h): the blocking of W_x and W_h
// from the board's caches and threads, and the predictions from its measured ceilings.
#include "sbe/cpu_plan.h"

#include <algorithm>

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

CpuPlan PlanCpu(const LstmShape& s, const CpuBoard& board, const CpuPlanRequest& r) {
  if (r.steps < 1) Fail("steps {}: must be at least 1", r.steps);
  if (r.batch < 1) Fail("batch {}: must be at least 1", r.batch);
  if (r.threads < 0) Fail("threads {}: must be at least 1 (0: every core)", r.threads);
  const int64_t H = s.hidden_size;
  if (r.blocks && (*r.blocks < 1 || *r.blocks > H)) {
    Fail("blocks {}: must be in [1, hidden size {}]", *r.blocks, H);
  }
  const int threads = r.threads > 0 ? r.threads : board.cores;
  const Precision p = r.precision;

  CpuPlan out;
  CpuTiling& t = out.tiling;
  t.kernels = board.kernels;
  t.lanes = board.lanes;
  t.threads = threads;
  t.sync = r.sync;
  const int64_t group = p == Precision::kInt16 ? board.samples_per_tile_int16 : board.samples_per_tile_fp32;
  // As many samples per kernel call as the register tile holds (the kernels' target decides);
  // the input part's rows are all steps of all samples.
  t.samples_per_tile = static_cast<int>(std::clamp<int64_t>(r.batch, 1, group));
  t.rows_per_tile = static_cast<int>(std::clamp<int64_t>(r.batch * r.steps, 1, group));
  t.tiles = CeilDiv(H, t.lanes);
  const int64_t want = std::min(t.tiles, r.blocks.value_or(RecurrentBlocks(board, H, threads, p)));
  t.tiles_per_block = CeilDiv(t.tiles, want);
  // int16 kernels read h in column pairs: a block must start on an even column, which an odd
  // number of lanes (the scalar fallback's 1) only gives with an even number of tiles.
  if (t.lanes % 2 == 1 && p == Precision::kInt16 && t.tiles_per_block < t.tiles) {
    t.tiles_per_block = RoundUp(t.tiles_per_block, 2);
  }
  t.blocks = CeilDiv(t.tiles, t.tiles_per_block);
  t.blocks_per_thread = CeilDiv(t.blocks, threads);
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
  const int64_t w_h_bytes = s.GateRows() * H * word;
  // W_h stays in the threads' L2s from step to step (case 1), or streams from L3 or DRAM every
  // step, reused across the batch (case 3).
  const bool resident = w_h_bytes <= board.l2_bytes * threads;
  plan.hidden_case = resident ? 1 : 3;
  int64_t reused = 0, per_sample = 0, macs = 0, widest_input = 0;
  int input_blocks = 1;
  for (int l = 0; l < s.num_layers; ++l) {
    const int64_t I = s.LayerInputSize(l);
    widest_input = std::max(widest_input, I);
    input_blocks = std::max<int>(input_blocks, static_cast<int>(CeilDiv(I, t.input_block_columns[l])));
    for (int d = 0; d < s.directions(); ++d) {
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
  // What the caches hold of the weights: all of W_h when it stays, else each thread's unit
  // tile's share of the current column block (the accelerator's streaming slots).
  plan.onchip_weight_bytes = resident ? w_h_bytes : threads * kNumGates * t.lanes * t.block_columns() * word;
  plan.onchip_state_bytes = r.batch * (2 * std::max(widest_input, s.directions() * H) * word +
                                       2 * H * word + H * kAccBytes + s.GateRows() * kAccBytes);

  // Predictions: the roofline of the plan's phases on the board's measured ceilings.
  const MachineCeilings ceilings = board.measured.ForThreads(threads);
  if (ceilings.fp32_gflops > 0 && ceilings.int16_gops > 0) {
    const bool int16 = p == Precision::kInt16;
    const double peak = (int16 ? ceilings.int16_gops : ceilings.fp32_gflops) * 1e9;
    double compute = 0, memory = 0, seconds = 0, ops = 0;
    for (const RooflinePhase& ph : CpuPhases(s, r.steps, r.batch, p)) {
      const double gbs = ceilings.BandwidthFor(ph.working_set);
      const double c = ph.ops / peak, m = gbs > 0 ? ph.bytes / (gbs * 1e9) : 0;
      compute += c;
      memory += m;
      seconds += std::max(c, m);
      ops += ph.ops;
    }
    const double cycles_per_second = board.clock_mhz * 1e6;
    plan.compute_cycles_per_step = compute * cycles_per_second / static_cast<double>(r.steps);
    plan.memory_cycles_per_step = memory * cycles_per_second / static_cast<double>(r.steps);
    plan.bound = compute >= memory ? "compute" : "memory";
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
