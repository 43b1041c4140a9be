// Measures this CPU's int16 multiply-add peak on all cores (the compute ceiling of the `cpu`
// board), with Highway's runtime dispatch to the best SIMD target the machine has.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "plan/cpu_peak.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace sbe {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// 8 independent accumulator chains: enough to cover the multiply-add latency on two ports,
// few enough to stay in the 16 vector registers of AVX2 (spills would time the stack).
// Each chain feeds its own sum back as the next multiplicand, so nothing is loop-invariant
// and the compiler cannot hoist the multiplies out of the loop.
int64_t Int16MacLoop(int64_t iterations, int16_t seed) {
  const hn::ScalableTag<int16_t> d16;
  const hn::Repartition<int32_t, decltype(d16)> d32;
  const auto b = hn::Set(d16, static_cast<int16_t>(seed + 1));
  auto s0 = hn::Set(d32, seed), s1 = hn::Set(d32, seed + 1), s2 = hn::Set(d32, seed + 2);
  auto s3 = hn::Set(d32, seed + 3), s4 = hn::Set(d32, seed + 4), s5 = hn::Set(d32, seed + 5);
  auto s6 = hn::Set(d32, seed + 6), s7 = hn::Set(d32, seed + 7);
  auto unused = hn::Zero(d32);
  for (int64_t i = 0; i < iterations; ++i) {
    s0 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s0), b, s0, unused);
    s1 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s1), b, s1, unused);
    s2 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s2), b, s2, unused);
    s3 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s3), b, s3, unused);
    s4 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s4), b, s4, unused);
    s5 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s5), b, s5, unused);
    s6 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s6), b, s6, unused);
    s7 = hn::ReorderWidenMulAccumulate(d32, hn::BitCast(d16, s7), b, s7, unused);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)),
                           hn::Add(hn::Add(s4, s5), hn::Add(s6, hn::Add(s7, unused))));
  return hn::GetLane(hn::SumOfLanes(d32, sum));
}

int64_t Int16MacsPerIteration() { return 8 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<int16_t>())); }

}  // namespace HWY_NAMESPACE
}  // namespace sbe
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "plan/cpu_board.h"

namespace sbe {

HWY_EXPORT(Int16MacLoop);
HWY_EXPORT(Int16MacsPerIteration);

double MeasurePeakInt16Gmacs() {
  const int threads = std::max(1u, std::thread::hardware_concurrency());
  const int64_t iterations = 20'000'000;
  std::atomic<int64_t> sink{0};
  double best = 0;
  for (int rep = 0; rep < 2; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] { sink += HWY_DYNAMIC_DISPATCH(Int16MacLoop)(iterations, static_cast<int16_t>(t + 2)); });
    }
    for (auto& th : pool) th.join();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double macs = static_cast<double>(HWY_DYNAMIC_DISPATCH(Int16MacsPerIteration)()) * iterations * threads;
    best = std::max(best, macs / s * 1e-9);
  }
  return sink.load() == 42 ? best + 0.0 : best;  // keeps the sums alive
}

}  // namespace sbe
#endif  // HWY_ONCE
