// The golden executor reproduces its own fixture set (a regression guard on the definition),
// and the fixtures exercise what they claim to (saturation, lengths, layers).
#include <gtest/gtest.h>

#include "golden_cases.h"
#include "golden_contract.h"

namespace sbe::testing {
namespace {

TEST(GoldenContract, GoldenExecutorIsBitExact) {
  ExpectBitExactOnGoldenFixtures([](const QuantizedModel& m, const FixedInput& in) {
    return RunGolden(m, in);
  });
}

TEST(GoldenContract, FixturesCoverSaturationLayersAndLengths) {
  bool saturated_input = false, saturated_preact = false, multi_layer = false, lengths = false;
  for (const GoldenCase& c : MakeGoldenCases()) {
    const QuantizedModel q = Calibrate(c.model, c.range);
    SaturationCounts counts;
    RunGolden(q, QuantizeInput(q, c.input, &counts), &counts);
    saturated_input |= counts.inputs > 0;
    saturated_preact |= counts.preacts > 0;
    multi_layer |= c.model.shape.num_layers > 1 && c.model.shape.bidirectional;
    lengths |= !c.input.seq_lens.empty();
  }
  EXPECT_TRUE(saturated_input);
  EXPECT_TRUE(saturated_preact);
  EXPECT_TRUE(multi_layer);
  EXPECT_TRUE(lengths);
}

}  // namespace
}  // namespace sbe::testing
