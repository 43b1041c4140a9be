// The values the simulated accelerator computes: column-wise multiply-adds into 32-bit
// accumulators as the schedule's mv ops say, and the golden tail at each tail op. Weights are
// held column-major, the way they stream from DRAM.
#pragma once

#include <cstdint>
#include <vector>

#include "sbe/datapath.h"
#include "sbe/golden.h"
#include "sbe/plan.h"

namespace sbe::sim {

class SimDatapath {
 public:
  SimDatapath(const QuantizedModel& model, const FixedInput& input, bool hoisted, SaturationCounts* counts);

  // The samples [first, first + count) of the input form the next batch.
  void BeginBatch(int64_t first, int64_t count);
  void BeginCell(int layer, int dir);
  void Compute(const ScheduleOp& op);  // kCompute and kHoist
  void Tail(int step);
  // After the last cell of the batch: its y, h_n and c_n go to the output.
  void EndBatch();

  FixedOutput TakeOutput() { return std::move(out_); }

 private:
  void Hoist(const ScheduleOp& op);
  // Time index step `step` of sample b reads and writes (reverse directions run backwards
  // over each sample's own length); -1 past the sample's length.
  int64_t TimeIndex(int step, int64_t b) const;

  const QuantizedModel& m_;
  const FixedInput& in_;
  SaturationCounts* counts_;
  int64_t T_, H_, rows_, D_;
  std::vector<std::vector<int16_t>> wx_cols_, wh_cols_;  // per cell, (columns, 4H)
  FixedOutput out_;

  // The batch being simulated.
  int64_t first_ = 0, count_ = 0;
  std::vector<int64_t> lens_;
  Tensor<int16_t> layer_in_, layer_out_;  // (T, count, features)
  int layer_ = -1, dir_ = -1;
  bool reverse_ = false;
  std::vector<CellDatapath> cells_;
  bool hoisted_;
  std::vector<int32_t> acc_x_, acc_h_;  // (count, 4H)
  std::vector<int64_t> input_parts_;   // hoisted: (steps, count, 4H), each row's InputPart
  std::vector<int16_t> h_, preact_;     // (count, H), (4H)
  std::vector<int32_t> c_;              // (count, H)
};

}  // namespace sbe::sim
