// A memory of NB banks (NB a power of two) in which word a lives in bank a mod NB: any run of
// up to NB consecutive words is read or written in one cycle. The PE array reads a lockstep
// group's operands (consecutive items, samples inner) and the DMA moves whole beats this way.
// One write port, two read ports (A, B) and an optional third (C, one word: the tail's read of
// h_{t-1}) with one cycle of latency; each bank is a simple 1W2R (1W3R) memory, which
// synthesis builds from BRAM or LUTRAM (a copy per read port beyond the first where needed).
module sbe_banked_mem #(
    parameter int NB = 8,         // banks, a power of two
    parameter int WIDTH = 16,     // bits per word
    parameter int DEPTH = 1024,   // words in all (a multiple of NB)
    parameter int WR_WORDS = 8,   // words one write may cover
    parameter int RDA_WORDS = 8,  // words read A returns
    parameter int RDB_WORDS = 8,  // words read B returns
    parameter bit HAS_C = 0,      // a third read port of one word
    parameter int AW = 16         // word address bits
) (
    input  logic                      clk,
    input  logic                      we,
    input  logic [AW-1:0]             waddr,   // first word
    input  logic [$clog2(WR_WORDS+1)-1:0] wcount,  // words written: waddr, waddr + 1, ...
    input  logic [WR_WORDS*WIDTH-1:0] wdata,
    input  logic [AW-1:0]             raddr_a,
    output logic [RDA_WORDS*WIDTH-1:0] rdata_a,
    input  logic [AW-1:0]             raddr_b,
    output logic [RDB_WORDS*WIDTH-1:0] rdata_b,
    /* verilator lint_off UNUSEDSIGNAL */  // without port C, only its bank bits are read
    input  logic [AW-1:0]             raddr_c,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic [WIDTH-1:0]          rdata_c
);
  localparam int LB = $clog2(NB);
  localparam int BD = DEPTH / NB;  // words per bank
  localparam int BAW = (BD > 1) ? $clog2(BD) : 1;

  logic [NB*WIDTH-1:0] bank_a, bank_b, bank_c;  // registered bank outputs
  logic [LB-1:0] rot_a, rot_b, rot_c;            // the first word's bank, for the outputs' rotation

  for (genvar j = 0; j < NB; j++) begin : g_bank
    logic [WIDTH-1:0] mem[BD];
    // Word i of the write (i = (j - waddr) mod NB) lands in this bank.
    logic [LB-1:0] wi;
    // Only the bank-address bits of these are used (the low LB select the bank).
    /* verilator lint_off UNUSEDSIGNAL */
    logic [AW-1:0] wa, ra_a, ra_b;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [LB-1:0] ia, ib;
    always_comb begin
      wi = LB'(j) - waddr[LB-1:0];
      wa = waddr + AW'(wi);
      ia = LB'(j) - raddr_a[LB-1:0];
      ib = LB'(j) - raddr_b[LB-1:0];
      ra_a = raddr_a + AW'(ia);
      ra_b = raddr_b + AW'(ib);
    end
    always_ff @(posedge clk) begin
      if (we && 32'(wi) < 32'(wcount) && 32'(wi) < WR_WORDS)
        mem[wa[LB +: BAW]] <= wdata[32'(wi)*WIDTH +: WIDTH];
      bank_a[j*WIDTH +: WIDTH] <= mem[ra_a[LB +: BAW]];
      bank_b[j*WIDTH +: WIDTH] <= mem[ra_b[LB +: BAW]];
    end
    if (HAS_C) begin : g_c
      always_ff @(posedge clk) bank_c[j*WIDTH +: WIDTH] <= mem[raddr_c[LB +: BAW]];
    end else begin : g_no_c
      assign bank_c[j*WIDTH +: WIDTH] = '0;
    end
  end

  always_ff @(posedge clk) begin
    rot_a <= raddr_a[LB-1:0];
    rot_b <= raddr_b[LB-1:0];
    rot_c <= raddr_c[LB-1:0];
  end
  assign rdata_c = bank_c[32'(rot_c)*WIDTH +: WIDTH];

  // Output word i is bank (first + i) mod NB.
  always_comb begin
    for (int i = 0; i < RDA_WORDS; i++) rdata_a[i*WIDTH +: WIDTH] = bank_a[32'(LB'(rot_a + LB'(i)))*WIDTH +: WIDTH];
    for (int i = 0; i < RDB_WORDS; i++) rdata_b[i*WIDTH +: WIDTH] = bank_b[32'(LB'(rot_b + LB'(i)))*WIDTH +: WIDTH];
  end
endmodule
