#include "sim/pe_array.h"

#include <algorithm>

#include "common/int_math.h"

namespace sbe::sim {
PeArray::PeArray(const Board& board, int64_t rows)
    : rows_(rows),
      n_pe_(board.macs_per_cycle),
      organization_(ChoosePeOrganization(rows, board.macs_per_cycle)),
      adder_latency_(board.adder_latency) {}

void PeArray::Charge(StallCause cause, int64_t cycles) {
  if (cycles <= 0) return;
  switch (cause) {
    case StallCause::kWeights: stalls_.weights += cycles; break;
    case StallCause::kInput: stalls_.input += cycles; break;
    case StallCause::kRecurrence: stalls_.recurrence += cycles; break;
    case StallCause::kBarrier: stalls_.barrier += cycles; break;
  }
}

int64_t PeArray::IssueColumn(int64_t ready, StallCause cause) {
  // Join the cycle being filled when it has a free lane group and the item is ready by then.
  if (group_items_ > 0 && group_items_ < organization_.lanes && ready <= group_start_) {
    ++group_items_;
    return free_;
  }
  const int64_t start = std::max(free_, ready);
  Charge(cause, start - free_);
  group_start_ = start;
  group_items_ = 1;
  free_ = start + organization_.cycles_per_item;
  busy_ += organization_.cycles_per_item;
  return free_;
}

PeArray::Span PeArray::IssueRowWise(int64_t ready, StallCause cause, int64_t cols) {
  const int64_t start = std::max(free_, ready);
  Charge(cause, start - free_);
  const int64_t useful = CeilDiv(rows_ * cols, n_pe_);
  const int64_t duration = CeilDiv(rows_ * cols * adder_latency_, n_pe_);
  busy_ += useful;
  stalls_.accumulator += duration - useful;
  group_items_ = 0;
  free_ = start + duration;
  return {start, free_};
}

void PeArray::Drain(int64_t end) {
  if (end > free_) {
    stalls_.fill_drain += end - free_;
    free_ = end;
  }
  group_items_ = 0;
}

TailUnit::TailUnit(const Board& board, int64_t hidden)
    : hidden_(hidden), per_cycle_(board.tail_elements_per_cycle), latency_(board.activation_latency) {}

int64_t TailUnit::Process(int64_t preact_ready, int64_t* h_ready) {
  const int64_t start = std::max(free_, preact_ready);
  for (int64_t k = 0; k < hidden_; ++k) h_ready[k] = start + k / per_cycle_ + 1 + latency_;
  free_ = start + CeilDiv(hidden_, per_cycle_);
  return h_ready[hidden_ - 1];
}

}  // namespace sbe::sim
