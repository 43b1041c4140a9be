// The performance model against hand-worked values and its own invariants, and the schedule
// replay: every weight of every step exactly once per sample.
#include <gtest/gtest.h>

#include "sbe/board.h"
#include "sbe/error.h"
#include "sbe/plan.h"
#include "sbe/presets.h"

namespace sbe {
namespace {

TEST(PaperEquations, MatchHandWorkedValues) {
  // N_pe = 1000, N_t = 50: the batch where compute and memory balance is 20.
  EXPECT_DOUBLE_EQ(PaperComputeBound(1000), 1000);                   // (2)
  EXPECT_DOUBLE_EQ(PaperMemoryBound(50, 10), 500);                   // (3)
  EXPECT_NEAR(PaperCase3(1000, 50, 10, 0.9), 500 / 1.9, 1e-12);      // (6): 10*50 / (0.9 + 1)
  EXPECT_NEAR(PaperCase3Saturated(1000, 50, 0.9), 50000.0 / 145, 1e-12);  // (5)
  EXPECT_DOUBLE_EQ(PaperRoofline(1000, 50, 30), 1000);
  EXPECT_DOUBLE_EQ(PaperRoofline(1000, 50, 4), 200);
}

TEST(PaperEquations, CasesMeetAtTheirBoundary) {
  const double n_pe = 896, n_t = 45.07, b = n_pe / n_t;
  for (double alpha : {0.5, 0.9, 0.99, 1.0}) {
    EXPECT_NEAR(PaperCase3(n_pe, n_t, b, alpha), PaperCase3Saturated(n_pe, n_t, alpha), 1e-9);
  }
  EXPECT_NEAR(PaperMemoryBound(n_t, b), PaperComputeBound(n_pe), 1e-9);
  // alpha = 1 (all traffic reused) is the case 1&2 roofline; alpha = 0 never beats N_t.
  EXPECT_NEAR(PaperCase3(n_pe, n_t, 7, 1.0), PaperRoofline(n_pe, n_t, 7), 1e-9);
  EXPECT_NEAR(PaperCase3(n_pe, n_t, 7, 0.0), n_t, 1e-9);
}

// A z7045 with other figures: BRAM36 blocks for `onchip_bytes`, and distributed RAM enough
// that the accumulators never limit (the tests of that limit use the real boards).
Board TestBoard(int64_t macs, double gbs, int64_t onchip_bytes) {
  Board b = LoadBoard("z7045");
  b.macs_per_cycle = macs;
  b.dram_gbs = gbs;
  b.dram_port_bits = 1 << 15;
  b.onchip_bytes = onchip_bytes;
  b.bram36 = onchip_bytes / kBram36Bytes;
  b.reserved_bram36 = 0;
  b.uram = 0;
  b.lutram_bytes = int64_t{1} << 30;
  return b;
}

TEST(Planner, MoreBandwidthOrMorePesNeverPredictsLess) {
  const LstmShape s = MakePreset("deepbench-1024", 0).shape;
  for (int batch : {1, 4, 16, 64}) {
    for (int blocks : {1, 2, 8, 32}) {
      double last_bw = 0, last_pe = 0;
      for (double gbs : {2.0, 8.0, 32.0, 128.0}) {
        const auto p = EvaluatePlan(s, TestBoard(896, gbs, 32 << 20), batch, blocks, 25, true);
        ASSERT_TRUE(p);
        EXPECT_GE(p->predicted_gops, last_bw * (1 - 1e-12));
        last_bw = p->predicted_gops;
      }
      for (int64_t macs : {128, 512, 2048, 8192}) {
        const auto p = EvaluatePlan(s, TestBoard(macs, 12.8, 32 << 20), batch, blocks, 25, true);
        ASSERT_TRUE(p);
        EXPECT_GE(p->predicted_gops, last_pe * (1 - 1e-12));
        last_pe = p->predicted_gops;
      }
    }
  }
  // The chosen plan, too.
  const LstmShape l = MakePreset("lrcn", 0).shape;
  PlanRequest r;
  r.steps = 32;
  EXPECT_GE(ChoosePlan(l, TestBoard(896, 25.6, 2 << 20), r).best.predicted_gops,
            ChoosePlan(l, TestBoard(896, 12.8, 2 << 20), r).best.predicted_gops);
}

TEST(Planner, AModelThatFitsOnChipKeepsItsWeightsResidentForLongSequences) {
  // Resident weights cost one load per batch, before the steps; over a long sequence at
  // batch 1 that beats streaming them every step, and the steps are compute bound.
  const LstmShape s{64, 48, 1, false, true};
  PlanRequest r;
  r.steps = 1000;
  r.objective = Objective::kLatency;
  r.input = InputMode::kPerStep;
  const Plan p = ChoosePlan(s, LoadBoard("vx690t"), r).best;
  EXPECT_EQ(p.hidden_case, 1);
  EXPECT_EQ(p.input_case, 1);
  EXPECT_EQ(p.bound, "compute");
}

TEST(Planner, StreamedWeightsAreMemoryBoundAtBatchOneAndReusedWithBatch) {
  const LstmShape s = MakePreset("deepbench-2048", 0).shape;
  const Board z = LoadBoard("z7045");  // 16 MiB of weights against 2.1 MiB on-chip: case 3
  const auto one = EvaluatePlan(s, z, 1, 64, 25, true);
  const auto many = EvaluatePlan(s, z, 2, 64, 25, true);
  const auto baseline = EvaluatePlan(s, z, 2, 64, 25, false);
  ASSERT_TRUE(one && many && baseline);
  EXPECT_EQ(one->hidden_case, 3);
  EXPECT_EQ(one->bound, "memory");
  // Memory bound at batch 1: about B * N_t MACs per cycle (eq. 3), 2 ops each.
  EXPECT_NEAR(one->predicted_gops, 2 * z.words_per_cycle() * z.clock_mhz * 1e-3, 0.02 * one->predicted_gops);
  EXPECT_NEAR(*one->paper_gops, one->predicted_gops, 0.02 * one->predicted_gops);
  EXPECT_GT(many->predicted_gops, 1.9 * one->predicted_gops);
  // Without block-batch every sample fetches the weights again: no gain from batching, and
  // the paper's alpha is 0 (eq. 6 is then N_t whatever the batch).
  EXPECT_NEAR(baseline->predicted_gops, one->predicted_gops, 0.02 * one->predicted_gops);
  EXPECT_DOUBLE_EQ(many->alpha, 1.0);
  EXPECT_DOUBLE_EQ(baseline->alpha, 0.0);
  EXPECT_NEAR(*baseline->paper_gops, 2 * z.words_per_cycle() * z.clock_mhz * 1e-3, 1e-9);
  // The 4H x B partial sums bound the batch: at 4 samples those of 8192 rows, in four sets
  // (two parts, two parities: 518 KiB), do not fit the distributed RAM the accumulators may
  // take (341 KiB).
  std::string why;
  EXPECT_FALSE(EvaluatePlan(s, z, 4, 64, 25, true, &why));
  EXPECT_NE(why.find("distributed RAM"), std::string::npos) << why;
}

TEST(Planner, CaseTwoStreamsBothHiddenBlocksEveryStep) {
  // The paper's case 2: W_h in two blocks through the ping-pong slots, reloaded every step; case
  // 1 keeps it resident (loaded once per batch) beside W_x's slots. So case 2 holds less on chip
  // and moves W_h every step.
  const LstmShape s = MakePreset("lrcn", 0).shape;
  const Board z = LoadBoard("z7045");
  const auto one = EvaluatePlan(s, z, 8, 1, 32, true, nullptr, InputMode::kPerStep);
  const auto two = EvaluatePlan(s, z, 8, 2, 32, true, nullptr, InputMode::kPerStep);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->hidden_case, 1);
  EXPECT_EQ(two->hidden_case, 2);
  const int64_t hidden_words = s.GateRows() * s.hidden_size;
  EXPECT_LT(two->onchip_weight_bytes, one->onchip_weight_bytes);
  EXPECT_EQ(two->reused_words_per_step - one->reused_words_per_step, hidden_words);
  EXPECT_GT(one->load_cycles, two->load_cycles);
  // And the schedules say so: W_h loaded once before step 0, or both blocks at every step.
  auto hidden_loads = [](const Schedule& sc) {
    int before = 0, per_step = 0;
    for (const ScheduleOp& op : sc.ops) {
      if (op.kind == ScheduleOp::kLoad && op.hidden) ++(op.step < 0 ? before : per_step);
    }
    return std::pair(before, per_step);
  };
  EXPECT_EQ(hidden_loads(BuildSchedule(s, *one)), std::pair(1, 0));
  EXPECT_EQ(hidden_loads(BuildSchedule(s, *two)), std::pair(0, 2 * 32));
}

TEST(Planner, HoistingTheInputPartMakesTheLrcnNearlyComputeBoundAtBatchOne) {
  // W_x is 87.5% of the LRCN's weights. Per step at batch 1 the Z7045 streams it every step
  // (W_h resident); hoisted, W_x streams once for all 32 steps.
  const LstmShape s = MakePreset("lrcn", 0).shape;
  const Board z = LoadBoard("z7045");
  PlanRequest r;
  r.steps = 32;
  r.batch = 1;
  const Plan best = ChoosePlan(s, z, r).best;
  EXPECT_TRUE(best.input_hoisted);
  EXPECT_GE(best.predicted_gops, 0.75 * z.peak_gops());
  EXPECT_FALSE(best.paper_gops);  // the paper's equations do not describe it
  r.input = InputMode::kPerStep;
  const Plan per_step = ChoosePlan(s, z, r).best;
  EXPECT_EQ(per_step.bound, "memory");
  EXPECT_LT(per_step.predicted_gops, 0.5 * best.predicted_gops);
  // Words moved per batch: an order of magnitude fewer.
  EXPECT_GT(per_step.reused_words_per_step, 10 * best.reused_words_per_step);
  // The schedule hoists every row block for every (step, sample) row before the recurrence.
  const Schedule sched = BuildSchedule(s, best);
  EXPECT_NO_THROW(CheckSchedule(sched));
  size_t last_hoist = 0, first_hidden = sched.ops.size();
  for (size_t n = 0; n < sched.ops.size(); ++n) {
    if (sched.ops[n].kind == ScheduleOp::kHoist) last_hoist = n;
    if (sched.ops[n].kind == ScheduleOp::kCompute) first_hidden = std::min(first_hidden, n);
  }
  EXPECT_LT(last_hoist, first_hidden);
}

TEST(Planner, RefusesPlansBeyondTheMemoryPortsOrTheUsableCapacity) {
  const Board v = LoadBoard("vx690t");
  // Ports: 2048 weights a cycle at 4 words a 72-bit port need 512 blocks, whatever the bytes.
  Board wide = v;
  wide.macs_per_cycle = 8192;
  const auto ports = CheckMemoryBlocks(wide, 1 << 20, 1 << 20);
  ASSERT_TRUE(ports);
  EXPECT_NE(ports->find("2048"), std::string::npos) << *ports;
  EXPECT_NE(ports->find("1454"), std::string::npos) << *ports;
  EXPECT_FALSE(CheckMemoryBlocks(v, 1 << 20, 1 << 20));
  // The operands: 64 lanes read 64 elements of x or h a cycle, 16 blocks' worth of ports even
  // for a few bytes of state.
  const auto operands = CheckMemoryBlocks(v, 5955584 - 8 * 4096, 4096, 64);
  ASSERT_TRUE(operands);
  EXPECT_NE(operands->find("64 lanes' operands take 16"), std::string::npos) << *operands;
  EXPECT_FALSE(CheckMemoryBlocks(v, 5955584 - 16 * 4096, 4096, 64));
  // Capacity: 4096 usable bytes a BRAM36, not 4608: 1454 blocks hold 5,955,584 bytes.
  EXPECT_FALSE(CheckMemoryBlocks(v, 5955584 - 8192, 8192));
  const auto full = CheckMemoryBlocks(v, 5955584 - 8192, 8192 + 1);
  ASSERT_TRUE(full);
  EXPECT_NE(full->find("1455"), std::string::npos) << *full;
  // The planner refuses with the numbers.
  const LstmShape s = MakePreset("lrcn", 0).shape;
  PlanRequest r;
  r.steps = 32;
  try {
    ChoosePlan(s, wide, r);
    FAIL() << "8192 PEs cannot be fed by 1454 memory blocks";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2048"), std::string::npos) << e.what();
  }
}

TEST(Planner, RefusesWhatCannotFit) {
  const LstmShape s = MakePreset("deepbench-2048", 0).shape;
  PlanRequest r;
  r.steps = 25;
  try {
    ChoosePlan(s, TestBoard(896, 12.8, 64 << 10), r);
    FAIL() << "a 64 KiB board cannot hold one column block and one sample's state";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no plan fits"), std::string::npos) << e.what();
  }
  r.batch = 0;
  EXPECT_THROW(ChoosePlan(s, LoadBoard("z7045"), r), Error);
  r.batch = std::nullopt;
  r.blocks = 5000;
  EXPECT_THROW(ChoosePlan(s, LoadBoard("z7045"), r), Error);
}

TEST(Planner, LatencyObjectiveRespectsTheBound) {
  const LstmShape s = MakePreset("deepbench-1024", 0).shape;
  PlanRequest r;
  r.steps = 25;
  r.max_latency_ms = 50.0;
  const PlanResult res = ChoosePlan(s, LoadBoard("zu9eg"), r);
  for (const Plan& p : res.alternatives) EXPECT_LE(p.predicted_ms_per_batch, 50.0);
  r.objective = Objective::kLatency;
  r.max_latency_ms.reset();
  EXPECT_EQ(ChoosePlan(s, LoadBoard("zu9eg"), r).best.batch, 1);
}

struct ScheduleCase {
  LstmShape shape;
  int batch, blocks, steps;
  bool block_batch;
  InputMode input = InputMode::kPerStep;
};

class ScheduleReplay : public ::testing::TestWithParam<ScheduleCase> {};

TEST_P(ScheduleReplay, CoversEveryWeightExactlyOncePerSample) {
  const ScheduleCase& c = GetParam();
  // A small board forces streaming (case 3) for the larger shapes.
  std::string why;
  const auto plan =
      EvaluatePlan(c.shape, TestBoard(64, 4, 256 << 10), c.batch, c.blocks, c.steps, c.block_batch, &why, c.input);
  ASSERT_TRUE(plan) << why;
  EXPECT_EQ(plan->input_hoisted, c.input == InputMode::kHoisted);
  const Schedule sched = BuildSchedule(c.shape, *plan);
  EXPECT_NO_THROW(CheckSchedule(sched)) << plan->ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Plans, ScheduleReplay,
    ::testing::Values(ScheduleCase{{7, 5, 1, false, true}, 3, 1, 4, true},
                      ScheduleCase{{13, 11, 2, true, true}, 2, 2, 3, true},
                      ScheduleCase{{97, 61, 1, false, true}, 5, 7, 3, true},
                      ScheduleCase{{300, 127, 2, true, false}, 3, 13, 2, true},
                      ScheduleCase{{31, 17, 3, false, true}, 4, 5, 2, false},
                      ScheduleCase{{7, 5, 1, false, true}, 3, 1, 4, true, InputMode::kHoisted},
                      ScheduleCase{{97, 61, 1, false, true}, 5, 7, 3, true, InputMode::kHoisted},
                      ScheduleCase{{300, 127, 2, true, false}, 3, 13, 2, true, InputMode::kHoisted},
                      ScheduleCase{{13, 11, 2, true, true}, 1, 2, 5, true, InputMode::kHoisted}));

TEST(ScheduleReplay, CatchesMissingDuplicatedAndMisplacedWork) {
  const LstmShape s{9, 7, 1, false, true};
  const auto plan = EvaluatePlan(s, TestBoard(64, 4, 256 << 10), 2, 3, 2, true);
  ASSERT_TRUE(plan && plan->hidden_case == 3);
  const Schedule good = BuildSchedule(s, *plan);
  auto find_compute = [&](const Schedule& sc) {
    for (size_t n = 0; n < sc.ops.size(); ++n) {
      if (sc.ops[n].kind == ScheduleOp::kCompute && sc.ops[n].hidden) return n;
    }
    return size_t{0};
  };
  Schedule missing = good;
  missing.ops.erase(missing.ops.begin() + static_cast<std::ptrdiff_t>(find_compute(good)));
  EXPECT_THROW(CheckSchedule(missing), Error);
  Schedule twice = good;
  const size_t n = find_compute(good);
  twice.ops.insert(twice.ops.begin() + static_cast<std::ptrdiff_t>(n), good.ops[n]);
  EXPECT_THROW(CheckSchedule(twice), Error);
  Schedule wrong_slot = good;
  wrong_slot.ops[n].slot ^= 1;
  EXPECT_THROW(CheckSchedule(wrong_slot), Error);
  // Hoisted: a (step, sample) row group left out, or done twice.
  const auto hoisted = EvaluatePlan(s, TestBoard(64, 4, 256 << 10), 2, 3, 2, true, nullptr, InputMode::kHoisted);
  ASSERT_TRUE(hoisted);
  const Schedule h = BuildSchedule(s, *hoisted);
  EXPECT_NO_THROW(CheckSchedule(h));
  size_t k = 0;
  while (h.ops[k].kind != ScheduleOp::kHoist) ++k;
  Schedule no_rows = h;
  no_rows.ops.erase(no_rows.ops.begin() + static_cast<std::ptrdiff_t>(k));
  EXPECT_THROW(CheckSchedule(no_rows), Error);
  Schedule rows_twice = h;
  rows_twice.ops.insert(rows_twice.ops.begin() + static_cast<std::ptrdiff_t>(k), h.ops[k]);
  EXPECT_THROW(CheckSchedule(rows_twice), Error);
}

}  // namespace
}  // namespace sbe
