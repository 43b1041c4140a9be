// Measures this CPU's int16 multiply-add peak on all cores (the compute ceiling of the `cpu`
// board), with Highway's runtime dispatch to the best SIMD target the machine has.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/probes.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace sbe {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The lanes of v added with wrap-around: the probes' sums only keep their loops alive. Not
// SumOfLanes: on AVX-512 Highway 1.0 calls _mm512_reduce_add_epi32, which GCC implements with
// int additions in C, where the wrap is undefined behaviour (UBSan stopped on it).
template <class V>
uint32_t WrappingSum(V v) {
  const hn::DFromV<V> d;
  HWY_ALIGN uint32_t lanes[hn::MaxLanes(d)];
  hn::Store(v, d, lanes);
  uint32_t sum = 0;
  for (size_t i = 0; i < hn::Lanes(d); ++i) sum += lanes[i];
  return sum;
}

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
  return WrappingSum(hn::BitCast(hn::RebindToUnsigned<decltype(d32)>(), sum));
}

int64_t Int16MacsPerIteration() { return 8 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<int16_t>())); }

// The fp32 counterpart: 8 chains of fused multiply-adds (2 flops per lane each).
float Fp32FmaLoop(int64_t iterations, float seed) {
  const hn::ScalableTag<float> d;
  const auto b = hn::Set(d, 0.999999f), c = hn::Set(d, 1e-7f);
  auto s0 = hn::Set(d, seed), s1 = hn::Set(d, seed + 1), s2 = hn::Set(d, seed + 2);
  auto s3 = hn::Set(d, seed + 3), s4 = hn::Set(d, seed + 4), s5 = hn::Set(d, seed + 5);
  auto s6 = hn::Set(d, seed + 6), s7 = hn::Set(d, seed + 7);
  for (int64_t i = 0; i < iterations; ++i) {
    s0 = hn::MulAdd(s0, b, c);
    s1 = hn::MulAdd(s1, b, c);
    s2 = hn::MulAdd(s2, b, c);
    s3 = hn::MulAdd(s3, b, c);
    s4 = hn::MulAdd(s4, b, c);
    s5 = hn::MulAdd(s5, b, c);
    s6 = hn::MulAdd(s6, b, c);
    s7 = hn::MulAdd(s7, b, c);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(s0, s1), hn::Add(s2, s3)), hn::Add(hn::Add(s4, s5), hn::Add(s6, s7)));
  return hn::GetLane(hn::SumOfLanes(d, sum));
}

int64_t Fp32FlopsPerIteration() { return 8 * 2 * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }

// Reads words [0, n) `passes` times with vector loads: the read-bandwidth probe.
uint64_t SumWords(const uint32_t* p, int64_t n, int passes) {
  const hn::ScalableTag<uint32_t> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  for (int pass = 0; pass < passes; ++pass) {
    int64_t i = 0;
    for (; i + 4 * N <= n; i += 4 * N) {
      a0 = hn::Add(a0, hn::LoadU(d, p + i));
      a1 = hn::Add(a1, hn::LoadU(d, p + i + N));
      a2 = hn::Add(a2, hn::LoadU(d, p + i + 2 * N));
      a3 = hn::Add(a3, hn::LoadU(d, p + i + 3 * N));
    }
  }
  return WrappingSum(hn::Add(hn::Add(a0, a1), hn::Add(a2, a3)));
}

}  // namespace HWY_NAMESPACE
}  // namespace sbe
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "cpu/probes.h"

namespace sbe {

HWY_EXPORT(Int16MacLoop);
HWY_EXPORT(Int16MacsPerIteration);
HWY_EXPORT(Fp32FmaLoop);
HWY_EXPORT(Fp32FlopsPerIteration);
HWY_EXPORT(SumWords);

namespace {

int AllCores(int threads) {
  return threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// The fastest of `reps` rounds of body(thread, sink) on `threads` threads at once, as units of
// work per second (body adds to the sink so that the compiler keeps its loop).
template <typename Body>
double BestRate(int threads, int reps, double work_per_round, Body body) {
  std::atomic<uint64_t> sink{0};
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const double s = TimeOnThreads(threads, [&](int t) { body(t, sink); });
    best = std::max(best, work_per_round / s);
  }
  return sink.load() == 42 ? best + 0.0 : best;
}

constexpr int64_t kPeakIterations = 20'000'000;

}  // namespace

double MeasurePeakFp32Gflops(int threads) {
  threads = AllCores(threads);
  const double flops = static_cast<double>(HWY_DYNAMIC_DISPATCH(Fp32FlopsPerIteration)()) * kPeakIterations * threads;
  return 1e-9 * BestRate(threads, 2, flops, [](int t, std::atomic<uint64_t>& sink) {
    sink += static_cast<uint64_t>(static_cast<int64_t>(HWY_DYNAMIC_DISPATCH(Fp32FmaLoop)(kPeakIterations, static_cast<float>(t))));
  });
}

double MeasurePeakInt16Gmacs(int threads) {
  threads = AllCores(threads);
  const double macs = static_cast<double>(HWY_DYNAMIC_DISPATCH(Int16MacsPerIteration)()) * kPeakIterations * threads;
  return 1e-9 * BestRate(threads, 2, macs, [](int t, std::atomic<uint64_t>& sink) {
    sink += static_cast<uint64_t>(HWY_DYNAMIC_DISPATCH(Int16MacLoop)(kPeakIterations, static_cast<int16_t>(t + 2)));
  });
}

double MeasureReadBandwidthGbs(int64_t working_set_bytes, int threads) {
  threads = AllCores(threads);
  const int64_t words = std::max<int64_t>(working_set_bytes / 4, 1024 * threads);
  std::vector<uint32_t> buffer(words, 1);
  const int64_t share = words / threads;
  // Enough passes for ~30 ms at 100 GB/s; DRAM-sized sets take one.
  const int passes = static_cast<int>(std::clamp<int64_t>(int64_t{3'000'000'000} / (words * 4), 1, 100000));
  const double bytes = static_cast<double>(share) * threads * 4 * passes;
  return 1e-9 * BestRate(threads, 3, bytes, [&](int t, std::atomic<uint64_t>& sink) {
    sink += HWY_DYNAMIC_DISPATCH(SumWords)(buffer.data() + t * share, share, passes);
  });
}

}  // namespace sbe
#endif  // HWY_ONCE
