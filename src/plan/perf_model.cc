// The paper's performance model (eqs. 2-6) and its generalisation to a concrete plan: on-chip
// footprint, words moved per step, compute and memory cycles, GOPS, latency and energy.
#include <algorithm>
#include <cmath>
#include <vector>

#include "sbe/error.h"
#include "sbe/plan.h"

namespace sbe {

double PaperComputeBound(double n_pe) { return n_pe; }
double PaperMemoryBound(double n_t, double b) { return b * n_t; }
double PaperRoofline(double n_pe, double n_t, double b) {
  return b >= n_pe / n_t ? PaperComputeBound(n_pe) : PaperMemoryBound(n_t, b);
}
double PaperCase3Saturated(double n_pe, double n_t, double alpha) {
  return n_pe * n_t / (alpha * n_t + (1 - alpha) * n_pe);
}
double PaperCase3(double n_pe, double n_t, double b, double alpha) {
  if (b >= n_pe / n_t) return PaperCase3Saturated(n_pe, n_t, alpha);
  return b * n_t / (alpha + (1 - alpha) * b);
}

PeOrganization ChoosePeOrganization(int64_t rows, int64_t n_pe) {
  PeOrganization best;
  best.efficiency = -1;
  std::vector<int64_t> splits;
  for (int64_t d = 1; d * d <= n_pe; ++d) {
    if (n_pe % d == 0) splits.insert(splits.end(), {d, n_pe / d});
  }
  std::sort(splits.begin(), splits.end());
  for (int64_t lanes : splits) {
    PeOrganization o;
    o.lanes = lanes;
    o.row_lanes = n_pe / lanes;
    o.cycles_per_item = (rows + o.row_lanes - 1) / o.row_lanes;
    o.efficiency = static_cast<double>(rows) / static_cast<double>(o.row_lanes * o.cycles_per_item);
    if (o.efficiency > best.efficiency + 1e-12 ||
        (o.efficiency > best.efficiency - 1e-12 && o.cycles_per_item < best.cycles_per_item)) {
      best = o;
    }
  }
  return best;
}

std::string Plan::ToString() const {
  return fmt::format("B{} Nb{} case{} alpha{:.3f}{}", batch, blocks, hidden_case, alpha,
                     block_batch ? "" : " non-block-batch");
}

int64_t StateBytesPerSample(const LstmShape& s, const Board& board) {
  const int64_t w = board.word_bits / 8, I = s.input_size, H = s.hidden_size;
  const int64_t widest_input = std::max(I, s.directions() * H);
  // x twice (the next step's streams in while this one is used), h twice (h_{t-1} is read
  // while h_t is written), c and the 4H accumulators at twice the word width.
  return 2 * widest_input * w + 2 * H * w + 2 * H * w + kNumGates * H * 2 * w;
}

std::optional<Plan> EvaluatePlan(const LstmShape& s, const Board& board, int batch, int blocks,
                                 int steps, bool block_batch, std::string* why) {
  auto refuse = [&](std::string reason) -> std::optional<Plan> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (batch < 1) return refuse(fmt::format("batch {} must be at least 1", batch));
  if (steps < 1) return refuse(fmt::format("steps {} must be at least 1", steps));
  const int64_t H = s.hidden_size, rows = s.GateRows();
  if (blocks < 1 || blocks > H) return refuse(fmt::format("blocks {} outside [1, hidden {}]", blocks, H));
  const int64_t wbytes = board.word_bits / 8;
  // Column blocks: W_h is cut into `blocks` blocks of block_cols columns; W_x streams in
  // blocks of the same size so that both share the ping-pong slots.
  const int64_t block_cols = (H + blocks - 1) / blocks;
  const int64_t slot_words = rows * block_cols;
  const bool resident = blocks <= 2;  // cases 1 and 2: W_h stays on-chip for the sequence

  Plan p;
  p.batch = batch;
  p.blocks = static_cast<int>((H + block_cols - 1) / block_cols);
  p.steps = steps;
  p.block_batch = block_batch;
  p.hidden_case = resident ? p.blocks : 3;
  const int64_t hidden_words = rows * H;
  int64_t widest_input = 0;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    widest_input = std::max(widest_input, s.LayerInputSize(layer));
  }
  const int64_t input_words = rows * widest_input;
  // On-chip memory is one pool shared by weights and the batch's state (PAPER.md: batch size
  // and blocking number trade against each other). Streamed blocks of either part share the
  // two ping-pong slots; the input weights also stay resident (their case 1) when they fit.
  p.onchip_state_bytes = static_cast<int64_t>(batch) * StateBytesPerSample(s, board);
  const int64_t pool = board.onchip_bytes;
  const int64_t hidden_part = resident ? hidden_words : 2 * slot_words;
  const bool input_resident =
      (hidden_part + input_words) * wbytes + p.onchip_state_bytes <= pool;
  p.input_case = input_resident ? 1 : 3;
  p.onchip_weight_bytes =
      (hidden_part + (input_resident ? input_words : resident ? 2 * slot_words : 0)) * wbytes;
  if (p.onchip_weight_bytes + p.onchip_state_bytes > pool) {
    return refuse(fmt::format("needs {} bytes on-chip ({} for weights, {} for the state of {} "
                              "samples) but the board has {}",
                              p.onchip_weight_bytes + p.onchip_state_bytes, p.onchip_weight_bytes,
                              p.onchip_state_bytes, batch, pool));
  }

  // Each layer and direction runs its whole sequence before the next (layer-major), so the
  // per-step costs add up over them. Resident weights are loaded once per batch before their
  // cell's steps (their slots hold the previous cell's until then), so that load is not
  // overlapped; streamed blocks overlap the PE array through the ping-pong slots.
  const double n_t = board.words_per_cycle(), n_pe = static_cast<double>(board.macs_per_cycle);
  p.pe = ChoosePeOrganization(rows, board.macs_per_cycle);
  double cycles = 0, compute_cycles = 0, memory_cycles = 0, load_cycles = 0;
  int64_t reused = 0, per_sample = 0, macs = 0;
  int input_blocks = 1;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    const int64_t I = s.LayerInputSize(layer);
    input_blocks = std::max<int>(input_blocks, static_cast<int>((I + block_cols - 1) / block_cols));
    const int64_t step_macs = static_cast<int64_t>(batch) * rows * (I + H);
    // R: words fetched once per step for the whole batch; U: words per sample per step (x in,
    // h out).
    int64_t r = 0, u = I + H;
    const int64_t layer_input_words = rows * I;
    const int64_t streamed = (input_resident ? 0 : layer_input_words) + (resident ? 0 : hidden_words);
    if (block_batch) {
      r = streamed;
    } else {
      u += streamed;  // every sample fetches the streamed weights again
    }
    const double load =
        static_cast<double>((resident ? hidden_words : 0) + (input_resident ? layer_input_words : 0)) / n_t;
    const double c = step_macs / (n_pe * p.pe.efficiency);
    const double m = (r + static_cast<double>(u) * batch) / n_t;
    for (int d = 0; d < s.directions(); ++d) {
      load_cycles += load;
      compute_cycles += c * steps;
      memory_cycles += m * steps + load;
      cycles += load + std::max(c, m) * steps;
      reused += r + static_cast<int64_t>(load * n_t / steps);
      per_sample += u;
      macs += step_macs;
    }
  }
  p.input_blocks = input_blocks;
  p.macs_per_step = macs;
  p.reused_words_per_step = reused;
  p.sample_words_per_step = per_sample;
  p.alpha = static_cast<double>(reused) / static_cast<double>(reused + per_sample);
  p.load_cycles = load_cycles;
  p.compute_cycles_per_step = compute_cycles / steps;
  p.memory_cycles_per_step = memory_cycles / steps;
  p.bound = compute_cycles >= memory_cycles ? "compute" : "memory";
  const double seconds = cycles / (board.clock_mhz * 1e6);
  const double ops = 2.0 * static_cast<double>(s.MacsPerStep()) * steps * batch;
  p.predicted_gops = ops / seconds * 1e-9;
  p.predicted_ms_per_batch = seconds * 1e3;
  p.predicted_ms_per_sample = seconds * 1e3 / batch;
  p.pe_utilization = static_cast<double>(macs) * steps / (n_pe * cycles);
  p.predicted_mj_per_sample = board.Watts(p.pe_utilization) * seconds / batch * 1e3;
  return p;
}

}  // namespace sbe
