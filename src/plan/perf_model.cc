// The paper's performance model (eqs. 2-6) and its generalisation to a concrete plan: on-chip
// footprint, words moved per step, compute and memory cycles, GOPS, latency and energy.
#include <algorithm>
#include <cmath>
#include <numeric>
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

int64_t SamplesPerLane(int64_t samples, int64_t lanes) {
  return samples < 1 || lanes < 1 ? 1 : samples / std::gcd(samples, lanes);
}
int64_t LanesPerSample(int64_t samples, int64_t lanes) {
  return samples < 1 || lanes < 1 ? 1 : lanes / std::gcd(samples, lanes);
}

double HazardFactor(int64_t samples, int64_t lanes, int64_t cycles_per_item, int adder_latency) {
  if (samples < 1 || lanes < 1 || cycles_per_item < 1) return 1;
  // Lane k meets its samples in turn, each for an item of cycles_per_item cycles.
  const int64_t per_lane = SamplesPerLane(samples, lanes);
  return std::max(1.0, static_cast<double>(adder_latency) / static_cast<double>(per_lane * cycles_per_item));
}

int64_t AccumulatorCapacity(const Board& board) { return board.lutram_bytes * 3 / 4 * 4 / 5; }

std::vector<PeOrganization> PeOrganizations(int64_t rows, const Board& board, int64_t batch, std::string* why,
                                            int64_t interleaved) {
  const int64_t n_pe = board.macs_per_cycle, capacity = AccumulatorCapacity(board);
  if (interleaved < 1 || interleaved > batch) interleaved = batch;
  std::vector<int64_t> splits;
  for (int64_t d = 1; d * d <= n_pe; ++d) {
    if (n_pe % d == 0) splits.insert(splits.end(), {d, n_pe / d});
  }
  std::sort(splits.begin(), splits.end());
  splits.erase(std::unique(splits.begin(), splits.end()), splits.end());
  std::vector<PeOrganization> fit;
  int64_t smallest = 0;
  for (int64_t lanes : splits) {
    PeOrganization o;
    o.lanes = lanes;
    o.row_lanes = n_pe / lanes;
    o.cycles_per_item = (rows + o.row_lanes - 1) / o.row_lanes;
    o.efficiency = static_cast<double>(rows) / static_cast<double>(o.row_lanes * o.cycles_per_item);
    o.hazard_factor = HazardFactor(interleaved, lanes, o.cycles_per_item, board.adder_latency);
    const int64_t per_lane = SamplesPerLane(interleaved, lanes) * (batch / interleaved);
    o.accumulator_bytes = kAccumulatorSets * lanes * o.row_lanes * o.cycles_per_item * per_lane * 4;
    if (smallest == 0 || o.accumulator_bytes < smallest) smallest = o.accumulator_bytes;
    if (o.accumulator_bytes <= capacity) fit.push_back(o);
  }
  // Best first: the highest throughput, then the smallest banks (a stable order for ties).
  std::stable_sort(fit.begin(), fit.end(), [](const PeOrganization& a, const PeOrganization& b) {
    if (std::abs(a.throughput() - b.throughput()) > 1e-12) return a.throughput() > b.throughput();
    return a.accumulator_bytes < b.accumulator_bytes;
  });
  if (fit.empty() && why) {
    *why = fmt::format("the partial sums of {} samples need {} bytes of distributed RAM at the least, the board "
                       "gives the accumulators {}", batch, smallest, capacity);
  }
  return fit;
}

std::optional<PeOrganization> ChoosePeOrganization(int64_t rows, const Board& board, int64_t batch,
                                                   std::string* why, int64_t interleaved) {
  const std::vector<PeOrganization> fit = PeOrganizations(rows, board, batch, why, interleaved);
  if (fit.empty()) return std::nullopt;
  return fit.front();
}

std::optional<std::string> CheckMemoryBlocks(const Board& board, int64_t weight_bytes, int64_t state_bytes,
                                             int64_t lanes) {
  const int64_t blocks = board.memory_blocks();
  if (blocks <= 0) return std::nullopt;  // a board without block RAMs (the cpu's view): bytes only
  const int64_t block_bytes = board.onchip_bytes / blocks;
  const int64_t for_ports = (board.macs_per_cycle + kWordsPerPort - 1) / kWordsPerPort;
  const int64_t weight_blocks = std::max(for_ports, (weight_bytes + block_bytes - 1) / block_bytes);
  // The operands: each lane reads one element of x or h a cycle at most, laid out column by
  // column with the samples inner, so the lanes' reads share 72-bit words.
  const int64_t for_operands = (std::max<int64_t>(1, lanes) + kWordsPerPort - 1) / kWordsPerPort;
  const int64_t state_blocks = std::max(for_operands, (state_bytes + block_bytes - 1) / block_bytes);
  if (weight_blocks + state_blocks <= blocks) return std::nullopt;
  return fmt::format("needs {} memory blocks ({} for weights: {} bytes, and {} reads a cycle at {} words a port "
                     "take {}; {} for the state: {} bytes, and {} lanes' operands take {}) but the board has {} of "
                     "{} bytes",
                     weight_blocks + state_blocks, weight_blocks, weight_bytes, board.macs_per_cycle, kWordsPerPort,
                     for_ports, state_blocks, state_bytes, lanes, for_operands, blocks, block_bytes);
}

std::string Plan::ToString() const {
  return fmt::format("B{} Nb{} case{}{} alpha{:.3f}{}", batch, blocks, hidden_case, input_hoisted ? " hoisted" : "",
                     alpha, block_batch ? "" : " non-block-batch");
}

int64_t StateBytesPerSample(const LstmShape& s, const Board& board) {
  const int64_t w = board.word_bits / 8, I = s.input_size, H = s.hidden_size;
  const int64_t widest_input = std::max(I, s.directions() * H);
  // x twice (the next step's streams in while this one is used), h twice (h_{t-1} is read
  // while h_t is written), c in 32 bits.
  return 2 * widest_input * w + 2 * H * w + H * 4;
}

namespace {

int64_t WidestInput(const LstmShape& s) {
  int64_t widest = 0;
  for (int layer = 0; layer < s.num_layers; ++layer) widest = std::max(widest, s.LayerInputSize(layer));
  return widest;
}

// The hoisted input part: W_x in row blocks of `rows` gate rows (a whole number of row lanes,
// so that no row PE idles but in the last), streamed once per batch through the two ping-pong
// slots; its items are a W_x column times a group of `group` (step, sample) rows.
struct HoistedInput {
  int64_t rows = 0;    // per block (the last may be fewer)
  int64_t blocks = 0;
  int64_t slot_words = 0;
  int64_t group = 0;
  int64_t cycles_per_item = 0;
  double efficiency = 1;  // 4H over the PE rows the blocks' items occupy
  double hazard = 1;
  int64_t banks = 0;      // bytes of accumulator banks the groups need
};

HoistedInput MakeHoistedInput(int64_t m, int64_t gate_rows, int64_t widest_input, int64_t steps, int64_t batch,
                              const PeOrganization& pe, const Board& board) {
  HoistedInput h;
  h.rows = std::min(gate_rows, m * pe.row_lanes);
  h.blocks = (gate_rows + h.rows - 1) / h.rows;
  h.slot_words = h.rows * widest_input;
  h.cycles_per_item = (h.rows + pe.row_lanes - 1) / pe.row_lanes;
  const int64_t last_rows = gate_rows - (h.blocks - 1) * h.rows;
  const int64_t last_cycles = (last_rows + pe.row_lanes - 1) / pe.row_lanes;
  // Enough rows in turn that no lane meets a row's partial sums before the adder wrote them,
  // even with the last block's shorter items: at least `fewest` in a group, the (step, sample)
  // rows split evenly into as many groups of that many as they make; `group` is the largest.
  const int64_t rows_x = steps * batch;
  const int64_t fewest = pe.lanes * ((board.adder_latency + last_cycles - 1) / last_cycles);
  h.group = rows_x <= fewest ? rows_x : (rows_x + rows_x / fewest - 1) / (rows_x / fewest);
  // The groups are of two sizes at most (the schedule splits evenly): the banks hold the lanes'
  // rows of either, and the smaller share of rows per lane sets the hazard of each block's items.
  const int64_t groups = (rows_x + h.group - 1) / h.group;
  double hazard_full = 1, hazard_last = 1;
  for (int64_t size : {rows_x / groups, h.group}) {
    if (size < 1) continue;
    h.banks = std::max(h.banks, kAccumulatorSets * pe.lanes * pe.row_lanes * h.cycles_per_item * SamplesPerLane(size, pe.lanes) * 4);
    hazard_full = std::max(hazard_full, HazardFactor(size, pe.lanes, h.cycles_per_item, board.adder_latency));
    hazard_last = std::max(hazard_last, HazardFactor(size, pe.lanes, last_cycles, board.adder_latency));
  }
  // The cycles a (column, row) pair of the input part takes over all row blocks: without the
  // hazards, against 4H rows on the row PEs (efficiency); with them, the stretch (hazard).
  const double occupied = static_cast<double>((h.blocks - 1) * h.cycles_per_item + last_cycles);
  const double stretched = static_cast<double>(h.blocks - 1) * h.cycles_per_item * hazard_full +
                           static_cast<double>(last_cycles) * hazard_last;
  h.efficiency = static_cast<double>(gate_rows) / (occupied * static_cast<double>(pe.row_lanes));
  h.hazard = stretched / occupied;
  return h;
}

// One cell's input phase: W_x, every step's x and the resident W_h stream while the array
// computes; the columns of a row block are used as they arrive, so what is exposed is the
// first column's arrival (compute bound) or the last column's items (memory bound).
struct InputPhase {
  double cycles = 0, compute = 0, words = 0, first = 0;
};
InputPhase HoistInputPart(const HoistedInput& h, int64_t gate_rows, int64_t input, int64_t steps, int64_t batch,
                          int64_t resident_words, const Board& board) {
  const double n_t = board.words_per_cycle(), n_pe = static_cast<double>(board.macs_per_cycle);
  InputPhase ph;
  ph.compute = static_cast<double>(gate_rows * input * steps * batch) / (n_pe * h.efficiency / h.hazard);
  ph.first = static_cast<double>(h.rows) / n_t;
  ph.words = static_cast<double>(gate_rows * input + steps * batch * input + resident_words);
  const double last_column = ph.compute / static_cast<double>(h.blocks * input);
  ph.cycles = std::max(ph.compute + ph.first, ph.words / n_t + last_column);
  return ph;
}

}  // namespace

std::optional<Plan> EvaluatePlan(const LstmShape& s, const Board& board, int batch, int blocks,
                                 int steps, bool block_batch, std::string* why, InputMode input) {
  auto refuse = [&](std::string reason) -> std::optional<Plan> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (batch < 1) return refuse(fmt::format("batch {} must be at least 1", batch));
  if (steps < 1) return refuse(fmt::format("steps {} must be at least 1", steps));
  const int64_t H = s.hidden_size, rows = s.GateRows();
  if (blocks < 1 || blocks > H) return refuse(fmt::format("blocks {} outside [1, hidden {}]", blocks, H));
  if (input == InputMode::kHoisted && !block_batch) {
    return refuse("the hoisted input part serves the whole batch: it has no non block-batch form");
  }
  const int64_t wbytes = board.word_bits / 8;
  const bool hoisted = input == InputMode::kHoisted;
  // Column blocks of W_h: `blocks` of block_cols columns. Per step, W_x streams in blocks of
  // the same width so that both share the two ping-pong slots.
  const int64_t block_cols = (H + blocks - 1) / blocks;
  const int64_t slot_words = rows * block_cols;

  Plan p;
  p.batch = batch;
  p.blocks = static_cast<int>((H + block_cols - 1) / block_cols);
  p.steps = steps;
  p.block_batch = block_batch;
  p.input_hoisted = hoisted;
  p.hidden_case = std::min(p.blocks, 3);
  const bool resident = p.hidden_case == 1;
  const int64_t hidden_words = rows * H;
  const int64_t widest_input = WidestInput(s);
  const int64_t input_words = rows * widest_input;
  std::string org_why;
  const std::vector<PeOrganization> organizations =
      PeOrganizations(rows, board, batch, &org_why, block_batch ? batch : 1);
  if (organizations.empty()) return refuse(org_why);
  std::optional<PeOrganization> pe = organizations.front();

  // On chip: the weights' resident blocks and ping-pong slots, and the batch's state. The
  // state is one pool with the weights (PAPER.md: batch size and blocking number trade against
  // each other); the memory blocks must also give the PE array N_pe weights a cycle.
  const int64_t pool = board.onchip_bytes;
  HoistedInput hoist;
  int64_t accumulators = pe->accumulator_bytes;
  if (!hoisted) {
    p.onchip_state_bytes = static_cast<int64_t>(batch) * StateBytesPerSample(s, board);
    const int64_t hidden_part = resident ? hidden_words : 2 * slot_words;
    const int64_t with_input = (hidden_part + input_words) * wbytes;
    const bool input_resident = with_input + p.onchip_state_bytes <= pool &&
                                !CheckMemoryBlocks(board, with_input, p.onchip_state_bytes, pe->lanes);
    p.input_case = input_resident ? 1 : 3;
    p.onchip_weight_bytes =
        (hidden_part + (input_resident ? input_words : resident ? 2 * slot_words : 0)) * wbytes;
  } else {
    // Every step's input of the batch, and every step's input part (32 bits a row), stay on
    // chip from the input phase to the recurrence; then h twice and c.
    p.onchip_state_bytes = steps * static_cast<int64_t>(batch) * (widest_input * wbytes + rows * 4) +
                           static_cast<int64_t>(batch) * (2 * H * wbytes + H * 4);
    p.input_case = 3;
    // W_x in row blocks through the two ping-pong slots (which the recurrence then uses for
    // W_h's streamed blocks), sized for the larger of both; W_h resident beside them in case 1.
    // Of the row blocks that fit, the fastest input phase (short items bring a lane back to a
    // row's partial sums sooner; a short last block idles row PEs); within 1% of it, the fewest
    // blocks (fewer loads and schedule ops).
    struct Candidate {
      HoistedInput h;
      int64_t weights;
      double cycles;
    };
    // The recurrence's best organisation first; if no row block of W_x fits beside the state
    // with it (its row lanes too wide), the next best.
    std::vector<Candidate> fits;
    for (const PeOrganization& candidate : organizations) {
      pe = candidate;
      accumulators = pe->accumulator_bytes;
      for (int64_t m = 1; m <= pe->cycles_per_item; ++m) {
        const HoistedInput h = MakeHoistedInput(m, rows, widest_input, steps, batch, *pe, board);
        const int64_t slots = std::max(h.slot_words, resident ? 0 : slot_words);
        const int64_t weights = (2 * slots + (resident ? hidden_words : 0)) * wbytes;
        if (weights + p.onchip_state_bytes > pool || CheckMemoryBlocks(board, weights, p.onchip_state_bytes, pe->lanes) ||
            std::max(h.banks, accumulators) > AccumulatorCapacity(board)) {
          continue;
        }
        double cycles = 0;
        for (int layer = 0; layer < s.num_layers; ++layer) {
          cycles += HoistInputPart(h, rows, s.LayerInputSize(layer), steps, batch, resident ? hidden_words : 0, board)
                        .cycles;
        }
        fits.push_back({h, weights, cycles});
      }
      if (!fits.empty()) break;
    }
    double fastest = 0;
    for (const Candidate& c : fits) fastest = fastest == 0 ? c.cycles : std::min(fastest, c.cycles);
    for (const Candidate& c : fits) {
      if (c.cycles <= fastest * 1.01 && (hoist.blocks == 0 || c.h.blocks < hoist.blocks)) {
        hoist = c.h;
        p.onchip_weight_bytes = c.weights;
      }
    }
    if (hoist.blocks > 0) accumulators = std::max(hoist.banks, pe->accumulator_bytes);
    if (hoist.blocks == 0) {
      return refuse(fmt::format("the hoisted input part needs {} bytes on chip for the {} steps of {} samples and "
                                "their input parts, beside one row block of W_x and its partial sums: more than "
                                "the board gives", p.onchip_state_bytes, steps, batch));
    }
    p.hoist_group = hoist.group;
  }
  p.pe = *pe;
  if (p.onchip_weight_bytes + p.onchip_state_bytes > pool) {
    return refuse(fmt::format("needs {} bytes on-chip ({} for weights, {} for the state of {} "
                              "samples) but the board has {}",
                              p.onchip_weight_bytes + p.onchip_state_bytes, p.onchip_weight_bytes,
                              p.onchip_state_bytes, batch, pool));
  }
  if (const auto blocks_why = CheckMemoryBlocks(board, p.onchip_weight_bytes, p.onchip_state_bytes, p.pe.lanes)) {
    return refuse(*blocks_why);
  }
  {
    const int64_t block_bytes = board.memory_blocks() > 0 ? board.onchip_bytes / board.memory_blocks() : 1;
    p.weight_memory_blocks = std::max((board.macs_per_cycle + kWordsPerPort - 1) / kWordsPerPort,
                                      (p.onchip_weight_bytes + block_bytes - 1) / block_bytes);
    p.state_memory_blocks = (p.onchip_state_bytes + block_bytes - 1) / block_bytes;
  }
  p.pe.accumulator_bytes = accumulators;

  // Each layer and direction runs its whole sequence before the next (layer-major), so the
  // costs add up over them. Resident weights are loaded once per batch before their cell's
  // steps (their slots hold the previous cell's until then), so that load is not overlapped
  // per step; streamed blocks overlap the PE array through the ping-pong slots.
  const double n_t = board.words_per_cycle(), n_pe = static_cast<double>(board.macs_per_cycle);
  double cycles = 0, compute_cycles = 0, memory_cycles = 0, load_cycles = 0;
  int64_t reused = 0, per_sample = 0, macs = 0, reused_weights = 0, sample_weights = 0;
  int input_blocks = 1;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    const int64_t I = s.LayerInputSize(layer);
    const int64_t step_macs = static_cast<int64_t>(batch) * rows * (I + H);
    const int64_t layer_input_words = rows * I;
    double cell_cycles = 0, cell_compute = 0, cell_memory = 0, cell_load = 0;
    // The tail finishes tail.elements_per_cycle elements of h a cycle: a step of the batch
    // takes at least B x H of them (step t+1's columns overlap step t's tail, but not more).
    const double tail = static_cast<double>(batch * H) / board.tail_elements_per_cycle;
    // Step t+1's first hidden column waits for h_t's first element: the last column's items
    // through the MAC pipeline, the lanes' adder tree and the tail's pipeline. The other
    // samples' items of that column, and (per step) step t+1's input columns, fill the wait.
    const double interleaved = block_batch ? batch : 1;
    const double pipeline =
        board.mac_latency + std::ceil(std::log2(static_cast<double>(LanesPerSample(static_cast<int64_t>(interleaved),
                                                                                   pe->lanes)))) +
        1 + board.activation_latency;
    const double item = static_cast<double>(pe->cycles_per_item) / static_cast<double>(pe->lanes);
    auto bubble = [&](double input_columns) {
      return std::max(0.0, pipeline - (interleaved - 1) * item - input_columns);
    };
    int64_t r = 0, u = I + H, rw = 0, uw = 0;
    if (!hoisted) {
      input_blocks = std::max<int>(input_blocks, static_cast<int>((I + block_cols - 1) / block_cols));
      // R: words fetched once per step for the whole batch; U: words per sample per step (x in,
      // h out, and in the non block-batch schedule every streamed weight again).
      const int64_t streamed = (p.input_case == 1 ? 0 : layer_input_words) + (resident ? 0 : hidden_words);
      (block_batch ? r : u) += streamed;
      (block_batch ? rw : uw) += streamed;
      cell_load = static_cast<double>((resident ? hidden_words : 0) + (p.input_case == 1 ? layer_input_words : 0)) / n_t;
      const double c = static_cast<double>(step_macs) / (n_pe * pe->throughput());
      const double m = (static_cast<double>(r) + static_cast<double>(u) * batch) / n_t;
      cell_compute = c * steps;
      cell_memory = m * steps + cell_load;
      cell_cycles = cell_load + std::max({c + bubble(c * static_cast<double>(I) / static_cast<double>(I + H)), m, tail}) * steps;
      rw += static_cast<int64_t>(cell_load * n_t / steps);
    } else {
      input_blocks = std::max<int>(input_blocks, static_cast<int>(hoist.blocks));
      // The input phase: W_x once, every step's x, and W_h's resident load riding along.
      const InputPhase ph = HoistInputPart(hoist, rows, I, steps, batch, resident ? hidden_words : 0, board);
      const double compute_x = ph.compute, words_x = ph.words, input_phase = ph.cycles, first = ph.first;
      // The recurrence: W_h's hidden part per step; h goes out per sample.
      const int64_t streamed_h = resident ? 0 : hidden_words;
      const double c = static_cast<double>(batch * rows * H) / (n_pe * pe->throughput());
      const double m = (static_cast<double>(streamed_h) + static_cast<double>(H) * batch) / n_t;
      cell_compute = compute_x + c * steps;
      cell_memory = words_x / n_t + m * steps;
      cell_cycles = input_phase + std::max({c + bubble(0), m, tail}) * steps;
      cell_load = first;
      r = streamed_h + layer_input_words / steps;
      rw = r + (resident ? hidden_words / steps : 0);
      u = I + H;
    }
    for (int d = 0; d < s.directions(); ++d) {
      load_cycles += cell_load;
      compute_cycles += cell_compute;
      memory_cycles += cell_memory;
      cycles += cell_cycles;
      reused += r;
      per_sample += u;
      reused_weights += rw;
      sample_weights += uw;
      macs += step_macs;
    }
  }
  p.input_blocks = input_blocks;
  p.input_block_rows = hoisted ? hoist.rows : 0;
  p.macs_per_step = macs;
  p.reused_words_per_step = reused;
  p.sample_words_per_step = per_sample;
  // The paper's α: of the weights moved per step at batch 1, the share the batch reuses.
  p.alpha = reused_weights + sample_weights == 0
                ? 1.0
                : static_cast<double>(reused_weights) / static_cast<double>(reused_weights + sample_weights);
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
  // The paper's equations for the same plan, in MACs a cycle: the cases' rooflines. They
  // describe the input part computed per step; hoisting is outside them.
  if (!hoisted) {
    const double paper_macs =
        p.hidden_case == 3 ? PaperCase3(n_pe, n_t, batch, p.alpha) : PaperRoofline(n_pe, n_t, batch);
    p.paper_gops = 2.0 * paper_macs * board.clock_mhz * 1e-3;
  }
  return p;
}

}  // namespace sbe
