// The planner: the paper's performance model (eqs. 2-6), the blocking-batching choice for a
// board, and the explicit schedule executors follow. docs/SCHEDULE.md explains the choices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbe/board.h"
#include "sbe/model.h"

namespace sbe {

// --- the paper's equations, as written (PAPER.md, "Performance model") -----------------------
// n_pe: MACs per cycle; n_t: weights per cycle from DRAM; b: batch; alpha: reused fraction.
// Results are MACs per cycle (multiply by 2 x clock for OPS).
double PaperComputeBound(double n_pe);                       // (2)
double PaperMemoryBound(double n_t, double b);               // (3)
double PaperCase3Saturated(double n_pe, double n_t, double alpha);          // (5)
double PaperCase3(double n_pe, double n_t, double b, double alpha);         // (6), then (5)
// (2)/(3) together: the roofline of cases 1 and 2.
double PaperRoofline(double n_pe, double n_t, double b);

// --- the PE array's microarchitecture (docs/SIMULATOR.md, "The PE microarchitecture") --------
// N_pe multiply-accumulators, each one DSP48 computing P = A x B + C: a 16-bit weight times a
// 16-bit element of x or h, plus the partial sum C read from the PE's accumulator bank in
// distributed RAM, written back `adder_latency` cycles later. They are organised for a cell of
// `rows` gate rows (4H) as `lanes` (column, sample) items side by side in lockstep, each over
// `row_lanes` rows, so an item takes cycles_per_item = ceil(rows / row_lanes) cycles, one row
// per PE and cycle. Items go to the lanes in turn, samples inner: item (c, b) of a step's
// column c (W_x's then W_h's) and sample b goes to lane (c x B + b) mod lanes. A lane thus
// serves SamplesPerLane(B, lanes) samples and keeps their partial sums in its own banks (no two
// lanes add into the same memory); a sample spread over LanesPerSample(B, lanes) lanes has its
// lanes' sums added by a tree in the tail. A lane may start an item of a sample only
// adder_latency cycles after it started the last one of that sample (the bank's
// read-modify-write): `hazard_factor` is how much that stretches the issue at a batch.
// The sets of partial sums the RTL keeps (sbe_pe_array): the x and h parts apart (the golden
// model rounds each on its own before adding them); the part a step adds first in two sets by
// the step's parity, so that step t+1's first columns add while the tail reads step t's; the h
// part per step in one, since step t+1's W_h columns come after its W_x columns, by when that
// tail is done with it.
inline constexpr int64_t kAccumulatorSets = 3;

struct PeOrganization {
  int64_t lanes = 1;
  int64_t row_lanes = 1;
  int64_t cycles_per_item = 1;
  double efficiency = 1;       // rows / (row_lanes x cycles_per_item): the PEs an item keeps busy
  double hazard_factor = 1;    // >= 1
  // The banks: kAccumulatorSets x lanes x row_lanes x cycles_per_item x SamplesPerLane x 32
  // bit (hoisted: those of the input phase's groups, if larger).
  int64_t accumulator_bytes = 0;
  // The share of N_pe doing useful multiply-adds while the array issues.
  double throughput() const { return efficiency / hazard_factor; }
};
int64_t SamplesPerLane(int64_t samples, int64_t lanes);  // samples / gcd(samples, lanes)
int64_t LanesPerSample(int64_t samples, int64_t lanes);  // lanes / gcd(samples, lanes)
// The stretch of the issue when each lane cycles through SamplesPerLane samples with items of
// `cycles_per_item` cycles, against the adder's latency.
double HazardFactor(int64_t samples, int64_t lanes, int64_t cycles_per_item, int adder_latency);
// The distributed RAM the accumulator banks may take: 3/4 of it (a RAM64M holds 64 x 3 bits in
// the 4 LUTs of a SLICEM in simple dual-port mode), of which 4/5 (the rest for control, FIFOs
// and the tail).
int64_t AccumulatorCapacity(const Board& board);
// Of the splits lanes x row_lanes = N_pe whose banks fit AccumulatorCapacity at this batch, the
// one with the highest throughput (then the smallest banks). `interleaved`: the samples whose
// items alternate (the batch in the block-batch schedule; 1 in the non block-batch one, where
// each sample runs its columns alone and every lane meets every sample). Nullopt, with `why`,
// when none fits.
std::optional<PeOrganization> ChoosePeOrganization(int64_t rows, const Board& board, int64_t batch,
                                                   std::string* why = nullptr, int64_t interleaved = 0);
// Every split whose banks fit, best first (ChoosePeOrganization is the first). A hoisted plan
// takes the next when the best one's row lanes leave no room for a row block of W_x.
std::vector<PeOrganization> PeOrganizations(int64_t rows, const Board& board, int64_t batch,
                                            std::string* why = nullptr, int64_t interleaved = 0);

// What the memory blocks (BRAM36, URAM) of a plan must provide: N_pe weights a cycle, four per
// block's 72-bit port, so weights take at least N_pe / 4 blocks whatever their bytes; the
// `lanes` operands of x or h a cycle, at least lanes / 4 blocks of the state's; then room for
// the bytes. (The partial sums' read-modify-writes use the LUTRAM banks' own two ports.)
// Nullopt when they fit, else why not (with the numbers).
std::optional<std::string> CheckMemoryBlocks(const Board& board, int64_t weight_bytes, int64_t state_bytes,
                                             int64_t lanes = 1);

// --- plans ------------------------------------------------------------------------------------
enum class Objective { kThroughput, kLatency };

// Where the input part W_x x_t is computed: per step, beside the hidden part, with W_x
// resident or streamed every step; or hoisted: for all steps of a batch at once before the
// recurrence, W_x streamed once in row blocks (reused T x B times), its results kept on chip.
enum class InputMode { kPerStep, kHoisted };
inline const char* InputModeName(InputMode m) { return m == InputMode::kHoisted ? "hoisted" : "per-step"; }

struct PlanRequest {
  std::optional<int> batch;    // fixed batch, or chosen
  std::optional<int> blocks;   // fixed blocking number (hidden-weight blocks), or chosen
  std::optional<InputMode> input;  // fixed, or chosen
  int steps = 0;               // sequence length (0: the model's default)
  Objective objective = Objective::kThroughput;
  int max_batch = 256;
  std::optional<double> max_latency_ms;  // latency objective: bound on one batch's time
  bool block_batch = true;     // false: the "non block-batch" baseline (weights per sample)
};

struct Plan {
  int batch = 1;
  int blocks = 1;              // N_b: column blocks of each hidden matrix W_h
  int input_blocks = 1;        // blocks of each input matrix W_x: per step columns, hoisted rows
  int steps = 1;
  bool block_batch = true;
  // The paper's cases for W_h: 1, one block resident for the sequence (loaded once per batch);
  // 2, two blocks streamed through the two ping-pong slots every step (one computes while the
  // other loads); 3, more blocks streamed the same way.
  int hidden_case = 1;
  int input_case = 3;          // per step: W_x resident (1) or streamed in column blocks (3)
  bool input_hoisted = false;  // W_x x_t computed for all steps at once, W_x read once per batch
  int64_t hoist_group = 0;     // hoisted: (step, sample) rows that share a W_x column at a time
  int64_t input_block_rows = 0;  // hoisted: gate rows of each W_x row block (the last may be fewer)
  // The paper's α: the fraction of the weight traffic that the batch reuses (block-batch: every
  // streamed block serves the whole batch, 1; non block-batch, 0).
  double alpha = 1;
  // Eqs. (2)/(3) for cases 1 and 2, (5)/(6) for case 3; none for the hoisted input part,
  // which the paper's equations do not describe.
  std::optional<double> paper_gops;
  int64_t onchip_weight_bytes = 0;  // resident blocks plus streaming slots
  int64_t onchip_state_bytes = 0;   // the batch's x, h, c (and, hoisted, every step's x and input parts)
  int64_t weight_memory_blocks = 0; // BRAM36/URAM the weights take (for bytes and for ports)
  int64_t state_memory_blocks = 0;
  // Per step of one layer and direction, summed over layers and directions:
  int64_t macs_per_step = 0;         // B x MACs per sample-step
  int64_t reused_words_per_step = 0;   // fetched once per step for the whole batch (R)
  int64_t sample_words_per_step = 0;   // fetched or written per sample per step (U)
  // Predictions.
  PeOrganization pe;
  double load_cycles = 0;      // resident blocks loaded before the steps, summed over cells
  double compute_cycles_per_step = 0;
  double memory_cycles_per_step = 0;
  double predicted_gops = 0;
  double predicted_ms_per_batch = 0;
  double predicted_ms_per_sample = 0;
  double predicted_mj_per_sample = 0;
  double pe_utilization = 0;
  std::string bound;           // "compute" or "memory"

  std::string ToString() const;  // "B32 Nb4 case3 alpha0.998"
};

// A plan and its predictions as JSON (every --json output that carries a plan).
nlohmann::json PlanJson(const Plan& p);

// The curves of the paper's two planning figures for `shape` on `board`, predicted: "curves"
// (GOPS against batch per blocking number, block-batch with the input part per step and not, and
// block-batch with it hoisted at the best blocking number), "roofline_case12",
// "roofline_case3" (with "alpha_case3") and "by_blocks" (GOPS against blocks at batch 1, 8, 32).
nlohmann::json PlanCurves(const LstmShape& shape, const Board& board, int steps, int max_batch);

// Bytes of BRAM state one sample needs per step: x (double-buffered), h_{t-1} and h_t, and c
// (32 bits). The partial sums live in the PEs' distributed RAM (PeOrganization).
int64_t StateBytesPerSample(const LstmShape& shape, const Board& board);

// Evaluates one (batch, blocks, input mode) choice; returns nullopt with `why` when it does not
// fit (on-chip bytes, memory blocks, or the accumulators' distributed RAM).
std::optional<Plan> EvaluatePlan(const LstmShape& shape, const Board& board, int batch, int blocks,
                                 int steps, bool block_batch, std::string* why = nullptr,
                                 InputMode input = InputMode::kPerStep);

struct PlanResult {
  Plan best;
  std::vector<Plan> alternatives;  // every feasible plan considered, best first
};

// Enumerates blocking number x batch size within the on-chip budget and picks the best plan
// for the objective. Throws Error when nothing fits (naming what is too small).
PlanResult ChoosePlan(const LstmShape& shape, const Board& board, const PlanRequest& request);

// --- the schedule ------------------------------------------------------------------------------
// One batch of one model, in order. Executors follow it and decide nothing themselves.
struct ScheduleOp {
  // kLoad: a block from DRAM into a slot; kCompute: a column block times the samples of a step;
  // kHoist: a W_x row block times (step, sample) rows of the hoisted input part (all its
  // columns; the rows' input parts are final after it); kTail: activations and cell update.
  enum Kind { kLoad, kCompute, kHoist, kTail };
  Kind kind = kCompute;
  int layer = 0;
  int direction = 0;
  bool hidden = false;        // W_h (true) or W_x (false)
  int block = 0;
  int64_t col_begin = 0;      // columns of W_x or W_h this block covers
  int64_t col_end = 0;
  int step = -1;              // time step; -1 for loads before step 0 and for kHoist
  int batch_begin = 0;        // samples this op covers
  int batch_end = 0;
  int slot = 0;               // on-chip buffer slot the block lives in (ping-pong: 0/1)
  int64_t row_begin = 0;      // gate rows the block covers: all 4H but for W_x's row blocks
  int64_t row_end = 0;
  int64_t rows_begin = 0;     // kHoist: (step, sample) rows step x batch + sample in [begin, end)
  int64_t rows_end = 0;
};

struct Schedule {
  Plan plan;
  LstmShape shape;
  std::vector<ScheduleOp> ops;
  std::string Describe(size_t max_ops = 40) const;  // compact printed form
};

Schedule BuildSchedule(const LstmShape& shape, const Plan& plan);
// Replays the schedule: every weight column of every layer, direction and step is computed
// exactly once per sample, after its block was loaded into the slot it is read from. Throws
// Error naming the first violation.
void CheckSchedule(const Schedule& schedule);

}  // namespace sbe
