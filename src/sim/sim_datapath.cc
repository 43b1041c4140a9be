#include "sim/sim_datapath.h"

#include <algorithm>

namespace sbe::sim {
namespace {

// (rows, cols) row-major to (cols, rows): column j is contiguous, as the DMA delivers it.
std::vector<int16_t> ColumnMajor(const std::vector<int16_t>& w, int64_t rows, int64_t cols) {
  std::vector<int16_t> t(w.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = w[r * cols + c];
  }
  return t;
}

}  // namespace

SimDatapath::SimDatapath(const QuantizedModel& m, const FixedInput& in, bool hoisted, SaturationCounts* counts)
    : m_(m), in_(in), counts_(counts), T_(in.x.shape[0]), H_(m.shape.hidden_size),
      rows_(m.shape.GateRows()), D_(m.shape.directions()), hoisted_(hoisted) {
  const LstmShape& s = m.shape;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < D_; ++dir) {
      const QuantizedCell& w = m.cell(layer, dir);
      wx_cols_.push_back(ColumnMajor(w.w_ih, rows_, s.LayerInputSize(layer)));
      wh_cols_.push_back(ColumnMajor(w.w_hh, rows_, H_));
      cells_.emplace_back(m, layer, dir);
    }
  }
  const int64_t B = in.x.shape[1];
  out_.y = Tensor<int16_t>({T_, B, D_ * H_});
  out_.h_n = Tensor<int16_t>({s.num_cells(), B, H_});
  out_.c_n = Tensor<int32_t>({s.num_cells(), B, H_});
  if (!in.h0.empty()) out_.h_n.data = in.h0.data;
  if (!in.c0.empty()) out_.c_n.data = in.c0.data;
}

void SimDatapath::BeginBatch(int64_t first, int64_t count) {
  first_ = first;
  count_ = count;
  lens_.assign(count, T_);
  if (!in_.seq_lens.empty()) {
    std::copy(in_.seq_lens.begin() + first, in_.seq_lens.begin() + first + count, lens_.begin());
  }
  const int64_t I = in_.x.shape[2], B = in_.x.shape[1];
  layer_in_ = Tensor<int16_t>({T_, count, I});
  for (int64_t t = 0; t < T_; ++t) {
    std::copy_n(in_.x.ptr() + (t * B + first) * I, count * I, layer_in_.ptr() + t * count * I);
  }
  layer_ = -1;
}

void SimDatapath::BeginCell(int layer, int dir) {
  if (layer != layer_) {
    if (layer_ >= 0) layer_in_ = std::move(layer_out_);
    layer_out_ = Tensor<int16_t>({T_, count_, D_ * H_});  // zero past each sample's length
    layer_ = layer;
  }
  dir_ = dir;
  reverse_ = m_.shape.RunsBackward(dir);
  acc_x_.assign(count_ * rows_, 0);
  acc_h_.assign(count_ * rows_, 0);
  if (hoisted_) input_parts_.assign(T_ * count_ * rows_, 0);
  preact_.assign(rows_, 0);
  h_.resize(count_ * H_);
  c_.resize(count_ * H_);
  // Initial states: h0/c0 of this cell (zeros without them), kept in the output tensors.
  const int64_t cell = static_cast<int64_t>(layer) * D_ + dir, B = in_.x.shape[1];
  std::copy_n(out_.h_n.ptr() + (cell * B + first_) * H_, count_ * H_, h_.data());
  std::copy_n(out_.c_n.ptr() + (cell * B + first_) * H_, count_ * H_, c_.data());
}

int64_t SimDatapath::TimeIndex(int step, int64_t b) const {
  if (step >= lens_[b]) return -1;
  return reverse_ ? lens_[b] - 1 - step : step;
}

void SimDatapath::Compute(const ScheduleOp& op) {
  if (op.kind == ScheduleOp::kHoist) return Hoist(op);
  const int64_t cell = static_cast<int64_t>(op.layer) * D_ + op.direction;
  const int64_t features = layer_in_.shape[2];
  const int16_t* weights = (op.hidden ? wh_cols_ : wx_cols_)[cell].data();
  std::vector<int32_t>& accs = op.hidden ? acc_h_ : acc_x_;
  for (int64_t j = op.col_begin; j < op.col_end; ++j) {
    const int16_t* column = weights + j * rows_;
    for (int64_t b = op.batch_begin; b < op.batch_end; ++b) {
      const int64_t t = TimeIndex(op.step, b);
      if (t < 0) continue;
      const int32_t v = op.hidden ? h_[b * H_ + j] : layer_in_.ptr()[(t * count_ + b) * features + j];
      if (v == 0) continue;
      int32_t* acc = accs.data() + b * rows_;
      // Calibration proved every partial sum fits 32 bits, in any order.
      for (int64_t r = 0; r < rows_; ++r) acc[r] += static_cast<int32_t>(column[r]) * v;
    }
  }
}

// A W_x row block over (step, sample) rows, all its columns: each row's input part is final
// here (the schedule covers every column in one op), so it is rounded with the bias now.
void SimDatapath::Hoist(const ScheduleOp& op) {
  const int64_t cell = static_cast<int64_t>(op.layer) * D_ + op.direction;
  const CellDatapath& datapath = cells_[static_cast<size_t>(cell)];
  const int64_t features = layer_in_.shape[2];
  const int16_t* weights = wx_cols_[cell].data();
  std::vector<int64_t> acc(op.row_end - op.row_begin);
  for (int64_t g = op.rows_begin; g < op.rows_end; ++g) {
    const int step = static_cast<int>(g / count_);
    const int64_t b = g % count_, t = TimeIndex(step, b);
    if (t < 0) continue;
    std::fill(acc.begin(), acc.end(), 0);
    const int16_t* x = layer_in_.ptr() + (t * count_ + b) * features;
    for (int64_t j = op.col_begin; j < op.col_end; ++j) {
      if (x[j] == 0) continue;
      const int16_t* column = weights + j * rows_ + op.row_begin;
      for (size_t r = 0; r < acc.size(); ++r) acc[r] += static_cast<int32_t>(column[r]) * x[j];
    }
    int64_t* out = input_parts_.data() + (g * rows_) + op.row_begin;
    for (size_t r = 0; r < acc.size(); ++r) out[r] = datapath.InputPart(acc[r], op.row_begin + static_cast<int64_t>(r));
  }
}

void SimDatapath::Tail(int step) {
  const CellDatapath& cell = cells_[static_cast<size_t>(layer_ * D_ + dir_)];
  for (int64_t b = 0; b < count_; ++b) {
    const int64_t t = TimeIndex(step, b);
    if (t < 0) continue;
    int32_t* ax = acc_x_.data() + b * rows_;
    int32_t* ah = acc_h_.data() + b * rows_;
    if (hoisted_) {
      const int64_t* input_part = input_parts_.data() + (static_cast<int64_t>(step) * count_ + b) * rows_;
      for (int64_t r = 0; r < rows_; ++r) preact_[r] = cell.PreactivationOfInputPart(input_part[r], ah[r], counts_);
    } else {
      for (int64_t r = 0; r < rows_; ++r) preact_[r] = cell.Preactivation(ax[r], ah[r], r, counts_);
    }
    std::fill_n(ax, rows_, 0);
    std::fill_n(ah, rows_, 0);
    cell.Tail(preact_.data(), c_.data() + b * H_, h_.data() + b * H_, counts_);
    std::copy_n(h_.data() + b * H_, H_, layer_out_.ptr() + (t * count_ + b) * D_ * H_ + dir_ * H_);
  }
  // After the cell's last step, its final states are the batch's h_n and c_n.
  if (step == T_ - 1) {
    const int64_t c = static_cast<int64_t>(layer_) * D_ + dir_, B = in_.x.shape[1];
    std::copy_n(h_.data(), count_ * H_, out_.h_n.ptr() + (c * B + first_) * H_);
    std::copy_n(c_.data(), count_ * H_, out_.c_n.ptr() + (c * B + first_) * H_);
  }
}

void SimDatapath::EndBatch() {
  const int64_t B = in_.x.shape[1], F = D_ * H_;
  for (int64_t t = 0; t < T_; ++t) {
    std::copy_n(layer_out_.ptr() + t * count_ * F, count_ * F, out_.y.ptr() + (t * B + first_) * F);
  }
}

}  // namespace sbe::sim
