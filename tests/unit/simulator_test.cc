// The accelerator's discrete-event model: outputs bit-exact with the golden model under every schedule and
// both architectures, cycle accounting that adds up, agreement with the planner, and refusals.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/random.h"
#include "expect_error.h"
#include "golden_contract.h"
#include "sbe/board.h"
#include "sbe/error.h"
#include "sbe/golden.h"
#include "sbe/plan.h"
#include "sbe/presets.h"
#include "sbe/simulator.h"
#include "test_util.h"

namespace sbe {
namespace {
using testing::ExpectSameIntegers;
using testing::RandomFixedInput;

// A small accelerator whose buffers force awkward models into streamed blocks (case 3).
Board SmallBoard(int64_t onchip_bytes = 6000) {
  Board b = LoadBoard("z7045");
  b.name = "small";
  b.macs_per_cycle = 96;
  b.onchip_bytes = onchip_bytes + 2048;
  b.tail_elements_per_cycle = 1;
  return b;
}

// The simulator as a fixed-point executor: its plan on `board` with `blocks` and `batch`.
testing::FixedRunner SimulatorRunner(Board board, int blocks, int batch, Architecture arch,
                                     bool block_batch = true, InputMode input = InputMode::kPerStep) {
  return [=](const QuantizedModel& q, const FixedInput& x) {
    const int nb = std::min<int>(blocks, static_cast<int>(q.shape.hidden_size));
    std::string why;
    const auto plan = EvaluatePlan(q.shape, board, batch, nb, static_cast<int>(x.x.shape[0]),
                                   block_batch, &why, input);
    if (!plan) throw Error("test plan does not fit: " + why);
    SimOptions o;
    o.arch = arch;
    return Simulate(q, board, *plan, x, o).output;
  };
}

TEST(Simulator, BitExactOnTheGoldenFixturesStallFree) {
  testing::ExpectBitExactOnGoldenFixtures(
      SimulatorRunner(LoadBoard("vx690t"), 3, 2, Architecture::kStallFree));
}

TEST(Simulator, BitExactOnTheGoldenFixturesWithTheInputPartHoisted) {
  testing::ExpectBitExactOnGoldenFixtures(SimulatorRunner(LoadBoard("z7045"), 2, 2, Architecture::kStallFree, true,
                                                          InputMode::kHoisted));
}

TEST(Simulator, BitExactOnTheGoldenFixturesBaselineNonBlockBatch) {
  testing::ExpectBitExactOnGoldenFixtures(
      SimulatorRunner(LoadBoard("z7045"), 1, 3, Architecture::kBaseline, false));
}

struct SimCase {
  LstmShape shape;
  int64_t steps, samples;
  int batch, blocks;
  bool block_batch, lengths;
};

class SimulatorVsGolden : public ::testing::TestWithParam<SimCase> {};

TEST_P(SimulatorVsGolden, SameIntegersAndConsistentCycles) {
  const SimCase& c = GetParam();
  const LstmModel m = MakeRandomModel(c.shape, 77 + c.shape.hidden_size, "random");
  const QuantizedModel q = Calibrate(m, InputRange{});
  const FixedInput x = RandomFixedInput(q, c.steps, c.samples, 5 + c.shape.input_size, c.lengths);
  const FixedOutput want = RunGolden(q, x);
  const Board board = SmallBoard(1 << 20);
  std::vector<InputMode> inputs = {InputMode::kPerStep};
  if (c.block_batch) inputs.push_back(InputMode::kHoisted);
  for (InputMode input : inputs) {
    SCOPED_TRACE(InputModeName(input));
    std::string why;
    const auto plan = EvaluatePlan(q.shape, board, c.batch, c.blocks, static_cast<int>(c.steps), c.block_batch,
                                   &why, input);
    ASSERT_TRUE(plan) << why;
    CheckSchedule(BuildSchedule(q.shape, *plan));
    for (Architecture arch : {Architecture::kStallFree, Architecture::kBaseline}) {
      if (arch == Architecture::kBaseline && input == InputMode::kHoisted) continue;  // row-wise has no input phase
      SCOPED_TRACE(ArchitectureName(arch));
      SimOptions o;
      o.arch = arch;
      const SimResult r = Simulate(q, board, *plan, x, o);
      ExpectSameIntegers(r.output, want);
      // Every cycle is either issuing or charged to a cause; every PE-cycle is a multiply-add,
      // an idle PE of an issuing cycle, or part of a stall.
      EXPECT_EQ(r.cycles, r.busy_cycles + r.stalls.total());
      EXPECT_EQ(board.macs_per_cycle * r.cycles,
                r.macs + r.idle_lane_pe_cycles + r.idle_row_pe_cycles + board.macs_per_cycle * r.stalls.total());
      EXPECT_EQ(r.macs, q.shape.MacsPerStep() * c.steps * c.samples);
      // Neither the PE array nor DRAM can beat its peak.
      EXPECT_LE(r.pe_utilization, 1.0);
      EXPECT_LE(r.dram_utilization, 1.0 + 1e-9);
      EXPECT_EQ(r.batches, (c.samples + c.batch - 1) / c.batch);
      // Timing does not depend on the values.
      o.compute_values = false;
      EXPECT_EQ(Simulate(q, board, *plan, x, o).cycles, r.cycles);
      if (arch == Architecture::kStallFree) {
        EXPECT_EQ(r.stalls.barrier, 0);
      } else if (c.shape.input_size > 1) {  // a one-column dot product has no second add
        EXPECT_GT(r.stalls.accumulator, 0);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AwkwardSizes, SimulatorVsGolden,
    ::testing::Values(SimCase{{1, 1, 1, false, true}, 1, 1, 1, 1, true, false},
                      SimCase{{7, 5, 1, false, true}, 3, 5, 2, 3, true, false},
                      SimCase{{13, 11, 2, true, true}, 4, 3, 3, 4, true, true},
                      SimCase{{17, 19, 1, false, false}, 5, 7, 7, 19, true, false},
                      SimCase{{23, 29, 3, false, true, true}, 3, 2, 2, 5, false, true},
                      SimCase{{31, 17, 1, false, true}, 6, 4, 4, 2, true, true},
                      SimCase{{5, 37, 2, true, true}, 2, 3, 2, 1, true, false}));

TEST(Simulator, PeOrganisationFitsTheModelAndAvoidsHazards) {
  // 4H = 1024 rows on the Z7045's 896 PEs: 7 lanes of 128 rows, 8 cycles an item: no PE idle,
  // and a lane comes back to a sample's partial sums only after 8 cycles, past the adder's 3.
  const Board z = LoadBoard("z7045");
  const auto one = ChoosePeOrganization(1024, z, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->lanes, 7);
  EXPECT_EQ(one->cycles_per_item, 8);
  EXPECT_DOUBLE_EQ(one->efficiency, 1.0);
  EXPECT_DOUBLE_EQ(one->hazard_factor, 1.0);
  // The VX690T's 2048 PEs: 2 lanes of 1024 rows would meet a sample's partial sums every cycle at
  // batch 1 (hazard factor 3: the adder's latency); 8 lanes of 256 rows, 4 cycles an item, do
  // not. At a large batch the fewest lanes are best: the smallest accumulator banks.
  const Board v = LoadBoard("vx690t");
  const auto v1 = ChoosePeOrganization(1024, v, 1);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->lanes * v1->row_lanes, 2048);
  EXPECT_GE(v1->cycles_per_item, v.adder_latency);
  EXPECT_DOUBLE_EQ(v1->throughput(), 1.0);
  const auto v32 = ChoosePeOrganization(1024, v, 32);
  ASSERT_TRUE(v32);
  EXPECT_EQ(v32->lanes, 2);
  EXPECT_DOUBLE_EQ(v32->hazard_factor, 1.0);
  EXPECT_DOUBLE_EQ(HazardFactor(1, 2, 1, 3), 3.0);
  EXPECT_DOUBLE_EQ(HazardFactor(4, 2, 1, 3), 1.5);  // a lane meets samples 0, 2, 0, 2, ...
  EXPECT_DOUBLE_EQ(HazardFactor(3, 2, 1, 3), 1.0);  // ... or 0, 2, 1, 0, 2, 1
  // Banks that do not fit the distributed RAM are refused, with the numbers.
  std::string why;
  EXPECT_FALSE(ChoosePeOrganization(1024, v, 100000, &why));
  EXPECT_NE(why.find("distributed RAM"), std::string::npos) << why;
  const auto odd = ChoosePeOrganization(68, SmallBoard(), 3);  // H = 17 on 96 PEs
  ASSERT_TRUE(odd);
  EXPECT_LE(odd->efficiency, 1.0);
  EXPECT_GE(odd->row_lanes * odd->cycles_per_item, 68);
}

TEST(Simulator, AgreesWithThePlannerOnTheLrcnWorkload) {
  const LstmModel m = MakePreset("lrcn", 0);
  const QuantizedModel q = Calibrate(m, InputRange{});
  for (const char* name : {"vx690t", "z7045"}) {
    const Board board = LoadBoard(name);
    for (int batch : {1, 8}) {
      PlanRequest r;
      r.steps = 32;
      r.batch = batch;
      const Plan plan = ChoosePlan(m.shape, board, r).best;
      const FixedInput x = RandomFixedInput(q, 32, batch, 3, false);
      SimOptions o;
      o.compute_values = false;
      const SimResult s = Simulate(q, board, plan, x, o);
      EXPECT_NEAR(s.gops / plan.predicted_gops, 1.0, 0.10) << name << " batch " << batch;
    }
  }
}

TEST(Simulator, StreamedBlocksOverlapTheirLoadsWithCompute) {
  // Case 3 at a batch large enough to be compute bound: the ping-pong slots hide the loads,
  // so the array waits for weights only at the very start.
  const LstmModel m = MakePreset("lrcn", 0);
  const QuantizedModel q = Calibrate(m, InputRange{});
  const Board board = LoadBoard("vx690t");  // the Z7045's partial sums stop LRCN short of compute bound
  const auto plan = EvaluatePlan(m.shape, board, 32, 4, 4, true, nullptr, InputMode::kPerStep);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->hidden_case, 3);
  SimOptions o;
  o.compute_values = false;
  const SimResult r = Simulate(q, board, *plan, RandomFixedInput(q, 4, 32, 1, false), o);
  EXPECT_GT(r.pe_utilization, 0.9);
  EXPECT_LT(r.stalls.weights, r.cycles / 20);
}

TEST(Simulator, HoistedLrcnOnTheZ7045AtBatchOneIsNearlyComputeBound) {
  // The target: within 25% of N_pe x 2 x f, simulated, with an order of magnitude less
  // DRAM traffic than the per-step input part.
  const LstmModel m = MakePreset("lrcn", 0);
  const QuantizedModel q = Calibrate(m, InputRange{});
  const Board z = LoadBoard("z7045");
  const FixedInput x = RandomFixedInput(q, 32, 1, 4, false);
  SimOptions o;
  o.compute_values = false;
  PlanRequest r;
  r.steps = 32;
  r.batch = 1;
  const Plan hoisted = ChoosePlan(m.shape, z, r).best;
  ASSERT_TRUE(hoisted.input_hoisted);
  const SimResult h = Simulate(q, z, hoisted, x, o);
  EXPECT_GE(h.gops, 0.75 * z.peak_gops());
  r.input = InputMode::kPerStep;
  const SimResult p = Simulate(q, z, ChoosePlan(m.shape, z, r).best, x, o);
  EXPECT_GT(p.dram_read_bytes, 10 * h.dram_read_bytes);
  EXPECT_GT(h.gops, 3 * p.gops);
}

TEST(Simulator, TheStallFreeArrayBeatsTheBaselineWhereComputeBound) {
  // Row-wise, each accumulator takes one add per adder latency (3): about 3x the cycles.
  const LstmModel m = MakePreset("lrcn", 0);
  const QuantizedModel q = Calibrate(m, InputRange{});
  // The VX690T holds all the LRCN's weights: nothing waits for DRAM but the first load.
  const Board v = LoadBoard("vx690t");
  const auto plan = EvaluatePlan(m.shape, v, 16, 1, 8, true, nullptr, InputMode::kPerStep);
  ASSERT_TRUE(plan);
  SimOptions o;
  o.compute_values = false;
  const FixedInput x = RandomFixedInput(q, 8, 16, 2, false);
  const SimResult fast = Simulate(q, v, *plan, x, o);
  o.arch = Architecture::kBaseline;
  const SimResult slow = Simulate(q, v, *plan, x, o);
  EXPECT_GT(static_cast<double>(slow.cycles) / static_cast<double>(fast.cycles), 2.5);
  EXPECT_GT(slow.stalls.accumulator, slow.cycles / 2);
}

TEST(Simulator, RefusesPlansThatDoNotFitAndMismatchedInputs) {
  const LstmModel m = MakeRandomModel({40, 30, 1, false, true}, 3, "random");
  const QuantizedModel q = Calibrate(m, InputRange{});
  const FixedInput x = RandomFixedInput(q, 3, 2, 1, false);
  const auto plan = EvaluatePlan(m.shape, LoadBoard("vx690t"), 2, 1, 3, true);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(testing::ThrowsError([&] { Simulate(q, SmallBoard(), *plan, x); }, "small",
                                   "does not fit the buffers"));
  Plan zero = *plan;
  zero.batch = 0;
  EXPECT_TRUE(testing::ThrowsError([&] { Simulate(q, LoadBoard("vx690t"), zero, x); }, "simulate",
                                   "batch 0"));
  Plan longer = *plan;
  longer.steps = 4;
  EXPECT_TRUE(testing::ThrowsError([&] { Simulate(q, LoadBoard("vx690t"), longer, x); },
                                   "simulate", "4 steps"));
}

TEST(Simulator, WritesAChromeTrace) {
  const LstmModel m = MakeRandomModel({9, 6, 1, false, true}, 3, "random");
  const QuantizedModel q = Calibrate(m, InputRange{});
  const FixedInput x = RandomFixedInput(q, 3, 2, 1, false);
  const Board board = SmallBoard();
  const auto plan = EvaluatePlan(m.shape, board, 2, 3, 3, true);
  ASSERT_TRUE(plan);
  SimOptions o;
  o.trace = true;
  const SimResult r = Simulate(q, board, *plan, x, o);
  const std::string path = testing::TempPath("trace.json");
  WriteChromeTrace(r, board, path);
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(path));
  int tracks[3] = {0, 0, 0};
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") {
      ++tracks[e["tid"].get<int>()];
      EXPECT_GE(e["dur"].get<double>(), 0);
    }
  }
  EXPECT_GT(tracks[0], 0);  // DMA
  EXPECT_EQ(tracks[2], 3);  // one tail per step
  EXPECT_FALSE(r.trace_truncated);
  o.max_trace_events = 5;
  const SimResult cut = Simulate(q, board, *plan, x, o);
  EXPECT_TRUE(cut.trace_truncated);
  EXPECT_EQ(cut.trace.size(), 5u);
  EXPECT_EQ(cut.cycles, r.cycles);
}

}  // namespace
}  // namespace sbe
