// fx::QuantizeArray: the inputs of an int16 run quantised many at a time, compiled once per
// SIMD target by Highway: datapath-inl.h's QuantizeClamped on lanes of doubles, where every
// step is exact (a float times a power of two, plus one half, floored), so the lanes give the
// scalar definition's integers bit for bit.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "numeric/quantize_array.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "numeric/datapath-inl.h"
#include "sbe/fixed_point.h"

HWY_BEFORE_NAMESPACE();
namespace sbe::fx {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int64_t QuantizeArray(const float* x, int64_t n, QFormat f, int64_t limit, int16_t* out) {
  const Quantizer q(f);
  const double lim = static_cast<double>(limit);
  int64_t saturated = 0;
  int64_t i = 0;
#if HWY_HAVE_FLOAT64
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::Rebind<int32_t, decltype(dd)> di;
  const hn::Rebind<int16_t, decltype(dd)> dh;
  using L = Simd<decltype(dd)>;
  const int64_t N = static_cast<int64_t>(hn::Lanes(dd));
  const auto scale = hn::Set(dd, q.scale), lo = hn::Set(dd, q.min), hi = hn::Set(dd, q.max);
  const auto lim_v = hn::Set(dd, lim);
  for (; i + N <= n; i += N) {
    const auto v = QuantizeClamped<L>(hn::PromoteTo(dd, hn::LoadU(df, x + i)), scale, lo, hi, lim_v, &saturated);
    hn::StoreU(hn::DemoteTo(dh, hn::DemoteTo(di, v)), dh, out + i);
  }
#endif
  for (; i < n; ++i) {  // the tail, and targets without double lanes: one lane at a time
    out[i] = static_cast<int16_t>(QuantizeClamped<Scalar<double>>(x[i], q.scale, q.min, q.max, lim, &saturated));
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
