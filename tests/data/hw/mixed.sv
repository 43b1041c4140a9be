// Test data for tests/unit/hw_tools_test.cc (see README.md): a little of everything synth_xilinx
// maps to.
module mixed (
  input logic clk, input logic arst, input logic we,
  input logic signed [15:0] a, b,
  input logic [9:0] waddr, raddr, input logic [6:0] laddr,
  input logic [4:0] sel,
  output logic signed [31:0] acc, output logic [63:0] big_q, output logic [17:0] small_q,
  output logic [15:0] lq, output logic [15:0] lq2, output logic tap, output logic [23:0] sum,
  output logic pick, output logic [5:0] sq, output logic bit_q);
  logic [5:0] small32 [32];
  logic bit_mem [128];
  logic [63:0] big_mem [1024];
  logic [17:0] small_mem [1024];
  logic [15:0] lut_mem [64];
  logic [15:0] lut_mem2 [128];
  logic [31:0] shreg;
  logic signed [15:0] ar, br;
  logic [23:0] cnt;
  always_ff @(posedge clk) begin
    ar <= a; br <= b; acc <= acc + ar * br;
    if (we) big_mem[waddr] <= {a, b, a, b};
    big_q <= big_mem[raddr];
    if (we) small_mem[waddr] <= {a[1:0], b};
    small_q <= small_mem[raddr];
    if (we) lut_mem[laddr[5:0]] <= a;
    lq <= lut_mem[raddr[5:0]];
    if (we) lut_mem2[laddr] <= b;
    lq2 <= lut_mem2[raddr[6:0]];
    shreg <= {shreg[30:0], a[0]};
    tap <= shreg[31];
    pick <= cnt[sel];
    if (we) small32[laddr[4:0]] <= a[5:0];
    sq <= small32[raddr[4:0]];
    if (we) bit_mem[laddr] <= b[0];
    bit_q <= bit_mem[raddr[6:0]];
  end
  always_ff @(posedge clk or posedge arst) begin
    if (arst) cnt <= 24'hABCDEF; else cnt <= cnt + {8'd0, a};
  end
  assign sum = cnt;
endmodule
