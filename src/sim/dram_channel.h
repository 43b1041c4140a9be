// The DRAM channel as the accelerator sees it: one port shared by reads and writes, moving
// whole bursts at the board's sustained rate (or the port's width, whichever is lower), with
// a fixed latency before the first data. Transfers take the first idle gap long enough after
// the moment they may start, as an arbiter between the DMA queues would.
#pragma once

#include <cstdint>
#include <map>

#include "sbe/board.h"

namespace sbe::sim {

class DramChannel {
 public:
  explicit DramChannel(const Board& board);

  struct Transfer {
    int64_t start = 0;       // the channel starts moving it
    int64_t first_data = 0;  // its first bytes arrive (start + latency)
    int64_t done = 0;        // its last byte has arrived
  };
  Transfer Read(int64_t earliest, int64_t bytes);
  Transfer Write(int64_t earliest, int64_t bytes);
  // The cycle by which the first `bytes` of `t` have arrived: data streams in at the channel
  // rate after the latency, so a column-major block can be used column by column.
  int64_t ArrivalOf(const Transfer& t, int64_t bytes) const;

  double bytes_per_cycle() const { return bytes_per_cycle_; }
  int64_t latency_cycles() const { return latency_; }
  int64_t read_bytes() const { return read_bytes_; }
  int64_t write_bytes() const { return write_bytes_; }

 private:
  Transfer Move(int64_t earliest, int64_t bytes);
  int64_t Place(int64_t earliest, int64_t duration);

  double bytes_per_cycle_;
  int64_t burst_bytes_;
  int64_t latency_;
  int64_t read_bytes_ = 0, write_bytes_ = 0;
  std::map<int64_t, int64_t> busy_;  // start -> end of busy intervals, merged when adjacent
  int64_t floor_ = 0;                // before this cycle the channel counts as busy (pruned)
};

}  // namespace sbe::sim
