// oneDNN's LSTM primitive (fp32, forward inference) bound to an sbe model: the anchor
// `sbe bench` measures the CPU engine against. Not a code path of sbe itself.
#pragma once

#include <memory>
#include <string>

#include "sbe/model.h"
#include "sbe/tensor.h"

namespace sbe {

class OneDnnLstm {
 public:
  // Binds the model for a fixed number of steps and batch: one primitive per layer
  // (bidirectional_concat for two directions), weights in the layout oneDNN picks
  // (format_tag::any), reordered here so that Run never repacks. threads > 0 sets oneDNN's
  // OpenMP threads.
  OneDnnLstm(const LstmModel& model, int64_t steps, int64_t batch, int threads);
  ~OneDnnLstm();
  // x (steps, batch, input) -> y (steps, batch, directions*hidden); zero h0, c0; full-length
  // sequences (nn.LSTM semantics). Throws Error on a shape mismatch.
  void Run(const TensorF& x, TensorF* y);
  // "oneDNN 2.6.3 (<implementation>)".
  std::string Describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "2.6.3": the version of the linked library.
std::string OneDnnVersion();

}  // namespace sbe
