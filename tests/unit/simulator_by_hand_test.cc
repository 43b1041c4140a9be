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
// = 2 cycles to the first data; MAC pipeline 2 cycles, adder 3, tail 4 cycles deep at one
// element a cycle; on-chip memory plenty (both weight matrices stay: case 1).
Board TwoPeBoard() {
  Board b;
  b.name = "two-pe";
  b.clock_mhz = 100;
  b.macs_per_cycle = 2;
  b.pe_counting = "test";
  b.word_bits = 16;
  b.onchip_bytes = 1 << 20;
  b.dram_gbs = 0.8;
  b.dram_latency_ns = 20;
  b.dram_burst_bytes = 8;
  b.dram_port_bits = 64;
  b.static_watts = 1;
  b.full_watts = 2;
  b.mac_latency = 2;
  b.adder_latency = 3;
  b.activation_latency = 4;
  b.tail_elements_per_cycle = 1;
  return b;
}

SimResult SimulateTiny(int64_t steps, int64_t batch, Architecture arch) {
  const LstmModel m = MakeRandomModel({1, 1, 1, false, true}, 5, "tiny");
  const QuantizedModel q = Calibrate(m, InputRange{});
  FixedInput x;
  x.x = Tensor<int16_t>({steps, batch, 1}, 100);
  const Board board = TwoPeBoard();
  std::string why;
  const auto plan = EvaluatePlan(q.shape, board, static_cast<int>(batch), 1, static_cast<int>(steps), true, &why);
  if (!plan) throw Error(why);
  EXPECT_EQ(plan->hidden_case, 1);
  EXPECT_EQ(plan->input_case, 1);
  SimOptions o;
  o.arch = arch;
  return Simulate(q, board, *plan, x, o);
}

// The schedule of one cell: load W_h (slot 2), load W_x (slot 3), then per step the input
// column, the hidden column and the tail. The PE array is 1 lane of 2 row-PEs (the
// organisation with no idle PE and the fewest cycles per item): a (column, sample) item takes
// 4 rows / 2 = 2 cycles. Every transfer here is one 8-byte burst, 1 cycle on the channel, done
// 2 + 1 cycles after it starts; the channel serves one transfer per cycle, in order of request.
TEST(SimulatorByHand, OneStepOneSample) {
  // DRAM: x_0 (2 bytes) at 0 -> ready 3; W_h (4 rows x 2 bytes) at 1 -> done 4; W_x at 2 ->
  // done 5.
  // PE: the W_x item waits for its column (5 > x at 3: a weights stall of 5 cycles), runs 5-7;
  // the W_h item (column at 4, h_0 on chip) follows at 7-9.
  // Tail: pre-activations 2 cycles after the last item, at 11; h_1 = 11 + 1 + 4 = 16.
  // DRAM: h_1 written from 16 (done 19), then h_n and c_n (6 bytes) from 17 (done 20).
  // End 20: the array's 4 busy cycles, 5 waiting for weights, 11 filling and draining.
  const SimResult r = SimulateTiny(1, 1, Architecture::kStallFree);
  EXPECT_EQ(r.cycles, 20);
  EXPECT_EQ(r.busy_cycles, 4);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.fill_drain, 11);
  EXPECT_EQ(r.stalls.input + r.stalls.recurrence + r.stalls.barrier + r.stalls.accumulator, 0);
  EXPECT_EQ(r.macs, 8);
  EXPECT_EQ(r.dram_read_bytes, 2 + 8 + 8);
  EXPECT_EQ(r.dram_write_bytes, 2 + 6);
}

TEST(SimulatorByHand, TwoStepsTwoSamplesInterleaved) {
  // DRAM: x_0 (4 bytes) at 0 -> 3; W_h at 1 -> 4; W_x at 2 -> 5; x_1 at 3 -> 6 (into the other
  // half of the x buffer while step 0 computes).
  // Step 0. W_x items of samples 0, 1: 5-7 (weights stall 5), 7-9. W_h items: 9-11, 11-13.
  //   Tail: sample 0's pre-activations at 13 -> h at 13 + 1 + 4 = 18; sample 1's at 15 -> 20.
  //   h_1 written at 20 (done 23).
  // Step 1. W_x items wait for x_1 (6) but the array is busy to 13: 13-15, 15-17. W_h items wait
  //   for h: sample 0's at 18 (a recurrence stall of 1 cycle), 18-20; sample 1's at 20, 20-22.
  //   Tail: 22 -> h at 27; 24 -> h at 29. h_2 written at 29 (done 32); h_n and c_n (12 bytes, two
  //   bursts) from 30, done 34.
  // End 34 = 16 busy + 5 weights + 1 recurrence + 12 fill and drain.
  const SimResult r = SimulateTiny(2, 2, Architecture::kStallFree);
  EXPECT_EQ(r.cycles, 34);
  EXPECT_EQ(r.busy_cycles, 16);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.recurrence, 1);
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
  const SimResult r = SimulateTiny(1, 1, Architecture::kBaseline);
  EXPECT_EQ(r.cycles, 28);
  EXPECT_EQ(r.busy_cycles, 4);
  EXPECT_EQ(r.stalls.weights, 5);
  EXPECT_EQ(r.stalls.accumulator, 8);
  EXPECT_EQ(r.stalls.fill_drain, 11);
  EXPECT_EQ(r.stalls.barrier + r.stalls.input + r.stalls.recurrence, 0);
}

}  // namespace
}  // namespace sbe
