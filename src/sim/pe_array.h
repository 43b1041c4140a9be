// The PE array's issue timeline: N_pe multiply-accumulators, fed either column by column with
// samples interleaved (stall-free) or one row-wise dot product at a time (baseline). Every
// cycle is either issuing work or charged to the cause that held the array.
#pragma once

#include <cstdint>

#include "sbe/board.h"
#include "sbe/plan.h"
#include "sbe/simulator.h"

namespace sbe::sim {

enum class StallCause { kWeights, kInput, kRecurrence, kBarrier };

class PeArray {
 public:
  // `rows`: the gate rows of the cell (4H), the multiply-adds of one (column, sample) item.
  PeArray(const Board& board, int64_t rows);

  // Stall-free: one (column, sample) item whose weights and operand exist at `ready`. Items
  // issue in order, `lanes` of them side by side, each taking cycles_per_item cycles (the
  // organisation the planner chose, plan.h). Returns the cycle after its last multiply-add.
  int64_t IssueColumn(int64_t ready, StallCause cause);

  // Baseline: the rows x cols dot products of one sample, started once everything they read
  // exists at `ready`. Each accumulator takes one add per adder latency, so the pass takes
  // adder_latency times the cycles of its multiply-adds. Returns the cycles it starts and ends.
  struct Span {
    int64_t start, end;
  };
  Span IssueRowWise(int64_t ready, StallCause cause, int64_t cols);

  // Charges the cycles from the array's last issue to `end` to fill and drain.
  void Drain(int64_t end);

  int64_t free() const { return free_; }
  const PeOrganization& organization() const { return organization_; }
  int64_t busy_cycles() const { return busy_; }
  const StallCycles& stalls() const { return stalls_; }

 private:
  void Charge(StallCause cause, int64_t cycles);

  int64_t rows_, n_pe_;
  PeOrganization organization_;
  int64_t adder_latency_;
  int64_t group_start_ = 0, group_items_ = 0;  // the cycle being filled with items
  int64_t free_ = 0;                           // the next cycle a new group can start
  int64_t busy_ = 0;
  StallCycles stalls_;
};

// The tail: activations and cell update, `elements_per_cycle` hidden elements a cycle through
// a pipeline of `activation_latency` cycles, one sample after another.
class TailUnit {
 public:
  TailUnit(const Board& board, int64_t hidden);
  // One sample whose pre-activations exist at `preact_ready`: writes into h_ready[k] the
  // cycle element k of h_t exists, and returns the cycle the last one does.
  int64_t Process(int64_t preact_ready, int64_t* h_ready);
  int64_t free() const { return free_; }

 private:
  int64_t hidden_, per_cycle_, latency_;
  int64_t free_ = 0;
};

}  // namespace sbe::sim
