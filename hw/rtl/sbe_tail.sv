// The tail: TAIL descriptors, one step's activations and cell update for the batch, element
// by element with the samples inner (the next step's column k needs element k of every
// sample, so they come out together: the stall-free order). For element (k, b) it adds the
// partial sums of the lanes sample b visited (b mod g, touched), gate rows 4k .. 4k + 3
// (interleaved, so in four different row PEs), then the golden datapath (sbe_cell_datapath)
// turns them into c and h. Its progress (elements written) lets the PE array start on h_t's
// column k before the step's tail is over.
//
// Per-sample lengths: `sbe hw emit` orders a batch's samples by decreasing length (as PyTorch's
// packed sequences do), so the samples whose sequence covers this step's time index are the
// first `active` of the batch; the others keep h_{t-1} (read beside c) and c.
//
// The hoisted input part: a TAIL descriptor marked `drain` moves a group of (step, sample) rows'
// input-part sums (a W_x row block's elements, the x part of the accumulators) into the
// input-part memory, one element's four gates a word, instead of running the cell; a TAIL
// marked `ipart` takes each element's x part from that memory instead of the lanes, and its h
// part from the accumulators' pair, where the recurrence then adds (sbe_pe_array).
`include "sbe_desc.svh"
module sbe_tail #(
    parameter int LANES = 4,
    parameter int ROW_LANES = 4,
    parameter int SLOTS = 4,
    parameter int CPI_MAX = 8,
    parameter int SAW = 14,
    parameter int CAW = 12,
    parameter int IDEPTH = 2,        // input-part words (4 x 32 bits)
    parameter SIGMOID_FILE = "sigmoid.mem",
    parameter TANH_FILE = "tanh.mem"
) (
    input  logic clk,
    input  logic rst,
    input  logic                      desc_valid,
    /* verilator lint_off UNUSEDSIGNAL */  // TAIL reads 13 of the 16 words, most in part
    input  logic [`SBE_DESC_BITS-1:0] desc,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                      desc_ready,
    // The partial sums (sbe_pe_array's tail port).
    output logic                                 t_par,
    output logic [$clog2(SLOTS > 1 ? SLOTS : 2)-1:0]             t_slot,
    // The element's chunk at its first gate row's PE; the row PEs before that PE (where its
    // gate rows wrap) read the next chunk.
    output logic [$clog2(CPI_MAX > 1 ? CPI_MAX : 2)-1:0] t_chunk,
    output logic [ROW_LANES-1:0]             t_next,
    input  logic [LANES*ROW_LANES*32-1:0]        t_acc_x,
    input  logic [LANES*ROW_LANES*32-1:0]        t_acc_h,
    input  logic [LANES*SLOTS-1:0]               t_touched_x,
    input  logic [LANES*SLOTS-1:0]               t_touched_h,
    output logic                                 t_clear,
    output logic                                 t_read,   // reading the sums of parity t_par
    output logic                                 t_single, // ... and the single memory's
    // Biases (4 consecutive 32-bit words) and c (one), one cycle of read latency.
    output logic [CAW-1:0] b_raddr,
    input  logic [127:0]   b_rdata,
    output logic [CAW-1:0] c_raddr,
    input  logic [31:0]    c_rdata,
    // h_{t-1} (state memory), one cycle of read latency.
    output logic [SAW-1:0] h_raddr,
    input  logic [15:0]    h_rdata,
    // Writes of h (state memory) and c (cell memory).
    output logic           h_we,
    output logic [SAW-1:0] h_waddr,
    output logic [15:0]    h_wdata,
    output logic           c_we,
    output logic [CAW-1:0] c_waddr,
    output logic [31:0]    c_wdata,
    output logic [15:0] done_count,
    output logic [15:0] active_index,
    output logic [31:0] elems,         // elements of the active descriptor written
    output logic        busy,
    output logic [31:0] sat_preacts,   // saturation counts (docs/FIXED_POINT.md)
    output logic [31:0] sat_cells
);
  localparam int R = ROW_LANES;
  localparam int SB = (SLOTS > 1) ? $clog2(SLOTS) : 1;
  localparam int CB = (CPI_MAX > 1) ? $clog2(CPI_MAX) : 1;
  localparam int LL = (LANES > 1) ? $clog2(LANES) : 1;
  localparam int RB = (R > 1) ? $clog2(R) : 1;

  logic        active, issuing;
  logic [31:0] d_H, d_B, d_hbase, d_cbase, d_bbase, d_g, d_total, d_hold, d_active;
  logic signed [7:0] d_xs, d_hs;
  logic [4:0]  d_hfrac;
  logic        d_par, d_drain, d_ipart;
  // The input-part memory's word of the element being issued: base + k + b x stride.
  localparam int IAW = (IDEPTH > 1) ? $clog2(IDEPTH) : 1;
  logic [31:0] d_istride, e_ik, e_ia;
  logic [127:0] imem[IDEPTH];
  logic [127:0] iq;
  always_ff @(posedge clk) iq <= imem[IAW'(e_ia)];
  // The element being issued: k, b, b mod g, b div g, row 4k as (chunk, PE).
  logic [31:0] e_k, e_b, e_bg, e_slot, e_n;
  logic [31:0] e_chunk0;
  logic [RB-1:0] e_pe0;
  logic [31:0] written, issued;

  assign desc_ready = !active;
  assign busy = active;
  assign t_par = d_par;
  assign t_slot = SB'(e_slot);

  // Gate g's row PE and chunk.
  logic [RB-1:0] gpe[4];
  always_comb begin
    for (int g = 0; g < 4; g++) gpe[g] = (32'(e_pe0) + g >= R) ? RB'(32'(e_pe0) + g - R) : RB'(32'(e_pe0) + g);
    for (int p = 0; p < R; p++) t_next[p] = p < 32'(e_pe0);
  end
  assign t_chunk = CB'(e_chunk0);
  assign b_raddr = CAW'(d_bbase + 4 * e_k);
  assign c_raddr = CAW'(d_cbase + e_n);
  assign h_raddr = SAW'(d_hold + e_n);

  // Each lane's l mod g, counted once per descriptor (no divider in the tail).
  logic [LANES*(LL+1)-1:0] lres, lres_next;
  always_comb begin
    logic [LL:0] r;
    r = '0;
    for (int l = 0; l < LANES; l++) begin
      lres_next[l*(LL+1) +: LL+1] = r;
      r = (32'(r) + 1 == `SBE_W(desc, 8)) ? '0 : r + 1'b1;
    end
  end
  always_ff @(posedge clk) begin
    if (desc_valid && desc_ready) lres <= lres_next;
  end

  // T1: the lanes' sums of the four gate rows, this sample's lanes only.
  logic        v1, a1;
  logic [31:0] n1;
  logic [LANES*32*4-1:0] ax1, ah1;  // per lane, per gate
  logic [LANES-1:0] mx1, mh1;
  logic [IAW-1:0] ia1, ia2;
  // Each lane's four gate rows of the element. When ROW_LANES is a multiple of four they are
  // one aligned quad of row PEs (row 4k starts at a multiple of four): a mux over the R / 4
  // quads, where any four row PEs would take four R-way muxes (and Yosys an hour to map them
  // at R = 224).
  logic [LANES*32*4-1:0] gx, gh;
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      if (R % 4 == 0) begin
        gx[l*128 +: 128] = '0;
        gh[l*128 +: 128] = '0;
        for (int q = 0; q < R / 4; q++) begin
          if (32'(e_pe0) == 4 * q) begin
            gx[l*128 +: 128] = t_acc_x[(l*R + 4*q)*32 +: 128];
            gh[l*128 +: 128] = t_acc_h[(l*R + 4*q)*32 +: 128];
          end
        end
      end else begin
        for (int g = 0; g < 4; g++) begin
          gx[(l*4 + g)*32 +: 32] = t_acc_x[(l*R + 32'(gpe[g]))*32 +: 32];
          gh[(l*4 + g)*32 +: 32] = t_acc_h[(l*R + 32'(gpe[g]))*32 +: 32];
        end
      end
    end
  end
  always_ff @(posedge clk) begin
    v1 <= issuing;
    a1 <= e_b < d_active;
    n1 <= e_n;
    ia1 <= IAW'(e_ia);
    ax1 <= gx;
    ah1 <= gh;
    for (int l = 0; l < LANES; l++) begin
      // Lane l holds sample b's sums when l = b (mod g) and an item touched them.
      mx1[l] <= lres[l*(LL+1) +: LL+1] == (LL+1)'(e_bg) && t_touched_x[l*SLOTS + 32'(SB'(e_slot))];
      mh1[l] <= lres[l*(LL+1) +: LL+1] == (LL+1)'(e_bg) && t_touched_h[l*SLOTS + 32'(SB'(e_slot))];
    end
  end
  logic        v2, a2;
  logic [15:0] hold2;
  logic [31:0] n2;
  logic [127:0] sx2, sh2, bias2;
  logic [31:0] c2;
  always_ff @(posedge clk) begin
    v2 <= v1;
    a2 <= a1;
    ia2 <= ia1;
    hold2 <= h_rdata;
    n2 <= n1;
    bias2 <= b_rdata;
    c2 <= c_rdata;
    for (int g = 0; g < 4; g++) begin
      logic signed [31:0] sx, sh;
      sx = 0;
      sh = 0;
      for (int l = 0; l < LANES; l++) begin
        if (mx1[l]) sx = sx + $signed(ax1[(l*4 + g)*32 +: 32]);
        if (mh1[l]) sh = sh + $signed(ah1[(l*4 + g)*32 +: 32]);
      end
      sx2[g*32 +: 32] <= d_ipart ? iq[g*32 +: 32] : sx;
      sh2[g*32 +: 32] <= d_ipart ? sx : sh;
    end
  end

  // The element's index travels with it through the datapath, and whether it runs (else the
  // h it keeps).
  logic        out_valid, out_active;
  logic [15:0] out_hold;
  logic [31:0] out_n;
  logic [31:0] c_out;
  logic [15:0] h_out;
  logic [2:0]  sat_p;
  logic        sat_c;
  sbe_cell_datapath #(.TAG_BITS(49), .SIGMOID_FILE(SIGMOID_FILE), .TANH_FILE(TANH_FILE)) datapath (
      .clk(clk), .in_valid(v2 && !d_drain), .in_tag({a2, hold2, n2}), .acc_x(sx2), .acc_h(sh2), .bias(bias2), .c_in(c2),
      .x_shift(d_xs), .h_shift(d_hs), .h_frac(d_hfrac),
      .out_valid(out_valid), .out_tag({out_active, out_hold, out_n}), .c_out(c_out), .h_out(h_out),
      .sat_preact(sat_p), .sat_cell(sat_c));

  assign h_we = out_valid;
  assign h_waddr = SAW'(d_hbase + out_n);
  assign h_wdata = out_active ? h_out : out_hold;
  assign c_we = out_valid && out_active;
  assign c_waddr = CAW'(d_cbase + out_n);
  assign c_wdata = c_out;

  // A drained element goes to the input-part memory as its lanes' sums are in.
  logic drained;
  assign drained = v2 && d_drain;
  always_ff @(posedge clk) if (drained) imem[ia2] <= sx2;
  logic wrote;
  assign wrote = out_valid || drained;

  // The last element written: the parity's accumulators are free (cleared with the count, so
  // the PE array, which waits for the count, never sees them stale).
  assign t_clear = wrote && written + 1 == d_total;
  assign t_read = issuing;
  // A step's tail per step reads its h part from the single memory; drained and ipart tails
  // read only the pair (hoisted, the recurrence's h part is there).
  assign t_single = !d_drain && !d_ipart;

  always_ff @(posedge clk) begin
    if (rst) begin
      active <= 1'b0;
      issuing <= 1'b0;
      done_count <= '0;
      active_index <= '0;
      elems <= '0;
      sat_preacts <= '0;
      sat_cells <= '0;
    end else begin
      if (desc_valid && desc_ready) begin
        active <= 1'b1;
        issuing <= 1'b1;
        d_H <= `SBE_W(desc, 3);
        d_B <= `SBE_W(desc, 4);
        d_hbase <= `SBE_W(desc, 5);
        d_cbase <= `SBE_W(desc, 6);
        d_bbase <= `SBE_W(desc, 7);
        d_g <= `SBE_W(desc, 8);
        d_xs <= `SBE_F(desc, 9, 7, 0);
        d_hs <= `SBE_F(desc, 10, 7, 0);
        d_hfrac <= `SBE_F(desc, 11, 4, 0);
        d_hold <= `SBE_W(desc, 12);
        d_par <= `SBE_F(desc, 13, 0, 0);
        d_drain <= `SBE_F(desc, 0, 6, 6);
        d_ipart <= `SBE_F(desc, 0, 7, 7);
        d_istride <= `SBE_F(desc, 0, 6, 6) ? `SBE_W(desc, 5) : `SBE_W(desc, 3);
        e_ik <= {8'd0, `SBE_F(desc, 13, 31, 8)};
        e_ia <= {8'd0, `SBE_F(desc, 13, 31, 8)};
        d_total <= `SBE_W(desc, 14);
        d_active <= `SBE_W(desc, 15);
        e_k <= '0;
        e_b <= '0;
        e_bg <= '0;
        e_slot <= '0;
        e_n <= '0;
        e_chunk0 <= '0;
        e_pe0 <= '0;
        written <= '0;
        issued <= '0;
        elems <= '0;
      end
      if (issuing) begin
        e_n <= e_n + 1;
        issued <= issued + 1;
        if (e_b + 1 == d_B) begin
          e_ik <= e_ik + 1;
          e_ia <= e_ik + 1;
        end else begin
          e_ia <= e_ia + d_istride;
        end
        if (e_b + 1 == d_B) begin
          e_b <= '0;
          e_bg <= '0;
          e_slot <= '0;
          e_k <= e_k + 1;
          if (32'(e_pe0) + 4 >= R) begin
            e_pe0 <= RB'(32'(e_pe0) + 4 - R);
            e_chunk0 <= e_chunk0 + 1;
          end else begin
            e_pe0 <= e_pe0 + RB'(4);
          end
          if (e_k + 1 == d_H) issuing <= 1'b0;
        end else if (e_bg + 1 == d_g) begin
          e_b <= e_b + 1;
          e_bg <= '0;
          e_slot <= e_slot + 1;
        end else begin
          e_b <= e_b + 1;
          e_bg <= e_bg + 1;
        end
      end
      if (wrote) begin
        written <= written + 1;
        elems <= elems + 1;
        if (out_valid && out_active) begin
          sat_preacts <= sat_preacts + 32'(sat_p);
          sat_cells <= sat_cells + 32'(sat_c);
        end
        if (written + 1 == d_total) begin
          active <= 1'b0;
          done_count <= done_count + 16'd1;
          active_index <= active_index + 16'd1;
        end
      end
    end
  end
endmodule
