// The fixed-point primitives: rounding, saturation, quantisation and the activation units.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sbe/fixed_point.h"

namespace sbe::fx {
namespace {

TEST(FixedPoint, RoundShiftIsRoundHalfUp) {
  EXPECT_EQ(RoundShift(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(RoundShift(-5, 1), -2);  // -2.5 -> -2 (half up, toward +inf)
  EXPECT_EQ(RoundShift(-6, 1), -3);
  EXPECT_EQ(RoundShift(7, 2), 2);    // 1.75 -> 2
  EXPECT_EQ(RoundShift(-7, 2), -2);
  EXPECT_EQ(RoundShift(3, 0), 3);
  EXPECT_EQ(RoundShift(3, -4), 48);  // exact left shift
}

TEST(FixedPoint, SaturateAndConvert) {
  EXPECT_EQ(Saturate(40000, 16), 32767);
  EXPECT_EQ(Saturate(-40000, 16), -32768);
  EXPECT_EQ(Saturate(int64_t{1} << 40, 32), 2147483647);
  EXPECT_EQ(Convert(int64_t{1} << 20, QFormat{32, 15}, kPreact), 32767);  // 32.0 > 16
  EXPECT_EQ(Convert(3 << 15, QFormat{32, 15}, kPreact), 3 << 11);
}

TEST(FixedPoint, QuantizeRoundsAndSaturates) {
  EXPECT_EQ(Quantize(0.5, kGate), 16384);
  EXPECT_EQ(Quantize(1.0, kGate), 32767);
  EXPECT_EQ(Quantize(-1.0, kGate), -32768);
  EXPECT_EQ(Quantize(1e30, kPreact), 32767);
  EXPECT_EQ(Quantize(-1e30, kPreact), -32768);
  EXPECT_EQ(Quantize(NAN, kPreact), 0);
  EXPECT_EQ(Quantize(-0.75 / 2048, kPreact), -1);  // -1.5 LSB -> -1 (half up)
}

// The inline Quantizer against the definition written out with std::floor, on the values
// where an inline floor could go wrong: around every half, at the saturation limits, huge,
// infinite and NaN inputs, for formats with positive, zero and negative frac_bits.
TEST(FixedPoint, QuantizerEqualsRoundHalfUpDefinition) {
  const auto definition = [](double x, QFormat f) -> int64_t {
    if (std::isnan(x)) return 0;
    const double scaled = std::floor(std::ldexp(x, f.frac_bits) + 0.5);
    if (scaled >= static_cast<double>(f.max_int())) return f.max_int();
    if (scaled <= static_cast<double>(f.min_int())) return f.min_int();
    return static_cast<int64_t>(scaled);
  };
  std::vector<double> xs = {0.0, -0.0, 1e300, -1e300, INFINITY, -INFINITY, NAN, 1e-300, -1e-300};
  for (int k = -70000; k <= 70000; ++k) {
    for (double d : {-1e-9, 0.0, 1e-9}) xs.push_back(k * 0.5 + d);
  }
  for (QFormat f : {QFormat{16, 15}, QFormat{16, 0}, QFormat{16, -3}, QFormat{16, 8}, QFormat{32, 15}}) {
    const Quantizer q(f);
    for (double x : xs) {
      const double in = std::ldexp(x, -f.frac_bits);  // x on the integer grid of f
      ASSERT_EQ(q(in), definition(in, f)) << f.ToString() << " x " << in;
    }
  }
}

TEST(FixedPoint, NaturalFracBitsUsesTheWholeRange) {
  EXPECT_EQ(NaturalFracBits(0.0625, 16), 18);  // 0.0625 * 2^18 = 16384 fits; 2^19 -> 32768 not
  EXPECT_EQ(NaturalFracBits(1.0, 16), 14);
  EXPECT_EQ(NaturalFracBits(0.99, 16), 15);
  EXPECT_EQ(NaturalFracBits(100.0, 16), 8);
  EXPECT_EQ(NaturalFracBits(0.0, 16), 30);
}

TEST(FixedPoint, FormatNames) {
  EXPECT_EQ(kPreact.ToString(), "Q4.11");
  EXPECT_EQ(kGate.ToString(), "Q0.15");
  EXPECT_EQ(kCell.ToString(), "Q16.15/32");
}

// The bound written in docs/FIXED_POINT.md: measured here over every int16 input.
TEST(Activation, ErrorOverEveryInt16InputIsWithinTheDocumentedBound) {
  double max_sigmoid = 0, max_tanh = 0;
  int16_t prev_s = INT16_MIN, prev_t = INT16_MIN;
  for (int32_t z = INT16_MIN; z <= INT16_MAX; ++z) {
    const double x = Dequantize(z, kPreact);
    const int16_t s = Sigmoid(static_cast<int16_t>(z)), t = Tanh(static_cast<int16_t>(z));
    max_sigmoid = std::max(max_sigmoid, std::fabs(Dequantize(s, kGate) - 1 / (1 + std::exp(-x))));
    max_tanh = std::max(max_tanh, std::fabs(Dequantize(t, kGate) - std::tanh(x)));
    EXPECT_GE(s, prev_s) << "sigmoid not monotonic at " << z;
    EXPECT_GE(t, prev_t) << "tanh not monotonic at " << z;
    prev_s = s;
    prev_t = t;
  }
  RecordProperty("max_sigmoid_error", std::to_string(max_sigmoid));
  RecordProperty("max_tanh_error", std::to_string(max_tanh));
  std::printf("max |sigmoid error| = %.3e, max |tanh error| = %.3e\n", max_sigmoid, max_tanh);
  EXPECT_LT(max_sigmoid, 4e-5);
  EXPECT_LT(max_tanh, 1.2e-4);
  EXPECT_EQ(Sigmoid(0), 16384);
  EXPECT_EQ(Tanh(0), 0);
}

TEST(CellUpdate, MatchesRealArithmeticWithinRounding) {
  const QFormat h{16, 12};
  // i = 0.75, f = 0.5, g = -0.25, o = 0.9, c = 1.5
  const CellUpdate u = UpdateCell(24576, 16384, -8192, 29491, 3 << 14, h);
  const double c = 0.5 * 1.5 + 0.75 * -0.25;
  EXPECT_NEAR(Dequantize(u.c, kCell), c, 2.0 / 32768);
  EXPECT_NEAR(Dequantize(u.h, h), 0.9 * std::tanh(c), 3e-4);
  // f < 1 in Q0.15, so a cell at the top of its range shrinks instead of wrapping: |c| can
  // never exceed 2^15 / (1 - f) < 2^16 from inside the range (docs/FIXED_POINT.md).
  const CellUpdate top = UpdateCell(32767, 32767, 32767, 32767, INT32_MAX, h);
  EXPECT_GT(top.c, 0);
  EXPECT_LT(top.c, INT32_MAX);
  const CellUpdate bottom = UpdateCell(32767, 32767, -32768, 32767, INT32_MIN, h);
  EXPECT_LT(bottom.c, 0);
}

}  // namespace
}  // namespace sbe::fx
