// The golden model against integers worked out by hand, independently of its code: its own
// oracle, where the fixtures under tests/data/golden only record what it once computed. The
// activation table entries are floor(f(x) * 32768 + 1/2) at x = -16 + k/32, from the real
// function's value written beside each; every other step is docs/FIXED_POINT.md's arithmetic
// on the integers shown.
#include <gtest/gtest.h>

#include "sbe/fixed_point.h"
#include "sbe/golden.h"
#include "sbe/quantized_model.h"

namespace sbe {
namespace {

// Table entries used below (k: the segment; f(x) * 32768 in parentheses).
constexpr int16_t kSigmoid0 = 16384;         // k 512, x 0:       16384
constexpr int16_t kSigmoid1 = 23955;         // k 544, x 1:       23955.33
constexpr int16_t kSigmoid1Over32 = 16640;   // k 513, x 1/32:    16639.98
constexpr int16_t kSigmoidK517 = 17661;      // k 517, x 0.15625: 17661.40
constexpr int16_t kSigmoidK518 = 17916;      // k 518, x 0.1875:  17915.52
constexpr int16_t kTanh1 = 24956;            // k 544, x 1:       24955.92
constexpr int16_t kTanhK520 = 8025;          // k 520, x 0.25:    8025.49
constexpr int16_t kTanhK521 = 8980;          // k 521, x 0.28125: 8980.45
constexpr int16_t kTanhK524 = 11743;         // k 524, x 0.375:   11742.66
constexpr int16_t kTanhK525 = 12625;         // k 525, x 0.40625: 12624.99

TEST(GoldenByHand, ActivationsAtSegmentStartsAreTheTable) {
  EXPECT_EQ(fx::Sigmoid(0), kSigmoid0);
  EXPECT_EQ(fx::Sigmoid(2048), kSigmoid1);  // 1.0 in Q4.11
  EXPECT_EQ(fx::Tanh(2048), kTanh1);
  EXPECT_EQ(fx::Tanh(0), 0);
  EXPECT_EQ(fx::Tanh(-2048), -kTanh1);  // floor(-24955.92 + 0.5) = -24956
}

TEST(GoldenByHand, ActivationsInterpolateInsideASegment) {
  // 32 LSB = 1/64: segment 512, 32 of its 64 steps. 16384 + RoundShift((16640 - 16384) * 32, 6)
  // = 16384 + 128.
  EXPECT_EQ(fx::Sigmoid(32), kSigmoid0 + (kSigmoid1Over32 - kSigmoid0) / 2);
  EXPECT_EQ(fx::Sigmoid(32), 16512);
  // 372: offset 33140 = segment 517, frac 52: 17661 + RoundShift(255 * 52 = 13260, 6) = 17661 + 207.
  static_assert(kSigmoidK518 - kSigmoidK517 == 255);
  EXPECT_EQ(fx::Sigmoid(372), kSigmoidK517 + 207);
  // -2048 - 1: one step below -1.0, in segment 479 at frac 63: the rise of the segment before
  // x = -1 (sigmoid(-1 - 1/32) * 32768 = 8612.80 -> 8613; sigmoid(-1) * 32768 = 8812.67 ->
  // 8813), 8613 + RoundShift(200 * 63 = 12600, 6) = 8613 + 197 = 8810.
  EXPECT_EQ(fx::Sigmoid(-2049), 8810);
}

TEST(GoldenByHand, PreactivationRoundsEachPartThenSaturates) {
  int64_t saturated = 0;
  // acc_x = 2^25 + 2^14 at shift 15: 1024.5 rounds half up to 1025; + bias 7.
  EXPECT_EQ(fx::InputPart((int64_t{1} << 25) + (1 << 14), 7, 15), 1032);
  // acc_h = -5 * 2^17 at shift 18: -2.5 rounds half up to -2.
  EXPECT_EQ(fx::Preactivation(1032, -5 * (1 << 17), 18, &saturated), 1030);
  EXPECT_EQ(saturated, 0);
  // 2^30 >> 15 = 32768, + 100: beyond Q4.11, saturated to 32767 and counted.
  EXPECT_EQ(fx::Preactivation(fx::InputPart(int64_t{1} << 30, 100, 15), 0, 18, &saturated), 32767);
  EXPECT_EQ(saturated, 1);
}

// One cell, input 1, hidden 1, two steps, by hand. Formats: x Q3.12, h Q0.15, both weight
// matrices Q1.14, so x_shift = 14 + 12 - 11 = 15 and h_shift = 14 + 15 - 11 = 18.
// Gate rows i, f, g, o: W_ih = (0, 0, 1.0, 0), W_hh = (0, 0, 0, 1.0), bias = (0, 1.0, 0, 0).
TEST(GoldenByHand, TwoStepsOfOneCell) {
  QuantizedModel m;
  m.name = "by hand";
  m.shape = LstmShape{1, 1, 1, false, true};
  m.layers = {{fx::QFormat{16, 12}, fx::QFormat{16, 15}, 32767}};
  QuantizedCell c;
  c.w_ih = {0, 0, 16384, 0};
  c.w_hh = {0, 0, 0, 16384};
  c.bias = {0, 2048, 0, 0};
  c.w_ih_format = fx::QFormat{16, 14};
  c.w_hh_format = fx::QFormat{16, 14};
  m.cells = {c};

  FixedInput in;
  in.x = Tensor<int16_t>({2, 1, 1});
  in.x.data = {4096, 0};  // 1.0, then 0.0

  // Step 1, h0 = c0 = 0. acc_x(g) = 16384 * 4096 = 2^26, >> 15 = 2048: z = (0, 2048, 2048, 0).
  //   i = sigmoid(0) = 16384, f = sigmoid(1) = 23955, g = tanh(1) = 24956, o = sigmoid(0) = 16384.
  //   c1 = RoundShift(23955 * 0, 15) + RoundShift(16384 * 24956, 15) = 0 + 12478.
  //   tanh's input: RoundShift(12478, 4) = 780 (779.875 + 0.5 floored): segment 524, frac 12,
  //   11743 + RoundShift((12625 - 11743) * 12 = 10584, 6) = 11743 + 165 = 11908.
  //   h1 = RoundShift(16384 * 11908, 15) = 5954.
  const int16_t t1 = kTanhK524 + 165;
  static_assert(kTanhK525 - kTanhK524 == 882);
  const int32_t c1 = 12478;
  const int16_t h1 = 5954;
  EXPECT_EQ(t1, 11908);
  // Step 2, x = 0. z = (0, 2048, 0, RoundShift(16384 * 5954, 18) = 372 (372.125)).
  //   i = 16384, f = 23955, g = tanh(0) = 0, o = sigmoid(372) = 17868 (above).
  //   c2 = RoundShift(23955 * 12478 = 298910490, 15) + 0 = 9122 (9122.02).
  //   tanh's input: RoundShift(9122, 4) = 570 (570.125): segment 520, frac 58,
  //   8025 + RoundShift((8980 - 8025) * 58 = 55390, 6) = 8025 + 865 = 8890.
  //   h2 = RoundShift(17868 * 8890 = 158846520, 15) = 4848 (4847.6).
  const int16_t o2 = kSigmoidK517 + 207;
  const int16_t t2 = kTanhK520 + 865;
  static_assert(kTanhK521 - kTanhK520 == 955);
  const int32_t c2 = 9122;
  const int16_t h2 = 4848;
  EXPECT_EQ(o2, 17868);
  EXPECT_EQ(t2, 8890);

  SaturationCounts counts;
  const FixedOutput out = RunGolden(m, in, &counts);
  ASSERT_EQ(out.y.shape, (std::vector<int64_t>{2, 1, 1}));
  EXPECT_EQ(out.y.data, (std::vector<int16_t>{h1, h2}));
  EXPECT_EQ(out.h_n.data, (std::vector<int16_t>{h2}));
  EXPECT_EQ(out.c_n.data, (std::vector<int32_t>{c2}));
  EXPECT_EQ(counts.preacts + counts.cells + counts.inputs, 0);

  // The same cell from c0 = c1 and h0 = h1 is step 2 alone.
  FixedInput second;
  second.x = Tensor<int16_t>({1, 1, 1});
  second.h0 = Tensor<int16_t>({1, 1, 1}, h1);
  second.c0 = Tensor<int32_t>({1, 1, 1}, c1);
  const FixedOutput resumed = RunGolden(m, second);
  EXPECT_EQ(resumed.y.data, (std::vector<int16_t>{h2}));
  EXPECT_EQ(resumed.c_n.data, (std::vector<int32_t>{c2}));
}

// A reverse stack walks the sequence from the last step: the same two inputs in the other
// order give the same two outputs, written at the time indices they belong to.
TEST(GoldenByHand, ReverseCellWalksTheSequenceBackwards) {
  QuantizedModel m;
  m.shape = LstmShape{1, 1, 1, false, true, /*reverse=*/true};
  m.layers = {{fx::QFormat{16, 12}, fx::QFormat{16, 15}, 32767}};
  QuantizedCell c;
  c.w_ih = {0, 0, 16384, 0};
  c.w_hh = {0, 0, 0, 16384};
  c.bias = {0, 2048, 0, 0};
  c.w_ih_format = c.w_hh_format = fx::QFormat{16, 14};
  m.cells = {c};
  FixedInput in;
  in.x = Tensor<int16_t>({2, 1, 1});
  in.x.data = {0, 4096};
  const FixedOutput out = RunGolden(m, in);
  EXPECT_EQ(out.y.data, (std::vector<int16_t>{4848, 5954}));
  EXPECT_EQ(out.c_n.data, (std::vector<int32_t>{9122}));
}

}  // namespace
}  // namespace sbe
