#include "sim/dram_channel.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace sbe::sim {
namespace {
// Intervals kept for gap filling; older ones are folded into the floor. Transfers are placed
// near the PE array's present, so far older gaps are never wanted.
constexpr size_t kMaxIntervals = 4096;
}  // namespace

DramChannel::DramChannel(const Board& board)
    : bytes_per_cycle_(std::min(board.dram_gbs * 1e9 / (board.clock_mhz * 1e6),
                                board.dram_port_bits / 8.0)),
      burst_bytes_(board.dram_burst_bytes),
      latency_(static_cast<int64_t>(std::ceil(board.dram_latency_ns * board.clock_mhz * 1e-3))) {}

int64_t DramChannel::Place(int64_t earliest, int64_t duration) {
  int64_t start = std::max(earliest, floor_);
  auto it = busy_.upper_bound(start);
  if (it != busy_.begin()) {
    const auto prev = std::prev(it);
    if (prev->second > start) start = prev->second;
  }
  while (it != busy_.end() && it->first < start + duration) {
    start = std::max(start, it->second);
    ++it;
  }
  const int64_t end = start + duration;
  // Insert [start, end), merging with touching neighbours.
  auto next = busy_.lower_bound(start);
  int64_t merged_end = end;
  if (next != busy_.end() && next->first == end) {
    merged_end = next->second;
    next = busy_.erase(next);
  }
  if (next != busy_.begin()) {
    const auto prev = std::prev(next);
    if (prev->second == start) {
      prev->second = merged_end;
    } else {
      busy_.emplace(start, merged_end);
    }
  } else {
    busy_.emplace(start, merged_end);
  }
  while (busy_.size() > kMaxIntervals) {
    floor_ = busy_.begin()->second;
    busy_.erase(busy_.begin());
  }
  return start;
}

DramChannel::Transfer DramChannel::Move(int64_t earliest, int64_t bytes) {
  const int64_t bursts = (bytes + burst_bytes_ - 1) / burst_bytes_;
  const auto duration =
      static_cast<int64_t>(std::ceil(static_cast<double>(bursts * burst_bytes_) / bytes_per_cycle_));
  Transfer t;
  t.start = Place(earliest, std::max<int64_t>(duration, 1));
  t.first_data = t.start + latency_;
  t.done = t.first_data + duration;
  return t;
}

DramChannel::Transfer DramChannel::Read(int64_t earliest, int64_t bytes) {
  read_bytes_ += bytes;
  return Move(earliest, bytes);
}

DramChannel::Transfer DramChannel::Write(int64_t earliest, int64_t bytes) {
  write_bytes_ += bytes;
  return Move(earliest, bytes);
}

int64_t DramChannel::ArrivalOf(const Transfer& t, int64_t bytes) const {
  return std::min(t.done, t.first_data + static_cast<int64_t>(std::ceil(bytes / bytes_per_cycle_)));
}

}  // namespace sbe::sim
