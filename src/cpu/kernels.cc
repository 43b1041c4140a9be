// The CPU engine's kernels (kernels.h), compiled once per SIMD target by Highway and picked at
// run time: correct on any x86-64, wide on AVX2 and AVX-512.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu/kernels.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>
#include <hwy/cache_control.h>
#include <hwy/contrib/math/math-inl.h>

#include <cstring>

#include "cpu/kernels.h"
#include "numeric/datapath-inl.h"
#include "sbe/fixed_point.h"

HWY_BEFORE_NAMESPACE();
namespace sbe::cpu {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using DI = hn::ScalableTag<int32_t>;
using DW = hn::Repartition<int16_t, DI>;  // 2N int16: one (w[k], w[k+1]) pair per 32-bit lane
using DH = hn::Rebind<int16_t, DI>;       // N int16: one h per 32-bit lane
using VF = hn::Vec<DF>;
using VI = hn::Vec<DI>;

// Samples per kernel call: 4 x G accumulators plus G broadcasts and a weight vector must fit
// the register file (16 vectors on AVX2, 32 on AVX-512), or the kernel would time spills.
// int16 without VNNI needs a temporary for the pair products; at G = 3 on AVX2 the compiler
// then takes weights as memory operands, and the column loop still has no spill
// (ColumnsI16; checked with objdump).
constexpr bool kWide = HWY_TARGET <= HWY_AVX3;
constexpr int kGroupF32 = kWide ? 6 : 3;
constexpr int kGroupI16 = kGroupF32;
static_assert(kGroupF32 <= kMaxGroup && kGroupI16 <= kMaxGroup);

int Lanes32() { return static_cast<int>(hn::Lanes(DI())); }
int GroupF32() { return kGroupF32; }
int GroupI16() { return kGroupI16; }

// ---------------------------------------------------------------- int16 epilogue
// The datapath of docs/FIXED_POINT.md on N lanes at once: src/numeric/datapath-inl.h, the same
// definition the golden model runs on one lane.
using Lanes = fx::HWY_NAMESPACE::Simd<DI>;
namespace dp = fx::HWY_NAMESPACE;

struct Tables {
  dp::PackedTable sigmoid, tanh;
};

const Tables& ActivationTables() {
  static const Tables t{dp::Pack(fx::SigmoidTable()), dp::Pack(fx::TanhTable())};
  return t;
}

void ActivateI16(const int16_t* in, int16_t* out, int64_t n, bool tanh) {
  const DI d;
  const DH dh;
  const dp::PackedTable& table = tanh ? ActivationTables().tanh : ActivationTables().sigmoid;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    hn::StoreU(hn::DemoteTo(dh, dp::Activate<Lanes>(table, hn::PromoteTo(d, hn::LoadU(dh, in + i)))), dh,
               out + i);
  }
  for (; i < n; ++i) out[i] = tanh ? fx::Tanh(in[i]) : fx::Sigmoid(in[i]);
}
void SigmoidI16(const int16_t* in, int16_t* out, int64_t n) { ActivateI16(in, out, n, false); }
void TanhI16(const int16_t* in, int16_t* out, int64_t n) { ActivateI16(in, out, n, true); }

// The tail of one sample's N units: the four activations and the cell update.
HWY_INLINE void CellI16(const TileWorkI16& work, int j, const VI (&pre)[4], int64_t* cells) {
  const DI d;
  const DH dh;
  const Tables& t = ActivationTables();
  const VI i = dp::Activate<Lanes>(t.sigmoid, pre[0]), f = dp::Activate<Lanes>(t.sigmoid, pre[1]);
  const VI g = dp::Activate<Lanes>(t.tanh, pre[2]), o = dp::Activate<Lanes>(t.sigmoid, pre[3]);
  const dp::CellStep<Lanes> next = dp::UpdateCell<Lanes>(t.tanh, i, f, g, o, hn::LoadU(d, work.c[j]), work.h_frac, cells);
  hn::StoreU(next.c, d, work.c[j]);
  hn::StoreU(hn::DemoteTo(dh, next.h), dh, work.h[j]);
  std::memcpy(work.y[j], work.h[j], sizeof(int16_t) * work.y_units);
}

// ---------------------------------------------------------------- fp32 cell
HWY_INLINE VF Sigmoid(VF x) {
  const DF d;
  // exp(-x) overflows past 88; sigmoid is 0 or 1 in fp32 long before. Min(limit, x) keeps NaN.
  const VF clamped = hn::Max(hn::Set(d, -88.0f), hn::Min(hn::Set(d, 88.0f), x));
  return hn::Div(hn::Set(d, 1.0f), hn::Add(hn::Set(d, 1.0f), hn::Exp(d, hn::Neg(clamped))));
}

HWY_INLINE void CellF32(const TileWorkF32& work, int j, const VF (&pre)[4]) {
  const DF d;
  const VF i = Sigmoid(pre[0]), f = Sigmoid(pre[1]), o = Sigmoid(pre[3]);
  const VF g = hn::Tanh(d, pre[2]);
  const VF c = hn::MulAdd(f, hn::LoadU(d, work.c[j]), hn::Mul(i, g));
  hn::StoreU(c, d, work.c[j]);
  hn::StoreU(hn::Mul(o, hn::Tanh(d, c)), d, work.h[j]);
  std::memcpy(work.y[j], work.h[j], sizeof(float) * work.y_units);
}

// ---------------------------------------------------------------- the tile kernels
// Weights that stream from L3 or DRAM (W_h of deepbench-2048, W_x once) are requested this
// far ahead of the multiply-adds that need them: with two or more samples per tile the
// hardware prefetchers alone left the kernels waiting on loads. The packing makes the bytes
// ahead the ones read next (packed_gates.h). A one-sample tile (batch 1) is a plain stream,
// one multiply-add per weight, that the hardware prefetchers keep up with; there the prefetch
// instructions only cost time (the measurements: docs/PERFORMANCE.md, "Measurements behind
// the code").
//
// Every loop over the register tile (samples j, gates g) is unrolled: a loop left rolled
// indexes acc[][] at run time, which puts it in memory, and GCC then stored all 4G
// accumulators on every column once the prefetch was in the loop.
constexpr int64_t kPrefetchBytes = 1024;
template <int G>
constexpr bool kPrefetch = G > 1;

// One step of a tile (4 gate vectors of weights) is 2, 4 or 8 cache lines; a constant trip
// count keeps the loop unrolled and the accumulators in registers.
HWY_INLINE void PrefetchStep(const void* w) {
  constexpr size_t kStepBytes = 4 * hn::MaxLanes(DF()) * sizeof(float);
  const char* ahead = static_cast<const char*>(w) + kPrefetchBytes;
  for (size_t b = 0; b < kStepBytes; b += 64) hwy::Prefetch(ahead + b);
}

// Keeps v in a register where the loop has room for it (`live`: the registers the loop needs
// at once, v included). With 2 or 3 samples per tile GCC folded each weight load into every
// multiply-add that uses it (12 loads per column instead of 4), which left the load ports, not
// the multiply-add units, setting the pace. Where the registers do not suffice (AVX2 at 3
// samples), the memory operands are what avoids a spill.
constexpr int kVectorRegisters = kWide ? 32 : 16;
template <int live, class V>
HWY_INLINE void InRegister(V& v) {
#if HWY_TARGET != HWY_SCALAR && defined(__GNUC__)
  // Clang 14 cannot pass 128- and 256-bit operands to asm in functions whose target comes
  // from an attribute ("tied indirect register inputs"); its builds (the fuzzers) skip it there.
#if defined(__clang__)
  constexpr bool kCan = kWide;
#else
  constexpr bool kCan = true;
#endif
  if constexpr (live <= kVectorRegisters && kCan) asm("" : "+v"(v.raw));
#else
  (void)v;
#endif
}

#if HWY_TARGET == HWY_AVX3_DL
// acc += the pairwise products of a and b (AVX-512 VNNI `vpdpwssd`), which Highway 1.0 has no
// operation for. Inline assembly, not the intrinsic: Highway's AVX3_DL target string enables
// "avxvnni" but not "avx512vnni" (its CPU detection does require AVX512_VNNI for the target),
// and neither GCC nor clang lets the intrinsic into a function compiled without it.
template <class VW>
HWY_INLINE void DotPairsVnni(VI& acc, VW a, VW b) {
  asm("vpdpwssd %2, %1, %0" : "+v"(acc.raw) : "v"(a.raw), "v"(b.raw));
}
#endif

// Column-wise: per column, the 4 gate vectors meet every sample's broadcast element.
template <int G>
HWY_INLINE void TileF32(TileWorkF32& work) {
  const DF d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  VF acc[G][4];
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
      acc[j][g] = work.init[j] ? hn::LoadU(d, work.init[j] + g * N) : hn::Zero(d);
    }
  }
  const float* HWY_RESTRICT w = work.w;
  const float* x[G];
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) x[j] = work.x[j];
  for (int64_t k = 0; k < work.steps; ++k, w += 4 * N) {
    if constexpr (kPrefetch<G>) PrefetchStep(w);
    VF w0 = hn::LoadU(d, w), w1 = hn::LoadU(d, w + N);
    VF w2 = hn::LoadU(d, w + 2 * N), w3 = hn::LoadU(d, w + 3 * N);
    constexpr int kLive = 4 * G + 4 + 1;  // accumulators, weights, a broadcast
    InRegister<kLive>(w0), InRegister<kLive>(w1), InRegister<kLive>(w2), InRegister<kLive>(w3);
    HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
      const VF xk = hn::Set(d, x[j][k]);
      acc[j][0] = hn::MulAdd(w0, xk, acc[j][0]);
      acc[j][1] = hn::MulAdd(w1, xk, acc[j][1]);
      acc[j][2] = hn::MulAdd(w2, xk, acc[j][2]);
      acc[j][3] = hn::MulAdd(w3, xk, acc[j][3]);
    }
  }
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    switch (work.epilogue) {
      case Epilogue::kPark:
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) hn::StoreU(acc[j][g], d, work.out[j] + g * N);
        break;
      case Epilogue::kInputPart:
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
          hn::StoreU(hn::Add(acc[j][g], hn::LoadU(d, work.bias + g * N)), d, work.out[j] + g * N);
        }
        break;
      case Epilogue::kCell: {
        VF pre[4];
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) pre[g] = hn::Add(acc[j][g], hn::LoadU(d, work.input_part[j] + g * N));
        CellF32(work, j, pre);
        break;
      }
    }
  }
}

// The same order in int16: per column pair, one multiply-add-pairs into int32 per gate vector.
// The column loop is a function of its own that hands back the sums through memory: inlined
// into the epilogue, GCC kept a third of the twelve AVX2 accumulators on the stack inside
// the loop (objdump).
template <int G>
HWY_NOINLINE void ColumnsI16(const TileWorkI16& work, VI (&acc)[G][4]) {
  const DI d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  VI sum[G][4];
  VI unused = hn::Zero(d);  // the second sum of ReorderWidenMulAccumulate: stays zero on x86
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) sum[j][g] = hn::Zero(d);
  }
  const int16_t* HWY_RESTRICT w = work.w;
  const int16_t* x[G];
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) x[j] = work.x[j];
#if HWY_TARGET == HWY_SCALAR
  // One lane cannot hold a pair: plain integers (the fallback of CPUs without SSSE3).
  (void)unused;
  (void)N;
  int32_t scalar[G][4] = {};
  for (int64_t k = 0; k < work.steps; ++k, w += 8) {
    HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
      const int32_t x0 = x[j][2 * k], x1 = x[j][2 * k + 1];
      HWY_UNROLL(8) for (int g = 0; g < 4; ++g) scalar[j][g] += int32_t{w[2 * g]} * x0 + int32_t{w[2 * g + 1]} * x1;
    }
  }
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) acc[j][g] = hn::Set(d, scalar[j][g]);
  }
#else
  const DW dw;
  for (int64_t k = 0; k < work.steps; ++k, w += 8 * N) {
    if constexpr (kPrefetch<G>) PrefetchStep(w);
    hn::Vec<DW> xk[G];
    HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
      int32_t pair;
      std::memcpy(&pair, x[j] + 2 * k, sizeof pair);
      xk[j] = hn::BitCast(dw, hn::Set(d, pair));
    }
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
      auto wg = hn::LoadU(dw, w + 2 * g * N);
      // accumulators, broadcasts, the weights and (without VNNI) the products
      InRegister<4 * G + G + 1 + (HWY_TARGET == HWY_AVX3_DL ? 0 : 1)>(wg);
      HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
#if HWY_TARGET == HWY_AVX3_DL
        DotPairsVnni(sum[j][g], wg, xk[j]);
#else
        sum[j][g] = hn::ReorderWidenMulAccumulate(d, wg, xk[j], sum[j][g], unused);
#endif
      }
    }
  }
  // Targets without a pairwise multiply-add keep odd products in `unused`; on x86 this is a
  // no-op. (Exactness holds in any case: the accumulators are exact 32-bit integer sums.)
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) acc[j][g] = hn::RearrangeToOddPlusEven(sum[j][g], unused);
  }
#endif
}

template <int G>
HWY_INLINE void TileI16(TileWorkI16& work) {
  const DI d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  VI acc[G][4];
  ColumnsI16<G>(work, acc);
  HWY_UNROLL(8) for (int j = 0; j < G; ++j) {
    VI total[4];
    HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
      total[g] = work.init[j] ? hn::Add(acc[j][g], hn::LoadU(d, work.init[j] + g * N)) : acc[j][g];
    }
    switch (work.epilogue) {
      case Epilogue::kPark:
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) hn::StoreU(total[g], d, work.out[j] + g * N);
        break;
      case Epilogue::kInputPart:
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
          hn::StoreU(dp::InputPart<Lanes>(total[g], hn::LoadU(d, work.bias + g * N), work.shift), d,
                     work.out[j] + g * N);
        }
        break;
      case Epilogue::kCell: {
        VI pre[4];
        HWY_UNROLL(8) for (int g = 0; g < 4; ++g) {
          pre[g] = dp::Preactivation<Lanes>(hn::LoadU(d, work.input_part[j] + g * N), total[g],
                                            work.shift, &work.saturated_preacts);
        }
        CellI16(work, j, pre, &work.saturated_cells);
        break;
      }
    }
  }
}

template <typename Work, void (*... Kernels)(Work&)>
struct GroupTable {
  static void Run(Work& work) {
    static constexpr void (*kTable[])(Work&) = {Kernels...};
    kTable[work.n - 1](work);
  }
};

void RunTileF32(TileWorkF32& work) {
  if constexpr (kGroupF32 == 6) {
    GroupTable<TileWorkF32, TileF32<1>, TileF32<2>, TileF32<3>, TileF32<4>, TileF32<5>,
               TileF32<6>>::Run(work);
  } else {
    GroupTable<TileWorkF32, TileF32<1>, TileF32<2>, TileF32<3>>::Run(work);
  }
}

void RunTileI16(TileWorkI16& work) {
  if constexpr (kGroupI16 == 6) {
    GroupTable<TileWorkI16, TileI16<1>, TileI16<2>, TileI16<3>, TileI16<4>, TileI16<5>,
               TileI16<6>>::Run(work);
  } else {
    GroupTable<TileWorkI16, TileI16<1>, TileI16<2>, TileI16<3>>::Run(work);
  }
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace sbe::cpu
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace sbe::cpu {

HWY_EXPORT(Lanes32);
HWY_EXPORT(GroupF32);
HWY_EXPORT(GroupI16);
HWY_EXPORT(TargetName);
HWY_EXPORT(RunTileF32);
HWY_EXPORT(RunTileI16);
HWY_EXPORT(SigmoidI16);
HWY_EXPORT(TanhI16);

Target BestTarget() {
  ApplyTargetCap();
  // Not cached: tests narrow the targets (hwy::SetSupportedTargetsForTest) to check each one.
  return {HWY_DYNAMIC_DISPATCH(TargetName)(), HWY_DYNAMIC_DISPATCH(Lanes32)(),
          HWY_DYNAMIC_DISPATCH(GroupF32)(), HWY_DYNAMIC_DISPATCH(GroupI16)()};
}

void RunTile(TileWorkF32& work) { HWY_DYNAMIC_DISPATCH(RunTileF32)(work); }
void RunTile(TileWorkI16& work) { HWY_DYNAMIC_DISPATCH(RunTileI16)(work); }
void SigmoidI16(const int16_t* in, int16_t* out, int64_t n) {
  ApplyTargetCap();
  HWY_DYNAMIC_DISPATCH(SigmoidI16)(in, out, n);
}
void TanhI16(const int16_t* in, int16_t* out, int64_t n) {
  ApplyTargetCap();
  HWY_DYNAMIC_DISPATCH(TanhI16)(in, out, n);
}

}  // namespace sbe::cpu
#endif  // HWY_ONCE
