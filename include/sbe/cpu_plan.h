// The plan lowered onto a multi-core CPU: the planner's decisions for the CPU engine (W_x and
// W_h column blocks, blocks per thread, samples per tile), made from the CPU board's caches
// and measured ceilings, or fixed by the user. The engine executes it as it is;
// `sbe plan --board cpu` prints the same plan `sbe run` then runs. docs/CPU_ENGINE.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sbe/cpu_board.h"
#include "sbe/model.h"
#include "sbe/plan.h"
#include "sbe/precision.h"

namespace sbe {

// How the engine's threads meet between time steps. kStallFree: a thread starts column block
// c of step t+1 as soon as chunk c of h_t is out (the paper's stall-free order across
// threads); kBarrier: all threads wait for all of h_t (the baseline).
enum class StepSync { kStallFree, kBarrier };
inline const char* StepSyncName(StepSync s) { return s == StepSync::kBarrier ? "barrier" : "stall-free"; }

// How the engine's threads share a layer's recurrence (the input part is always split by
// hidden units over all of them). The threads form direction_teams x batch_teams teams of
// hidden_threads threads each:
//  - hidden-split: one team; its threads share each step's hidden units and meet every step;
//  - batch-split: a team per group of samples, each for all steps: no meeting, W_h read by
//    every team (from its own L2 when it fits there, else from the shared levels);
//  - direction-split: the two directions of a bidirectional layer at once, a team each;
//  - and their products (direction+batch-split, batch+hidden-split, ...);
//  - layer-wavefront: a team per stage of a one-direction stack, each stage a run of
//    neighbouring layers; the steps go through the stages in blocks, so that stage g runs
//    block k while stage g + 1 runs block k - 1 (the input part of each layer is then hoisted
//    per block, not per layer); with hidden threads per stage: layer-wavefront+hidden-split.
// A decomposition may leave threads idle (one thread can beat two that meet every step on a
// small layer).
struct Decomposition {
  int direction_teams = 1;
  int batch_teams = 1;
  int hidden_threads = 1;
  int layer_stages = 1;

  int teams() const { return layer_stages * direction_teams * batch_teams; }
  int threads() const { return teams() * hidden_threads; }
  bool wavefront() const { return layer_stages > 1; }
  // Its kind: "hidden-split" when there is one team, else the split parts joined by '+'
  // ("batch-split", "direction+batch-split", "batch+hidden-split"), or "layer-wavefront"
  // (+hidden-split).
  std::string Kind() const;
  // "batch-split:2x1": what --decomposition takes to force exactly this one.
  std::string Spec() const;
  bool operator==(const Decomposition&) const = default;
};
// layer-wavefront: the stage that runs `layer`, stages being runs of neighbouring layers as
// even in count as `layers` allows.
int LayerStage(int layer, int layers, int stages);
// The kinds --decomposition accepts, for help and messages.
std::vector<std::string> DecompositionKinds();
// Throws Error unless `text` is a kind or KIND:TEAMSxTHREADS (whether the shape, batch and
// threads allow it is PlanCpu's to say).
void CheckDecompositionSpec(const std::string& text);

// One decomposition the planner considered, with its predicted time for the run and where the
// time goes (seconds, the whole run: every layer and direction).
struct DecompositionCandidate {
  Decomposition decomposition;
  double seconds = 0;            // 0: not predicted (the board is not measured)
  double input_seconds = 0;      // the hoisted input parts
  double compute_seconds = 0;    // the recurrence where its multiply-adds set the pace
  double memory_seconds = 0;     // the recurrence where reading W_h sets the pace
  double cell_seconds = 0;       // the recurrence's cell epilogues (activations, c and h)
  double meeting_seconds = 0;    // the threads of a team meeting every step
  std::string bound;             // "compute", "memory", "cell" (the recurrence's largest share)
  int64_t wavefront_steps = 0;   // layer-wavefront: the steps of one block through the stages
  double bytes = 0;              // weights read from beyond the L2s in the whole run (of the
                                 // candidates predicted equal, the planner takes the one
                                 // reading fewest)
};

struct CpuPlanRequest {
  int64_t steps = 1;
  int64_t batch = 1;
  Precision precision = Precision::kFp32;
  int threads = 0;  // 0: every core of the board
  StepSync sync = StepSync::kStallFree;
  std::optional<int64_t> blocks;  // W_h column blocks, fixed (--blocks); else chosen
  // A decomposition forced (--decomposition): a kind, whose team sizes are then the planner's
  // (the most threads of that kind), or a kind with its sizes, "batch-split:2x1" (Spec()); ""
  // or "auto": the planner's choice.
  std::string decomposition;
  // layer-wavefront: the steps of one block through the stages, fixed; else chosen.
  std::optional<int64_t> wavefront_steps;
};

// What the engine runs, in its own units. A unit tile is 4 gates x `lanes` hidden units; the
// kernels multiply a tile by a range of columns for `samples_per_tile` samples at a time.
struct CpuTiling {
  std::string kernels;          // the SIMD target planned for
  int lanes = 1;
  int samples_per_tile = 1;     // the recurrence: samples of the batch per kernel call
  int rows_per_tile = 1;        // the input part: (step, sample) rows per kernel call
  int threads = 1;              // the engine's pool (some may idle: decomposition.threads())
  StepSync sync = StepSync::kStallFree;
  Decomposition decomposition;
  int64_t tiles = 1;            // ceil(H / lanes)
  // W_h's column blocks: each is one chunk of h (tiles_per_block tiles' units), and the tiles
  // of chunk c are computed by the thread that owns it; thread k owns the neighbouring chunks
  // [k * blocks_per_thread, (k + 1) * blocks_per_thread), k counted within its team.
  int64_t tiles_per_block = 1;
  int64_t blocks = 1;
  int64_t blocks_per_thread = 1;
  // W_x's column blocks per layer, in columns (the last block of a layer may be narrower).
  std::vector<int64_t> input_block_columns;
  // layer-wavefront: the steps of one block (a stage hands a layer's output on block by
  // block); 0 otherwise.
  int64_t wavefront_steps = 0;

  int64_t block_columns() const { return tiles_per_block * lanes; }
};

struct CpuPlan {
  Plan plan;  // the paper's view: batch, blocks, input_blocks, cases, alpha, predictions
  CpuTiling tiling;
  // Every decomposition considered, the chosen one first; the plan's predictions are its.
  std::vector<DecompositionCandidate> candidates;
};

// Plans `shape` on `board` for one run of request.steps x request.batch. Throws Error on a
// request that cannot be run (no steps or samples, blocks outside [1, H], negative threads, a
// decomposition this shape, batch or thread count has no candidate of).
CpuPlan PlanCpu(const LstmShape& shape, const CpuBoard& board, const CpuPlanRequest& request);

// The phases of one run of the plan, per layer and direction: the hoisted input part reads W_x
// once (reused T x B times) and the inputs; the recurrence reads W_h once per step (reused
// across the batch) and the activations. The predictions are their roofline on the board's
// measured ceilings; `sbe bench` takes the same phases against ceilings it measures beside
// the workloads.
std::vector<RooflinePhase> CpuPhases(const LstmShape& shape, int64_t steps, int64_t batch, Precision precision);

// The plan as JSON: Plan's fields and a "cpu" object with the tiling.
nlohmann::json CpuPlanJson(const CpuPlan& p);

}  // namespace sbe
