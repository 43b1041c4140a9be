// The PE array's issue timeline: N_pe multiply-accumulators organised as the plan says
// (PeOrganization), fed either column by column with samples interleaved (stall-free) or one
// row-wise dot product at a time (baseline). Every cycle is either issuing work or charged to
// the cause that held the array, and every PE-cycle of an issuing cycle is either a useful
// multiply-add or counted idle (docs/SIMULATOR.md, "What it reports").
#pragma once

#include <cstdint>
#include <vector>

#include "sbe/board.h"
#include "sbe/plan.h"
#include "sbe/simulator.h"

namespace sbe::sim {

// kAccumulator: the partial sums' memory still the tail's (the stall-free h part per step).
enum class StallCause { kWeights, kInput, kRecurrence, kBarrier, kAccumulator };

class PeArray {
 public:
  // `accumulators`: how many sets of partial sums the items address (samples of the batch,
  // then the hoisted input part's (step, sample) rows), for the hazard bookkeeping.
  PeArray(const Board& board, const PeOrganization& organization, int64_t accumulators);

  // Stall-free: one item, an operand times a weight column into the partial sums of set
  // `accumulator` in the banks of `lane` (the planner's mapping, PeOrganization), whose weights
  // and operand exist at `ready`. Items issue in order, in lockstep groups of up to `lanes`
  // side by side, each taking `cycles` cycles on its lane's row PEs, of which `rows` PE-cycles
  // are useful multiply-adds. An item joins the group being filled when its lane comes after
  // the group's last and it is ready by the group's start; else it opens the next group, and
  // the lanes a group leaves empty idle. A lane starts an item of a set only adder_latency
  // cycles after it started the last one of that set (the bank's read-modify-write); that wait
  // is charged to the accumulator. Returns the cycle after the item's last multiply-add.
  int64_t IssueColumn(int64_t ready, StallCause cause, int64_t accumulator, int64_t lane, int64_t cycles,
                      int64_t rows);

  // Baseline: the rows x cols dot products of one sample, started once everything they read
  // exists at `ready`. Each accumulator takes one add per adder latency, so the pass takes
  // adder_latency times the cycles of its multiply-adds. Returns the cycles it starts and ends.
  struct Span {
    int64_t start, end;
  };
  Span IssueRowWise(int64_t ready, StallCause cause, int64_t rows, int64_t cols);

  // Charges the cycles from the array's last issue to `end` to fill and drain.
  void Drain(int64_t end);

  int64_t free() const { return free_; }
  int64_t busy_cycles() const { return busy_; }
  const StallCycles& stalls() const { return stalls_; }
  // PE-cycles of issuing cycles that did no multiply-add: lanes left empty in a lockstep group,
  // and the row PEs an item leaves idle (its rows not a multiple of the row lanes).
  int64_t idle_lane_pe_cycles() const { return idle_lanes_; }
  int64_t idle_row_pe_cycles() const { return idle_rows_; }

 private:
  void Charge(StallCause cause, int64_t cycles);
  void CloseGroup();
  int64_t& LastStart(int64_t lane, int64_t accumulator);

  PeOrganization org_;
  int64_t n_pe_, adder_latency_, accumulators_;
  std::vector<int64_t> last_start_;  // per lane and accumulator set: its last item's start
  // The lockstep group being filled: its start, items, length and the last lane it took.
  int64_t group_start_ = 0, group_items_ = 0, group_cycles_ = 0, group_lane_ = -1;
  int64_t free_ = 0;                                               // the next cycle a group can start
  int64_t busy_ = 0, idle_lanes_ = 0, idle_rows_ = 0;
  StallCycles stalls_;
};

// The tail: the lanes' partial sums added (a tree), then activations and cell update,
// `elements_per_cycle` hidden elements a cycle through a pipeline of `activation_latency`
// cycles, in order.
class TailUnit {
 public:
  TailUnit(const Board& board, int64_t hidden);
  // One sample whose pre-activations exist at `preact_ready`: writes into h_ready[k] the
  // cycle element k of h_t exists, and returns the cycle the last one does. (The baseline's
  // order: its samples finish one after another.)
  int64_t Process(int64_t preact_ready, int64_t* h_ready);
  // The batch, element by element with the samples inner (the stall-free order: the next
  // step's column j needs element j of every sample, so they come out together). Sample b's
  // pre-activations exist at preact_ready[b]; h_ready[b x hidden + k] gets the cycle element k
  // of sample b exists. Returns the cycle the last one does.
  int64_t ProcessInterleaved(const std::vector<int64_t>& preact_ready, int64_t* h_ready);
  int64_t free() const { return free_; }

 private:
  int64_t hidden_, per_cycle_, latency_;
  int64_t free_ = 0;
};

}  // namespace sbe::sim
