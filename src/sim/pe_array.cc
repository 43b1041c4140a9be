// The PE array's timeline and accounting (pe_array.h).
#include "sim/pe_array.h"

#include <algorithm>
#include <limits>

#include "common/int_math.h"

namespace sbe::sim {
namespace {
constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 4;
}  // namespace

PeArray::PeArray(const Board& board, const PeOrganization& organization, int64_t accumulators)
    : org_(organization),
      n_pe_(board.macs_per_cycle),
      adder_latency_(board.adder_latency),
      accumulators_(std::max<int64_t>(1, accumulators)),
      last_start_(static_cast<size_t>(org_.lanes * accumulators_), kNever) {}

void PeArray::Charge(StallCause cause, int64_t cycles) {
  if (cycles <= 0) return;
  switch (cause) {
    case StallCause::kWeights: stalls_.weights += cycles; break;
    case StallCause::kInput: stalls_.input += cycles; break;
    case StallCause::kRecurrence: stalls_.recurrence += cycles; break;
    case StallCause::kBarrier: stalls_.barrier += cycles; break;
    case StallCause::kAccumulator: stalls_.accumulator += cycles; break;
  }
}

int64_t& PeArray::LastStart(int64_t lane, int64_t accumulator) {
  return last_start_[static_cast<size_t>(lane * accumulators_ + accumulator % accumulators_)];
}

void PeArray::CloseGroup() {
  if (group_items_ > 0) idle_lanes_ += (org_.lanes - group_items_) * org_.row_lanes * group_cycles_;
  group_items_ = 0;
}

int64_t PeArray::IssueColumn(int64_t ready, StallCause cause, int64_t accumulator, int64_t lane, int64_t cycles,
                             int64_t rows) {
  lane %= org_.lanes;
  if (group_items_ > 0 && lane > group_lane_ && cycles == group_cycles_ && ready <= group_start_ &&
      LastStart(lane, accumulator) + adder_latency_ <= group_start_) {
    LastStart(lane, accumulator) = group_start_;
    ++group_items_;
    group_lane_ = lane;
    idle_rows_ += org_.row_lanes * cycles - rows;
    return free_;
  }
  CloseGroup();
  const int64_t data = std::max(free_, ready);
  const int64_t start = std::max(data, LastStart(lane, accumulator) + adder_latency_);
  Charge(cause, data - free_);
  stalls_.accumulator += start - data;
  LastStart(lane, accumulator) = start;
  group_start_ = start;
  group_items_ = 1;
  group_lane_ = lane;
  group_cycles_ = cycles;
  free_ = start + cycles;
  busy_ += cycles;
  idle_rows_ += org_.row_lanes * cycles - rows;
  return free_;
}

PeArray::Span PeArray::IssueRowWise(int64_t ready, StallCause cause, int64_t rows, int64_t cols) {
  CloseGroup();
  const int64_t start = std::max(free_, ready);
  Charge(cause, start - free_);
  const int64_t useful = CeilDiv(rows * cols, n_pe_);
  const int64_t duration = CeilDiv(rows * cols * adder_latency_, n_pe_);
  busy_ += useful;
  idle_rows_ += useful * n_pe_ - rows * cols;
  stalls_.accumulator += duration - useful;
  free_ = start + duration;
  return {start, free_};
}

void PeArray::Drain(int64_t end) {
  CloseGroup();
  if (end > free_) {
    stalls_.fill_drain += end - free_;
    free_ = end;
  }
}

TailUnit::TailUnit(const Board& board, int64_t hidden)
    : hidden_(hidden), per_cycle_(board.tail_elements_per_cycle), latency_(board.activation_latency) {}

int64_t TailUnit::Process(int64_t preact_ready, int64_t* h_ready) {
  const int64_t start = std::max(free_, preact_ready);
  for (int64_t k = 0; k < hidden_; ++k) h_ready[k] = start + k / per_cycle_ + 1 + latency_;
  free_ = start + CeilDiv(hidden_, per_cycle_);
  return h_ready[hidden_ - 1];
}

int64_t TailUnit::ProcessInterleaved(const std::vector<int64_t>& preact_ready, int64_t* h_ready) {
  const int64_t B = static_cast<int64_t>(preact_ready.size());
  int64_t cycle = free_, used = 0, last = 0;
  for (int64_t k = 0; k < hidden_; ++k) {
    for (int64_t b = 0; b < B; ++b) {
      if (preact_ready[b] > cycle) {
        cycle = preact_ready[b];
        used = 0;
      }
      last = h_ready[b * hidden_ + k] = cycle + 1 + latency_;
      if (++used == per_cycle_) {
        ++cycle;
        used = 0;
      }
    }
  }
  free_ = cycle + (used > 0 ? 1 : 0);
  return last;
}

}  // namespace sbe::sim
