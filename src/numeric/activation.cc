// Sigmoid and tanh as the hardware computes them: a 1025-entry table per function (one BRAM)
// and linear interpolation (one DSP); the interpolation itself is datapath-inl.h's Activate.
#include <array>
#include <cmath>

#include "numeric/datapath-inl.h"
#include "sbe/fixed_point.h"

namespace sbe::fx {
namespace {

using Table = ActivationTable;

// Entry k: the function at the start of segment k, -16 + k/32, quantised to Q0.15.
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
  return static_cast<int16_t>(HWY_NAMESPACE::Activate<HWY_NAMESPACE::Scalar<int64_t>>(t, preact));
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
