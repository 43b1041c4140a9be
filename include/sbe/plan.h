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

// --- the PE array's organisation ---------------------------------------------------------------
// How N_pe multiply-accumulators serve a cell of `rows` gate rows (4H): `lanes` (column,
// sample) items side by side, each over `row_lanes` rows, so an item takes
// ceil(rows / row_lanes) cycles. A designer sizes the array for the model: of the splits
// lanes x row_lanes = N_pe, the one that wastes the fewest lanes (then the fewest cycles per
// item). Efficiency is rows / (row_lanes x cycles_per_item).
struct PeOrganization {
  int64_t lanes = 1;
  int64_t row_lanes = 1;
  int64_t cycles_per_item = 1;
  double efficiency = 1;
};
PeOrganization ChoosePeOrganization(int64_t rows, int64_t n_pe);

// --- plans ------------------------------------------------------------------------------------
enum class Objective { kThroughput, kLatency };

struct PlanRequest {
  std::optional<int> batch;    // fixed batch, or chosen
  std::optional<int> blocks;   // fixed blocking number (hidden-weight blocks), or chosen
  int steps = 0;               // sequence length (0: the model's default)
  Objective objective = Objective::kThroughput;
  int max_batch = 256;
  std::optional<double> max_latency_ms;  // latency objective: bound on one batch's time
  bool block_batch = true;     // false: the "non block-batch" baseline (weights per sample)
};

struct Plan {
  int batch = 1;
  int blocks = 1;              // N_b: column blocks of each hidden matrix W_h
  int input_blocks = 1;        // column blocks of each input matrix W_x
  int steps = 1;
  bool block_batch = true;
  int hidden_case = 1;         // the paper's case for W_h: 1, 2 (resident) or 3 (streamed)
  int input_case = 3;          // W_x streams every step (reused across the batch): case 3
  bool input_hoisted = false;  // W_x x_t computed for all steps at once, W_x read once per run
  double alpha = 1;            // reused fraction of the words moved per sample-step at B = 1
  int64_t onchip_weight_bytes = 0;  // resident blocks plus streaming slots
  int64_t onchip_state_bytes = 0;   // the batch's x, h, c and accumulators
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
// (GOPS against batch per blocking number, block-batch and not), "roofline_case12",
// "roofline_case3" (with "alpha_case3") and "by_blocks" (GOPS against blocks at batch 1, 8, 32).
nlohmann::json PlanCurves(const LstmShape& shape, const Board& board, int steps, int max_batch);

// Bytes of on-chip state one sample needs: x (double-buffered), h_{t-1} and h_t, c, and the 4H
// 32-bit accumulators of the column-wise MV.
int64_t StateBytesPerSample(const LstmShape& shape, const Board& board);

// Evaluates one (batch, blocks) choice; returns nullopt with `why` when it does not fit.
std::optional<Plan> EvaluatePlan(const LstmShape& shape, const Board& board, int batch, int blocks,
                                 int steps, bool block_batch, std::string* why = nullptr);

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
  enum Kind { kLoad, kCompute, kTail };
  Kind kind = kCompute;
  int layer = 0;
  int direction = 0;
  bool hidden = false;        // W_h (true) or W_x (false)
  int block = 0;
  int64_t col_begin = 0;      // columns of W_x or W_h this block covers
  int64_t col_end = 0;
  int step = -1;              // time step; -1 for loads of resident blocks before step 0
  int batch_begin = 0;        // samples this op covers
  int batch_end = 0;
  int slot = 0;               // on-chip buffer slot the block lives in (ping-pong: 0/1)
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
