// Shape arithmetic, validation and presets of the model layer.
#include <gtest/gtest.h>

#include <cmath>

#include "sbe/error.h"
#include "sbe/presets.h"
#include "sbe/tensor.h"

namespace sbe {
namespace {

TEST(LstmShape, LrcnHasTwoToTheTwentyOneWeightsPerFrame) {
  const LstmModel m = MakePreset("lrcn", 0);
  EXPECT_EQ(m.shape.WeightCount(), int64_t{1} << 21);
  EXPECT_EQ(m.default_steps, 32);
  // 2 * 2^21 * 32 = 134.2 M operations per sample, the paper's figure.
  EXPECT_NEAR(2.0 * m.shape.MacsPerStep() * m.default_steps * 1e-6, 134.2, 0.05);
}

TEST(LstmShape, CountsEveryLayerAndDirection) {
  LstmShape s{7, 5, 3, true, false};
  // Layer 0: 2 dirs * 20 rows * (7 + 5); layers 1, 2: 2 * 20 * (10 + 5).
  EXPECT_EQ(s.WeightCount(), 2 * 20 * 12 + 2 * (2 * 20 * 15));
  EXPECT_EQ(s.LayerInputSize(0), 7);
  EXPECT_EQ(s.LayerInputSize(2), 10);
  EXPECT_EQ(s.num_cells(), 6);
}

TEST(Presets, AllPresetsMatchDeepBench) {
  const std::vector<std::pair<std::string, int>> expected = {
      {"deepbench-256", 150}, {"deepbench-512", 25}, {"deepbench-1024", 25},
      {"deepbench-1536", 50}, {"deepbench-2048", 25}};
  for (const auto& [name, steps] : expected) {
    ASSERT_TRUE(IsPreset(name)) << name;
    const LstmModel m = MakePreset(name, 1);
    EXPECT_EQ(m.default_steps, steps) << name;
    EXPECT_EQ(m.shape.input_size, m.shape.hidden_size) << name;
  }
}

TEST(Presets, WeightsAreDeterministicAndInPyTorchRange) {
  const LstmModel a = MakePreset("deepbench-256", 42), b = MakePreset("deepbench-256", 42);
  const LstmModel c = MakePreset("deepbench-256", 43);
  EXPECT_EQ(a.cells[0].w_ih, b.cells[0].w_ih);
  EXPECT_NE(a.cells[0].w_ih, c.cells[0].w_ih);
  const float k = 1.0f / 16.0f;  // 1/sqrt(256)
  float lo = 1, hi = -1;
  for (float w : a.cells[0].w_hh) {
    lo = std::min(lo, w);
    hi = std::max(hi, w);
  }
  EXPECT_GE(lo, -k);
  EXPECT_LE(hi, k);
  EXPECT_LT(lo, -0.9f * k);  // the draw spans the range, not a corner of it
  EXPECT_GT(hi, 0.9f * k);
}

TEST(Presets, UnknownNameListsThePresets) {
  try {
    MakePreset("lrcm", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lrcn"), std::string::npos);
  }
}

TEST(Validate, RefusesNonFiniteWeightsNamingTheTensor) {
  LstmModel m = MakeRandomModel({3, 2, 2, true, true}, 5, "tiny");
  m.source = "tiny.safetensors";
  m.cell(1, 1).w_hh[3] = NAN;
  try {
    m.Validate();
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tiny.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("weight_hh_l1_reverse"), std::string::npos) << what;
  }
  m.cell(1, 1).w_hh[3] = INFINITY;
  EXPECT_THROW(m.Validate(), Error);
}

TEST(Validate, RefusesSizesThatDisagreeWithTheShape) {
  LstmModel m = MakeRandomModel({3, 2, 1, false, true}, 5, "tiny");
  m.cells[0].b_hh.pop_back();
  EXPECT_THROW(m.Validate(), Error);
  m = MakeRandomModel({3, 2, 1, false, false}, 5, "tiny");
  m.cells[0].b_ih.assign(8, 0.0f);  // a bias on a model without bias
  EXPECT_THROW(m.Validate(), Error);
}

TEST(CheckedNumElements, RefusesAbsurdAndNegativeShapesWithoutOverflow) {
  const std::vector<int64_t> huge = {int64_t{1} << 40, int64_t{1} << 40};
  EXPECT_THROW(CheckedNumElements(huge, "x"), Error);
  const std::vector<int64_t> overflow = {int64_t{1} << 62, 4, 4};
  EXPECT_THROW(CheckedNumElements(overflow, "x"), Error);
  const std::vector<int64_t> negative = {3, -1};
  EXPECT_THROW(CheckedNumElements(negative, "x"), Error);
  const std::vector<int64_t> zero = {0, int64_t{1} << 40};
  EXPECT_EQ(CheckedNumElements(zero, "x"), 0);
  const std::vector<int64_t> fine = {3, 5, 7};
  EXPECT_EQ(CheckedNumElements(fine, "x"), 105);
}

}  // namespace
}  // namespace sbe
