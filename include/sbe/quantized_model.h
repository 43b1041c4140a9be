// An LSTM stack in the accelerator's 16-bit fixed point: calibrated formats and integer weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbe/fixed_point.h"
#include "sbe/model.h"
#include "sbe/tensor.h"

namespace sbe {

// The real interval layer-0 inputs are expected in. Values outside it saturate (and are
// counted); the overflow proof of calibration assumes it.
struct InputRange {
  double lo = -1.0;
  double hi = 1.0;
  double max_abs() const;
  // Throws Error ("input range LO,HI: ...") when empty, not finite or beyond int16.
  void Check() const;
};
// The smallest symmetric-enough range covering a sample (max |x|); [-1, 1] for an all-zero one.
InputRange RangeFromSample(const TensorF& x);

struct QuantizedCell {
  std::vector<int16_t> w_ih;  // (4H, layer input), gate order i, f, g, o, in w_ih_format
  std::vector<int16_t> w_hh;  // (4H, H), in w_hh_format
  std::vector<int32_t> bias;  // (4H): b_ih + b_hh in fx::kBias; zeros without bias
  fx::QFormat w_ih_format, w_hh_format;
};

struct QuantizedLayer {
  fx::QFormat input_format;  // x for layer 0, the previous layer's h_format otherwise
  fx::QFormat h_format;      // h of this layer, Q0.n with n <= 15
  // Largest |input integer| the overflow proof assumed: the saturation point of x for layer
  // 0, 2^n (never exceeded by |h|) for deeper layers.
  int64_t input_limit = 0;
};

struct QuantizedModel {
  std::string name;
  LstmShape shape;
  InputRange input_range;
  std::vector<QuantizedLayer> layers;
  std::vector<QuantizedCell> cells;  // index: layer * directions + direction
  // What calibration had to give up (bits taken from a tensor to keep accumulators safe).
  std::vector<std::string> warnings;

  const QuantizedCell& cell(int layer, int dir) const {
    return cells[layer * shape.directions() + dir];
  }
};

// Chooses every format (docs/FIXED_POINT.md, "Calibration") and quantises the weights. Proves
// that no 32-bit accumulator can overflow for inputs inside `range`; where one could, the
// tensor loses fractional bits and a warning names it. Throws Error when no format is safe.
QuantizedModel Calibrate(const LstmModel& model, const InputRange& range);

// Max over rows of sum_j |w[r][j]| for a (rows, cols) integer matrix: the accumulator bound.
int64_t MaxRowL1(const std::vector<int16_t>& w, int64_t rows, int64_t cols);

}  // namespace sbe
