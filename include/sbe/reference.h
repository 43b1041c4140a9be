// The double-precision reference LSTM: the oracle every other executor is tested against.
#pragma once

#include "sbe/lstm_io.h"
#include "sbe/model.h"

namespace sbe {

// Runs the model in double precision, straightforwardly (no blocking, no reordering), with
// nn.LSTM semantics plus ONNX's per-sample sequence lengths. Validates the input first.
LstmResult<double> RunReference(const LstmModel& model, const LstmInput& input);

// How far an executor's output is from the reference's: max and mean absolute difference.
struct ErrorStats {
  double max = 0;
  double mean = 0;
};
ErrorStats CompareToReference(const TensorF& got, const TensorD& want);

template <typename To, typename From>
Tensor<To> Cast(const Tensor<From>& t) {
  Tensor<To> out;
  out.shape = t.shape;
  const std::span<const From> values = t.values();
  out.data.assign(values.begin(), values.end());
  return out;
}

}  // namespace sbe
