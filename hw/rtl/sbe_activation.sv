// An activation unit of the tail (sigmoid or tanh, by its table): Q4.11 pre-activation in,
// Q0.15 out, exactly Activate<L> of src/numeric/datapath-inl.h. One BRAM (the packed table of
// src/hw/activation_tables.cc) and one DSP; one value per cycle, LATENCY cycles later.
//   offset = preact + 2^15; segment k = offset[15:6], frac = offset[5:0];
//   act = Saturate16(T[k] + RoundShift((T[k+1] - T[k]) * frac, 6)).
module sbe_activation #(
    parameter TABLE_FILE = "sigmoid.mem"  // $readmemh: entry k = rise (31:16), start (15:0)
) (
    input  logic               clk,
    input  logic signed [15:0] preact,  // Q4.11
    output logic signed [15:0] act      // Q0.15, LATENCY cycles after preact
);
  // ROM read, interpolation (DSP), saturation. Documents the instances' timing (used by
  // sbe_cell_datapath's stage plan), so nothing here reads it.
  /* verilator lint_off UNUSEDPARAM */
  localparam int LATENCY = 3;
  /* verilator lint_on UNUSEDPARAM */

  logic [31:0] rom[0:1023];
  initial $readmemh(TABLE_FILE, rom);

  // preact + 2^15 is preact with its sign bit flipped.
  logic [15:0] offset;
  assign offset = {~preact[15], preact[14:0]};

  // Stage 1: the segment's entry (a registered read, so that it maps to block RAM).
  logic [31:0] entry;
  logic [5:0] frac;
  always_ff @(posedge clk) begin
    entry <= rom[offset[15:6]];
    frac <= offset[5:0];
  end

  // Stage 2: start + RoundShift(rise * frac, 6) = (rise * frac + start * 2^6 + 2^5) >>> 6,
  // exact since start * 2^6 is a multiple of 2^6: one multiply-add (a DSP with its P
  // register), the addend written as one operand so that synthesis packs it there.
  logic signed [21:0] addend;
  assign addend = {entry[15:0], 6'b100000};  // start * 2^6 + 2^5
  /* verilator lint_off UNUSEDSIGNAL */  // bits 5:0 are the fraction the shift drops
  logic signed [23:0] interp;
  /* verilator lint_on UNUSEDSIGNAL */
  always_ff @(posedge clk) interp <= 24'($signed(entry[31:16]) * $signed({1'b0, frac})) + 24'(addend);

  // Stage 3: saturation to 16 bits (never active with adjacent table entries, kept for
  // exactness with any table).
  logic signed [17:0] level;
  assign level = interp[23:6];
  always_ff @(posedge clk) begin
    if (level > 18'sd32767) act <= 16'sh7fff;
    else if (level < -18'sd32768) act <= 16'sh8000;
    else act <= level[15:0];
  end
endmodule
