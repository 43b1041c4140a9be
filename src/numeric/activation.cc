// Sigmoid and tanh as the hardware computes them: a 513-entry table and linear interpolation.
#include <array>
#include <cmath>

#include "sbe/fixed_point.h"

namespace sbe::fx {
namespace {

using Table = ActivationTable;

template <typename F>
Table MakeTable(F f) {
  Table t{};
  for (int k = 0; k <= kSegments; ++k) {
    const double x = Dequantize(int64_t{k} * (1 << kSegmentBits) + kPreact.min_int(), kPreact);
    t[k] = static_cast<int16_t>(Quantize(f(x), kGate));
  }
  return t;
}

int16_t Interpolate(const Table& t, int16_t preact) {
  const int32_t offset = int32_t{preact} - static_cast<int32_t>(kPreact.min_int());  // 0..65535
  const int32_t k = offset >> kSegmentBits;
  const int32_t frac = offset & ((1 << kSegmentBits) - 1);
  const int64_t delta = RoundShift(int64_t{t[k + 1] - t[k]} * frac, kSegmentBits);
  return static_cast<int16_t>(Saturate(t[k] + delta, kGate.bits));
}

}  // namespace

const Table& SigmoidTable() {
  static const Table t = MakeTable([](double x) { return 1.0 / (1.0 + std::exp(-x)); });
  return t;
}

const Table& TanhTable() {
  static const Table t = MakeTable([](double x) { return std::tanh(x); });
  return t;
}

int16_t Sigmoid(int16_t preact) { return Interpolate(SigmoidTable(), preact); }
int16_t Tanh(int16_t preact) { return Interpolate(TanhTable(), preact); }

}  // namespace sbe::fx
