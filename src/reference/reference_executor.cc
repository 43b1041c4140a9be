// The double-precision reference: nn.LSTM's equations, written out plainly, as the oracle.
#include <cmath>

#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/reference.h"

namespace sbe {
namespace {

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One direction of one layer over one sample: i, f, g, o gates, then the cell update
// (PAPER.md, "The problem"; g is the tanh candidate the slides call u).
void RunCellSequence(const LstmShape& s, const CellWeights& w, const double* layer_in,
                     int64_t in_size, int64_t batch, int64_t b, int64_t len, bool reverse,
                     int dir, double* h, double* c, double* out) {
  const int64_t H = s.hidden_size, rows = s.GateRows(), D = s.directions();
  std::vector<double> gates(rows);
  std::vector<double> h_prev(h, h + H);
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = reverse ? len - 1 - step : step;
    const double* x = layer_in + (t * batch + b) * in_size;
    for (int64_t r = 0; r < rows; ++r) {
      double acc = s.has_bias ? double{w.b_ih[r]} + double{w.b_hh[r]} : 0.0;
      const float* wi = w.w_ih.data() + r * in_size;
      for (int64_t j = 0; j < in_size; ++j) acc += double{wi[j]} * x[j];
      const float* wh = w.w_hh.data() + r * H;
      for (int64_t j = 0; j < H; ++j) acc += double{wh[j]} * h_prev[j];
      gates[r] = acc;
    }
    for (int64_t k = 0; k < H; ++k) {
      const double i = Sigmoid(gates[kGateInput * H + k]);
      const double f = Sigmoid(gates[kGateForget * H + k]);
      const double g = std::tanh(gates[kGateCell * H + k]);
      const double o = Sigmoid(gates[kGateOutput * H + k]);
      c[k] = f * c[k] + i * g;
      h[k] = o * std::tanh(c[k]);
    }
    std::copy(h, h + H, h_prev.begin());
    std::copy(h, h + H, out + (t * batch + b) * D * H + dir * H);
  }
}

class ReferenceExecutor final : public Executor {
 public:
  explicit ReferenceExecutor(const LstmModel& model) : model_(model) {}
  std::string name() const override { return "reference"; }
  std::string arithmetic() const override { return "fp64"; }
  LstmOutput Run(const LstmInput& input) override {
    LstmResult<double> r = RunReference(model_, input);
    return {Cast<float>(r.y), Cast<float>(r.h_n), Cast<float>(r.c_n)};
  }

 private:
  const LstmModel& model_;
};

}  // namespace

LstmResult<double> RunReference(const LstmModel& model, const LstmInput& in) {
  ValidateInput(model, in);
  const LstmShape& s = model.shape;
  const int64_t T = in.steps(), B = in.batch(), H = s.hidden_size, D = s.directions();
  LstmResult<double> result;
  result.h_n = TensorD({s.num_cells(), B, H});
  result.c_n = TensorD({s.num_cells(), B, H});
  if (!in.h0.empty()) result.h_n.data.assign(in.h0.data.begin(), in.h0.data.end());
  if (!in.c0.empty()) result.c_n.data.assign(in.c0.data.begin(), in.c0.data.end());

  TensorD layer_in = Cast<double>(in.x);
  for (int layer = 0; layer < s.num_layers; ++layer) {
    TensorD out({T, B, D * H});  // steps past a sample's length stay zero (ONNX semantics)
    for (int dir = 0; dir < D; ++dir) {
      const bool reverse = s.RunsBackward(dir);
      const int64_t cell = layer * D + dir;
      for (int64_t b = 0; b < B; ++b) {
        const int64_t len = in.seq_lens.empty() ? T : in.seq_lens[b];
        double* h = result.h_n.ptr() + (cell * B + b) * H;
        double* c = result.c_n.ptr() + (cell * B + b) * H;
        RunCellSequence(s, model.cell(layer, dir), layer_in.ptr(), layer_in.shape[2], B, b, len,
                        reverse, dir, h, c, out.ptr());
      }
    }
    layer_in = std::move(out);
  }
  result.y = std::move(layer_in);
  return result;
}

ErrorStats CompareToReference(const TensorF& got, const TensorD& want) {
  if (got.shape != want.shape) {
    Fail("cannot compare shape {} with the reference's {}", ShapeToString(got.shape),
         ShapeToString(want.shape));
  }
  ErrorStats e;
  for (size_t i = 0; i < got.data.size(); ++i) {
    const double d = std::fabs(got.data[i] - want.data[i]);
    e.max = std::max(e.max, d);
    e.mean += d;
  }
  if (!got.data.empty()) e.mean /= static_cast<double>(got.data.size());
  return e;
}

std::unique_ptr<Executor> MakeReferenceExecutor(const LstmModel& model, const ExecutorOptions&) {
  return std::make_unique<ReferenceExecutor>(model);
}

}  // namespace sbe
