// Input checks and the layout conversions between the user's tensors and the executors'.
#include <algorithm>
#include <cmath>
#include <span>

#include "model/non_finite.h"
#include "sbe/error.h"
#include "sbe/lstm_io.h"

namespace sbe {
namespace {

void CheckState(const TensorF& t, const std::string& name, const std::vector<int64_t>& expected) {
  if (t.empty()) return;
  if (t.shape != expected) {
    Fail("{} has shape {}, the model needs {}", name, ShapeToString(t.shape),
         ShapeToString(expected));
  }
}

void WarnTensor(const TensorF& t, const std::string& name) {
  const int64_t bad = FirstNonFinite(t.ptr(), t.numel());
  if (bad < 0) return;
  Warn("{} holds a non-finite value ({}) at index {}; it will propagate to the outputs", name,
       t.ptr()[bad], bad);
}

}  // namespace

void ValidateInput(const LstmModel& model, const LstmInput& in, const InputNames& names) {
  const LstmShape& s = model.shape;
  if (in.x.rank() != 3) {
    Fail("{} has rank {} (shape {}), expected (steps, batch, {})", names.x, in.x.rank(),
         ShapeToString(in.x.shape), s.input_size);
  }
  if (in.x.shape[2] != s.input_size) {
    Fail("{} has shape {}: its last axis must be the model's input size {}", names.x,
         ShapeToString(in.x.shape), s.input_size);
  }
  if (in.steps() < 1 || in.batch() < 1) {
    Fail("{} has shape {}: steps and batch must be at least 1", names.x,
         ShapeToString(in.x.shape));
  }
  const std::vector<int64_t> state_shape = {s.num_cells(), in.batch(), s.hidden_size};
  CheckState(in.h0, names.h0, state_shape);
  CheckState(in.c0, names.c0, state_shape);
  if (!in.seq_lens.empty()) {
    if (static_cast<int64_t>(in.seq_lens.size()) != in.batch()) {
      Fail("{}: {} values for a batch of {}", names.seq_lens, in.seq_lens.size(), in.batch());
    }
    for (size_t b = 0; b < in.seq_lens.size(); ++b) {
      if (in.seq_lens[b] < 0 || in.seq_lens[b] > in.steps()) {
        Fail("{}: sample {} has length {}, outside [0, {}]", names.seq_lens, b, in.seq_lens[b],
             in.steps());
      }
    }
  }
}

void WarnIfNotFinite(const LstmInput& in, const InputNames& names) {
  WarnTensor(in.x, names.x);
  WarnTensor(in.h0, names.h0);
  WarnTensor(in.c0, names.c0);
}

TensorF SwapFirstTwoAxes(const TensorF& t) {
  if (t.rank() < 2) Fail("cannot swap the first two axes of a tensor of rank {}", t.rank());
  std::vector<int64_t> shape = t.shape;
  std::swap(shape[0], shape[1]);
  TensorF out(shape);
  const int64_t a = t.shape[0], b = t.shape[1];
  const int64_t inner = a * b == 0 ? 0 : t.numel() / (a * b);
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      const float* src = t.ptr() + (i * b + j) * inner;
      std::copy(src, src + inner, out.ptr() + (j * a + i) * inner);
    }
  }
  return out;
}

TensorF TorchYToOnnx(const TensorF& y, int directions) {
  const int64_t steps = y.shape[0], batch = y.shape[1], hidden = y.shape[2] / directions;
  TensorF out({steps, directions, batch, hidden});
  for (int64_t t = 0; t < steps; ++t) {
    for (int d = 0; d < directions; ++d) {
      for (int64_t b = 0; b < batch; ++b) {
        const float* src = y.ptr() + (t * batch + b) * directions * hidden + d * hidden;
        std::copy(src, src + hidden, out.ptr() + ((t * directions + d) * batch + b) * hidden);
      }
    }
  }
  return out;
}

TensorF PresentY(const TensorF& y, const IoLayout& io, int directions) {
  if (!io.onnx_outputs) return io.batch_first ? SwapFirstTwoAxes(y) : y;
  TensorF onnx = TorchYToOnnx(y, directions);  // (T, D, B, H)
  if (!io.batch_first) return onnx;
  // ONNX layout=1: (B, T, D, H).
  TensorF out({onnx.shape[2], onnx.shape[0], onnx.shape[1], onnx.shape[3]});
  const int64_t steps = onnx.shape[0], batch = onnx.shape[2], hidden = onnx.shape[3];
  for (int64_t t = 0; t < steps; ++t) {
    for (int d = 0; d < directions; ++d) {
      for (int64_t b = 0; b < batch; ++b) {
        const float* src = onnx.ptr() + ((t * directions + d) * batch + b) * hidden;
        std::copy(src, src + hidden, out.ptr() + ((b * steps + t) * directions + d) * hidden);
      }
    }
  }
  return out;
}

TensorF PresentState(const TensorF& state, const IoLayout& io, int directions) {
  if (!io.onnx_outputs) return state;
  // ONNX Y_h / Y_c belong to the last LSTM node: its directions only.
  const int64_t batch = state.shape[1], hidden = state.shape[2];
  TensorF last({directions, batch, hidden});
  std::copy(state.data.end() - last.numel(), state.data.end(), last.data.begin());
  return io.batch_first ? SwapFirstTwoAxes(last) : last;
}

}  // namespace sbe
