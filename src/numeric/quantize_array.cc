// fx::QuantizeArray: the inputs of an int16 run quantised many at a time, compiled once per
// SIMD target by Highway. Every step is exact in double (a float times a power of two, plus
// one half, floored), so the lanes give Quantizer's integers bit for bit.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "numeric/quantize_array.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "sbe/fixed_point.h"

HWY_BEFORE_NAMESPACE();
namespace sbe::fx {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int64_t QuantizeArray(const float* x, int64_t n, QFormat f, int64_t limit, int16_t* out) {
  const Quantizer quantize(f);
  const double lim = static_cast<double>(limit);
  int64_t saturated = 0;
  int64_t i = 0;
#if HWY_HAVE_FLOAT64
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::Rebind<int32_t, decltype(dd)> di;
  const hn::Rebind<int16_t, decltype(dd)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(dd));
  const auto scale = hn::Set(dd, quantize.scale), half = hn::Set(dd, 0.5);
  const auto lo = hn::Set(dd, quantize.min), hi = hn::Set(dd, quantize.max);
  const auto lim_hi = hn::Set(dd, lim), lim_lo = hn::Set(dd, -lim);
  for (; i + N <= n; i += N) {
    const auto v = hn::MulAdd(hn::PromoteTo(dd, hn::LoadU(df, x + i)), scale, half);
    const auto nan = hn::IsNaN(v);
    // Quantizer: floor, then the format's range (NaN lanes are replaced below).
    const auto q = hn::Min(hn::Max(hn::Floor(v), lo), hi);
    const auto over = hn::Or(hn::Gt(q, lim_hi), hn::Lt(q, lim_lo));
    saturated += static_cast<int64_t>(hn::CountTrue(dd, hn::Or(over, nan)));
    const auto kept = hn::IfThenZeroElse(nan, hn::Min(hn::Max(q, lim_lo), lim_hi));
    hn::StoreU(hn::DemoteTo(dh, hn::DemoteTo(di, kept)), dh, out + i);
  }
#endif
  for (; i < n; ++i) {  // the tail, and targets without double lanes: the definition itself
    out[i] = static_cast<int16_t>(QuantizeClamped(x[i], quantize, limit, &saturated));
  }
  return saturated;
}

}  // namespace HWY_NAMESPACE
}  // namespace sbe::fx
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sbe::fx {
HWY_EXPORT(QuantizeArray);
int64_t QuantizeArray(const float* x, int64_t n, QFormat f, int64_t limit, int16_t* out) {
  return HWY_DYNAMIC_DISPATCH(QuantizeArray)(x, n, f, limit, out);
}
}  // namespace sbe::fx
#endif  // HWY_ONCE
