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

int16_t CellDatapath::Preactivation(int64_t acc_x, int64_t acc_h, int64_t row,
                                    SaturationCounts* counts) const {
  const int64_t z =
      fx::RoundShift(acc_x, x_shift_) + fx::RoundShift(acc_h, h_shift_) + weights_->bias[row];
  const int64_t p = fx::Saturate(z, fx::kPreact.bits);
  if (p != z && counts) ++counts->preacts;
  return static_cast<int16_t>(p);
}

void CellDatapath::Tail(const int16_t* preact, int32_t* c, int16_t* h,
                        SaturationCounts* counts) const {
  const int64_t H = hidden_;
  for (int64_t k = 0; k < H; ++k) {
    const int16_t i = fx::Sigmoid(preact[kGateInput * H + k]);
    const int16_t f = fx::Sigmoid(preact[kGateForget * H + k]);
    const int16_t g = fx::Tanh(preact[kGateCell * H + k]);
    const int16_t o = fx::Sigmoid(preact[kGateOutput * H + k]);
    const fx::CellUpdate u = fx::UpdateCell(i, f, g, o, c[k], h_format_);
    if (counts && (u.c == fx::kCell.max_int() || u.c == fx::kCell.min_int())) ++counts->cells;
    c[k] = u.c;
    h[k] = u.h;
  }
}

}  // namespace sbe
