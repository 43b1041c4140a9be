// The explicit schedule of one batch (block loads, column-block computes, tails) and its replay
// check: every weight of every step exactly once per sample, read from the slot it was loaded to.
#include <map>
#include <tuple>

#include "sbe/error.h"
#include "sbe/plan.h"

namespace sbe {

Schedule BuildSchedule(const LstmShape& s, const Plan& plan) {
  Schedule sched;
  sched.plan = plan;
  sched.shape = s;
  const int64_t H = s.hidden_size;
  const int64_t block_cols = (H + plan.blocks - 1) / plan.blocks;
  const bool resident = plan.hidden_case != 3;
  const int B = plan.batch;
  auto& ops = sched.ops;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    const int64_t I = s.LayerInputSize(layer);
    for (int dir = 0; dir < s.directions(); ++dir) {
      // Resident blocks load once per batch, into slots beside the ping-pong pair (0, 1):
      // hidden blocks (cases 1, 2) from slot 2, input blocks (input case 1) after them.
      const int hidden_blocks = static_cast<int>((H + block_cols - 1) / block_cols);
      const bool input_resident = plan.input_case == 1;
      if (resident) {
        for (int k = 0; k * block_cols < H; ++k) {
          ops.push_back({ScheduleOp::kLoad, layer, dir, true, k, k * block_cols,
                         std::min(H, (k + 1) * block_cols), -1, 0, B, 2 + k});
        }
      }
      if (input_resident) {
        for (int k = 0; k * block_cols < I; ++k) {
          ops.push_back({ScheduleOp::kLoad, layer, dir, false, k, k * block_cols,
                         std::min(I, (k + 1) * block_cols), -1, 0, B, 2 + hidden_blocks + k});
        }
      }
      int next_slot = 0;  // the streamed blocks alternate between slots 0 and 1 (ping-pong)
      for (int t = 0; t < plan.steps; ++t) {
        // Column-wise order: the input part first (it does not wait for h_{t-1}), then the
        // hidden part, each block used by the whole batch before the next one is needed.
        std::vector<std::tuple<bool, int, int64_t, int64_t>> blocks;
        for (int64_t c = 0, k = 0; c < I; c += block_cols, ++k) {
          blocks.emplace_back(false, static_cast<int>(k), c, std::min(I, c + block_cols));
        }
        for (int64_t c = 0, k = 0; c < H; c += block_cols, ++k) {
          blocks.emplace_back(true, static_cast<int>(k), c, std::min(H, c + block_cols));
        }
        const int groups = plan.block_batch ? 1 : B;  // non block-batch: one sample at a time
        for (int g = 0; g < groups; ++g) {
          const int b0 = plan.block_batch ? 0 : g, b1 = plan.block_batch ? B : g + 1;
          for (const auto& [hidden, k, c0, c1] : blocks) {
            int slot;
            if (hidden && resident) {
              slot = 2 + k;
            } else if (!hidden && input_resident) {
              slot = 2 + hidden_blocks + k;
            } else {
              slot = next_slot;
              next_slot ^= 1;
              ops.push_back({ScheduleOp::kLoad, layer, dir, hidden, k, c0, c1, t, b0, b1, slot});
            }
            ops.push_back({ScheduleOp::kCompute, layer, dir, hidden, k, c0, c1, t, b0, b1, slot});
          }
        }
        ops.push_back({ScheduleOp::kTail, layer, dir, true, 0, 0, H, t, 0, B, 0});
      }
    }
  }
  return sched;
}

void CheckSchedule(const Schedule& sched) {
  const LstmShape& s = sched.shape;
  const int B = sched.plan.batch;
  // What each slot holds: (layer, dir, hidden, block, col_begin, col_end).
  std::map<int, std::tuple<int, int, bool, int, int64_t, int64_t>> slots;
  // Coverage count per (layer, dir, step, hidden) -> per sample -> per column.
  std::map<std::tuple<int, int, int, bool>, std::vector<std::vector<uint8_t>>> cover;
  for (size_t n = 0; n < sched.ops.size(); ++n) {
    const ScheduleOp& op = sched.ops[n];
    if (op.batch_begin < 0 || op.batch_end > B || op.batch_begin >= op.batch_end) {
      Fail("schedule op {}: batch range [{}, {}) outside [0, {})", n, op.batch_begin, op.batch_end, B);
    }
    const auto key = std::make_tuple(op.layer, op.direction, op.hidden, op.block, op.col_begin, op.col_end);
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
      for (int t = 0; t < sched.plan.steps; ++t) {
        for (bool hidden : {false, true}) {
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
    const char* kind = op.kind == ScheduleOp::kLoad ? "load" : op.kind == ScheduleOp::kCompute ? "mv" : "tail";
    out += fmt::format("  {:4} l{} d{} t{:<3} {} block {:<3} cols [{}, {}) samples [{}, {}) slot {}\n",
                       kind, op.layer, op.direction, op.step, op.hidden ? "W_h" : "W_x", op.block,
                       op.col_begin, op.col_end, op.batch_begin, op.batch_end, op.slot);
  }
  if (ops.size() > max_ops) out += fmt::format("  ... {} more\n", ops.size() - max_ops);
  return out;
}

}  // namespace sbe
