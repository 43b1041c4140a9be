// The fixed-point primitives: rounding, saturation, quantisation and the activation units.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cfloat>
#include <cmath>
#include <random>
#include <string>
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

// The SIMD quantiser of the int16 inputs against Quantizer and the clamp, on every SIMD target
// this CPU runs (the scalar fallback included): floats just around every half on the integer
// grid, the saturation limits, NaN, infinities, denormals and random magnitudes, in arrays
// whose lengths leave tails of every size.
TEST(FixedPoint, QuantizeArrayEqualsQuantizerOnEveryTarget) {
  std::vector<float> xs = {0.0f, -0.0f, NAN, -NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX,
                           FLT_MIN, -FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN};
  for (int k = -70000; k <= 70000; k += 7) {
    const float half = static_cast<float>(k * 0.5);
    for (float x : {std::nextafter(half, -INFINITY), half, std::nextafter(half, INFINITY)}) xs.push_back(x);
  }
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-40, 40);
  for (int i = 0; i < 20000; ++i) xs.push_back(static_cast<float>(std::ldexp(mantissa(rng), exponent(rng))));
  std::vector<std::string> seen;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    seen.push_back(hwy::TargetName(target));
    SCOPED_TRACE(seen.back());
    for (QFormat f : {QFormat{16, 15}, QFormat{16, 11}, QFormat{16, 0}, QFormat{16, -3}, QFormat{16, 30}}) {
      for (int64_t limit : {f.max_int(), f.max_int() - 1000}) {
        for (int64_t n : {int64_t{1}, int64_t{7}, static_cast<int64_t>(xs.size())}) {
          // The grid of f: the halves above sit on its rounding boundaries.
          std::vector<float> in(xs.begin(), xs.begin() + n);
          for (float& x : in) x = static_cast<float>(std::ldexp(double{x}, -f.frac_bits));
          std::vector<int16_t> got(n);
          int64_t want_saturated = 0;
          const int64_t saturated = QuantizeArray(in.data(), n, f, limit, got.data());
          const Quantizer q(f);
          for (int64_t i = 0; i < n; ++i) {
            const int64_t v = q(in[i]);
            if (v > limit || v < -limit || std::isnan(in[i])) ++want_saturated;
            ASSERT_EQ(got[i], std::clamp(v, -limit, limit)) << f.ToString() << " x " << in[i];
          }
          EXPECT_EQ(saturated, want_saturated) << f.ToString() << " n " << n;
        }
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_NE(std::find(seen.begin(), seen.end(), std::string("SCALAR")), seen.end());
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
