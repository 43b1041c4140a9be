// The CPU engine's SIMD kernels: one unit tile of the gate matrices (4 gates x N hidden units,
// N = the SIMD width in 32-bit lanes) times a range of columns, for a group of samples, in the
// paper's column-wise order: each weight column is read once and multiplied with every sample
// of the group (blocking-batching at register level). The epilogue runs on the accumulators
// while they are still in registers, so gate pre-activations never round-trip through memory.
// Compiled for every x86 target Highway knows and dispatched at run time.
#pragma once

#include <cstdint>

namespace sbe::cpu {

// Upper bound over targets of the samples one kernel call serves (target().group is the
// actual number: as many as keep 4 x group accumulators in the vector registers).
inline constexpr int kMaxGroup = 6;

struct Target {
  const char* name;  // "AVX2", "AVX3", ...: Highway's name of the dispatched target
  int lanes;         // 32-bit lanes: the width N of a unit tile
  int group_f32;     // samples per kernel call
  int group_i16;
  template <typename Weight>
  int group() const { return sizeof(Weight) == 2 ? group_i16 : group_f32; }
};
// What runtime dispatch picks on this machine (the best target the CPU supports, or the one
// $SBE_KERNELS caps it to). An engine packs its weights for the target it finds at construction.
Target BestTarget();
// Applies $SBE_KERNELS once per process (BestTarget and the standalone activations call it);
// throws Error naming the variable when this CPU cannot run that target.
void ApplyTargetCap();

enum class Epilogue {
  kPark,       // store the raw accumulators (a column block that is not the last)
  kInputPart,  // the hoisted input part: fp32 acc + bias; int16 RoundShift(acc) + bias, sat32
  kCell,       // the whole LSTM cell: activations, c update, h (written to h_next and y)
};

// One kernel call. Packed layouts (PackedGates): fp32 tiles hold per column 4 vectors (gates
// i, f, g, o) of N weights; int16 tiles hold per column pair 4 vectors of N (w[k], w[k+1])
// pairs, so one multiply-add-pairs instruction covers two columns.
template <typename Weight, typename Acc>
struct TileWork {
  const Weight* w = nullptr;   // the tile's packed weights at its first column (pair)
  int64_t steps = 0;           // columns (fp32) or column pairs (int16)
  int n = 0;                   // samples in the group, 1..BestTarget().group<Weight>()
  const Weight* x[kMaxGroup];  // each sample's vector at the first column
  const Acc* init[kMaxGroup];  // 4N accumulators to start from; nullptr starts from zero
  Epilogue epilogue = Epilogue::kPark;
  Acc* out[kMaxGroup];         // kPark, kInputPart: 4N results per sample
  const Acc* bias = nullptr;   // kInputPart: 4N (fp32: float bias; int16: int32 in kBias)
  int shift = 0;               // int16: RoundShift of the accumulator (x_shift or h_shift)
  // kCell: the pre-activation is input_part + acc (fp32), or sat16(input_part +
  // RoundShift(acc, shift)) (int16), where acc includes init: the hidden part's partial sums.
  const Acc* input_part[kMaxGroup];  // 4N per sample: the hoisted W_x x + bias of this step
  Acc* c[kMaxGroup];           // N cell states, updated in place
  Weight* h[kMaxGroup];        // N outputs into the next step's h (padded, all N written)
  Weight* y[kMaxGroup];        // the layer output: only the first y_units are written
  int y_units = 0;
  int h_frac = 15;             // int16: the layer's h format, Q0.h_frac
  // int16: values the datapath saturated (added to, never reset).
  int64_t saturated_preacts = 0;
  int64_t saturated_cells = 0;
};
using TileWorkF32 = TileWork<float, float>;
using TileWorkI16 = TileWork<int16_t, int32_t>;

void RunTile(TileWorkF32& work);
void RunTile(TileWorkI16& work);

// The int16 activation units of fx:: (table and linear interpolation) for n values at once,
// exactly; exposed so that tests can compare them with fx::Sigmoid / fx::Tanh on every input.
void SigmoidI16(const int16_t* in, int16_t* out, int64_t n);
void TanhI16(const int16_t* in, int16_t* out, int64_t n);

}  // namespace sbe::cpu
