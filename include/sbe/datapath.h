// The steps of the accelerator's arithmetic that every fixed-point executor shares with the
// golden model, defined once: a gate row's two accumulators into its pre-activation, and the
// tail (activations and cell update) of one sample. Summation order is free (calibration
// proved no 32-bit partial sum overflows); these steps are not, so nobody re-implements them.
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

  // The tail of one sample: 4H pre-activations (gate order i, f, g, o) update c and write h.
  void Tail(const int16_t* preact, int32_t* c, int16_t* h, SaturationCounts* counts) const;

  const QuantizedCell& weights() const { return *weights_; }
  int64_t hidden_size() const { return hidden_; }

 private:
  const QuantizedCell* weights_;
  fx::QFormat h_format_;
  int64_t hidden_;
  int x_shift_, h_shift_;
};

}  // namespace sbe
