// The explicit schedule of one batch (block loads, column-block computes, the hoisted input
// part's row-block computes, tails) and its replay check: every weight of every step exactly
// once per sample, read from the slot it was loaded to.
#include <algorithm>
#include <map>
#include <tuple>

#include "common/int_math.h"
#include "sbe/error.h"
#include "sbe/plan.h"

namespace sbe {
namespace {

// Appends the ops of one cell (layer, direction).
class CellOps {
 public:
  CellOps(const LstmShape& s, const Plan& plan, int layer, int dir, std::vector<ScheduleOp>* ops)
      : s_(s), plan_(plan), layer_(layer), dir_(dir), ops_(ops), H_(s.hidden_size), rows_(s.GateRows()),
        I_(s.LayerInputSize(layer)), block_cols_((H_ + plan.blocks - 1) / plan.blocks), B_(plan.batch) {}

  void Build() {
    const bool resident = plan_.hidden_case == 1;
    if (plan_.input_hoisted) {
      HoistedInputPart(resident);
    } else {
      if (resident) LoadResidentHidden();
      if (plan_.input_case == 1) LoadResidentInput();
    }
    for (int t = 0; t < plan_.steps; ++t) Step(t, resident);
  }

 private:
  ScheduleOp Op(ScheduleOp::Kind kind, bool hidden, int block, int64_t c0, int64_t c1, int step, int b0, int b1,
                int slot) const {
    ScheduleOp op;
    op.kind = kind;
    op.layer = layer_;
    op.direction = dir_;
    op.hidden = hidden;
    op.block = block;
    op.col_begin = c0;
    op.col_end = c1;
    op.step = step;
    op.batch_begin = b0;
    op.batch_end = b1;
    op.slot = slot;
    op.row_begin = 0;
    op.row_end = rows_;
    return op;
  }

  int HiddenBlocks() const { return static_cast<int>((H_ + block_cols_ - 1) / block_cols_); }

  // Resident blocks load once per batch, into slots beside the ping-pong pair (0, 1): hidden
  // blocks from slot 2, input blocks (input case 1) after them.
  void LoadResidentHidden() {
    for (int k = 0; k * block_cols_ < H_; ++k) {
      ops_->push_back(Op(ScheduleOp::kLoad, true, k, k * block_cols_, std::min(H_, (k + 1) * block_cols_), -1, 0, B_, 2 + k));
    }
  }
  void LoadResidentInput() {
    for (int k = 0; k * block_cols_ < I_; ++k) {
      ops_->push_back(Op(ScheduleOp::kLoad, false, k, k * block_cols_, std::min(I_, (k + 1) * block_cols_), -1, 0, B_,
                         2 + HiddenBlocks() + k));
    }
  }

  // The hoisted input part: W_x in row blocks through the ping-pong slots, each block used by
  // every (step, sample) row of the batch in groups, before the recurrence. W_h's resident
  // load goes after the last row block's: the recurrence needs it only then, and earlier it
  // would hold up the row blocks the array is waiting for.
  void HoistedInputPart(bool resident) {
    const int64_t rb = plan_.input_block_rows, rows_x = static_cast<int64_t>(plan_.steps) * B_;
    // Groups of at most hoist_group rows, of even sizes: a short last group would bring its
    // lanes back to the same partial sums sooner than the adder allows.
    const int64_t groups = CeilDiv(rows_x, std::max<int64_t>(1, plan_.hoist_group));
    for (int k = 0; k * rb < rows_; ++k) {
      ScheduleOp load = Op(ScheduleOp::kLoad, false, k, 0, I_, -1, 0, B_, next_slot_);
      load.row_begin = k * rb;
      load.row_end = std::min(rows_, (k + 1) * rb);
      ops_->push_back(load);
      if ((k + 1) * rb >= rows_ && resident) LoadResidentHidden();
      for (int64_t g = 0; g < groups; ++g) {
        ScheduleOp hoist = load;
        hoist.kind = ScheduleOp::kHoist;
        hoist.rows_begin = rows_x * g / groups;
        hoist.rows_end = rows_x * (g + 1) / groups;
        ops_->push_back(hoist);
      }
      next_slot_ ^= 1;
    }
  }

  // One time step in the column-wise order: the input part first (it does not wait for
  // h_{t-1}) unless hoisted, then the hidden part, each block used by the whole batch before
  // the next one is needed (block-batch), or by one sample at a time (non block-batch).
  void Step(int t, bool resident) {
    std::vector<std::tuple<bool, int, int64_t, int64_t>> blocks;
    if (!plan_.input_hoisted) {
      for (int64_t c = 0, k = 0; c < I_; c += block_cols_, ++k) blocks.emplace_back(false, static_cast<int>(k), c, std::min(I_, c + block_cols_));
    }
    for (int64_t c = 0, k = 0; c < H_; c += block_cols_, ++k) blocks.emplace_back(true, static_cast<int>(k), c, std::min(H_, c + block_cols_));
    const int groups = plan_.block_batch ? 1 : B_;
    for (int g = 0; g < groups; ++g) {
      const int b0 = plan_.block_batch ? 0 : g, b1 = plan_.block_batch ? B_ : g + 1;
      for (const auto& [hidden, k, c0, c1] : blocks) {
        int slot;
        if (hidden && resident) {
          slot = 2 + k;
        } else if (!hidden && plan_.input_case == 1) {
          slot = 2 + HiddenBlocks() + k;
        } else {
          slot = next_slot_;
          next_slot_ ^= 1;
          ops_->push_back(Op(ScheduleOp::kLoad, hidden, k, c0, c1, t, b0, b1, slot));
        }
        ops_->push_back(Op(ScheduleOp::kCompute, hidden, k, c0, c1, t, b0, b1, slot));
      }
    }
    ops_->push_back(Op(ScheduleOp::kTail, true, 0, 0, H_, t, 0, B_, 0));
  }

  const LstmShape& s_;
  const Plan& plan_;
  int layer_, dir_;
  std::vector<ScheduleOp>* ops_;
  int64_t H_, rows_, I_, block_cols_;
  int B_;
  int next_slot_ = 0;  // the streamed blocks alternate between slots 0 and 1 (ping-pong)
};

}  // namespace

Schedule BuildSchedule(const LstmShape& s, const Plan& plan) {
  Schedule sched;
  sched.plan = plan;
  sched.shape = s;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) CellOps(s, plan, layer, dir, &sched.ops).Build();
  }
  return sched;
}

void CheckSchedule(const Schedule& sched) {
  const LstmShape& s = sched.shape;
  const int B = sched.plan.batch, T = sched.plan.steps;
  const int64_t rows = s.GateRows();
  // What each slot holds: (layer, dir, hidden, block, col_begin, col_end, row_begin, row_end).
  using Key = std::tuple<int, int, bool, int, int64_t, int64_t, int64_t, int64_t>;
  std::map<int, Key> slots;
  // Coverage count per (layer, dir, step, hidden) -> per sample -> per column.
  std::map<std::tuple<int, int, int, bool>, std::vector<std::vector<uint8_t>>> cover;
  // The hoisted input part: per (layer, dir) -> per (step, sample) row -> the row ranges done.
  std::map<std::pair<int, int>, std::vector<std::vector<std::pair<int64_t, int64_t>>>> hoisted;
  for (size_t n = 0; n < sched.ops.size(); ++n) {
    const ScheduleOp& op = sched.ops[n];
    if (op.batch_begin < 0 || op.batch_end > B || op.batch_begin >= op.batch_end) {
      Fail("schedule op {}: batch range [{}, {}) outside [0, {})", n, op.batch_begin, op.batch_end, B);
    }
    const Key key{op.layer, op.direction, op.hidden, op.block, op.col_begin, op.col_end, op.row_begin, op.row_end};
    if (op.kind == ScheduleOp::kLoad) {
      slots[op.slot] = key;
      continue;
    }
    if (op.kind == ScheduleOp::kTail) continue;
    const auto it = slots.find(op.slot);
    if (it == slots.end() || it->second != key) {
      Fail("schedule op {}: computes layer {} direction {} {} block {} from slot {}, which does "
           "not hold it", n, op.layer, op.direction, op.hidden ? "hidden" : "input", op.block, op.slot);
    }
    const int64_t cols = op.hidden ? s.hidden_size : s.LayerInputSize(op.layer);
    if (op.col_begin < 0 || op.col_end > cols || op.col_begin >= op.col_end) {
      Fail("schedule op {}: columns [{}, {}) outside [0, {})", n, op.col_begin, op.col_end, cols);
    }
    if (op.kind == ScheduleOp::kHoist) {
      if (!sched.plan.input_hoisted || op.hidden || op.col_begin != 0 || op.col_end != cols) {
        Fail("schedule op {}: a hoisted row block must cover every column of W_x in a hoisted plan", n);
      }
      if (op.row_begin < 0 || op.row_end > rows || op.row_begin >= op.row_end || op.rows_begin < 0 ||
          op.rows_end > static_cast<int64_t>(T) * B || op.rows_begin >= op.rows_end) {
        Fail("schedule op {}: rows [{}, {}) of (step, sample) rows [{}, {}) outside the cell", n, op.row_begin,
             op.row_end, op.rows_begin, op.rows_end);
      }
      auto& done = hoisted[{op.layer, op.direction}];
      if (done.empty()) done.resize(static_cast<size_t>(T) * B);
      for (int64_t r = op.rows_begin; r < op.rows_end; ++r) done[r].emplace_back(op.row_begin, op.row_end);
      continue;
    }
    if (!op.hidden && sched.plan.input_hoisted) Fail("schedule op {}: a per-step input block in a hoisted plan", n);
    auto& per_sample = cover[{op.layer, op.direction, op.step, op.hidden}];
    if (per_sample.empty()) per_sample.assign(B, std::vector<uint8_t>(cols, 0));
    for (int b = op.batch_begin; b < op.batch_end; ++b) {
      for (int64_t c = op.col_begin; c < op.col_end; ++c) {
        if (++per_sample[b][c] > 1) {
          Fail("schedule op {}: column {} of layer {} direction {} step {} computed twice for "
               "sample {}", n, c, op.layer, op.direction, op.step, b);
        }
      }
    }
  }
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      if (sched.plan.input_hoisted) {
        // Every (step, sample) row's input part: the gate rows tiled by row blocks, once.
        auto it = hoisted.find({layer, dir});
        for (int64_t r = 0; r < static_cast<int64_t>(T) * B; ++r) {
          std::vector<std::pair<int64_t, int64_t>> ranges;
          if (it != hoisted.end()) ranges = it->second[r];
          std::sort(ranges.begin(), ranges.end());
          int64_t next = 0;
          for (const auto& [r0, r1] : ranges) {
            if (r0 != next) break;
            next = r1;
          }
          if (next != rows || ranges.empty() || ranges.back().second != rows ||
              std::adjacent_find(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.second > b.first; }) != ranges.end()) {
            Fail("schedule misses or repeats gate rows of the hoisted input part of layer {} direction {} at step "
                 "{} for sample {}", layer, dir, r / B, r % B);
          }
        }
      }
      for (int t = 0; t < T; ++t) {
        for (bool hidden : {false, true}) {
          if (!hidden && sched.plan.input_hoisted) continue;
          const auto it = cover.find({layer, dir, t, hidden});
          const int64_t cols = hidden ? s.hidden_size : s.LayerInputSize(layer);
          for (int b = 0; b < B; ++b) {
            for (int64_t c = 0; c < cols; ++c) {
              if (it == cover.end() || it->second[b][c] != 1) {
                Fail("schedule misses column {} of the {} weights of layer {} direction {} at "
                     "step {} for sample {}", c, hidden ? "hidden" : "input", layer, dir, t, b);
              }
            }
          }
        }
      }
    }
  }
}

std::string Schedule::Describe(size_t max_ops) const {
  std::string out = fmt::format("schedule {} for {}: {} ops per batch\n", plan.ToString(),
                                shape.ToString(), ops.size());
  for (size_t n = 0; n < ops.size() && n < max_ops; ++n) {
    const ScheduleOp& op = ops[n];
    const char* kind = op.kind == ScheduleOp::kLoad      ? "load"
                       : op.kind == ScheduleOp::kCompute ? "mv"
                       : op.kind == ScheduleOp::kHoist   ? "hoist"
                                                         : "tail";
    if (op.kind == ScheduleOp::kTail) {
      out += fmt::format("  {:5} l{} d{} t{:<3} activations and cell update, samples [{}, {})\n", kind, op.layer,
                         op.direction, op.step, op.batch_begin, op.batch_end);
      continue;
    }
    std::string what = fmt::format("cols [{}, {})", op.col_begin, op.col_end);
    if (op.row_begin != 0 || op.row_end != shape.GateRows()) what += fmt::format(" rows [{}, {})", op.row_begin, op.row_end);
    if (op.kind == ScheduleOp::kHoist) {
      what += fmt::format(" (step, sample) rows [{}, {})", op.rows_begin, op.rows_end);
    } else {
      what += fmt::format(" samples [{}, {})", op.batch_begin, op.batch_end);
    }
    out += fmt::format("  {:5} l{} d{} t{:<3} {} block {:<3} {} slot {}\n", kind, op.layer, op.direction, op.step,
                       op.hidden ? "W_h" : "W_x", op.block, what, op.slot);
  }
  if (ops.size() > max_ops) out += fmt::format("  ... {} more\n", ops.size() - max_ops);
  return out;
}

}  // namespace sbe
