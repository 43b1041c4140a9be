// The planner's choice of decomposition on a described machine: each kind wins where its cost
// model says it should, the candidates' predictions add up, and forcing is honoured.
#include <gtest/gtest.h>

#include <limits>

#include "sbe/cpu_board.h"
#include "sbe/cpu_plan.h"
#include "sbe/error.h"

namespace sbe {
namespace {

// A 4-core machine with 1 MiB of L2 per core, AVX-512 kernels, and round ceilings.
CpuBoard Machine(double meeting_us) {
  CpuBoard b;
  b.brand = "test";
  b.cores = 4;
  b.kernels = "AVX3_DL";
  b.lanes = 16;
  b.samples_per_tile_fp32 = b.samples_per_tile_int16 = 6;
  b.l1d_bytes = 48 << 10;
  b.l2_bytes = 1 << 20;
  b.l3_bytes = 32 << 20;
  b.clock_mhz = 3000;
  MachineCeilings& m = b.measured;
  m.threads = 4;
  m.fp32_gflops = m.fp32_tile_gflops = 400;
  m.int16_gops = m.int16_tile_gops = m.int16_probe_gops = 800;
  m.meeting_us = meeting_us;
  m.cell_ns_fp32 = 4;
  m.cell_ns_int16 = 5;
  m.levels = {{"L2", 4 << 20, 400}, {"L3", 32 << 20, 150}, {"DRAM", std::numeric_limits<int64_t>::max(), 30}};
  return b;
}

CpuPlan Plan(const LstmShape& s, const CpuBoard& b, int64_t steps, int64_t batch, const std::string& forced = "") {
  CpuPlanRequest r;
  r.steps = steps;
  r.batch = batch;
  r.decomposition = forced;
  return PlanCpu(s, b, r);
}

TEST(CpuPlanDecomposition, CandidatesAddUpAndTheFastestIsChosen) {
  const CpuPlan p = Plan({80, 320, 3, true, true}, Machine(1.0), 100, 16);
  ASSERT_GE(p.candidates.size(), 5u);
  for (const DecompositionCandidate& c : p.candidates) {
    EXPECT_NEAR(c.seconds, c.input_seconds + c.compute_seconds + c.memory_seconds + c.cell_seconds + c.meeting_seconds,
                1e-12);
    EXPECT_LE(c.decomposition.threads(), 4);
    // The chosen one is the fastest, or the one reading fewest bytes within 1% of it.
    EXPECT_LE(p.candidates.front().seconds, 1.01 * c.seconds);
    if (c.seconds < p.candidates.front().seconds) EXPECT_LT(p.candidates.front().bytes, c.bytes);
  }
  EXPECT_EQ(p.tiling.decomposition, p.candidates.front().decomposition);
  EXPECT_NEAR(p.plan.predicted_ms_per_batch, p.candidates.front().seconds * 1e3, 1e-9);
}

// Threads that meet every step pay for it on every step: when a meeting is dear, a small
// bidirectional layer at batch 1 runs its directions apart, and a batch of 64 on a small layer
// splits its samples.
TEST(CpuPlanDecomposition, DearMeetingsChooseTeamsThatDoNotMeet) {
  const CpuBoard dear = Machine(20.0);
  EXPECT_EQ(Plan({40, 128, 2, true, true}, dear, 500, 1).tiling.decomposition.Kind(), "direction-split");
  const Decomposition batch = Plan({40, 128, 2, false, true}, dear, 500, 64).tiling.decomposition;
  EXPECT_EQ(batch.Kind(), "batch-split");
  EXPECT_EQ(batch.hidden_threads, 1);
}

// A one-direction stack at batch 1 has no samples or directions to split: with dear meetings
// and layers small enough that all of them stay in the L2s, its layers run at once as the
// stages of a wavefront, each stage's block of steps long enough to amortise its hand-over and
// W_x's re-reading, short enough to fill the pipeline. Eight layers of 512 do not stay in the
// caches together (64 MB of fp32 weights): there the wavefront would stream every layer from
// DRAM, and the threads share each layer's steps instead.
TEST(CpuPlanDecomposition, DearMeetingsPipelineASmallDeepStack) {
  const CpuPlan p = Plan({128, 128, 4, false, true}, Machine(20.0), 500, 1);
  const Decomposition& d = p.tiling.decomposition;
  EXPECT_EQ(d.Kind(), "layer-wavefront");
  EXPECT_EQ(d.layer_stages, 4);
  EXPECT_GE(p.tiling.wavefront_steps, 2);
  EXPECT_LE(p.tiling.wavefront_steps, 125);
  EXPECT_EQ(p.tiling.wavefront_steps, p.candidates.front().wavefront_steps);
  EXPECT_NE(Plan({512, 512, 8, false, true}, Machine(20.0), 30, 1).tiling.decomposition.Kind(), "layer-wavefront");
}

// A large W_h at batch 1 is read once per step either way; split over the threads' L2s
// (hidden-split) it stays there, while every team of a batch- or direction-split would
// stream all of it from L3: hidden-split wins when meetings are cheap.
TEST(CpuPlanDecomposition, LargeWeightsAtBatchOneSplitTheHiddenUnits) {
  const CpuPlan p = Plan({1024, 1024, 1, false, true}, Machine(0.1), 25, 1);
  EXPECT_EQ(p.tiling.decomposition.Kind(), "hidden-split");
  EXPECT_EQ(p.tiling.decomposition.hidden_threads, 4);
}

TEST(CpuPlanDecomposition, ForcedKindsAndSizesAreHonoured) {
  const CpuBoard b = Machine(1.0);
  const LstmShape s{80, 320, 3, true, true};
  const Decomposition d = Plan(s, b, 10, 16, "batch-split").tiling.decomposition;
  EXPECT_EQ(d, (Decomposition{1, 4, 1}));  // the most threads of the kind
  EXPECT_EQ(Plan(s, b, 10, 16, "batch+hidden-split:2x2").tiling.decomposition, (Decomposition{1, 2, 2}));
  EXPECT_EQ(Plan(s, b, 10, 16, "direction+batch-split:4x1").tiling.decomposition, (Decomposition{2, 2, 1}));
  EXPECT_THROW(Plan(s, b, 10, 1, "batch-split"), Error);
  EXPECT_THROW(Plan({80, 320, 3, false, true}, b, 10, 16, "direction-split"), Error);
  EXPECT_THROW(Plan(s, b, 10, 16, "batch-split:3"), Error);
  const LstmShape stack{80, 320, 3, false, true};
  EXPECT_EQ(Plan(stack, b, 10, 16, "layer-wavefront").tiling.decomposition, (Decomposition{1, 1, 1, 3}));
  EXPECT_EQ(Plan(stack, b, 10, 16, "layer-wavefront+hidden-split:2x2").tiling.decomposition,
            (Decomposition{1, 1, 2, 2}));
  EXPECT_THROW(Plan(s, b, 10, 16, "layer-wavefront"), Error);  // bidirectional
}

// Without measured ceilings nothing is predicted, and the engine runs hidden-split on every
// thread (what it did before there was a choice).
TEST(CpuPlanDecomposition, AnUnmeasuredBoardRunsHiddenSplit) {
  CpuBoard b = Machine(1.0);
  b.measured = MachineCeilings{};
  b.measured.threads = 0;
  const CpuPlan p = Plan({80, 320, 3, true, true}, b, 10, 16);
  EXPECT_EQ(p.tiling.decomposition, (Decomposition{1, 1, 4}));
  EXPECT_EQ(p.candidates.front().seconds, 0);
}

}  // namespace
}  // namespace sbe
