// The tail's datapath for one element (hidden unit k of one sample): the accumulator sums of
// its four gate rows to pre-activations, the activations, the cell update and h. Bit for bit
// the golden model's steps (src/numeric/datapath-inl.h on one 64-bit lane): fx::InputPart,
// fx::Preactivation, fx::Sigmoid/Tanh, fx::UpdateCell. Fully pipelined: one element per
// cycle, its results LATENCY cycles after it enters.
//
// Stages (each multiply is one registered stage, a DSP):
//   1  RoundShift of the 8 sums, as a shifted value and its rounding bit
//   2  z = input part + hidden part (exact: 65 bits)
//   3  Saturate(z, 16): the pre-activations address the activation ROMs
//   4  interpolation (DSP)                       5  gate values i, f, g, o
//   6  products f*hi(c), f*lo(c), i*g (DSPs)      7  f*c + i*g
//   8  c_next = Saturate(., 32); tanh ROM        9  interpolation (DSP)
//   10 tanh(c_next)                              11 o * tanh(c_next) (DSP)
//   12 h = Saturate(RoundShift(., 30 - h_frac), 16)
module sbe_cell_datapath #(
    parameter int TAG_BITS = 8,
    parameter SIGMOID_FILE = "sigmoid.mem",
    parameter TANH_FILE = "tanh.mem"
) (
    input  logic                clk,
    input  logic                in_valid,
    input  logic [TAG_BITS-1:0] in_tag,
    // Signed 32-bit sums of the gate rows i (31:0), f, g, o (127:96): the input part's,
    // the hidden part's, and the biases (fx::kBias, Q.11).
    input  logic [127:0]        acc_x,
    input  logic [127:0]        acc_h,
    input  logic [127:0]        bias,
    input  logic [31:0]         c_in,        // fx::kCell, Q16.15
    input  logic signed [7:0]   x_shift,     // right shifts to Q4.11, in [-31, 127]; <= 0: left
    input  logic signed [7:0]   h_shift,
    input  logic [4:0]          h_frac,      // the layer's h format is Q0.h_frac
    output logic                out_valid,
    output logic [TAG_BITS-1:0] out_tag,
    output logic [31:0]         c_out,       // fx::kCell
    output logic [15:0]         h_out,       // Q0.h_frac
    output logic [2:0]          sat_preact,  // how many of the 4 pre-activations saturated
    output logic                sat_cell     // c_out is the 32-bit max or min
);
  // In cycles from in_valid to out_valid (the stages above).
  localparam int LATENCY /*verilator public*/ = 12;  // public: the testbench checks it

  // RoundShift(v, s) = floor(v * 2^-s) + (s > 0 ? bit s-1 of v : 0), datapath-inl.h. One
  // arithmetic right shift of v * 2^32 by 31 + s gives both: the floor above its bit 0 and
  // the rounding bit in it. s >= 32 rounds every v to 0 (as the golden model's 64-bit shift
  // does), so it is taken as 32; left shifts are exact to -31, the range the RTL supports.
  function automatic logic [63:0] shift_parts(input logic [31:0] v, input logic signed [7:0] s);
    logic signed [7:0] sc;
    logic [5:0] amount;
    begin
      sc = (s > 8'sd32) ? 8'sd32 : (s < -8'sd31) ? -8'sd31 : s;
      amount = 6'(sc + 8'sd31);
      shift_parts = $signed({v, 32'd0}) >>> amount;
    end
  endfunction

  // ---------------------------------------------------------------- gate rows: stages 1-5
  logic [63:0] gate;      // i, f, g, o (Q0.15), registered in the activation units (stage 5)
  logic [3:0] pre_sat;    // the pre-activation saturated (stage 3)

  for (genvar r = 0; r < 4; r++) begin : g_row
    logic [63:0] x_sh, h_sh;  // stage 1: {RoundShift's floor, its rounding bit}
    logic signed [31:0] b;
    logic signed [64:0] z;    // stage 2: exact (each part within ±2^62)
    logic signed [15:0] pre;

    always_ff @(posedge clk) begin
      x_sh <= shift_parts(acc_x[32*r+:32], x_shift);
      h_sh <= shift_parts(acc_h[32*r+:32], h_shift);
      b <= bias[32*r+:32];
      z <= {{2{x_sh[63]}}, x_sh[63:1]} + {{2{h_sh[63]}}, h_sh[63:1]} + {{33{b[31]}}, b} +
           {64'd0, x_sh[0]} + {64'd0, h_sh[0]};
    end

    always_comb begin
      pre_sat[r] = (z > 65'sd32767) || (z < -65'sd32768);
      if (z > 65'sd32767) pre = 16'sh7fff;
      else if (z < -65'sd32768) pre = 16'sh8000;
      else pre = z[15:0];
    end

    if (r == 2) begin : g_tanh
      sbe_activation #(.TABLE_FILE(TANH_FILE)) u_act (.clk, .preact(pre), .act(gate[16*r+:16]));
    end else begin : g_sigmoid
      sbe_activation #(.TABLE_FILE(SIGMOID_FILE)) u_act (.clk, .preact(pre), .act(gate[16*r+:16]));
    end
  end

  // ---------------------------------------------------------------- side pipelines
  // Slot j of each holds its value of stage (first stage + j).
  logic [LATENCY-1:0] valid_d;            // stages 1..12
  // No reset port: the valid pipeline starts empty (an FPGA flip-flop's INIT) and drains
  // by itself within LATENCY cycles of in_valid going low.
  initial valid_d = '0;
  logic [LATENCY*TAG_BITS-1:0] tag_d;     // stages 1..12
  logic [5*32-1:0] c_d;                   // stages 1..5
  logic [11*5-1:0] frac_d;                // stages 1..11
  logic [10*3-1:0] sat_preact_d;          // stages 3..12
  logic [5*16-1:0] o_d;                   // stages 6..10
  logic [2:0] sat_count;

  assign sat_count = 3'(pre_sat[0]) + 3'(pre_sat[1]) + 3'(pre_sat[2]) + 3'(pre_sat[3]);

  always_ff @(posedge clk) begin
    valid_d <= {valid_d[LATENCY-2:0], in_valid};
    tag_d <= {tag_d[(LATENCY-1)*TAG_BITS-1:0], in_tag};
    c_d <= {c_d[4*32-1:0], c_in};
    frac_d <= {frac_d[10*5-1:0], h_frac};
    sat_preact_d <= {sat_preact_d[9*3-1:0], sat_count};
    o_d <= {o_d[4*16-1:0], gate[63:48]};
  end

  // ---------------------------------------------------------------- cell update: stages 6-8
  // As UpdateCell<L>: with c = hi * 2^15 + lo, RoundShift(f*c, 15) = f*hi + RoundShift(f*lo, 15),
  // and RoundShift(p, 15) = (p + 2^14) >>> 15 (the DSP adds the half).
  logic signed [15:0] g_i, g_f, g_g;
  logic signed [31:0] c5;
  assign g_i = gate[15:0];
  assign g_f = gate[31:16];
  assign g_g = gate[47:32];
  assign c5 = c_d[4*32+:32];

  logic signed [32:0] f_hi;  // stage 6
  logic signed [31:0] f_lo, i_g;
  logic signed [33:0] c_sum;  // stage 7
  always_ff @(posedge clk) begin
    f_hi <= 33'(g_f * $signed(c5[31:15]));
    f_lo <= 32'(g_f * $signed({1'b0, c5[14:0]})) + 32'sd16384;
    i_g <= 32'(g_i * g_g) + 32'sd16384;
    c_sum <= 34'(f_hi) + (34'(f_lo) >>> 15) + (34'(i_g) >>> 15);
  end

  // Stage 8: c_next = Saturate(c_sum, 32). tanh reads Saturate(RoundShift(c_next, 4), 16),
  // which equals Saturate(RoundShift(c_sum, 4), 16): both are monotone and c_sum leaves the
  // 32-bit range only far beyond ±16 in Q4.11.
  logic [31:0] c_next;
  logic c_sat;
  logic signed [30:0] c_q11;  // RoundShift(c_sum, 4)
  logic signed [15:0] t_pre;
  always_comb begin
    c_sat = (c_sum >= 34'sd2147483647) || (c_sum <= -34'sd2147483648);
    if (c_sum > 34'sd2147483647) c_next = 32'h7fffffff;
    else if (c_sum < -34'sd2147483648) c_next = 32'h80000000;
    else c_next = c_sum[31:0];
    c_q11 = 31'((c_sum + 34'sd8) >>> 4);
    if (c_q11 > 31'sd32767) t_pre = 16'sh7fff;
    else if (c_q11 < -31'sd32768) t_pre = 16'sh8000;
    else t_pre = c_q11[15:0];
  end

  logic [5*32-1:0] c_next_d;  // stages 8..12
  logic [4:0] c_sat_d;
  always_ff @(posedge clk) begin
    c_next_d <= {c_next_d[4*32-1:0], c_next};
    c_sat_d <= {c_sat_d[3:0], c_sat};
  end

  // ---------------------------------------------------------------- h: stages 8-12
  logic signed [15:0] t;  // tanh(c_next), stage 10
  sbe_activation #(.TABLE_FILE(TANH_FILE)) u_tanh_c (.clk, .preact(t_pre), .act(t));

  // Stage 11: o * t + the half of RoundShift(., 30 - h_frac) (none for a shift <= 0).
  logic signed [15:0] o10;
  logic [4:0] frac10, frac11;
  logic signed [33:0] half, o_t;
  assign o10 = o_d[4*16+:16];
  assign frac10 = frac_d[9*5+:5];
  assign frac11 = frac_d[10*5+:5];
  assign half = (frac10 < 5'd30) ? 34'sd1 <<< (5'd29 - frac10) : 34'sd0;
  always_ff @(posedge clk) o_t <= 34'(o10 * t) + half;

  // Stage 12: the shift (h_frac 31 is a left shift by 1) and the saturation.
  logic signed [33:0] h_wide;
  logic [15:0] h;
  always_comb begin
    if (frac11 == 5'd31) h_wide = o_t <<< 1;
    else h_wide = o_t >>> (5'd30 - frac11);
    if (h_wide > 34'sd32767) h = 16'h7fff;
    else if (h_wide < -34'sd32768) h = 16'h8000;
    else h = h_wide[15:0];
  end
  always_ff @(posedge clk) h_out <= h;

  assign out_valid = valid_d[LATENCY-1];
  assign out_tag = tag_d[(LATENCY-1)*TAG_BITS+:TAG_BITS];
  assign c_out = c_next_d[4*32+:32];
  assign sat_cell = c_sat_d[4];
  assign sat_preact = sat_preact_d[9*3+:3];
endmodule
