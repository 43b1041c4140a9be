// The load engine: LOAD descriptors, DRAM to on-chip memory over the AXI read channels. The
// address side runs ahead into the next descriptor while the data side still fills the last
// one (a FIFO of descriptors between them), so one DRAM latency is paid per stream of loads,
// as the simulator's channel pays it. Weights arrive column-major in chunks (docs/HARDWARE.md,
// "DRAM layout"); the data side counts columns so that the PE array can start on column k of
// a block as soon as it is in (cols_done), the stall-free order's streaming.
`include "sbe_desc.svh"
module sbe_load_engine #(
    parameter int AXI_BITS = 128,
    parameter int LANES = 4,
    parameter int ROW_LANES = 4,
    parameter int WAW = 12,   // weight bank word address bits
    parameter int SAW = 14,   // state word address bits
    parameter int CAW = 12    // cell / bias word address bits
) (
    input  logic clk,
    input  logic rst,
    // The next LOAD descriptor, its waits satisfied.
    input  logic                     desc_valid,
    /* verilator lint_off UNUSEDSIGNAL */  // a LOAD reads a few of the 16 words
    input  logic [`SBE_DESC_BITS-1:0] desc,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                     desc_ready,
    // AXI read address (through the port's arbiter) and data (routed to us).
    output logic        arvalid,
    input  logic        arready,
    output logic [31:0] araddr,
    output logic [7:0]  arlen,
    input  logic                rvalid,
    output logic                rready,
    input  logic [AXI_BITS-1:0] rdata,
    // Weight banks: one beat into bank `w_bank`: row PE p's word at `w_addr` (+ 1 where
    // `w_next`: the beat runs on into the column's next chunk), where `w_mask`.
    output logic                      w_we,
    output logic [$clog2(LANES > 1 ? LANES : 2)-1:0] w_bank,
    output logic [WAW-1:0]            w_addr,
    output logic [ROW_LANES-1:0]      w_mask,
    output logic [ROW_LANES-1:0]      w_next,
    output logic [ROW_LANES*16-1:0]   w_data,
    // State (16-bit), cell and bias (32-bit) memories: `count` words from `addr`.
    output logic                      s_we,
    output logic [SAW-1:0]            s_addr,
    output logic [$clog2(AXI_BITS/16+1)-1:0] s_count,
    output logic [AXI_BITS-1:0]       s_data,
    input  logic                      s_grant,  // the state memory's write port is ours this cycle
    output logic                      c_we,     // cell memory
    output logic                      b_we,     // bias memory
    output logic [CAW-1:0]            c_addr,
    output logic [$clog2(AXI_BITS/32+1)-1:0] c_count,
    output logic [AXI_BITS-1:0]       c_data,
    input  logic                      c_grant,
    // Progress: descriptors finished, the one being filled and its complete columns.
    output logic [15:0] done_count,
    output logic        busy,
    output logic [15:0] active_index,
    output logic [31:0] cols_done
);
  localparam int BW = AXI_BITS / 16;                 // 16-bit words per beat
  localparam int BW32 = AXI_BITS / 32;
  // Rows a beat carries: a whole beat when a chunk holds at least one (the column packed), else
  // one chunk per beat.
  localparam int S = (BW < ROW_LANES) ? BW : ROW_LANES;
  localparam int RB = (ROW_LANES > 1) ? $clog2(ROW_LANES) : 1;
  localparam int BEAT_BYTES = AXI_BITS / 8;
  localparam int LL = (LANES > 1) ? $clog2(LANES) : 1;

  // ---------------------------------------------------------------- address side
  logic [31:0] a_addr, a_beats;  // the next burst's address, beats left to request
  logic        a_active;
  logic [15:0] a_index;          // LOAD descriptors accepted
  // Descriptors between the address side and the data side.
  localparam int QD = 4;
  logic [1:0]  q_target[QD];
  logic [31:0] q_beats[QD], q_taddr[QD], q_words[QD], q_cpi[QD], q_colbeats[QD], q_rows[QD];
  logic [15:0] q_index[QD];
  logic [$clog2(QD):0] q_count;
  logic [$clog2(QD)-1:0] q_head, q_tail;

  // A burst: at most 16 beats, never across a 4 KB boundary (AXI's rule).
  logic [31:0] to_boundary, burst;
  always_comb begin
    to_boundary = (32'd4096 - {20'd0, a_addr[11:0]}) / BEAT_BYTES;
    burst = a_beats;
    if (burst > 16) burst = 16;
    if (burst > to_boundary) burst = to_boundary;
  end
  assign arvalid = a_active;
  assign araddr = a_addr;
  assign arlen = 8'(burst - 1);
  assign desc_ready = !a_active && (32'(q_count) < QD);

  // ---------------------------------------------------------------- data side
  logic        d_active;
  logic [1:0]  d_target;
  logic [31:0] d_beats, d_words, d_cpi;
  logic [31:0] d_waddr;           // weights: bank word of the column's chunk; else word address
  logic [31:0] d_colbase;         // weights: bank word of chunk 0 of the column
  logic [LL-1:0] d_kmod;          // weights: column mod LANES (the bank)
  logic [31:0] d_cb, d_colbeats;  // weights: beat in the column, beats a column takes
  logic [31:0] d_r0, d_rows;      // weights: the beat's first row, the column's rows
  logic [RB-1:0] d_pe0;           // weights: the row PE of the beat's first word
  logic        d_take;

  assign busy = d_active || q_count != 0 || a_active;
  assign rready = d_active && (d_target == `SBE_TGT_WEIGHTS ||
                               (d_target == `SBE_TGT_STATE ? s_grant : c_grant));
  assign d_take = rvalid && rready;

  // Rows of the column still to come, as many as a beat can carry: one subtraction for every
  // row PE's mask.
  logic [31:0] d_left;
  assign d_left = (d_rows - d_r0 < S) ? d_rows - d_r0 : S;
  always_comb begin
    w_we = d_take && d_target == `SBE_TGT_WEIGHTS;
    w_bank = d_kmod;
    w_addr = WAW'(d_waddr);
    w_mask = '0;
    w_next = '0;
    w_data = '0;
    for (int p = 0; p < ROW_LANES; p++) begin
      if (ROW_LANES % S == 0) begin
        // A beat's first row PE is always a multiple of S and the beat never wraps into the
        // next chunk: row PE p takes word p mod S, a wire, not a mux over the beat.
        if (32'(d_pe0) == (p / S) * S && 32'(p % S) < d_left) w_mask[p] = 1'b1;
        w_data[p*16 +: 16] = rdata[(p % S)*16 +: 16];
      end else begin
        logic [RB:0] i;  // the beat's word that lands in row PE p
        i = (p >= 32'(d_pe0)) ? (RB+1)'(p) - (RB+1)'(d_pe0) : (RB+1)'(p + ROW_LANES) - (RB+1)'(d_pe0);
        if (32'(i) < d_left) begin
          w_mask[p] = 1'b1;
          w_next[p] = p < 32'(d_pe0);
          w_data[p*16 +: 16] = rdata[(32'(i) % BW)*16 +: 16];
        end
      end
    end
    s_we = d_take && d_target == `SBE_TGT_STATE;
    s_addr = SAW'(d_waddr);
    s_count = (d_words > BW) ? ($clog2(BW+1))'(BW) : ($clog2(BW+1))'(d_words);
    s_data = rdata;
    c_we = d_take && d_target == `SBE_TGT_CELL;
    b_we = d_take && d_target == `SBE_TGT_BIAS;
    c_addr = CAW'(d_waddr);
    c_count = (d_words > BW32) ? ($clog2(BW32+1))'(BW32) : ($clog2(BW32+1))'(d_words);
    c_data = rdata;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      a_active <= 1'b0;
      a_index <= '0;
      q_count <= '0;
      q_head <= '0;
      q_tail <= '0;
      d_active <= 1'b0;
      done_count <= '0;
      active_index <= '0;
      cols_done <= '0;
    end else begin
      // Address side.
      if (desc_valid && desc_ready) begin
        a_active <= 1'b1;
        a_addr <= `SBE_W(desc, 3);
        a_beats <= `SBE_W(desc, 4);
        q_target[q_tail] <= `SBE_F(desc, 0, 9, 8);
        q_beats[q_tail] <= `SBE_W(desc, 4);
        q_taddr[q_tail] <= `SBE_W(desc, 5);
        q_words[q_tail] <= `SBE_W(desc, 6);
        q_cpi[q_tail] <= `SBE_W(desc, 6);
        q_colbeats[q_tail] <= `SBE_W(desc, 7);
        q_rows[q_tail] <= `SBE_W(desc, 8);
        q_index[q_tail] <= a_index;
        q_tail <= q_tail + 1'b1;
        a_index <= a_index + 16'd1;
      end else if (a_active && arready) begin
        a_addr <= a_addr + burst * BEAT_BYTES;
        a_beats <= a_beats - burst;
        if (a_beats == burst) a_active <= 1'b0;
      end
      // Data side: start the next queued descriptor.
      if (!d_active && q_count != 0) begin
        d_active <= 1'b1;
        d_target <= q_target[q_head];
        d_beats <= q_beats[q_head];
        d_words <= q_words[q_head];
        d_cpi <= q_cpi[q_head];
        d_waddr <= q_taddr[q_head];
        d_colbase <= q_taddr[q_head];
        d_kmod <= '0;
        d_cb <= '0;
        d_r0 <= '0;
        d_pe0 <= '0;
        d_colbeats <= q_colbeats[q_head];
        d_rows <= q_rows[q_head];
        active_index <= q_index[q_head];
        cols_done <= '0;
        q_head <= q_head + 1'b1;
      end
      if (d_take) begin
        d_beats <= d_beats - 1;
        if (d_target == `SBE_TGT_WEIGHTS) begin
          if (d_cb == d_colbeats - 1) begin
            // The column is complete (its last chunk may be short: rows are not padded to
            // whole chunks in DRAM); the next one is in the next bank.
            d_cb <= '0;
            d_r0 <= '0;
            d_pe0 <= '0;
            cols_done <= cols_done + 1;
            if (32'(d_kmod) == LANES - 1) begin
              d_kmod <= '0;
              d_colbase <= d_colbase + d_cpi;
              d_waddr <= d_colbase + d_cpi;
            end else begin
              d_kmod <= d_kmod + 1'b1;
              d_waddr <= d_colbase;
            end
          end else begin
            d_cb <= d_cb + 1;
            d_r0 <= d_r0 + S;
            if (32'(d_pe0) + S >= ROW_LANES) begin
              d_pe0 <= RB'(32'(d_pe0) + S - ROW_LANES);
              d_waddr <= d_waddr + 1;
            end else begin
              d_pe0 <= d_pe0 + RB'(S);
            end
          end
        end else if (d_target == `SBE_TGT_STATE) begin
          d_waddr <= d_waddr + BW;
          d_words <= (d_words > BW) ? d_words - BW : 0;
        end else begin
          d_waddr <= d_waddr + BW32;
          d_words <= (d_words > BW32) ? d_words - BW32 : 0;
        end
        if (d_beats == 1) begin
          d_active <= 1'b0;
          done_count <= done_count + 16'd1;
        end
      end
      // The queue's count: pushes by the address side, pops by the data side.
      q_count <= q_count + ((desc_valid && desc_ready) ? 1 : 0) - ((!d_active && q_count != 0) ? 1 : 0);
    end
  end
endmodule
