// The shared steps of the fixed-point datapath (docs/FIXED_POINT.md): pre-activation and tail.
#include "sbe/datapath.h"

namespace sbe {

CellDatapath::CellDatapath(const QuantizedModel& m, int layer, int dir)
    : weights_(&m.cell(layer, dir)),
      h_format_(m.layers[layer].h_format),
      hidden_(m.shape.hidden_size),
      // Products carry the sum of their operands' fractional bits.
      x_shift_(weights_->w_ih_format.frac_bits + m.layers[layer].input_format.frac_bits -
               fx::kPreact.frac_bits),
      h_shift_(weights_->w_hh_format.frac_bits + h_format_.frac_bits - fx::kPreact.frac_bits) {}

int64_t CellDatapath::InputPart(int64_t acc_x, int64_t row) const {
  return fx::InputPart(acc_x, weights_->bias[row], x_shift_);
}

int16_t CellDatapath::PreactivationOfInputPart(int64_t input_part, int64_t acc_h, SaturationCounts* counts) const {
  int64_t saturated = 0;
  const int16_t p = fx::Preactivation(input_part, acc_h, h_shift_, &saturated);
  if (counts) counts->preacts += saturated;
  return p;
}

int16_t CellDatapath::Preactivation(int64_t acc_x, int64_t acc_h, int64_t row, SaturationCounts* counts) const {
  return PreactivationOfInputPart(InputPart(acc_x, row), acc_h, counts);
}

void CellDatapath::Tail(const int16_t* preact, int32_t* c, int16_t* h,
                        SaturationCounts* counts) const {
  const int64_t H = hidden_;
  int64_t saturated = 0;
  for (int64_t k = 0; k < H; ++k) {
    const int16_t i = fx::Sigmoid(preact[kGateInput * H + k]);
    const int16_t f = fx::Sigmoid(preact[kGateForget * H + k]);
    const int16_t g = fx::Tanh(preact[kGateCell * H + k]);
    const int16_t o = fx::Sigmoid(preact[kGateOutput * H + k]);
    const fx::CellUpdate u = fx::UpdateCell(i, f, g, o, c[k], h_format_, &saturated);
    c[k] = u.c;
    h[k] = u.h;
  }
  if (counts) counts->cells += saturated;
}

}  // namespace sbe
