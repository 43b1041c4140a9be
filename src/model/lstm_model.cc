// Shape arithmetic and validation of an LSTM stack.
#include <cmath>

#include "sbe/error.h"
#include "sbe/model.h"

namespace sbe {

int64_t LstmShape::WeightCount() const {
  int64_t total = 0;
  for (int layer = 0; layer < num_layers; ++layer) {
    total += directions() * GateRows() * (LayerInputSize(layer) + hidden_size);
  }
  return total;
}

std::string LstmShape::ToString() const {
  return fmt::format("input {}, hidden {}, {} layer{}, {}{}, {}", input_size, hidden_size,
                     num_layers, num_layers == 1 ? "" : "s",
                     bidirectional ? "bidirectional" : "unidirectional",
                     (!bidirectional && reverse) ? " (reverse)" : "",
                     has_bias ? "bias" : "no bias");
}

namespace {

void CheckTensor(const LstmModel& m, const std::vector<float>& v, size_t expected, int layer,
                 int dir, const char* what) {
  const char* suffix = dir == 1 ? "_reverse" : "";
  if (v.size() != expected) {
    Fail("{}: {}_l{}{} has {} values, expected {}", m.source, what, layer, suffix, v.size(),
         expected);
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      Fail("{}: {}_l{}{} holds a non-finite value ({}) at index {}; weights must be finite",
           m.source, what, layer, suffix, v[i], i);
    }
  }
}

}  // namespace

void LstmModel::Validate() const {
  const LstmShape& s = shape;
  if (s.input_size < 1 || s.input_size > kMaxModelDim) {
    Fail("{}: input size {} is outside [1, {}]", source, s.input_size, kMaxModelDim);
  }
  if (s.hidden_size < 1 || s.hidden_size > kMaxModelDim) {
    Fail("{}: hidden size {} is outside [1, {}]", source, s.hidden_size, kMaxModelDim);
  }
  if (s.num_layers < 1 || s.num_layers > kMaxLayers) {
    Fail("{}: {} layers is outside [1, {}]", source, s.num_layers, kMaxLayers);
  }
  if (static_cast<int>(cells.size()) != s.num_cells()) {
    Fail("{}: {} weight sets for {} layers x {} directions", source, cells.size(), s.num_layers,
         s.directions());
  }
  const size_t rows = static_cast<size_t>(s.GateRows());
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const CellWeights& c = cell(layer, dir);
      CheckTensor(*this, c.w_ih, rows * s.LayerInputSize(layer), layer, dir, "weight_ih");
      CheckTensor(*this, c.w_hh, rows * s.hidden_size, layer, dir, "weight_hh");
      CheckTensor(*this, c.b_ih, s.has_bias ? rows : 0, layer, dir, "bias_ih");
      CheckTensor(*this, c.b_hh, s.has_bias ? rows : 0, layer, dir, "bias_hh");
    }
  }
}

}  // namespace sbe
