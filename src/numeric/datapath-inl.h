// The fixed-point datapath of docs/FIXED_POINT.md, written once over a lane type: the golden
// model runs it on one 64-bit lane (Scalar<int64_t>), the CPU engine's kernels on Highway
// vectors of 32-bit lanes (Simd<D>), and the quantiser of int16 inputs on doubles of either
// kind. Rounding, saturation, the activation interpolation and the cell update live here and
// nowhere else: a change to any of them is one edit, and every fixed-point executor follows.
//
// Highway's per-target header pattern (like its own -inl.h files): a file compiled with
// foreach_target.h gets these templates once per SIMD target; a plain file gets them for the
// static target, which is all Scalar<> needs.
#if defined(SBE_NUMERIC_DATAPATH_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SBE_NUMERIC_DATAPATH_INL_H_
#undef SBE_NUMERIC_DATAPATH_INL_H_
#else
#define SBE_NUMERIC_DATAPATH_INL_H_
#endif

#include <hwy/highway.h>

#include <cmath>
#include <cstdint>

#include "sbe/fixed_point.h"

HWY_BEFORE_NAMESPACE();
namespace sbe::fx {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// ============================================================ lane types
// Each provides the machine operations the datapath is made of, on its lane type V (with M
// for comparisons). The datapath below never touches a lane directly.

// One lane: the golden model (T = int64_t) and the scalar quantiser (T = double).
template <typename T>
struct Scalar {
  using V = T;
  using M = bool;
  using Table = ActivationTable;

  static V Set(T v) { return v; }
  static V Add(V a, V b) { return a + b; }
  static V Mul(V a, V b) { return a * b; }
  static V MulAdd(V a, V b, V c) { return a * b + c; }
  static V Min(V a, V b) { return b < a ? b : a; }
  static V Max(V a, V b) { return a < b ? b : a; }
  static V ShiftRight(V a, int s) { return a >> s; }  // arithmetic (C++20)
  static V ShiftLeft(V a, int s) { return a << s; }   // modular (C++20), exact within 64 bits
  static V And(V a, V b) { return a & b; }
  // A sum of two partial results of a gate row (rounded part, bias, cell products): exact, as
  // 64 bits hold every such sum.
  static V AddPartials(V a, V b) { return a + b; }
  static M Ne(V a, V b) { return a != b; }
  static M Eq(V a, V b) { return a == b; }
  static M Lt(V a, V b) { return a < b; }
  static M Or(M a, M b) { return a || b; }
  static M IsNaN(V a) { return a != a; }
  static V IfThenZeroElse(M m, V a) { return m ? V{0} : a; }
  static int64_t Count(M m) { return m ? 1 : 0; }
  // floor, exact: a double of magnitude 2^52 or more is an integer already, and the cast
  // trick is far cheaper than a call into libm per value.
  static V Floor(V a) {
    if (!(std::fabs(a) < 0x1p52)) return a;  // NaN stays NaN
    const V t = static_cast<V>(static_cast<int64_t>(a));
    return t > a ? t - 1 : t;
  }
  // Segment k of an activation table: its value at the segment's start and its rise.
  static void Segment(const Table& table, V k, V* start, V* rise) {
    *start = table[k];
    *rise = table[k + 1] - table[k];
  }
};

// The activation tables as vector lanes read them: per segment, T[k] in the low half and
// T[k+1] - T[k] in the high half of one 32-bit entry, so that one gather serves both.
struct PackedTable {
  int32_t entry[kSegments];
};
inline PackedTable Pack(const ActivationTable& t) {
  PackedTable p{};
  for (int k = 0; k < kSegments; ++k) {
    const int32_t rise = int32_t{t[k + 1]} - t[k];  // |rise| << 2^15: adjacent entries
    p.entry[k] = static_cast<int32_t>((static_cast<uint32_t>(rise) << 16) | static_cast<uint16_t>(t[k]));
  }
  return p;
}

// Highway vectors: the CPU engine (32-bit integer lanes) and the SIMD quantiser (doubles).
template <class D>
struct Simd {
  using V = hn::Vec<D>;
  using M = hn::Mask<D>;
  using T = hn::TFromD<D>;
  using Table = PackedTable;

  static V Set(T v) { return hn::Set(D(), v); }
  static V Add(V a, V b) { return hn::Add(a, b); }
  static V Mul(V a, V b) { return hn::Mul(a, b); }
  static V MulAdd(V a, V b, V c) { return hn::MulAdd(a, b, c); }
  static V Min(V a, V b) { return hn::Min(a, b); }
  static V Max(V a, V b) { return hn::Max(a, b); }
  static V ShiftRight(V a, int s) { return hn::ShiftRightSame(a, s); }
  static V ShiftLeft(V a, int s) { return hn::ShiftLeftSame(a, s); }
  static V And(V a, V b) { return hn::And(a, b); }
  // In 32-bit lanes a sum of partial results saturates at 32 bits. That gives the datapath's
  // result whenever every right shift is at least 1 (the engine runs only such formats): each
  // rounded part is then inside ±2^30, so a sum that saturates is beyond ±2^30 exactly, with
  // the sign it keeps, and every later saturation (16 bits, the cell's 32) ends where the
  // exact sum's would. docs/CPU_ENGINE.md.
  static V AddPartials(V a, V b) {
    const D d;
    const hn::RebindToUnsigned<D> du;
    const V sum = hn::BitCast(d, hn::Add(hn::BitCast(du, a), hn::BitCast(du, b)));
    const M overflow = hn::Lt(hn::And(hn::Xor(a, sum), hn::Xor(b, sum)), hn::Zero(d));
    const V limit = hn::IfThenElse(hn::Lt(a, hn::Zero(d)), Set(hwy::LimitsMin<T>()), Set(hwy::LimitsMax<T>()));
    return hn::IfThenElse(overflow, limit, sum);
  }
  static M Ne(V a, V b) { return hn::Ne(a, b); }
  static M Eq(V a, V b) { return hn::Eq(a, b); }
  static M Lt(V a, V b) { return hn::Lt(a, b); }
  static M Or(M a, M b) { return hn::Or(a, b); }
  static M IsNaN(V a) { return hn::IsNaN(a); }
  static V IfThenZeroElse(M m, V a) { return hn::IfThenZeroElse(m, a); }
  static int64_t Count(M m) { return static_cast<int64_t>(hn::CountTrue(D(), m)); }
  static V Floor(V a) { return hn::Floor(a); }
  static void Segment(const Table& table, V k, V* start, V* rise) {
    const V entry = hn::GatherIndex(D(), table.entry, k);
    *start = hn::ShiftRight<16>(hn::ShiftLeft<16>(entry));
    *rise = hn::ShiftRight<16>(entry);
  }
};

// ============================================================ the datapath

// v · 2^-shift rounded half up, for shift > 0: floor((v + 2^(s-1)) / 2^s), written as
// (v >> s) + bit s-1 of v so that adding the half cannot overflow the lane. shift <= 0 is an
// exact left shift. The one rounding mode of the datapath.
template <class L>
typename L::V RoundShift(typename L::V v, int shift) {
  if (shift <= 0) return L::ShiftLeft(v, -shift);
  return L::Add(L::ShiftRight(v, shift), L::And(L::ShiftRight(v, shift - 1), L::Set(1)));
}

// v clamped to the range of `bits`-bit signed integers.
template <class L>
typename L::V Saturate(typename L::V v, int bits) {
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return L::Min(L::Max(v, L::Set(-hi - 1)), L::Set(hi));
}

// Step 3, the input part of a gate row: RoundShift(acc_x, x_shift) + bias. Rounded on its own,
// so that it can be computed for every time step ahead of the recurrence.
template <class L>
typename L::V InputPart(typename L::V acc_x, typename L::V bias, int x_shift) {
  return L::AddPartials(RoundShift<L>(acc_x, x_shift), bias);
}

// Step 3, the pre-activation: the input part plus RoundShift(acc_h, h_shift), saturated to
// Q4.11. Adds the saturated lanes to *saturated.
template <class L>
typename L::V Preactivation(typename L::V input_part, typename L::V acc_h, int h_shift, int64_t* saturated) {
  const typename L::V z = L::AddPartials(input_part, RoundShift<L>(acc_h, h_shift));
  const typename L::V p = Saturate<L>(z, kPreact.bits);
  *saturated += L::Count(L::Ne(p, z));
  return p;
}

// Step 4, an activation unit: Q4.11 in, Q0.15 out. The top bits of the offset input select one
// of kSegments segments, the low kSegmentBits interpolate linearly between its ends.
template <class L>
typename L::V Activate(const typename L::Table& table, typename L::V preact) {
  const typename L::V offset = L::Add(preact, L::Set(-kPreact.min_int()));  // 0 .. 65535
  typename L::V start, rise;
  L::Segment(table, L::ShiftRight(offset, kSegmentBits), &start, &rise);
  const typename L::V frac = L::And(offset, L::Set((1 << kSegmentBits) - 1));
  return Saturate<L>(L::Add(start, RoundShift<L>(L::Mul(rise, frac), kSegmentBits)), kGate.bits);
}

template <class L>
struct CellStep {
  typename L::V c, h;
};

// Steps 5 and 6 for gate values i, f, g, o (Q0.15; f in [0, 2^15): a sigmoid) and the cell
// state c (Q16.15/32): the next c, and h in Q0.h_frac. Adds the saturated cell states to
// *saturated.
template <class L>
CellStep<L> UpdateCell(const typename L::Table& tanh, typename L::V i, typename L::V f,
                       typename L::V g, typename L::V o, typename L::V c, int h_frac,
                       int64_t* saturated) {
  using V = typename L::V;
  // Each product carries 30 fractional bits and is rounded back to the cell's 15 before the
  // add, as two DSP outputs would be. f·c needs 47 bits: with c = hi·2^15 + lo,
  // RoundShift(f·c, 15) = f·hi + RoundShift(f·lo, 15), every product inside 32 bits.
  const V hi = L::ShiftRight(c, kGate.frac_bits), lo = L::And(c, L::Set((1 << kGate.frac_bits) - 1));
  const V fc = L::Add(L::Mul(f, hi), RoundShift<L>(L::Mul(f, lo), kGate.frac_bits));
  const V ig = RoundShift<L>(L::Mul(i, g), kGate.frac_bits);
  const V c_next = Saturate<L>(L::AddPartials(fc, ig), kCell.bits);
  *saturated += L::Count(L::Or(L::Eq(c_next, L::Set(kCell.max_int())), L::Eq(c_next, L::Set(kCell.min_int()))));
  // tanh reads c in Q4.11 (saturating at ±16, where tanh is flat); o·tanh(c) is Q0.30.
  const V t = Activate<L>(tanh, Saturate<L>(RoundShift<L>(c_next, kCell.frac_bits - kPreact.frac_bits), kPreact.bits));
  const V h = Saturate<L>(RoundShift<L>(L::Mul(o, t), 2 * kGate.frac_bits - h_frac), 16);
  return {c_next, h};
}

// Quantising a real value: floor(x · scale + 1/2) in [lo, hi] (a format's range), NaN to 0.
// x · scale is exact (scale is a power of two), so fused or not the add sees the same value.
template <class L>
typename L::V Quantize(typename L::V x, typename L::V scale, typename L::V lo, typename L::V hi) {
  const typename L::V v = L::MulAdd(x, scale, L::Set(0.5));
  return L::IfThenZeroElse(L::IsNaN(v), L::Min(L::Max(L::Floor(v), lo), hi));
}

// An input of the datapath: Quantize, then clamped to [-limit, limit] (the calibrated range).
// Adds the values that were NaN or clamped to *saturated.
template <class L>
typename L::V QuantizeClamped(typename L::V x, typename L::V scale, typename L::V lo,
                              typename L::V hi, typename L::V limit, int64_t* saturated) {
  const typename L::V q = Quantize<L>(x, scale, lo, hi);
  const typename L::V neg = L::Mul(limit, L::Set(-1));
  *saturated += L::Count(L::Or(L::IsNaN(x), L::Or(L::Lt(limit, q), L::Lt(q, neg))));
  return L::Min(L::Max(q, neg), limit);
}

}  // namespace HWY_NAMESPACE
}  // namespace sbe::fx
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
