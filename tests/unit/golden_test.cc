// The golden fixed-point model against the double reference, and calibration's overflow proof.
#include <gtest/gtest.h>

#include <cmath>

#include "common/random.h"
#include "sbe/error.h"
#include "sbe/golden.h"
#include "sbe/presets.h"
#include "sbe/reference.h"

namespace sbe {
namespace {

LstmInput RandomInput(const LstmShape& s, int64_t T, int64_t B, float amplitude, uint64_t seed,
                      bool with_state) {
  Random rng(seed);
  LstmInput in;
  in.x = TensorF({T, B, s.input_size});
  for (float& v : in.x.data) v = rng.Uniform(-amplitude, amplitude);
  if (with_state) {
    in.h0 = TensorF({s.num_cells(), B, s.hidden_size});
    in.c0 = TensorF({s.num_cells(), B, s.hidden_size});
    for (float& v : in.h0.data) v = rng.Uniform(-0.9f, 0.9f);
    for (float& v : in.c0.data) v = rng.Uniform(-2, 2);
  }
  return in;
}

// Calibration's claim, checked independently: every row's integer L1 norm times the largest
// input integer stays inside the 32-bit accumulator.
void ExpectAccumulatorsSafe(const QuantizedModel& q) {
  const LstmShape& s = q.shape;
  for (int l = 0; l < s.num_layers; ++l) {
    for (int d = 0; d < s.directions(); ++d) {
      const QuantizedCell& c = q.cell(l, d);
      const int64_t h_limit = int64_t{1} << q.layers[l].h_format.frac_bits;
      EXPECT_LE(MaxRowL1(c.w_ih, s.GateRows(), s.LayerInputSize(l)) * q.layers[l].input_limit,
                int64_t{INT32_MAX});
      EXPECT_LE(MaxRowL1(c.w_hh, s.GateRows(), s.hidden_size) * h_limit, int64_t{INT32_MAX});
    }
  }
}

struct Case {
  LstmShape shape;
  int64_t steps, batch;
};

class GoldenVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenVsReference, StaysCloseOnAwkwardSizes) {
  const Case& c = GetParam();
  const LstmModel m = MakeRandomModel(c.shape, 1000 + c.shape.input_size, "random");
  const LstmInput in = RandomInput(c.shape, c.steps, c.batch, 1.0f, 7, true);
  const QuantizedModel q = Calibrate(m, RangeFromSample(in.x));
  ExpectAccumulatorsSafe(q);
  SaturationCounts counts;
  const FixedInput fin = QuantizeInput(q, in, &counts);
  EXPECT_EQ(counts.inputs, 0);
  const LstmOutput out = DequantizeOutput(q, RunGolden(q, fin, &counts));
  const LstmResult<double> ref = RunReference(m, in);
  EXPECT_EQ(counts.preacts, 0);
  const ErrorStats y = CompareToReference(out.y, ref.y), cn = CompareToReference(out.c_n, ref.c_n);
  EXPECT_LT(y.max, 5e-3) << c.shape.ToString();
  EXPECT_LT(y.mean, 1e-3) << c.shape.ToString();
  EXPECT_LT(cn.max, 1e-2) << c.shape.ToString();
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GoldenVsReference,
    ::testing::Values(Case{{1, 1, 1, false, true}, 1, 1}, Case{{7, 13, 1, false, true}, 9, 3},
                      Case{{31, 17, 2, true, true}, 11, 5}, Case{{5, 29, 3, false, false}, 4, 2},
                      Case{{97, 61, 1, true, true}, 6, 7}, Case{{300, 127, 2, false, true}, 5, 1}));

TEST(Golden, LrcnMeetsTheAccuracyTarget) {
  const LstmModel m = MakePreset("lrcn", 0);
  const LstmInput in = RandomInput(m.shape, 32, 2, 1.0f, 3, false);
  const QuantizedModel q = Calibrate(m, InputRange{});
  ExpectAccumulatorsSafe(q);
  SaturationCounts counts;
  const LstmOutput out = DequantizeOutput(q, RunGolden(q, QuantizeInput(q, in, &counts)));
  const LstmResult<double> ref = RunReference(m, in);
  const ErrorStats y = CompareToReference(out.y, ref.y);
  EXPECT_LE(y.max, 1e-2);
  EXPECT_LE(y.mean, 1e-3);
}

TEST(Golden, InputsOutsideTheRangeSaturateAndAreCounted) {
  const LstmModel m = MakeRandomModel({4, 3, 1, false, true}, 1, "m");
  LstmInput in = RandomInput(m.shape, 3, 2, 0.5f, 2, false);
  in.x.data[0] = 3.0f;
  in.x.data[5] = -7.0f;
  const QuantizedModel q = Calibrate(m, InputRange{-1, 1});
  SaturationCounts counts;
  const FixedInput f = QuantizeInput(q, in, &counts);
  EXPECT_EQ(counts.inputs, 2);
  EXPECT_EQ(f.x.data[0], q.layers[0].input_limit);
  EXPECT_EQ(f.x.data[5], -q.layers[0].input_limit);
}

TEST(Golden, LargeInputRangeTakesBitsFromTheInputNotTheProof) {
  const LstmModel m = MakeRandomModel({64, 32, 1, false, true}, 3, "m");
  const QuantizedModel q = Calibrate(m, InputRange{-1000, 1000});
  ExpectAccumulatorsSafe(q);
  EXPECT_LE(q.layers[0].input_format.frac_bits, 5);
}

TEST(Golden, HugeWeightsWarnAndStaySafe) {
  LstmModel m = MakeRandomModel({4000, 8, 1, false, true}, 3, "m");
  for (float& w : m.cells[0].w_ih) w = w > 0 ? 50.0f : -50.0f;
  const QuantizedModel q = Calibrate(m, InputRange{-1, 1});
  ExpectAccumulatorsSafe(q);
  ASSERT_FALSE(q.warnings.empty());
  EXPECT_NE(q.warnings[0].find("weight_ih_l0"), std::string::npos) << q.warnings[0];
}

TEST(Golden, RefusesABiasTheFormatCannotRepresent) {
  LstmModel m = MakeRandomModel({4, 3, 2, false, true}, 1, "m");
  m.cell(1, 0).b_hh[5] = 3e6f;
  try {
    Calibrate(m, InputRange{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bias_l1"), std::string::npos) << e.what();
  }
}

TEST(Golden, RefusesEmptyOrNonFiniteRanges) {
  const LstmModel m = MakeRandomModel({4, 3, 1, false, true}, 1, "m");
  EXPECT_THROW(Calibrate(m, InputRange{1, 1}), Error);
  EXPECT_THROW(Calibrate(m, InputRange{2, -2}), Error);
  EXPECT_THROW(Calibrate(m, InputRange{-INFINITY, 1}), Error);
  EXPECT_THROW(Calibrate(m, InputRange{NAN, 1}), Error);
}

}  // namespace
}  // namespace sbe
