// The schedule compiled for the RTL (hw_program.h): the planner's ops in order, each turned
// into descriptors of the unit that does it, with the waits its data dependencies need, and
// the DRAM image those descriptors read. The order is the simulator's (src/sim/simulator.cc):
// x_{t+1} is fetched as step t begins, h_t is stored after its tail.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/int_math.h"
#include "hw/hw_program.h"
#include "sbe/datapath.h"
#include "sbe/error.h"

namespace sbe::hw {
namespace {

constexpr int kLoad = 0, kCompute = 1, kTail = 2, kStore = 3;
constexpr int kDescWords = 16;
constexpr uint32_t kNone = 0xFFFF;

int64_t NextPow2(int64_t v) {
  int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

// Every DRAM region starts on a beat.
class Dram {
 public:
  explicit Dram(int64_t beat) : beat_(beat) {}
  int64_t Alloc(int64_t bytes) {
    const int64_t at = CeilDiv(static_cast<int64_t>(bytes_.size()), beat_) * beat_;
    bytes_.resize(static_cast<size_t>(at + CeilDiv(std::max<int64_t>(bytes, 1), beat_) * beat_), 0);
    return at;
  }
  template <typename T>
  void Put(int64_t at, int64_t index, T v) {
    std::memcpy(bytes_.data() + at + index * static_cast<int64_t>(sizeof(T)), &v, sizeof(T));
  }
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  int64_t beat_;
  std::vector<uint8_t> bytes_;
};

// Who last wrote and read each resource (an on-chip region or a DRAM area), so that a new
// descriptor waits for exactly what it depends on: the writer of what it reads, the writer
// and readers of what it overwrites. Waits on the descriptor's own unit are not needed: a
// unit runs its descriptors in order.
class Tracker {
 public:
  struct Use {
    std::array<int64_t, 4> last_writer{-1, -1, -1, -1};  // per unit: the index + 1 to wait for
    std::array<int64_t, 4> readers{0, 0, 0, 0};
  };
  std::array<int64_t, 4> Waits(int unit, const std::vector<std::string>& reads,
                               const std::vector<std::string>& writes) {
    std::array<int64_t, 4> w{0, 0, 0, 0};
    auto need = [&](int u, int64_t count) {
      if (u != unit) w[u] = std::max(w[u], count);
    };
    for (const auto& r : reads) {
      const Use& use = uses_[r];
      for (int u = 0; u < 4; ++u) need(u, use.last_writer[u] + 1);
    }
    for (const auto& r : writes) {
      const Use& use = uses_[r];
      for (int u = 0; u < 4; ++u) {
        need(u, use.last_writer[u] + 1);
        need(u, use.readers[u]);
      }
    }
    return w;
  }
  void Record(int unit, int64_t index, const std::vector<std::string>& reads, const std::vector<std::string>& writes) {
    for (const auto& r : reads) uses_[r].readers[unit] = std::max(uses_[r].readers[unit], index + 1);
    for (const auto& r : writes) {
      Use& use = uses_[r];
      use.last_writer = {-1, -1, -1, -1};
      use.last_writer[unit] = index;
      use.readers = {0, 0, 0, 0};
    }
  }

 private:
  std::map<std::string, Use> uses_;
};

// The schedule's ops in the order their descriptors go into the stream. The units take their
// descriptors in order from FIFOs a few deep, so a hoisted row block's load must come before
// the groups of the block ahead of it (as many as the rows make), or the control unit would
// reach it only once the compute and tail FIFOs have drained that far: each row block's load
// follows the first group of the block before, which frees its slot, and W_h's resident blocks
// follow the last row block's load. (The simulator starts a load once its slot is free,
// whatever comes between.)
std::vector<const ScheduleOp*> StreamOrder(const Schedule& sched) {
  const std::vector<ScheduleOp>& ops = sched.ops;
  std::vector<const ScheduleOp*> order;
  std::vector<bool> moved(ops.size(), false);
  auto same_cell = [](const ScheduleOp& a, const ScheduleOp& b) { return a.layer == b.layer && a.direction == b.direction; };
  for (size_t i = 0; i < ops.size(); ++i) {
    if (moved[i]) continue;
    const ScheduleOp& op = ops[i];
    order.push_back(&op);
    const bool first_group = op.kind == ScheduleOp::kHoist &&
                             !(i > 0 && ops[i - 1].kind == ScheduleOp::kHoist && ops[i - 1].block == op.block);
    if (!first_group) continue;
    for (size_t j = i + 1; j < ops.size() && same_cell(ops[j], op); ++j) {
      const ScheduleOp& next = ops[j];
      if (next.kind == ScheduleOp::kLoad && !next.hidden && next.step < 0 && next.block == op.block + 1) {
        // With it, the loads right behind it: W_h's resident blocks after the last row block.
        for (size_t k = j; k < ops.size() && same_cell(ops[k], op) && ops[k].kind == ScheduleOp::kLoad && ops[k].step < 0;
             ++k) {
          order.push_back(&ops[k]);
          moved[k] = true;
        }
        break;
      }
    }
  }
  return order;
}

class Compiler {
 public:
  Compiler(const QuantizedModel& m, const Plan& plan, const Board& board, const FixedInput& in, HwProgram* p)
      : m_(m), s_(m.shape), plan_(plan), in_(in), p_(p), cfg_(p->config), beat_(cfg_.axi_bits / 8),
        dram_(beat_), T_(in.x.shape[0]), H_(s_.hidden_size), D_(s_.directions()), hoisted_(plan.input_hoisted) {
    (void)board;
  }

  void Run() {
    const int64_t N = in_.x.shape[1];
    const int64_t max_descs = EstimateDescriptors(N);
    p_->desc_base = dram_.Alloc((max_descs + 8) * DescStride());
    PlaceWeights();
    for (int64_t first = 0; first < N; first += plan_.batch) {
      // A last, smaller batch runs as it is when the accumulators' slots, sized for the plan's
      // batch (as the planner counts them), hold its samples; else it is padded to a whole
      // batch with zero samples (SamplesPerLane(7, 4) = 7 > SamplesPerLane(8, 4) = 2).
      const int64_t count = std::min<int64_t>(plan_.batch, N - first);
      Plan plan = plan_;
      if (SamplesPerLane(count, cfg_.lanes) <= SamplesPerLane(plan_.batch, cfg_.lanes)) plan.batch = static_cast<int>(count);
      Batch(BuildSchedule(s_, plan), first, count);
    }
    std::array<int64_t, 4> all{};
    for (int u = 0; u < 4; ++u) all[u] = counts_[u];
    Emit(/*op=*/0, -1, all, {});
    if (static_cast<int64_t>(descs_.size()) > max_descs + 1) Fail("internal: hw compile: descriptor estimate too low");
    for (size_t i = 0; i < descs_.size(); ++i) {
      const int64_t at = p_->desc_base + static_cast<int64_t>(i) * DescStride();
      for (int w = 0; w < kDescWords; ++w) dram_.Put<uint32_t>(at, w, descs_[i][w]);
    }
    p_->descriptors = static_cast<int64_t>(descs_.size());
    for (int u = 0; u < 4; ++u) p_->unit_ops[u] = counts_[u];
    p_->dram = std::move(dram_.bytes());
  }

 private:
  using Desc = std::array<uint32_t, kDescWords>;

  // Bytes from one descriptor to the next: 64, or a beat on a wider port (sbe_sequencer reads
  // one beat per descriptor there).
  int64_t DescStride() const { return std::max<int64_t>(kDescWords * 4, beat_); }

  int64_t EstimateDescriptors(int64_t N) const {
    const int64_t batches = CeilDiv(N, static_cast<int64_t>(plan_.batch));
    const Schedule sched = BuildSchedule(s_, plan_);
    // Each op is one descriptor (a hoisted group two: its compute and its drain) but x loads (up
    // to D per step), h stores and the cell's set-up.
    return batches * (2 * static_cast<int64_t>(sched.ops.size()) + s_.num_cells() * (T_ * (D_ + 2) + 8)) + 8;
  }

  // Appends a descriptor of `unit` (-1: END) with its waits; returns its index in the unit.
  int64_t Emit(uint32_t op, int unit, const std::array<int64_t, 4>& waits, const std::map<int, uint32_t>& fields) {
    Desc d{};
    d[0] = op;
    d[1] = static_cast<uint32_t>(waits[kLoad] & 0xFFFF) | static_cast<uint32_t>((waits[kCompute] & 0xFFFF) << 16);
    d[2] = static_cast<uint32_t>(waits[kTail] & 0xFFFF) | static_cast<uint32_t>((waits[kStore] & 0xFFFF) << 16);
    for (const auto& [w, v] : fields) {
      if (w == 0) d[0] |= v;
      else d[w] = v;
    }
    descs_.push_back(d);
    return unit < 0 ? -1 : counts_[unit]++;
  }

  // A descriptor with its dependencies: waits from the tracker, then recorded.
  int64_t Issue(uint32_t op, int unit, const std::vector<std::string>& reads, const std::vector<std::string>& writes,
                const std::map<int, uint32_t>& fields, const std::vector<std::string>& coarse_exempt = {}) {
    std::vector<std::string> coarse;
    for (const auto& r : reads) {
      if (std::find(coarse_exempt.begin(), coarse_exempt.end(), r) == coarse_exempt.end()) coarse.push_back(r);
    }
    const auto waits = tracker_.Waits(unit, coarse, writes);
    const int64_t index = Emit(op, unit, waits, fields);
    tracker_.Record(unit, index, reads, writes);
    return index;
  }

  int64_t Beats(int64_t bytes) const { return CeilDiv(bytes, beat_); }

  // --- the DRAM image's constant part: weights and biases --------------------------------
  // A block's columns [c0, c1) of W_x or W_h of a cell, column after column, each column's gate
  // rows interleaved (4k + gate), RowsPerBeat() rows a beat: whole beats when a chunk (a bank
  // word of row_lanes weights) holds at least a beat, so a column is as many bytes as the
  // simulator moves; else one chunk per beat.
  int64_t RowsPerBeat() const { return std::min<int64_t>(beat_ / 2, cfg_.row_lanes); }
  // A block covers gate rows [r0, r1): all 4H, or a row block of W_x when the input part is
  // hoisted (its columns then hold only those rows).
  int64_t ColumnBeats(int64_t rows) const { return CeilDiv(rows, RowsPerBeat()); }
  int64_t RowByte(int64_t row) const { return (row / RowsPerBeat()) * beat_ + (row % RowsPerBeat()) * 2; }
  int64_t BlockImage(int cell, bool hidden, int64_t c0, int64_t c1, int64_t r0, int64_t r1) {
    const auto key = std::make_tuple(cell, hidden, c0, c1, r0);
    if (const auto it = blocks_.find(key); it != blocks_.end()) return it->second;
    const QuantizedCell& w = m_.cells[cell];
    const int layer = cell / D_;
    const int64_t cols = hidden ? H_ : s_.LayerInputSize(layer);
    const std::vector<int16_t>& W = hidden ? w.w_hh : w.w_ih;
    const int64_t column = ColumnBeats(r1 - r0) * beat_;
    const int64_t at = dram_.Alloc((c1 - c0) * column);
    for (int64_t j = c0; j < c1; ++j) {
      for (int64_t row = r0; row < r1; ++row) {
        const int64_t original = (row % 4) * H_ + row / 4;
        dram_.Put<int16_t>(at + (j - c0) * column + RowByte(row - r0), 0, W[original * cols + j]);
      }
    }
    blocks_[key] = at;
    return at;
  }

  void PlaceWeights() {
    bias_.resize(s_.num_cells());
    for (int cell = 0; cell < s_.num_cells(); ++cell) {
      const QuantizedCell& w = m_.cells[cell];
      bias_[cell] = dram_.Alloc(s_.GateRows() * 4);
      for (int64_t row = 0; row < s_.GateRows(); ++row) {
        dram_.Put<int32_t>(bias_[cell], row, w.bias[(row % 4) * H_ + row / 4]);
      }
    }
  }

  // --- one batch ------------------------------------------------------------------------
  void Batch(const Schedule& sched, int64_t first, int64_t valid) {
    const int64_t B = sched.plan.batch;
    HwProgram::Batch out;
    out.first = first;
    out.count = valid;
    out.stride = B;
    // Longest first (stable), then the padding samples, which never run.
    lens_.assign(B, 0);
    out.order.resize(valid);
    std::iota(out.order.begin(), out.order.end(), 0);
    auto len = [&](int64_t j) { return in_.seq_lens.empty() ? T_ : in_.seq_lens[first + j]; };
    std::stable_sort(out.order.begin(), out.order.end(), [&](int64_t a, int64_t b) { return len(a) > len(b); });
    for (int64_t j = 0; j < valid; ++j) lens_[j] = len(out.order[j]);
    B_ = B;
    g_ = std::gcd(B, static_cast<int64_t>(cfg_.lanes));
    // DRAM: the layer-0 input per time index, (I, B); each layer's output per time index and
    // direction, (H, B); initial and final states per cell.
    const int64_t I0 = s_.input_size;
    std::vector<int64_t> x0(hoisted_ ? 0 : T_);
    for (int64_t t = 0; t < static_cast<int64_t>(x0.size()); ++t) {
      x0[t] = dram_.Alloc(I0 * B * 2);
      for (int64_t b = 0; b < valid; ++b) {
        const int64_t sample = first + out.order[b];
        for (int64_t j = 0; j < I0; ++j) dram_.Put<int16_t>(x0[t], j * B + b, in_.x.ptr()[(t * in_.x.shape[1] + sample) * I0 + j]);
      }
    }
    const int64_t dir_bytes = Beats(H_ * B * 2) * beat_;
    layer_out_.assign(s_.num_layers, 0);
    for (int l = 0; l < s_.num_layers; ++l) layer_out_[l] = dram_.Alloc(T_ * D_ * dir_bytes);
    out.y_base = layer_out_.back();
    out.y_dir_bytes = dir_bytes;
    out.y_step_bytes = D_ * dir_bytes;
    const int64_t N = in_.x.shape[1];
    for (int cell = 0; cell < s_.num_cells(); ++cell) {
      const int64_t h0 = dram_.Alloc(H_ * B * 2), c0 = dram_.Alloc(H_ * B * 4);
      for (int64_t b = 0; b < valid; ++b) {
        for (int64_t k = 0; k < H_; ++k) {
          const int64_t src = (cell * N + first + out.order[b]) * H_ + k;
          if (!in_.h0.empty()) dram_.Put<int16_t>(h0, k * B + b, in_.h0.ptr()[src]);
          if (!in_.c0.empty()) dram_.Put<int32_t>(c0, k * B + b, in_.c0.ptr()[src]);
        }
      }
      h0_.push_back(h0);
      c0_.push_back(c0);
      out.hn_base.push_back(dram_.Alloc(H_ * B * 2));
      out.cn_base.push_back(dram_.Alloc(H_ * B * 4));
    }
    batch_ = &out;
    x0_ = &x0;
    sched_ = &sched;
    int cell = -1;
    for (const ScheduleOp* op_in_stream : StreamOrder(sched)) {
      const ScheduleOp& op = *op_in_stream;
      const int op_cell = op.layer * D_ + op.direction;
      if (op_cell != cell) {
        cell = op_cell;
        BeginCell(op, cell);
      }
      if (op.step >= 0 && op.step != step_) {
        step_ = op.step;
        if (step_ + 1 < T_ && !hoisted_) LoadX(step_ + 1);
      }
      switch (op.kind) {
        case ScheduleOp::kLoad: LoadBlock(op, cell); break;
        case ScheduleOp::kCompute: Compute(op); break;
        case ScheduleOp::kTail: Tail(op, cell); break;
        case ScheduleOp::kHoist: Hoist(op); break;
      }
    }
    h0_.clear();
    c0_.clear();
    p_->batches.push_back(out);
  }

  // On-chip state words: x (two parities of one step, or hoisted every step's, group after
  // group), then h parities.
  int64_t XBase(int parity) const { return parity * MaxInput() * B_; }
  int64_t XWords() const { return hoisted_ ? s_.input_size * T_ * B_ : 2 * MaxInput() * B_; }
  int64_t HBase(int parity) const { return XWords() + parity * H_ * B_; }
  int64_t MaxInput() const { return std::max<int64_t>(s_.input_size, D_ * H_); }
  static std::string X(int parity) { return fmt::format("x{}", parity); }
  static std::string Hs(int parity) { return fmt::format("h{}", parity); }
  static std::string Acc(int parity) { return fmt::format("acc{}", parity); }
  // The accumulators' single memory: per step, the h part's partial sums (sbe_pe_array). Its
  // writers of step t + 1 wait for the tail of step t, coarsely; they come after that step's
  // W_x columns, which cover the tail wherever the input is wider than the tail's time.
  static constexpr const char* kAccSingle = "acc_single";
  static std::string Slot(int slot) { return fmt::format("slot{}", slot); }
  static std::string Out(int layer, int64_t time, int dir) { return fmt::format("out{}.{}.{}", layer, time, dir); }

  int64_t TimeOf(int step) const { return reverse_ ? T_ - 1 - step : step; }

  void BeginCell(const ScheduleOp& op, int cell) {
    layer_ = op.layer;
    dir_ = op.direction;
    reverse_ = s_.RunsBackward(op.direction);
    step_ = -1;
    tail_of_step_.assign(T_, -1);
    slot_load_.clear();
    const int bias_parity = cell % 2;
    const int64_t rows = s_.GateRows();
    // Biases, h0 and c0 of the cell, then x_0.
    Issue(1, kLoad, {}, {fmt::format("bias{}", bias_parity)},
          {{0, 3u << 8}, {3, U(bias_[cell])}, {4, U(Beats(rows * 4))}, {5, U(bias_parity * rows)}, {6, U(rows)}});
    h0_load_ = Issue(1, kLoad, {}, {Hs(0)},
                     {{0, 1u << 8}, {3, U(h0_[cell])}, {4, U(Beats(H_ * B_ * 2))}, {5, U(HBase(0))}, {6, U(H_ * B_)}});
    Issue(1, kLoad, {}, {"c"},
          {{0, 2u << 8}, {3, U(c0_[cell])}, {4, U(Beats(H_ * B_ * 4))}, {5, 0}, {6, U(H_ * B_)}});
    hoisted_groups_ = 0;
    if (hoisted_) {
      LoadAllX();
    } else {
      LoadX(0);
    }
  }

  // Hoisted (the first layer only: Unsupported): every step's x of the batch in one load, as
  // the simulator fetches it, laid out for the hoisted groups: group [r0, r1) of the (step,
  // sample) rows r = step x B + b at word I x r0, column j's rows together, (I, r1 - r0).
  void LoadAllX() {
    const int64_t I = s_.input_size, rows = T_ * B_;
    const int64_t at = dram_.Alloc(I * rows * 2);
    const int64_t N = in_.x.shape[1];
    for (const ScheduleOp& op : sched_->ops) {
      if (op.kind != ScheduleOp::kHoist || op.layer != layer_ || op.direction != dir_ || op.block != 0) continue;
      const int64_t r0 = op.rows_begin, G = op.rows_end - op.rows_begin;
      for (int64_t r = op.rows_begin; r < op.rows_end; ++r) {
        const int64_t time = TimeOf(static_cast<int>(r / B_)), b = r % B_;
        if (b >= batch_->count) continue;  // a padding sample: zeros
        const int64_t sample = batch_->first + batch_->order[b];
        for (int64_t j = 0; j < I; ++j) {
          dram_.Put<int16_t>(at, I * r0 + j * G + (r - r0), in_.x.ptr()[(time * N + sample) * I + j]);
        }
      }
    }
    Issue(1, kLoad, {}, {"xall"},
          {{0, 1u << 8}, {3, U(at)}, {4, U(Beats(I * rows * 2))}, {5, 0}, {6, U(I * rows)}});
  }

  // x of step `step` into parity step % 2: the layer-0 input, or the layer below's output at
  // that time index (one load per direction).
  void LoadX(int step) {
    const int parity = step % 2;
    const int64_t time = TimeOf(step);
    if (layer_ == 0) {
      Issue(1, kLoad, {}, {X(parity)},
            {{0, 1u << 8}, {3, U((*x0_)[time])}, {4, U(Beats(s_.input_size * B_ * 2))}, {5, U(XBase(parity))},
             {6, U(s_.input_size * B_)}});
      return;
    }
    for (int d = 0; d < D_; ++d) {
      const int64_t src = layer_out_[layer_ - 1] + time * batch_->y_step_bytes + d * batch_->y_dir_bytes;
      Issue(1, kLoad, {Out(layer_ - 1, time, d)}, {X(parity)},
            {{0, 1u << 8}, {3, U(src)}, {4, U(Beats(H_ * B_ * 2))}, {5, U(XBase(parity) + d * H_ * B_)}, {6, U(H_ * B_)}});
    }
  }

  void LoadBlock(const ScheduleOp& op, int cell) {
    const int64_t at = BlockImage(cell, op.hidden, op.col_begin, op.col_end, op.row_begin, op.row_end);
    const int64_t cols = op.col_end - op.col_begin, rows = op.row_end - op.row_begin;
    slot_load_[op.slot] = Issue(1, kLoad, {}, {Slot(op.slot)},
                                {{0, 0u << 8}, {3, U(at)}, {4, U(cols * ColumnBeats(rows))},
                                 {5, U(SlotBase(op.slot))}, {6, U(CeilDiv(rows, static_cast<int64_t>(cfg_.row_lanes)))},
                                 {7, U(ColumnBeats(rows))}, {8, U(rows)}});
  }

  void Compute(const ScheduleOp& op) {
    const int parity = op.step % 2;
    const int64_t first_column = op.hidden ? s_.LayerInputSize(op.layer) : 0;
    const int64_t lane0 = ((first_column + op.col_begin) * B_) % cfg_.lanes;
    std::vector<std::string> reads{Slot(op.slot), op.hidden ? Hs(parity) : X(parity)};
    std::vector<std::string> exempt{Slot(op.slot)};
    int64_t tail = kNone;
    if (op.hidden && op.step > 0) {
      tail = tail_of_step_[op.step - 1];
      exempt.push_back(Hs(parity));  // element by element: the tail's progress
    }
    const int64_t base = (op.hidden ? HBase(parity) : XBase(parity)) + op.col_begin * B_;
    IssueCompute(op.hidden, parity, op.hidden && !hoisted_, op.slot, op.col_end - op.col_begin, lane0, base, B_,
                 cfg_.cpi, tail, op.col_begin * B_, reads, exempt);
  }

  // A COMPUTE descriptor: `cols` columns from the slot times the operands at `operand` (column
  // after column, `samples` each: the batch, or a hoisted group's rows), `cpi` chunks an item.
  // `single`: into the accumulators' single memory, else into the pair's parity.
  void IssueCompute(bool hidden, int parity, bool single, int slot, int64_t cols, int64_t lane0, int64_t operand,
                    int64_t samples, int64_t cpi, int64_t tail, int64_t first_h, const std::vector<std::string>& reads,
                    const std::vector<std::string>& exempt) {
    const int64_t L = cfg_.lanes, g = std::gcd(samples, L);
    Issue(2, kCompute, reads, {single ? std::string(kAccSingle) : Acc(parity)},
          {{0, (hidden ? 1u << 4 : 0u) | (static_cast<uint32_t>(parity) << 5) | (single ? 1u << 6 : 0u)},
           {3, U(SlotBase(slot))}, {4, U(cols)}, {5, U(lane0)}, {6, U(operand)},
           {7, U(samples)}, {8, U(g)}, {9, U(cpi)}, {10, U(slot_load_.at(slot) & 0xFFFF)},
           {11, U(tail & 0xFFFF)}, {12, U(first_h)}, {13, U(L / samples)}, {14, U(L % samples)},
           {15, U(((L % samples) / g) << 16 | (samples / g))}},
          exempt);
  }

  // A hoisted group: a W_x row block times the group's (step, sample) rows into the x part of
  // the accumulators (parities alternate from group to group), then the tail drains those sums
  // into the input-part memory, word (r x H + k) for row r and element k, while the array goes
  // on with the next group.
  void Hoist(const ScheduleOp& op) {
    const int parity = static_cast<int>(hoisted_groups_++ % 2);
    const int64_t I = s_.input_size, r0 = op.rows_begin, G = op.rows_end - op.rows_begin;
    const int64_t rows = op.row_end - op.row_begin;
    IssueCompute(false, parity, false, op.slot, I, 0, I * r0, G, CeilDiv(rows, static_cast<int64_t>(cfg_.row_lanes)), kNone,
                 0, {Slot(op.slot), "xall"}, {Slot(op.slot)});
    const int64_t elements = rows / 4, first = r0 * H_ + op.row_begin / 4;
    Issue(3, kTail, {Acc(parity)}, {"ipart"},
          {{0, (1u << 6) | (static_cast<uint32_t>(parity) << 5)}, {3, U(elements)}, {4, U(G)}, {5, U(H_)},
           {8, U(std::gcd(G, static_cast<int64_t>(cfg_.lanes)))}, {13, U(first << 8 | parity)},
           {14, U(elements * G)}, {15, U(G)}});
  }

  void Tail(const ScheduleOp& op, int cell) {
    const int parity = op.step % 2;
    const CellDatapath datapath(m_, op.layer, op.direction);
    const int bias_parity = cell % 2;
    // The samples whose sequence reaches this step's time index: a prefix (Batch's order).
    const int64_t time = TimeOf(op.step);
    const int64_t active = std::count_if(lens_.begin(), lens_.end(), [&](int64_t len) { return len > time; });
    // Hoisted, the x part is the input-part memory's, rows step x B + b, and the h part the pair's.
    std::vector<std::string> reads{Acc(parity), fmt::format("bias{}", bias_parity), "c", Hs(parity)};
    reads.push_back(hoisted_ ? "ipart" : kAccSingle);
    const int64_t ipart = hoisted_ ? op.step * B_ * H_ : 0;
    const int64_t t = Issue(3, kTail, reads, {Hs(1 - parity), "c"},
                            {{0, (hoisted_ ? 1u << 7 : 0u) | (static_cast<uint32_t>(parity) << 5)}, {3, U(H_)}, {4, U(B_)}, {5, U(HBase(1 - parity))},
                             {6, 0}, {7, U(bias_parity * s_.GateRows())}, {8, U(g_)},
                             {9, static_cast<uint32_t>(datapath.x_shift())}, {10, static_cast<uint32_t>(datapath.h_shift())},
                             {11, U(datapath.h_format().frac_bits)}, {12, U(HBase(parity))}, {13, U(ipart << 8 | parity)},
                             {14, U(H_ * B_)}, {15, U(active)}});
    tail_of_step_[op.step] = t;
    // h_t to DRAM: the layer's output at this time index and direction (a sample past its
    // length keeps its h there; ReadOutput pads those with zeros, as pad_packed_sequence).
    const int64_t dst = layer_out_[layer_] + time * batch_->y_step_bytes + dir_ * batch_->y_dir_bytes;
    Issue(4, kStore, {Hs(1 - parity)}, {Out(layer_, time, dir_)},
          {{0, 1u << 8}, {3, U(dst)}, {4, U(Beats(H_ * B_ * 2))}, {5, U(HBase(1 - parity))}, {6, U(H_ * B_)}});
    if (op.step == T_ - 1) {
      Issue(4, kStore, {Hs(1 - parity)}, {fmt::format("hn{}", cell)},
            {{0, 1u << 8}, {3, U(batch_->hn_base[cell])}, {4, U(Beats(H_ * B_ * 2))}, {5, U(HBase(1 - parity))},
             {6, U(H_ * B_)}});
      Issue(4, kStore, {"c"}, {fmt::format("cn{}", cell)},
            {{0, 2u << 8}, {3, U(batch_->cn_base[cell])}, {4, U(Beats(H_ * B_ * 4))}, {5, 0}, {6, U(H_ * B_)}});
    }
  }

  int64_t SlotBase(int slot) const { return slot_base_.at(slot); }

  static uint32_t U(int64_t v) {
    if (v < 0 || v > 0xFFFFFFFFLL) Fail("internal: hw compile: field {} out of range", v);
    return static_cast<uint32_t>(v);
  }

 public:
  std::map<int, int64_t> slot_base_;  // weight slot -> first bank word

 private:
  const QuantizedModel& m_;
  const LstmShape& s_;
  const Plan& plan_;
  const FixedInput& in_;
  HwProgram* p_;
  const HwConfig& cfg_;
  int64_t beat_;
  Dram dram_;
  int64_t T_, H_;
  int D_;
  Tracker tracker_;
  std::vector<Desc> descs_;
  std::array<int64_t, 4> counts_{0, 0, 0, 0};
  std::map<std::tuple<int, bool, int64_t, int64_t, int64_t>, int64_t> blocks_;
  std::vector<int64_t> bias_, h0_, c0_, layer_out_;
  std::vector<int64_t> lens_;  // per position in the batch
  const std::vector<int64_t>* x0_ = nullptr;
  HwProgram::Batch* batch_ = nullptr;
  int64_t B_ = 1, g_ = 1;
  int layer_ = 0, dir_ = 0, step_ = -1;
  bool reverse_ = false;
  const bool hoisted_;
  int64_t hoisted_groups_ = 0;  // of the cell so far: their parities alternate
  const Schedule* sched_ = nullptr;
  std::vector<int64_t> tail_of_step_;
  std::map<int, int64_t> slot_load_;
  int64_t h0_load_ = -1;
};

// Words per weight bank a slot takes: its largest block's columns over the lanes, each as many
// chunks as its rows fill.
std::map<int, int64_t> SlotSizes(const Schedule& sched, int lanes, int row_lanes) {
  std::map<int, int64_t> size;
  for (const ScheduleOp& op : sched.ops) {
    if (op.kind != ScheduleOp::kLoad) continue;
    const int64_t cpi = CeilDiv(op.row_end - op.row_begin, static_cast<int64_t>(row_lanes));
    size[op.slot] = std::max(size[op.slot], CeilDiv(op.col_end - op.col_begin, static_cast<int64_t>(lanes)) * cpi);
  }
  return size;
}

// Hoisted: the sizes of the (step, sample) row groups (two at most: the schedule splits evenly).
std::vector<int64_t> HoistGroupSizes(const Schedule& sched) {
  std::vector<int64_t> sizes;
  for (const ScheduleOp& op : sched.ops) {
    if (op.kind != ScheduleOp::kHoist) continue;
    const int64_t g = op.rows_end - op.rows_begin;
    if (std::find(sizes.begin(), sizes.end(), g) == sizes.end()) sizes.push_back(g);
  }
  return sizes;
}

}  // namespace

std::map<std::string, int64_t> HwConfig::Parameters() const {
  return {{"AXI_BITS", axi_bits},       {"LANES", lanes},           {"ROW_LANES", row_lanes},
          {"WDEPTH", wdepth},           {"SDEPTH", sdepth},         {"CDEPTH", cdepth},
          {"BDEPTH", bdepth},           {"IDEPTH", idepth},         {"SLOTS", slots},           {"CPI_MAX", cpi_max},
          {"ADDER_LATENCY", adder_latency}, {"STATE_BANKS", state_banks}, {"CELL_BANKS", cell_banks}};
}

nlohmann::json HwConfig::Json() const {
  nlohmann::json j;
  j["board"] = board;
  for (const auto& [k, v] : Parameters()) j["parameters"][k] = v;
  j["dram"] = {{"bytes_per_cycle", bytes_per_cycle}, {"latency_cycles", latency_cycles}, {"burst_bytes", burst_bytes}};
  j["accumulator_bytes"] = AccumulatorBytes();
  return j;
}

std::optional<std::string> Unsupported(const QuantizedModel& m, const Plan& plan, const Board& board) {
  if (board.kind != BoardKind::kFpga) return fmt::format("board {}: the RTL is an FPGA design, not a CPU", board.name);
  if (plan.input_hoisted && m.shape.num_layers > 1) {
    return fmt::format("the RTL hoists the input part of a single layer (its x from DRAM as the input); the plan "
                       "hoists it in a stack of {} layers (plan with --input-part per-step)", m.shape.num_layers);
  }
  if (plan.input_hoisted && plan.pe.row_lanes % 4 != 0) {
    return fmt::format("the RTL drains a hoisted row block's elements four gate rows at a time; the plan's "
                       "organization has {} row lanes (plan with --input-part per-step)", plan.pe.row_lanes);
  }
  if (plan.input_hoisted && static_cast<int64_t>(plan.steps) * plan.batch * m.shape.hidden_size >= (1 << 24)) {
    return std::string("the hoisted input parts of steps x batch x hidden beyond the 24-bit descriptor field");
  }
  if (!plan.block_batch) return std::string("the RTL runs block-batch schedules only (not --non-block-batch)");
  if (plan.pe.row_lanes < 4) {
    return fmt::format("the RTL's tail reads an element's four gate rows from four row PEs; the plan's organization has "
                       "{} row lanes", plan.pe.row_lanes);
  }
  const int port = board.dram_port_bits;
  if (port < 64 || port > 1024 || (port & (port - 1)) != 0) {
    return fmt::format("board {}: a {}-bit memory port; the RTL takes 64, 128, 256, 512 or 1024 bits", board.name, port);
  }
  if (m.shape.hidden_size > 0xFFFF || plan.batch > 0xFFFF) return std::string("sizes beyond 16-bit descriptor fields");
  // The tail's shifters are exact for shifts in [-31, 127] (sbe_cell_datapath.sv).
  for (int layer = 0; layer < m.shape.num_layers; ++layer) {
    for (int dir = 0; dir < m.shape.directions(); ++dir) {
      const CellDatapath cell(m, layer, dir);
      for (int shift : {cell.x_shift(), cell.h_shift()}) {
        if (shift < -31 || shift > 127) {
          return fmt::format("layer {}: a pre-activation shift of {} (weights' and inputs' formats); the RTL's "
                             "tail takes -31 to 127", layer, shift);
        }
      }
    }
  }
  return std::nullopt;
}

HwConfig ConfigFor(const LstmShape& s, const Plan& plan, const Board& board, bool shared_sizes) {
  HwConfig c;
  c.board = board.name;
  c.axi_bits = board.dram_port_bits;
  c.lanes = static_cast<int>(plan.pe.lanes);
  c.row_lanes = static_cast<int>(plan.pe.row_lanes);
  c.cpi = CeilDiv(s.GateRows(), static_cast<int64_t>(c.row_lanes));
  c.cpi_max = static_cast<int>(c.cpi);
  c.adder_latency = std::max(1, board.adder_latency);
  const Schedule sched = BuildSchedule(s, plan);
  int64_t slots = SamplesPerLane(plan.batch, c.lanes);
  for (int64_t g : HoistGroupSizes(sched)) slots = std::max(slots, SamplesPerLane(g, c.lanes));
  c.slots = static_cast<int>(slots);
  int64_t words = 0;
  for (const auto& [slot, size] : SlotSizes(sched, c.lanes, c.row_lanes)) words += size;
  c.wdepth = NextPow2(std::max<int64_t>(words, 2));
  const int64_t beat_words = c.axi_bits / 16;
  c.state_banks = static_cast<int>(NextPow2(std::max<int64_t>(c.lanes, beat_words)));
  c.cell_banks = static_cast<int>(NextPow2(std::max<int64_t>(4, c.axi_bits / 32)));
  const int64_t max_input = std::max<int64_t>(s.input_size, s.directions() * s.hidden_size);
  const int64_t x_words = plan.input_hoisted ? static_cast<int64_t>(plan.steps) * plan.batch * s.input_size
                                             : 2 * max_input * plan.batch;
  c.sdepth = NextPow2(std::max<int64_t>(x_words + 2 * s.hidden_size * plan.batch, c.state_banks * 2));
  c.idepth = plan.input_hoisted ? static_cast<int64_t>(plan.steps) * plan.batch * s.hidden_size : 2;
  c.cdepth = NextPow2(std::max<int64_t>(s.hidden_size * plan.batch, c.cell_banks * 2));
  c.bdepth = NextPow2(std::max<int64_t>(2 * s.GateRows(), c.cell_banks * 2));
  if (shared_sizes) {
    // Memories at least this deep: small models share one Verilator build (a simulation's
    // memories cost nothing; synthesis sizes them to the plan instead). The accumulators keep
    // their exact depth, so that co-simulation runs the addressing synthesis builds.
    c.wdepth = std::max<int64_t>(c.wdepth, 512);
    c.sdepth = std::max<int64_t>(c.sdepth, 4096);
    c.cdepth = std::max<int64_t>(c.cdepth, 1024);
    c.bdepth = std::max<int64_t>(c.bdepth, 1024);
    c.idepth = std::max<int64_t>(NextPow2(c.idepth), 1024);
  }
  c.bytes_per_cycle = std::min(board.dram_gbs * 1e9 / (board.clock_mhz * 1e6), board.dram_port_bits / 8.0);
  c.latency_cycles = static_cast<int64_t>(std::ceil(board.dram_latency_ns * board.clock_mhz * 1e-3));
  c.burst_bytes = board.dram_burst_bytes;
  return c;
}

HwProgram Compile(const QuantizedModel& m, const Plan& plan, const Board& board, const FixedInput& in) {
  if (const auto why = Unsupported(m, plan, board)) Fail("sbe hw: {}", *why);
  HwProgram p;
  p.config = ConfigFor(m.shape, plan, board, /*shared_sizes=*/true);
  Compiler compiler(m, plan, board, in, &p);
  const Schedule sched = BuildSchedule(m.shape, plan);
  int64_t base = 0;
  for (const auto& [slot, size] : SlotSizes(sched, p.config.lanes, p.config.row_lanes)) {
    compiler.slot_base_[slot] = base;
    base += size;
  }
  compiler.Run();
  return p;
}

FixedOutput ReadOutput(const QuantizedModel& m, const HwProgram& p, const FixedInput& in,
                       const std::vector<uint8_t>& dram) {
  const LstmShape& s = m.shape;
  const int64_t T = in.x.shape[0], N = in.x.shape[1], H = s.hidden_size, D = s.directions();
  FixedOutput out;
  out.y = Tensor<int16_t>({T, N, D * H});
  out.h_n = Tensor<int16_t>({s.num_cells(), N, H});
  out.c_n = Tensor<int32_t>({s.num_cells(), N, H});
  auto get16 = [&](int64_t at, int64_t i) {
    int16_t v;
    std::memcpy(&v, dram.data() + at + 2 * i, 2);
    return v;
  };
  auto get32 = [&](int64_t at, int64_t i) {
    int32_t v;
    std::memcpy(&v, dram.data() + at + 4 * i, 4);
    return v;
  };
  for (const HwProgram::Batch& b : p.batches) {
    const int64_t B = b.stride, valid = b.count;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t d = 0; d < D; ++d) {
        const int64_t at = b.y_base + t * b.y_step_bytes + d * b.y_dir_bytes;
        for (int64_t j = 0; j < valid; ++j) {
          const int64_t sample = b.first + b.order[j];
          const bool past = !in.seq_lens.empty() && t >= in.seq_lens[sample];
          for (int64_t k = 0; k < H; ++k) out.y.ptr()[(t * N + sample) * D * H + d * H + k] = past ? 0 : get16(at, k * B + j);
        }
      }
    }
    for (int64_t c = 0; c < s.num_cells(); ++c) {
      for (int64_t j = 0; j < valid; ++j) {
        for (int64_t k = 0; k < H; ++k) {
          out.h_n.ptr()[(c * N + b.first + b.order[j]) * H + k] = get16(b.hn_base[c], k * B + j);
          out.c_n.ptr()[(c * N + b.first + b.order[j]) * H + k] = get32(b.cn_base[c], k * B + j);
        }
      }
    }
  }
  return out;
}

}  // namespace sbe::hw
