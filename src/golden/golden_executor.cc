// The golden model: docs/FIXED_POINT.md executed literally, one multiply-add at a time.

#include "sbe/datapath.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/fixed_executor.h"
#include "sbe/golden.h"

namespace sbe {
namespace {

using fx::QFormat;

// One 32-bit accumulator: the exact sum of int16 x int16 products. Calibration proved it
// cannot overflow; checking here turns a broken proof into an error instead of wrong bits.
int64_t Accumulate(const int16_t* w, const int16_t* v, int64_t n) {
  int64_t acc = 0;
  for (int64_t j = 0; j < n; ++j) acc += int64_t{w[j]} * v[j];
  if (acc != fx::Saturate(acc, fx::kAccumulatorBits)) {
    Fail("internal: accumulator overflow despite calibration (value {})", acc);
  }
  return acc;
}

// One direction of one layer over one sample, in the datapath's formats.
void RunCellSequence(const QuantizedModel& m, int layer, int dir, const int16_t* layer_in,
                     int64_t in_size, int64_t batch, int64_t b, int64_t len, int16_t* h,
                     int32_t* c, int16_t* out, SaturationCounts* counts) {
  const LstmShape& s = m.shape;
  const CellDatapath datapath(m, layer, dir);
  const QuantizedCell& w = datapath.weights();
  const int64_t H = s.hidden_size, rows = s.GateRows(), D = s.directions();
  const bool reverse = s.RunsBackward(dir);
  std::vector<int16_t> preact(rows), h_prev(h, h + H);
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = reverse ? len - 1 - step : step;
    const int16_t* x = layer_in + (t * batch + b) * in_size;
    for (int64_t r = 0; r < rows; ++r) {
      preact[r] = datapath.Preactivation(Accumulate(&w.w_ih[r * in_size], x, in_size),
                                         Accumulate(&w.w_hh[r * H], h_prev.data(), H), r, counts);
    }
    datapath.Tail(preact.data(), c, h, counts);
    std::copy(h, h + H, h_prev.begin());
    std::copy(h, h + H, out + (t * batch + b) * D * H + dir * H);
  }
}

class GoldenExecutor final : public FixedPointExecutor {
 public:
  using FixedPointExecutor::FixedPointExecutor;
  std::string name() const override { return "golden"; }

 private:
  FixedOutput RunFixed(const FixedInput& input, SaturationCounts* counts) override {
    return RunGolden(quantized(), input, counts);
  }
};

}  // namespace

FixedInput QuantizeInput(const QuantizedModel& m, const LstmInput& in, SaturationCounts* counts) {
  LstmModel shape_only;
  shape_only.shape = m.shape;
  ValidateInput(shape_only, in);
  const QuantizedLayer& first = m.layers[0];
  FixedInput q;
  q.seq_lens = in.seq_lens;
  q.x = Tensor<int16_t>(in.x.shape);
  counts->inputs += fx::QuantizeArray(in.x.ptr(), in.x.numel(),
                                      first.input_format, first.input_limit, q.x.data.data());
  const int64_t per_cell = in.batch() * m.shape.hidden_size;
  if (!in.h0.empty()) {
    q.h0 = Tensor<int16_t>(in.h0.shape);
    for (int64_t cell = 0; cell < m.shape.num_cells(); ++cell) {
      const QFormat f = m.layers[cell / m.shape.directions()].h_format;
      counts->inputs += fx::QuantizeArray(in.h0.data.data() + cell * per_cell, per_cell, f,
                                          f.max_int(), q.h0.data.data() + cell * per_cell);
    }
  }
  if (!in.c0.empty()) {
    q.c0 = Tensor<int32_t>(in.c0.shape);
    for (size_t i = 0; i < in.c0.data.size(); ++i) {
      q.c0.data[i] = static_cast<int32_t>(
          fx::QuantizeClamped(in.c0.data[i], fx::Quantizer(fx::kCell), fx::kCell.max_int(), &counts->inputs));
    }
  }
  return q;
}

FixedOutput RunGolden(const QuantizedModel& m, const FixedInput& in, SaturationCounts* counts) {
  const LstmShape& s = m.shape;
  const int64_t T = in.x.shape[0], B = in.x.shape[1], H = s.hidden_size, D = s.directions();
  FixedOutput out;
  out.h_n = Tensor<int16_t>({s.num_cells(), B, H});
  out.c_n = Tensor<int32_t>({s.num_cells(), B, H});
  if (!in.h0.empty()) out.h_n.data = in.h0.data;
  if (!in.c0.empty()) out.c_n.data = in.c0.data;
  Tensor<int16_t> layer_in = in.x;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    Tensor<int16_t> layer_out({T, B, D * H});  // zero past each sample's length
    for (int dir = 0; dir < D; ++dir) {
      const int64_t cell = layer * D + dir;
      for (int64_t b = 0; b < B; ++b) {
        const int64_t len = in.seq_lens.empty() ? T : in.seq_lens[b];
        RunCellSequence(m, layer, dir, layer_in.ptr(), layer_in.shape[2], B, b, len,
                        out.h_n.ptr() + (cell * B + b) * H, out.c_n.ptr() + (cell * B + b) * H,
                        layer_out.ptr(), counts);
      }
    }
    layer_in = std::move(layer_out);
  }
  out.y = std::move(layer_in);
  return out;
}

LstmOutput DequantizeOutput(const QuantizedModel& m, const FixedOutput& q) {
  const int64_t per_cell = q.h_n.shape[1] * q.h_n.shape[2];
  LstmOutput out{TensorF(q.y.shape), TensorF(q.h_n.shape), TensorF(q.c_n.shape)};
  // One scale per tensor (or cell), not per value: QFormat::scale() is an ldexp.
  const double y_scale = m.layers.back().h_format.scale(), c_scale = fx::kCell.scale();
  for (size_t i = 0; i < q.y.data.size(); ++i) {
    out.y.data[i] = static_cast<float>(static_cast<double>(q.y.data[i]) * y_scale);
  }
  for (size_t i = 0; i < q.h_n.data.size(); ++i) {
    const double h_scale = m.layers[i / per_cell / m.shape.directions()].h_format.scale();
    out.h_n.data[i] = static_cast<float>(static_cast<double>(q.h_n.data[i]) * h_scale);
    out.c_n.data[i] = static_cast<float>(static_cast<double>(q.c_n.data[i]) * c_scale);
  }
  return out;
}

std::unique_ptr<Executor> MakeGoldenExecutor(const LstmModel& model,
                                             const ExecutorOptions& options) {
  return std::make_unique<GoldenExecutor>(model, options);
}

}  // namespace sbe
