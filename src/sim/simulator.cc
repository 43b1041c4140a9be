// The simulator's control: walks the planner's schedule op by op, asks the DRAM channel, the
// PE array and the tail when each thing can happen, and drives the datapath for the values.
// Nothing here computes a time from a formula over the whole run: every cycle count is the
// outcome of the ops, their dependencies and the resources they wait for.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "common/int_math.h"
#include "sbe/error.h"
#include "sbe/simulator.h"
#include "sim/dram_channel.h"
#include "sim/pe_array.h"
#include "sim/sim_datapath.h"

namespace sbe {

std::string ArchitectureName(Architecture arch) {
  return arch == Architecture::kStallFree ? "stall-free" : "baseline";
}


namespace sim {
namespace {

enum Track { kDramTrack = 0, kPeTrack = 1, kTailTrack = 2 };

// Sizes every buffer the schedule uses and checks them against the board.
BufferUse SizeBuffers(const Schedule& schedule, const Board& board) {
  const int64_t word = board.word_bits / 8;
  std::map<int, int64_t> slot_bytes;
  for (const ScheduleOp& op : schedule.ops) {
    if (op.kind != ScheduleOp::kLoad) continue;
    int64_t& bytes = slot_bytes[op.slot];
    bytes = std::max(bytes, (op.row_end - op.row_begin) * (op.col_end - op.col_begin) * word);
  }
  BufferUse use;
  for (const auto& [slot, bytes] : slot_bytes) use.weight_slot_bytes += bytes;
  use.state_bytes = schedule.plan.onchip_state_bytes;
  use.capacity_bytes = board.onchip_bytes;
  use.accumulator_bytes = schedule.plan.pe.accumulator_bytes;
  use.accumulator_capacity_bytes = AccumulatorCapacity(board);
  if (use.weight_slot_bytes + use.state_bytes > use.capacity_bytes) {
    Fail("plan {} does not fit the buffers of board {}: {} bytes of weight slots and {} bytes of "
         "state for {} samples, but {} bytes on-chip",
         schedule.plan.ToString(), board.name, use.weight_slot_bytes, use.state_bytes,
         schedule.plan.batch, use.capacity_bytes);
  }
  if (const auto why = CheckMemoryBlocks(board, use.weight_slot_bytes, use.state_bytes, schedule.plan.pe.lanes)) {
    Fail("plan {} does not fit the memory blocks of board {}: {}", schedule.plan.ToString(), board.name, *why);
  }
  if (use.accumulator_bytes > use.accumulator_capacity_bytes) {
    Fail("plan {} does not fit board {}: its partial sums need {} bytes of distributed RAM, the accumulators "
         "may take {}", schedule.plan.ToString(), board.name, use.accumulator_bytes, use.accumulator_capacity_bytes);
  }
  return use;
}

class Controller {
 public:
  Controller(const QuantizedModel& m, const Board& board, const Plan& plan, const FixedInput& in,
             const SimOptions& opt, SimResult* result)
      : m_(m), board_(board), plan_(plan), opt_(opt), r_(result), dram_(board),
        // Partial-sum sets: the batch's samples, then the hoisted input part's (step, sample) rows.
        pe_(board, plan.pe, plan.batch * (1 + in.x.shape[0])),
        tail_(board, m.shape.hidden_size), word_(board.word_bits / 8),
        beat_(std::max(1, board.dram_port_bits / 8)), T_(in.x.shape[0]) {
    if (opt.compute_values) datapath_.emplace(m, in, plan.input_hoisted, &r_->saturation);
    // Each time index of each layer's output: when it is in DRAM (for the next layer's x).
    written_.assign(m.shape.num_layers, std::vector<int64_t>(T_, 0));
  }

  void RunBatch(const Schedule& sched, int64_t first) {
    const int64_t B = sched.plan.batch;
    // The tail adds the partial sums of the lanes a sample is spread over in a tree.
    const int64_t interleaved = sched.plan.block_batch ? B : 1;
    reduction_ = static_cast<int64_t>(
        std::ceil(std::log2(static_cast<double>(LanesPerSample(interleaved, plan_.pe.lanes)))));
    if (datapath_) datapath_->BeginBatch(first, B);
    int cell = -1;
    for (const ScheduleOp& op : sched.ops) {
      const int op_cell = op.layer * m_.shape.directions() + op.direction;
      if (op_cell != cell) {
        cell = op_cell;
        BeginCell(op, B);
      }
      if (op.step >= 0 && op.step != step_) BeginStep(op, B);
      switch (op.kind) {
        case ScheduleOp::kLoad: Load(op); break;
        case ScheduleOp::kCompute: Compute(op); break;
        case ScheduleOp::kHoist: Hoist(op, B); break;
        case ScheduleOp::kTail: Tail(op, B); break;
      }
    }
    if (datapath_) datapath_->EndBatch();
  }

  void Finish() {
    const int64_t end = std::max({pe_.free(), tail_done_, last_write_});
    pe_.Drain(end);
    r_->cycles = end;
    r_->busy_cycles = pe_.busy_cycles();
    r_->idle_lane_pe_cycles = pe_.idle_lane_pe_cycles();
    r_->idle_row_pe_cycles = pe_.idle_row_pe_cycles();
    r_->stalls = pe_.stalls();
    r_->dram_read_bytes = dram_.read_bytes();
    r_->dram_write_bytes = dram_.write_bytes();
    r_->dram_utilization = static_cast<double>(dram_.read_bytes() + dram_.write_bytes()) /
                           (dram_.bytes_per_cycle() * static_cast<double>(std::max<int64_t>(end, 1)));
    if (datapath_) r_->output = datapath_->TakeOutput();
  }

 private:
  struct Slot {
    DramChannel::Transfer transfer;
    int64_t column_bytes = 0;
    int64_t block_done = 0;  // every column arrived
  };

  void Record(std::string name, int track, int64_t begin, int64_t end) {
    if (!opt_.trace) return;
    if (static_cast<int64_t>(r_->trace.size()) >= opt_.max_trace_events) {
      r_->trace_truncated = true;
      return;
    }
    r_->trace.push_back({std::move(name), track, begin, end});
  }

  void BeginCell(const ScheduleOp& op, int64_t B) {
    layer_ = op.layer;
    dir_ = op.direction;
    reverse_ = m_.shape.RunsBackward(op.direction);
    step_ = -1;
    // h_0 is on-chip before the cell starts; the previous cell's work bounds nothing else.
    h_ready_.assign(B * m_.shape.hidden_size, 0);
    last_done_.assign(B, 0);
    x_ready_[0] = x_ready_[1] = 0;
    x_buffer_free_[0] = x_buffer_free_[1] = 0;
    step_barrier_ = 0;
    hoist_done_ = 0;
    if (datapath_) datapath_->BeginCell(op.layer, op.direction);
    if (plan_.input_hoisted) {
      FetchAllInputs(B);
    } else {
      FetchInput(0, B);  // before the cell's weights: the first columns need it at once
    }
  }

  // Hoisted: every step's x of the batch at once, into the buffer the input part reads; deeper
  // layers wait for the whole output of the layer before.
  void FetchAllInputs(int64_t B) {
    const int64_t I = m_.shape.LayerInputSize(layer_);
    int64_t earliest = 0;
    if (layer_ > 0) earliest = *std::max_element(written_[layer_ - 1].begin(), written_[layer_ - 1].end());
    const DramChannel::Transfer t = dram_.Read(earliest, T_ * B * I * word_);
    x_ready_[0] = x_ready_[1] = t.done;
    Record(fmt::format("x l{} all steps", layer_), kDramTrack, t.start, t.done);
  }

  // The time index step `step` reads: the input sequence runs backwards in reverse cells.
  int64_t TimeOf(int step) const { return reverse_ ? T_ - 1 - step : step; }

  // x_t of the batch streams into one half of the double-buffered x memory while step t - 1
  // computes: that half is free once the input columns of step t - 2 are done, and (deeper
  // layers) once the previous layer has written that time index.
  void FetchInput(int step, int64_t B) {
    if (step >= T_) return;
    const int64_t I = m_.shape.LayerInputSize(layer_);
    int64_t earliest = x_buffer_free_[step % 2];
    if (layer_ > 0) earliest = std::max(earliest, written_[layer_ - 1][TimeOf(step)]);
    const DramChannel::Transfer t = dram_.Read(earliest, B * I * word_);
    x_ready_[step % 2] = t.done;
    Record(fmt::format("x l{} t{}", layer_, TimeOf(step)), kDramTrack, t.start, t.done);
  }

  void BeginStep(const ScheduleOp& op, int64_t B) {
    step_ = op.step;
    if (!plan_.input_hoisted) FetchInput(step_ + 1, B);
  }

  void Load(const ScheduleOp& op) {
    // Blocks are column-major: a column of the block's rows after another, each from a beat of
    // the memory port (the RTL's DRAM layout, docs/HARDWARE.md: a column's last beat is padded,
    // which a hoisted row block of a few chunks makes a large share of its bytes).
    const int64_t column_bytes = CeilDiv((op.row_end - op.row_begin) * word_, beat_) * beat_;
    const int64_t bytes = column_bytes * (op.col_end - op.col_begin);
    // A slot is refilled once the last computation reading it is done (ping-pong).
    const DramChannel::Transfer t = dram_.Read(slot_free_[op.slot], bytes);
    slots_[op.slot] = {t, column_bytes, t.done};
    Record(fmt::format("load {} l{} d{} block {}{}", op.hidden ? "W_h" : "W_x", op.layer,
                       op.direction, op.block, op.step >= 0 ? fmt::format(" t{}", op.step) : ""),
           kDramTrack, t.start, t.done);
  }

  void Compute(const ScheduleOp& op) {
    const auto found = slots_.find(op.slot);
    if (found == slots_.end()) Fail("internal: schedule computes from slot {} before loading it", op.slot);
    const Slot& slot = found->second;
    const int64_t H = m_.shape.hidden_size;
    const bool baseline = opt_.arch == Architecture::kBaseline;
    const int64_t cols = op.col_end - op.col_begin;
    int64_t begin = -1, end = 0;
    if (!baseline) {
      // Column-wise: column j of every sample, then column j + 1; each (column, sample) item
      // waits for its weight column and for its element of x_t or h_{t-1}.
      // Item (c, b) of the step's column c (W_x's, then W_h's) goes to lane (c x n + b), n the
      // samples interleaved (the batch, or one sample at a time without block-batch).
      const int64_t first_column = op.hidden ? m_.shape.LayerInputSize(op.layer) : 0;
      const int64_t interleaved = op.batch_end - op.batch_begin;
      // Per step the h part adds into the accumulators' single memory (as the RTL keeps the
      // partial sums): not before the previous tail is done reading it.
      const bool single = op.hidden && !plan_.input_hoisted;
      for (int64_t j = op.col_begin; j < op.col_end; ++j) {
        const int64_t w = dram_.ArrivalOf(slot.transfer, (j - op.col_begin + 1) * slot.column_bytes);
        for (int64_t b = op.batch_begin; b < op.batch_end; ++b) {
          const int64_t operand = op.hidden ? h_ready_[b * H + j] : x_ready_[op.step % 2];
          StallCause cause = w >= operand ? StallCause::kWeights
                             : op.hidden ? StallCause::kRecurrence : StallCause::kInput;
          int64_t ready = std::max(w, operand);
          if (single && single_free_ > ready) {
            ready = single_free_;
            cause = StallCause::kAccumulator;
          }
          const int64_t lane = (first_column + j) * interleaved + (b - op.batch_begin);
          const int64_t done = pe_.IssueColumn(ready, cause, b, lane, plan_.pe.cycles_per_item,
                                               m_.shape.GateRows());
          if (begin < 0) begin = done - 1;
          last_done_[b] = done;
          end = done;
        }
      }
    } else {
      // Row-wise: each sample's dot products start when the whole block, the whole operand
      // vector and the previous step (barrier) are there.
      for (int64_t b = op.batch_begin; b < op.batch_end; ++b) {
        int64_t operand = x_ready_[op.step % 2];
        if (op.hidden) {
          operand = *std::max_element(h_ready_.begin() + b * H + op.col_begin,
                                      h_ready_.begin() + b * H + op.col_end);
        }
        const int64_t ready = std::max({slot.block_done, operand, step_barrier_});
        const StallCause cause = ready == step_barrier_ ? StallCause::kBarrier
                                 : ready == slot.block_done ? StallCause::kWeights
                                 : op.hidden ? StallCause::kRecurrence : StallCause::kInput;
        const PeArray::Span pass = pe_.IssueRowWise(ready, cause, m_.shape.GateRows(), cols);
        if (begin < 0) begin = pass.start;
        last_done_[b] = pass.end;
        end = pass.end;
      }
    }
    slot_free_[op.slot] = std::max(slot_free_[op.slot], end);
    if (!op.hidden) x_buffer_free_[op.step % 2] = std::max(x_buffer_free_[op.step % 2], end);
    r_->macs += m_.shape.GateRows() * cols * (op.batch_end - op.batch_begin);
    Record(fmt::format("mv {} l{} d{} t{} block {}", op.hidden ? "W_h" : "W_x", op.layer,
                       op.direction, op.step, op.block),
           kPeTrack, begin, end);
    if (datapath_) datapath_->Compute(op);
  }

  // The hoisted input part: per column of the W_x row block, an item for each (step, sample)
  // row of the group, each into its own partial sums (sets after the batch's samples). The
  // rows' input parts are final a MAC pipeline after their last column.
  void Hoist(const ScheduleOp& op, int64_t B) {
    const auto found = slots_.find(op.slot);
    if (found == slots_.end()) Fail("internal: schedule computes from slot {} before loading it", op.slot);
    const Slot& slot = found->second;
    const int64_t rows = op.row_end - op.row_begin;
    const int64_t cycles = (rows + plan_.pe.row_lanes - 1) / plan_.pe.row_lanes;
    int64_t begin = -1, end = 0;
    for (int64_t j = op.col_begin; j < op.col_end; ++j) {
      const int64_t w = dram_.ArrivalOf(slot.transfer, (j - op.col_begin + 1) * slot.column_bytes);
      const int64_t ready = std::max(w, x_ready_[0]);
      const StallCause cause = w >= x_ready_[0] ? StallCause::kWeights : StallCause::kInput;
      for (int64_t g = op.rows_begin; g < op.rows_end; ++g) {
        const int64_t lane = j * (op.rows_end - op.rows_begin) + (g - op.rows_begin);
        end = pe_.IssueColumn(ready, cause, B + g, lane, cycles, rows);
        if (begin < 0) begin = end - cycles;
      }
    }
    slot_free_[op.slot] = std::max(slot_free_[op.slot], end);
    hoist_done_ = std::max(hoist_done_, end + board_.mac_latency);
    r_->macs += rows * (op.col_end - op.col_begin) * (op.rows_end - op.rows_begin);
    Record(fmt::format("hoist W_x l{} d{} rows [{}, {}) block {}", op.layer, op.direction, op.rows_begin,
                       op.rows_end, op.block),
           kPeTrack, begin, end);
    if (datapath_) datapath_->Compute(op);
  }

  // Each sample's pre-activations exist a MAC pipeline after its last column; the tail turns
  // them into h_t element by element, and h_t goes to DRAM as the layer's output.
  void Tail(const ScheduleOp& op, int64_t B) {
    const int64_t H = m_.shape.hidden_size;
    // Each sample's pre-activations: its hidden part's last product through the MAC pipeline
    // and the lanes' adder tree; the hoisted input part is ready once the input phase is.
    const bool stall_free = opt_.arch == Architecture::kStallFree;
    std::vector<int64_t> preact(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
      preact[b] = std::max(last_done_[b] + board_.mac_latency + (stall_free ? reduction_ : 0), hoist_done_);
    }
    const int64_t first = std::max(tail_.free(), *std::min_element(preact.begin(), preact.end()));
    int64_t last = 0;
    if (stall_free) {
      last = tail_.ProcessInterleaved(preact, h_ready_.data());
    } else {
      for (int64_t b = 0; b < B; ++b) last = std::max(last, tail_.Process(preact[b], &h_ready_[b * H]));
    }
    tail_done_ = std::max(tail_done_, last);
    if (stall_free && !plan_.input_hoisted) single_free_ = last;
    step_barrier_ = last;  // the baseline's next step waits for all of h_t
    Record(fmt::format("tail l{} d{} t{}", op.layer, op.direction, op.step), kTailTrack, first, last);
    const DramChannel::Transfer w = dram_.Write(last, B * H * word_);
    int64_t& written = written_[layer_][TimeOf(op.step)];
    written = std::max(written, w.done);
    last_write_ = std::max(last_write_, w.done);
    Record(fmt::format("h l{} t{}", layer_, TimeOf(op.step)), kDramTrack, w.start, w.done);
    if (op.step == T_ - 1) {  // h_n and c_n (32-bit) of the cell
      const DramChannel::Transfer s = dram_.Write(last, B * H * (word_ + 4));
      last_write_ = std::max(last_write_, s.done);
    }
    if (datapath_) datapath_->Tail(op.step);
  }

  const QuantizedModel& m_;
  const Board& board_;
  const Plan& plan_;
  const SimOptions& opt_;
  SimResult* r_;
  DramChannel dram_;
  PeArray pe_;
  TailUnit tail_;
  std::optional<SimDatapath> datapath_;
  const int64_t word_, beat_, T_;
  int64_t reduction_ = 0;  // the depth of the lanes' adder tree, for the batch being run

  std::map<int, Slot> slots_;
  std::map<int, int64_t> slot_free_;
  std::vector<std::vector<int64_t>> written_;
  int layer_ = 0, dir_ = 0, step_ = -1;
  bool reverse_ = false;
  std::vector<int64_t> h_ready_, last_done_;
  int64_t x_ready_[2] = {0, 0}, x_buffer_free_[2] = {0, 0}, step_barrier_ = 0;
  int64_t tail_done_ = 0, last_write_ = 0;
  int64_t single_free_ = 0;  // when the last tail per step is done with the single memory
  int64_t hoist_done_ = 0;  // hoisted: the cycle the cell's input parts are all final
};

}  // namespace
}  // namespace sim

SimResult Simulate(const QuantizedModel& m, const Board& board, const Plan& plan,
                   const FixedInput& in, const SimOptions& opt) {
  const LstmShape& s = m.shape;
  if (in.x.rank() != 3 || in.x.shape[2] != s.input_size) {
    Fail("simulate: input has shape {}, expected (steps, batch, {})", ShapeToString(in.x.shape),
         s.input_size);
  }
  const int64_t T = in.x.shape[0], samples = in.x.shape[1];
  if (T < 1 || samples < 1) Fail("simulate: the input has no steps or no samples");
  if (plan.batch < 1) Fail("simulate: batch {} must be at least 1", plan.batch);
  if (plan.steps != T) Fail("simulate: the plan is for {} steps, the input has {}", plan.steps, T);
  if (plan.input_hoisted && opt.arch == Architecture::kBaseline) {
    Fail("simulate: the row-wise baseline computes the input part per step; plan it with the input part per step");
  }
  if (board.word_bits != 16) {
    Fail("board {}: the simulator models the 16-bit datapath, not {}-bit words", board.name, board.word_bits);
  }

  SimResult r;
  r.arch = opt.arch;
  r.plan = plan;
  r.samples = samples;
  r.steps = T;
  const Schedule full = BuildSchedule(s, plan);
  r.buffers = sim::SizeBuffers(full, board);
  sim::Controller control(m, board, full.plan, in, opt, &r);
  for (int64_t first = 0; first < samples; first += plan.batch) {
    const int64_t count = std::min<int64_t>(plan.batch, samples - first);
    if (count == plan.batch) {
      control.RunBatch(full, first);
    } else {
      Plan last = plan;  // the last, smaller batch: the same blocks, fewer samples
      last.batch = static_cast<int>(count);
      control.RunBatch(BuildSchedule(s, last), first);
    }
    ++r.batches;
  }
  control.Finish();

  r.seconds = static_cast<double>(r.cycles) / (board.clock_mhz * 1e6);
  const double ops = 2.0 * static_cast<double>(s.MacsPerStep()) * static_cast<double>(T * samples);
  r.gops = ops / r.seconds * 1e-9;
  r.ms_per_sample = r.seconds * 1e3 / static_cast<double>(samples);
  r.ms_per_batch = r.seconds * 1e3 / static_cast<double>(r.batches);
  r.pe_utilization = static_cast<double>(r.macs) /
                     (static_cast<double>(board.macs_per_cycle) * static_cast<double>(r.cycles));
  r.mj_per_sample = board.Watts(r.pe_utilization) * r.ms_per_sample;
  return r;
}

}  // namespace sbe
