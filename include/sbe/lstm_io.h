// Inputs and outputs of one inference call, in the executors' sequence-first layout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbe/model.h"
#include "sbe/tensor.h"

namespace sbe {

struct LstmInput {
  TensorF x;   // (T, B, input_size)
  TensorF h0;  // (L*D, B, H), or empty for zeros
  TensorF c0;  // (L*D, B, H), or empty for zeros
  // Valid steps of each sample (ONNX sequence_lens), or empty when all B samples run T steps.
  // A sample with length n runs steps [0, n) forward and n-1 down to 0 in reverse; y is zero
  // at steps >= n and h_n, c_n hold the state after its last valid step.
  std::vector<int64_t> seq_lens;

  int64_t steps() const { return x.shape.empty() ? 0 : x.shape[0]; }
  int64_t batch() const { return x.shape.size() < 2 ? 0 : x.shape[1]; }
};

template <typename T>
struct LstmResult {
  Tensor<T> y;    // (T, B, D*H): the last layer's h_t, directions concatenated
  Tensor<T> h_n;  // (L*D, B, H)
  Tensor<T> c_n;  // (L*D, B, H)
};
using LstmOutput = LstmResult<float>;

// What to call each input in messages: the front-end passes the user's argument names.
struct InputNames {
  std::string x = "input x", h0 = "h0", c0 = "c0", seq_lens = "sequence lengths";
};

// Checks x, h0, c0 and seq_lens against the model (shapes, lengths in [0, T]). Throws Error
// naming the input.
void ValidateInput(const LstmModel& model, const LstmInput& input, const InputNames& names = {});
// Warns once per tensor holding NaN or Inf: they are not refused, they propagate to the outputs.
void WarnIfNotFinite(const LstmInput& input, const InputNames& names = {});

// Layout conversions between what the user gives or wants (IoLayout) and the executors' layout.
TensorF SwapFirstTwoAxes(const TensorF& t);  // (A, B, ...) -> (B, A, ...)
// y (T, B, D*H) -> ONNX Y (T, D, B, H).
TensorF TorchYToOnnx(const TensorF& y, int directions);
// y (T, B, D*H) -> the layout io asks for.
TensorF PresentY(const TensorF& y, const IoLayout& io, int directions);
// h_n/c_n (L*D, B, H) -> the layout io asks for (ONNX: last layer only, (D,B,H) or (B,D,H)).
TensorF PresentState(const TensorF& state, const IoLayout& io, int directions);

}  // namespace sbe
