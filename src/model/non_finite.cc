// FirstNonFinite, compiled once per SIMD target by Highway (runtime dispatch). A scalar loop
// does not vectorize here: without -ffast-math the compiler keeps every compare in order.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "model/non_finite.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cmath>

#include "model/non_finite.h"

HWY_BEFORE_NAMESPACE();
namespace sbe {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

int64_t FirstNonFinite(const float* p, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  // Four vectors per test: the branch is taken once at most, so it costs nothing to predict.
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto finite = hn::And(hn::And(hn::IsFinite(hn::LoadU(d, p + i)), hn::IsFinite(hn::LoadU(d, p + i + lanes))),
                                hn::And(hn::IsFinite(hn::LoadU(d, p + i + 2 * lanes)),
                                        hn::IsFinite(hn::LoadU(d, p + i + 3 * lanes))));
    if (!hn::AllTrue(d, finite)) break;
  }
  for (; i < n; ++i) {
    if (!std::isfinite(p[i])) return i;
  }
  return -1;
}

}  // namespace HWY_NAMESPACE
}  // namespace sbe
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sbe {
HWY_EXPORT(FirstNonFinite);
int64_t FirstNonFinite(const float* p, int64_t n) { return HWY_DYNAMIC_DISPATCH(FirstNonFinite)(p, n); }
}  // namespace sbe
#endif  // HWY_ONCE
