// The accelerator's 16-bit fixed-point arithmetic, defined once: formats, rounding,
// saturation and the activation functions. docs/FIXED_POINT.md is the prose of this file.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace sbe::fx {

// A signed two's-complement Q format: value = integer * 2^-frac_bits, stored in `bits` bits.
struct QFormat {
  int bits = 16;
  int frac_bits = 15;

  int64_t max_int() const { return (int64_t{1} << (bits - 1)) - 1; }
  int64_t min_int() const { return -(int64_t{1} << (bits - 1)); }
  double scale() const;       // 2^-frac_bits
  std::string ToString() const;  // "Q4.11" (integer bits excluding the sign) / "Q16.15/32"
  bool operator==(const QFormat&) const = default;
};

// Fixed formats of the datapath (why each: docs/FIXED_POINT.md).
// Gate pre-activations: Q4.11 covers [-16, 16), where sigmoid and tanh are within 2^-23 of
// their limits, with a step of 2^-11 that keeps the activation error below the table's.
inline constexpr QFormat kPreact{16, 11};
// Gate values (sigmoid and tanh outputs) in Q0.15: (-1, 1) at full int16 resolution.
inline constexpr QFormat kGate{16, 15};
// Cell state in 32 bits, Q16.15: |c_t| <= |c_0| + t, so 16 integer bits hold any sequence
// up to 65535 steps without saturating, at the gates' resolution.
inline constexpr QFormat kCell{32, 15};
// Biases (b_ih + b_hh, summed once at load) in 32 bits at the pre-activation's scale.
inline constexpr QFormat kBias{32, 11};
// Matrix-vector accumulators: 32 bits, exact. Calibration proves from row L1 norms that no
// partial sum can leave this range, so any summation order gives the same bits.
inline constexpr int kAccumulatorBits = 32;

// The datapath's steps on one value, as the golden model runs them: each is the one-lane
// instance of its definition in src/numeric/datapath-inl.h, which the SIMD kernels run on
// vectors. docs/FIXED_POINT.md is their prose.

// Saturates v to the range of `bits`-bit signed integers.
int64_t Saturate(int64_t v, int bits);
// v * 2^-shift rounded half up (add half an LSB, then arithmetic shift right); shift <= 0 is
// an exact left shift. The one rounding mode of the datapath.
int64_t RoundShift(int64_t v, int shift);
// Converts an integer in format `from` to format `to`: RoundShift then Saturate.
int64_t Convert(int64_t v, QFormat from, QFormat to);
// The input part of a gate row, RoundShift(acc_x, x_shift) + bias, and its pre-activation,
// input part + RoundShift(acc_h, h_shift) saturated to Q4.11 (*saturated counts it).
int64_t InputPart(int64_t acc_x, int64_t bias, int x_shift);
int16_t Preactivation(int64_t input_part, int64_t acc_h, int h_shift, int64_t* saturated);
// Quantises a real value: round half up of x * 2^frac, saturated. NaN maps to 0.
struct Quantizer {
  explicit Quantizer(QFormat f);
  int64_t operator()(double x) const;
  double scale, max, min;
};
int64_t Quantize(double x, QFormat f);
// An input value of the datapath: quantize(x) clamped to [-limit, limit] (limit <= the
// format's max_int()); counts it in *saturated when it was NaN or clamped.
int64_t QuantizeClamped(double x, const Quantizer& quantize, int64_t limit, int64_t* saturated);
// QuantizeClamped on n floats into int16, with SIMD where the CPU has it (the inputs of an
// int16 run). Returns how many values were NaN or clamped.
int64_t QuantizeArray(const float* x, int64_t n, QFormat f, int64_t limit, int16_t* out);
inline double Dequantize(int64_t v, QFormat f) { return static_cast<double>(v) * f.scale(); }

// The largest frac_bits with which `max_abs` still fits `bits` bits after rounding
// (capped at 30 so that scales stay far from underflow). max_abs == 0 gives the cap.
int NaturalFracBits(double max_abs, int bits);

// Activation units: Q4.11 in, Q0.15 out. Linear interpolation in a 1025-entry table over
// [-16, 16) (segments of 2^-5), the way an FPGA builds them from one BRAM and one DSP.
int16_t Sigmoid(int16_t preact);
int16_t Tanh(int16_t preact);

// The tables behind them, for executors that interpolate many values at once: 1024 segments
// over the Q4.11 range, segment k starting at -16 + k/32; the top 10 bits of the offset input
// select the segment and the low kSegmentBits interpolate. Entry k is the activation at the
// segment's start in Q0.15 (the last entry: at +16).
inline constexpr int kSegmentBits = 6;
inline constexpr int kSegments = 1 << (16 - kSegmentBits);
using ActivationTable = std::array<int16_t, kSegments + 1>;
const ActivationTable& SigmoidTable();
const ActivationTable& TanhTable();

// The tail of the LSTM cell for one hidden unit, in the datapath's formats:
// c' = f*c + i*g (Q16.15), h' = o * tanh(c') in the layer's h format; *saturated (when given)
// counts a saturated c'.
struct CellUpdate {
  int32_t c;
  int16_t h;
};
CellUpdate UpdateCell(int16_t i, int16_t f, int16_t g, int16_t o, int32_t c, QFormat h_format,
                      int64_t* saturated = nullptr);

}  // namespace sbe::fx
