// The datapath's scalar API (fixed_point.h): the one-lane instances of datapath-inl.h, which
// the golden model, calibration and the tests call; formats and their names.
#include "sbe/fixed_point.h"

#include <cmath>

#include "numeric/datapath-inl.h"
#include "sbe/error.h"

namespace sbe::fx {
namespace {
namespace dp = HWY_NAMESPACE;
using Int = dp::Scalar<int64_t>;
using Real = dp::Scalar<double>;
}  // namespace

double QFormat::scale() const { return std::ldexp(1.0, -frac_bits); }

std::string QFormat::ToString() const {
  const std::string q = fmt::format("Q{}.{}", bits - 1 - frac_bits, frac_bits);
  return bits == 16 ? q : fmt::format("{}/{}", q, bits);
}

int64_t Saturate(int64_t v, int bits) { return dp::Saturate<Int>(v, bits); }
int64_t RoundShift(int64_t v, int shift) { return dp::RoundShift<Int>(v, shift); }
int64_t Convert(int64_t v, QFormat from, QFormat to) {
  return Saturate(RoundShift(v, from.frac_bits - to.frac_bits), to.bits);
}

int64_t InputPart(int64_t acc_x, int64_t bias, int x_shift) {
  return dp::InputPart<Int>(acc_x, bias, x_shift);
}

int16_t Preactivation(int64_t input_part, int64_t acc_h, int h_shift, int64_t* saturated) {
  return static_cast<int16_t>(dp::Preactivation<Int>(input_part, acc_h, h_shift, saturated));
}

Quantizer::Quantizer(QFormat f)
    : scale(std::ldexp(1.0, f.frac_bits)),
      max(static_cast<double>(f.max_int())),
      min(static_cast<double>(f.min_int())) {}

int64_t Quantizer::operator()(double x) const {
  return static_cast<int64_t>(dp::Quantize<Real>(x, scale, min, max));
}

int64_t Quantize(double x, QFormat f) { return Quantizer(f)(x); }

int64_t QuantizeClamped(double x, const Quantizer& q, int64_t limit, int64_t* saturated) {
  return static_cast<int64_t>(
      dp::QuantizeClamped<Real>(x, q.scale, q.min, q.max, static_cast<double>(limit), saturated));
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

CellUpdate UpdateCell(int16_t i, int16_t f, int16_t g, int16_t o, int32_t c, QFormat h_format,
                      int64_t* saturated) {
  int64_t count = 0;
  const dp::CellStep<Int> u = dp::UpdateCell<Int>(TanhTable(), i, f, g, o, c, h_format.frac_bits, &count);
  if (saturated) *saturated += count;
  return {static_cast<int32_t>(u.c), static_cast<int16_t>(u.h)};
}

}  // namespace sbe::fx
