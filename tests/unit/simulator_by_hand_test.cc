// The simulator's timing pinned on cases small enough to work out by hand: a one-unit LSTM
// (input 1, hidden 1: two weight columns, four gate rows) on a two-PE board with round
// figures. Each expected cycle is derived in the comments from the models of docs/SIMULATOR.md,
// independently of the code, so that a timing change of even one cycle cannot pass unnoticed.
#include <gtest/gtest.h>

#include "sbe/board.h"
#include "sbe/error.h"
#include "sbe/golden.h"
#include "sbe/plan.h"
#include "sbe/presets.h"
#include "sbe/quantized_model.h"
#include "sbe/simulator.h"

namespace sbe {
namespace {

// 100 MHz; 2 PEs; DRAM 0.8 GB/s = 8 bytes a cycle through a 64-bit port, 8-byte bursts, 20 ns
// = 2 cycles to the first data; MAC pipeline 2 cycles, the accumulator's adder `adder` cycles,
// tail 4 cycles deep at one element a cycle; on-chip memory plenty (both weight matrices stay:
// case 1).
Board TwoPeBoard(int adder) {
  Board b;
  b.name = "two-pe";
  b.clock_mhz = 100;
  b.macs_per_cycle = 2;
  b.pe_counting = "test";
  b.word_bits = 16;
  b.onchip_bytes = 1 << 20;
  b.lutram_bytes = 1 << 20;
  b.dram_gbs = 0.8;
  b.dram_latency_ns = 20;
  b.dram_burst_bytes = 8;
  b.dram_port_bits = 64;
  b.static_watts = 1;
  b.full_watts = 2;
  b.mac_latency = 2;
  b.adder_latency = adder;
  b.activation_latency = 4;
  b.tail_elements_per_cycle = 1;
  return b;
}

// `lanes` (0: the planner's choice) overrides the PE organisation: 1 lane of 2 row PEs (an item
// takes 4 rows / 2 = 2 cycles) or 2 lanes of 1 (4 cycles).
SimResult SimulateTiny(int64_t steps, int64_t batch, Architecture arch, int adder, int64_t lanes = 0,
                       int port_bits = 64) {
  const LstmModel m = MakeRandomModel({1, 1, 1, false, true}, 5, "tiny");
  const QuantizedModel q = Calibrate(m, InputRange{});
  FixedInput x;
  x.x = Tensor<int16_t>({steps, batch, 1}, 100);
  Board board = TwoPeBoard(adder);
  board.dram_port_bits = port_bits;
  std::string why;
  auto plan = EvaluatePlan(q.shape, board, static_cast<int>(batch), 1, static_cast<int>(steps), true, &why);
  if (!plan) throw Error(why);
  EXPECT_EQ(plan->hidden_case, 1);
  EXPECT_EQ(plan->input_case, 1);
  if (lanes > 0) {
    plan->pe.lanes = lanes;
    plan->pe.row_lanes = 2 / lanes;
    plan->pe.cycles_per_item = 4 / plan->pe.row_lanes;
  }
  SimOptions o;
  o.arch = arch;
  const SimResult r = Simulate(q, board, *plan, x, o);
  // Every PE-cycle is a multiply-add, an idle PE of an issuing cycle, or a stall.
  EXPECT_EQ(2 * r.cycles, r.macs + r.idle_lane_pe_cycles + r.idle_row_pe_cycles + 2 * r.stalls.total());
  return r;
}

// The schedule of one cell: load W_h (slot 2), load W_x (slot 3), then per step the input
// column, the hidden column and the tail. With an adder of 2 cycles the planner organises the
// PE array as 1 lane of 2 row PEs (no PE idle, a lane back at a sample's partial sums after an
// item's 2 cycles: no hazard, and the smallest banks): a (column, sample) item takes 4 rows / 2
// = 2 cycles, and one lane needs no adder tree in the tail. Every transfer here is one 8-byte burst, 1 cycle on the channel, done
// 2 + 1 cycles after it starts; the channel serves one transfer per cycle, in order of request.
TEST(SimulatorByHand, OneStepOneSample) {
  // DRAM: x_0 (2 bytes) at 0 -> ready 3; W_h (4 rows x 2 bytes) at 1 -> done 4; W_x at 2 ->
  // done 5.
  // PE: the W_x item waits for its column (5 > x at 3: a weights stall of 5 cycles), runs 5-7;
  // the W_h item (column at 4, h_0 on chip) follows at 7-9.
  // Tail: pre-activations 2 cycles after the last item, at 11; h_1 = 11 + 1 + 4 = 16.
  // DRAM: h_1 written from 16 (done 19), then h_n and c_n (6 bytes) from 17 (done 20).
  // End 20: the array's 4 busy cycles, 5 waiting for weights, 11 filling and draining.
  const SimResult r = SimulateTiny(1, 1, Architecture::kStallFree, 2);
  EXPECT_EQ(r.cycles, 20);
  EXPECT_EQ(r.busy_cycles, 4);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.fill_drain, 11);
  EXPECT_EQ(r.stalls.input + r.stalls.recurrence + r.stalls.barrier + r.stalls.accumulator, 0);
  EXPECT_EQ(r.macs, 8);
  EXPECT_EQ(r.dram_read_bytes, 2 + 8 + 8);
  EXPECT_EQ(r.dram_write_bytes, 2 + 6);
}

// A 128-bit port: each weight column starts on a 16-byte beat, as the RTL lays weights out in
// DRAM, so a column of four 16-bit rows (8 bytes) takes a whole beat: W_h and W_x read 16 bytes
// each (two bursts) where the 64-bit port above reads 8, and the array waits longer for them.
TEST(SimulatorByHand, AWeightColumnTakesWholeBeats) {
  const SimResult r = SimulateTiny(1, 1, Architecture::kStallFree, 2, 0, 128);
  EXPECT_EQ(r.dram_read_bytes, 2 + 16 + 16);
  EXPECT_GT(r.stalls.weights, 5);
  EXPECT_GT(r.cycles, 20);
}

TEST(SimulatorByHand, TwoStepsTwoSamplesInterleaved) {
  // DRAM: x_0 (4 bytes) at 0 -> 3; W_h at 1 -> 4; W_x at 2 -> 5; x_1 at 3 -> 6 (into the other
  // half of the x buffer while step 0 computes).
  // Step 0. W_x items of samples 0, 1: 5-7 (weights stall 5), 7-9. W_h items: 9-11, 11-13.
  //   Tail: sample 0's pre-activations at 13 -> h at 13 + 1 + 4 = 18; sample 1's at 15 -> 20.
  //   h_1 written at 20 (done 23).
  // Step 1. W_x items wait for x_1 (6) but the array is busy to 13: 13-15, 15-17. W_h items add
  //   into the accumulators' single memory (the h part per step, as the RTL keeps it), which
  //   step 0's tail reads until it is done at 20: sample 0's (h at 18) waits to 20 (an
  //   accumulator stall of 3 cycles), 20-22; sample 1's (h at 20) 22-24.
  //   Tail: 24 -> h at 29; 26 -> h at 31. h_2 written at 31 (done 34); h_n and c_n (12 bytes,
  //   two bursts) from 32, done 36.
  // End 36 = 16 busy + 5 weights + 3 accumulator + 12 fill and drain.
  const SimResult r = SimulateTiny(2, 2, Architecture::kStallFree, 2);
  EXPECT_EQ(r.cycles, 36);
  EXPECT_EQ(r.busy_cycles, 16);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.accumulator, 3);
  EXPECT_EQ(r.stalls.recurrence, 0);
  EXPECT_EQ(r.stalls.input, 0);
  EXPECT_EQ(r.stalls.fill_drain, 12);
  EXPECT_EQ(r.macs, 32);
  EXPECT_EQ(r.dram_read_bytes, 4 + 8 + 8 + 4);
  EXPECT_EQ(r.dram_write_bytes, 4 + 4 + 12);
}

TEST(SimulatorByHand, BaselineWaitsOnItsAdder) {
  // Row-wise: a pass starts when its whole block, its operand vector and the previous step are
  // there; its 4 multiply-adds take 4 / 2 = 2 issuing cycles, but each accumulator takes one add
  // per 3-cycle adder: 4 x 3 / 2 = 6 cycles, 4 of them accumulator stalls.
  // W_x pass: block done at 5 -> 5-11 (weights stall 5); W_h pass: 11-17.
  // Tail: 19 -> h at 24. h_1 written from 24 (done 27), h_n and c_n from 25 (done 28).
  // End 28 = 4 busy + 5 weights + 8 accumulator + 11 fill and drain.
  const SimResult r = SimulateTiny(1, 1, Architecture::kBaseline, 3);
  EXPECT_EQ(r.cycles, 28);
  EXPECT_EQ(r.busy_cycles, 4);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.accumulator, 8);
  EXPECT_EQ(r.stalls.fill_drain, 11);
  EXPECT_EQ(r.stalls.barrier + r.stalls.input + r.stalls.recurrence, 0);
}

TEST(SimulatorByHand, ALaneWaitsForItsPartialSums) {
  // The adder takes 3 cycles, an item 2 (1 lane of 2 row PEs): the hidden column of sample 0
  // follows its input column on the same lane and the same partial sums.
  // DRAM as in OneStepOneSample: x at 3, W_h at 4, W_x at 5.
  // W_x item 5-7 (weights stall 5); the W_h item's data is there at 4 and the array free at 7,
  // but the partial sums the W_x item began at 5 are written back at 5 + 3 = 8: it starts at 8,
  // one accumulator stall, and runs to 10.
  // Tail: 10 + 2 = 12 -> h at 12 + 1 + 4 = 17; h_1 written from 17 (done 20), h_n and c_n from 18
  // (done 21). End 21 = 4 busy + 5 weights + 1 accumulator + 11 fill and drain.
  const SimResult r = SimulateTiny(1, 1, Architecture::kStallFree, 3, 1);
  EXPECT_EQ(r.cycles, 21);
  EXPECT_EQ(r.busy_cycles, 4);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.accumulator, 1);
  EXPECT_EQ(r.stalls.fill_drain, 11);
  EXPECT_EQ(r.idle_lane_pe_cycles + r.idle_row_pe_cycles, 0);
}

TEST(SimulatorByHand, TheLanesOfAGroupThatOneItemFillsIdle) {
  // 2 lanes of 1 row PE, 4 cycles an item: what the planner picks with a 3-cycle adder at batch
  // 1 (no lane meets its partial sums within 3 cycles). Two steps of one sample. Lanes have
  // their own banks, so two items of the same sample may share a lockstep group; the tail adds
  // the two lanes' sums (a tree of depth 1).
  // DRAM: x_0 at 0 -> 3; W_h at 1 -> 4; W_x at 2 -> 5; x_1 at 3 -> 6.
  // Step 0: the W_x item (lane 0) waits for its column: 5-9 (weights stall 5); the W_h item
  //   (column at 4, h_0 on chip) is ready by 5 and joins the group on lane 1.
  //   Tail: 9 + 2 + 1 = 12 -> h_1 at 12 + 1 + 4 = 17.
  // Step 1: the W_x item (x_1 at 6; lane 0 last began on these partial sums at 5, 5 + 3 <= 9)
  //   starts a group at 9-13. The W_h item needs h_1 (17): it cannot join a group that began at
  //   9, so that group ran with lane 1 empty (4 PE-cycles idle), and it starts its own at 17
  //   (a recurrence stall of 4), alone again (4 more idle): 17-21.
  //   Tail: 21 + 3 = 24 -> h_2 at 29; h_2 written from 29 (done 32), h_n and c_n from 30 (done 33).
  // End 33 = 12 busy + 5 weights + 4 recurrence + 12 fill and drain.
  const SimResult r = SimulateTiny(2, 1, Architecture::kStallFree, 3);
  EXPECT_EQ(r.cycles, 33);
  EXPECT_EQ(r.busy_cycles, 12);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.recurrence, 4);
  EXPECT_EQ(r.stalls.accumulator, 0);
  EXPECT_EQ(r.stalls.fill_drain, 12);
  EXPECT_EQ(r.idle_lane_pe_cycles, 2 * 4);
  EXPECT_EQ(r.macs, 16);
}

}  // namespace
}  // namespace sbe
