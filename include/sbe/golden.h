// The golden fixed-point executor: plain C++ that is the bit-exact definition of the
// accelerator's arithmetic. Every fixed-point executor must reproduce its integers.
#pragma once

#include <cstdint>
#include <vector>

#include "sbe/lstm_io.h"
#include "sbe/quantized_model.h"

namespace sbe {

// Inputs and outputs as the datapath holds them (layouts as in LstmInput / LstmResult).
struct FixedInput {
  Tensor<int16_t> x;   // (T, B, I) in layers[0].input_format, inside +-input_limit
  Tensor<int16_t> h0;  // (L*D, B, H), each layer in its h_format; empty for zeros
  Tensor<int32_t> c0;  // (L*D, B, H) in fx::kCell; empty for zeros
  std::vector<int64_t> seq_lens;
};

struct FixedOutput {
  Tensor<int16_t> y;    // (T, B, D*H) in the last layer's h_format
  Tensor<int16_t> h_n;  // (L*D, B, H), each layer in its h_format
  Tensor<int32_t> c_n;  // (L*D, B, H) in fx::kCell
};

// Values that hit a saturation point (docs/FIXED_POINT.md lists every one).
struct SaturationCounts {
  int64_t inputs = 0;    // x, h0, c0 outside their format's range (or x outside the range)
  int64_t preacts = 0;   // gate pre-activations clipped to Q4.11
  int64_t cells = 0;     // cell states clipped to Q16.15
  SaturationCounts& operator+=(const SaturationCounts& o) {
    inputs += o.inputs;
    preacts += o.preacts;
    cells += o.cells;
    return *this;
  }
};

// Validates `in` against the model and quantises it, counting saturated values.
FixedInput QuantizeInput(const QuantizedModel& model, const LstmInput& in,
                         SaturationCounts* counts);
// Runs the model in the datapath's arithmetic. Adds to `counts` when given.
FixedOutput RunGolden(const QuantizedModel& model, const FixedInput& in,
                      SaturationCounts* counts = nullptr);
LstmOutput DequantizeOutput(const QuantizedModel& model, const FixedOutput& out);

}  // namespace sbe
