// Rounding, saturation, quantisation and the cell update of the fixed-point datapath.
#include <cmath>

#include "sbe/fixed_point.h"
#include "sbe/error.h"

namespace sbe::fx {

double QFormat::scale() const { return std::ldexp(1.0, -frac_bits); }

std::string QFormat::ToString() const {
  const std::string q = fmt::format("Q{}.{}", bits - 1 - frac_bits, frac_bits);
  return bits == 16 ? q : fmt::format("{}/{}", q, bits);
}

int64_t Saturate(int64_t v, int bits) {
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1, lo = -(int64_t{1} << (bits - 1));
  return v > hi ? hi : v < lo ? lo : v;
}

int64_t RoundShift(int64_t v, int shift) {
  if (shift <= 0) return v * (int64_t{1} << -shift);
  return (v + (int64_t{1} << (shift - 1))) >> shift;  // C++20: >> is arithmetic
}

int64_t Convert(int64_t v, QFormat from, QFormat to) {
  return Saturate(RoundShift(v, from.frac_bits - to.frac_bits), to.bits);
}

int NaturalFracBits(double max_abs, int bits) {
  constexpr int kMaxFrac = 30;
  const QFormat probe{bits, 0};
  int frac = kMaxFrac;
  while (frac > -kMaxFrac &&
         std::floor(std::ldexp(max_abs, frac) + 0.5) > static_cast<double>(probe.max_int())) {
    --frac;
  }
  return frac;
}

CellUpdate UpdateCell(int16_t i, int16_t f, int16_t g, int16_t o, int32_t c, QFormat h_format) {
  // Products of Q0.15 gates with Q16.15 (c) or Q0.15 (g) operands carry 30 fractional bits;
  // each is rounded back to the cell's 15 before the add, as two DSP outputs would be.
  const int64_t fc = RoundShift(int64_t{f} * c, kGate.frac_bits);
  const int64_t ig = RoundShift(int64_t{i} * g, kGate.frac_bits);
  const int32_t c_next = static_cast<int32_t>(Saturate(fc + ig, kCell.bits));
  const int16_t t = Tanh(static_cast<int16_t>(Convert(c_next, kCell, kPreact)));
  const QFormat product{32, 2 * kGate.frac_bits};
  const int16_t h = static_cast<int16_t>(Convert(int64_t{o} * t, product, h_format));
  return {c_next, h};
}

}  // namespace sbe::fx
