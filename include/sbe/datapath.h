// One cell (layer, direction) of a quantised model as the datapath sees it: its weights, the
// shifts its formats imply, and the golden steps on its rows: a gate row's two accumulators
// into its pre-activation, and the tail (activations and cell update) of one sample.
// Summation order is free (calibration proved no 32-bit partial sum overflows); these steps
// are not: they are the one-lane instance of src/numeric/datapath-inl.h.
#pragma once

#include <cstdint>

#include "sbe/golden.h"
#include "sbe/quantized_model.h"

namespace sbe {

class CellDatapath {
 public:
  CellDatapath(const QuantizedModel& model, int layer, int dir);

  // acc_x = sum over the input part of row `row`, acc_h over the hidden part, both exact.
  // Each part is rounded to the pre-activation format on its own (so the input part can be
  // computed ahead), then bias, then saturation to Q4.11 (counted).
  int16_t Preactivation(int64_t acc_x, int64_t acc_h, int64_t row, SaturationCounts* counts) const;
  // The same in two parts, for an input part computed ahead of the recurrence (hoisted): the
  // row's input part alone, then the pre-activation from it.
  int64_t InputPart(int64_t acc_x, int64_t row) const;
  int16_t PreactivationOfInputPart(int64_t input_part, int64_t acc_h, SaturationCounts* counts) const;

  // The tail of one sample: 4H pre-activations (gate order i, f, g, o) update c and write h.
  void Tail(const int16_t* preact, int32_t* c, int16_t* h, SaturationCounts* counts) const;

  const QuantizedCell& weights() const { return *weights_; }
  int64_t hidden_size() const { return hidden_; }
  // The right shifts that bring the input part's and the hidden part's accumulators to the
  // pre-activation format (products carry the sum of their operands' fractional bits; <= 0
  // is a left shift), and the layer's h format.
  int x_shift() const { return x_shift_; }
  int h_shift() const { return h_shift_; }
  fx::QFormat h_format() const { return h_format_; }

 private:
  const QuantizedCell* weights_;
  fx::QFormat h_format_;
  int64_t hidden_;
  int x_shift_, h_shift_;
};

}  // namespace sbe
