// The RTL (hw/rtl) co-simulated in Verilator: its integers equal the golden model's on the
// golden fixture set and on random models of awkward shapes, under each of the paper's cases;
// what it does not run is refused in one line. A 16-PE test board keeps each Verilator build
// to seconds (builds are cached per configuration, so the cases share a few).
#include <stdlib.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "golden_cases.h"
#include "hw/cosim.h"
#include "hw/tool_runner.h"
#include "sbe/golden.h"
#include "sbe/presets.h"
#include "expect_error.h"
#include "test_util.h"

namespace sbe {
namespace {

// Without verilator the tests skip; with it, the builds go to the cache every build folder
// shares (tests/CMakeLists.txt), unless the environment names another.
#define SKIP_WITHOUT_VERILATOR()                                                   \
  if (hw::FindProgram("verilator").empty()) GTEST_SKIP() << "verilator is not installed"; \
  setenv("SBE_HW_CACHE_DIR", SBE_TEST_HW_CACHE_DIR, /*overwrite=*/0)

Board TinyBoard() { return LoadBoard(std::string(SBE_TEST_DATA_DIR) + "/hw/tiny.json"); }

PlanRequest PerStep(int batch, int blocks) {
  PlanRequest r;
  r.input = InputMode::kPerStep;
  if (batch > 0) r.batch = batch;
  if (blocks > 0) r.blocks = blocks;
  return r;
}

hw::CosimRun Cosim(const LstmModel& model, const LstmInput& in, const PlanRequest& plan,
                 std::optional<InputRange> range = std::nullopt, const Board& board = TinyBoard()) {
  hw::CosimRequest r;
  r.plan = plan;
  r.input_range = range;
  return hw::CosimDocument(model, board, in, r);
}

void ExpectBitExact(const hw::CosimRun& run) {
  const nlohmann::json& j = run.document;
  EXPECT_TRUE(run.bit_exact) << j.dump();
  EXPECT_EQ(j.at("mismatches").get<int64_t>(), 0);
  EXPECT_GT(j.at("cycles").get<int64_t>(), 0);
  EXPECT_GT(j.at("sim_cycles").get<int64_t>(), 0);
}

// A random model and input of each shape co-simulated with W_h in `blocks` blocks (1, 2, 3:
// the paper's cases) at `batch` (0: the planner's): bit-exact, in the plan asked for.
struct RandomCase {
  LstmShape shape;
  int steps, samples, batch, blocks;
  std::vector<int64_t> lens = {};
};
void ExpectBitExact(const std::vector<RandomCase>& cases, InputMode input, uint64_t seed) {
  for (const RandomCase& c : cases) {
    SCOPED_TRACE(fmt::format("{} T{} N{} batch {} blocks {} lengths [{}] input {}", c.shape.ToString(), c.steps,
                             c.samples, c.batch, c.blocks, fmt::join(c.lens, ","), InputModeName(input)));
    const LstmModel model = MakeRandomModel(c.shape, seed, "awkward");
    LstmInput in = RandomLstmInput(c.shape, c.steps, c.samples, seed + 100);
    in.seq_lens = c.lens;
    PlanRequest plan = PerStep(c.batch, c.blocks);
    plan.input = input;
    const hw::CosimRun run = Cosim(model, in, plan);
    ExpectBitExact(run);
    EXPECT_EQ(run.document.at("plan").at("input").get<std::string>(), InputModeName(input));
    EXPECT_EQ(run.document.at("plan").at("case").get<int>(), c.blocks == 1 ? 1 : c.blocks == 2 ? 2 : 3);
    ++seed;
  }
}

TEST(HwCosim, GoldenFixturesBitExact) {
  SKIP_WITHOUT_VERILATOR();
  int ran = 0;
  for (const testing::GoldenCase& c : testing::MakeGoldenCases()) {
    SCOPED_TRACE(c.name);
    const hw::CosimRun run = Cosim(c.model, c.input, PerStep(0, 0), c.range);
    ExpectBitExact(run);
    // The RTL's outputs are the golden model's, also against the executor everyone uses.
    SaturationCounts counts;
    const FixedOutput golden = RunGolden(run.quantized, QuantizeInput(run.quantized, c.input, &counts));
    testing::ExpectSameIntegers(run.output, golden);
    ++ran;
  }
  EXPECT_GE(ran, 4);
}

// Sizes 1 and primes, 2 layers, bidirectional, a reverse stack; batches that are not multiples
// of the lanes (and a last batch smaller than the others); W_h resident (case 1), in two
// ping-pong blocks (case 2) and streamed in three (case 3). Some with per-sample lengths.
TEST(HwCosim, AwkwardShapesUnderEveryCase) {
  SKIP_WITHOUT_VERILATOR();
  ExpectBitExact({
                     {{1, 1, 1, false, true}, 3, 1, 0, 1},
                     {{3, 5, 1, false, true}, 2, 3, 3, 1},
                     {{13, 7, 1, false, true}, 3, 7, 4, 2},
                     {{5, 31, 1, false, false}, 3, 5, 2, 3},
                     {{7, 13, 2, true, true}, 3, 7, 4, 2},
                     {{2, 17, 3, false, true, /*reverse=*/true}, 2, 5, 0, 3},
                     // Lengths in no order, across two batches (the last smaller), bidirectional:
                     // each batch reordered longest first, the reverse direction starting at each
                     // sample's end.
                     {{3, 11, 2, true, true}, 5, 7, 4, 2, {2, 5, 1, 4, 5, 3, 1}},
                     {{5, 7, 1, false, true, /*reverse=*/true}, 4, 3, 0, 3, {3, 4, 1}},
                     {{1, 3, 1, false, false}, 6, 5, 0, 1, {6, 2, 6, 1, 3}},
                 },
                 InputMode::kPerStep, 1);
}

PlanRequest Hoisted(int batch, int blocks) {
  PlanRequest r = PerStep(batch, blocks);
  r.input = InputMode::kHoisted;
  return r;
}

// The input part hoisted (a W_x row block at a time over groups of (step, sample) rows, the
// sums drained into the input-part memory, the recurrence reading them there): the golden
// fixtures of one layer and random single layers of awkward shapes, bidirectional and reverse,
// with per-sample lengths, batches not multiples of the lanes (a smaller last one), W_h in
// one, two and three blocks (row blocks of W_x of two sizes: the items' lengths change from one
// descriptor to the next).
TEST(HwCosim, HoistedInputPartBitExact) {
  SKIP_WITHOUT_VERILATOR();
  int ran = 0;
  for (const testing::GoldenCase& c : testing::MakeGoldenCases()) {
    if (c.model.shape.num_layers != 1) continue;
    SCOPED_TRACE(c.name);
    const hw::CosimRun run = Cosim(c.model, c.input, Hoisted(0, 0), c.range);
    ExpectBitExact(run);
    EXPECT_EQ(run.document.at("plan").at("input").get<std::string>(), "hoisted");
    ++ran;
  }
  EXPECT_GE(ran, 3);
  ExpectBitExact({
                     {{1, 1, 1, false, true}, 3, 1, 0, 1},
                     {{13, 7, 1, false, true}, 3, 7, 4, 2},
                     {{5, 31, 1, false, false}, 2, 5, 2, 3},
                     {{7, 13, 1, true, true}, 3, 3, 0, 2, {1, 3, 2}},
                     {{11, 5, 1, false, true, /*reverse=*/true}, 4, 7, 3, 1, {4, 1, 3, 2, 4, 1, 2}},
                 },
                 InputMode::kHoisted, 40);
}

// The z7045 and vx690t presets' 1024-bit port: a beat holds a whole descriptor (and 64 state
// words), so the control unit reads one beat per descriptor.
TEST(HwCosim, WidePortBitExact) {
  SKIP_WITHOUT_VERILATOR();
  const LstmShape shape{11, 19, 2, true, true};
  const LstmModel model = MakeRandomModel(shape, 7, "wide");
  LstmInput in = RandomLstmInput(shape, 3, 5, 8);
  in.seq_lens = {3, 1, 2, 3, 2};
  const hw::CosimRun run = Cosim(model, in, PerStep(0, 2), std::nullopt,
                                 LoadBoard(std::string(SBE_TEST_DATA_DIR) + "/hw/wide.json"));
  ExpectBitExact(run);
  EXPECT_EQ(run.document.at("hw_config").at("parameters").at("AXI_BITS").get<int>(), 1024);
}

TEST(HwCosim, RefusesWhatItDoesNotRun) {
  const LstmModel model = MakeRandomModel({3, 5, 1, false, true}, 1, "m");
  const LstmInput in = RandomLstmInput(model.shape, 4, 2, 2);
  const LstmModel stack = MakeRandomModel({3, 5, 2, false, true}, 1, "stack");
  EXPECT_TRUE(testing::ThrowsError([&] { Cosim(stack, RandomLstmInput(stack.shape, 4, 2, 2), Hoisted(0, 0)); },
                                   "stack of 2 layers", "--input-part per-step"));
  Board odd_port = TinyBoard();
  odd_port.dram_port_bits = 96;  // AXI data widths are powers of two
  EXPECT_TRUE(testing::ThrowsError([&] { Cosim(model, in, PerStep(0, 0), {}, odd_port); }, "tiny",
                                   "96-bit memory port"));
}

}  // namespace
}  // namespace sbe
