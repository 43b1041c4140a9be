// The store engine: STORE descriptors, on-chip memory to DRAM over the AXI write channels
// (h_t of a step as the layer's output, h_n and c_n at a cell's end). A store is finished when
// every burst's write response is back: only then may a load read what it wrote.
`include "sbe_desc.svh"
module sbe_store_engine #(
    parameter int AXI_BITS = 128,
    parameter int SAW = 14,
    parameter int CAW = 12
) (
    input  logic clk,
    input  logic rst,
    input  logic                      desc_valid,
    /* verilator lint_off UNUSEDSIGNAL */  // a STORE reads a few of the 16 words
    input  logic [`SBE_DESC_BITS-1:0] desc,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                      desc_ready,
    output logic        awvalid,
    input  logic        awready,
    output logic [31:0] awaddr,
    output logic [7:0]  awlen,
    output logic                wvalid,
    input  logic                wready,
    output logic [AXI_BITS-1:0] wdata,
    output logic                wlast,
    input  logic        bvalid,
    output logic        bready,
    // Source reads: a beat of consecutive words, one cycle of latency.
    output logic [SAW-1:0]      s_raddr,
    input  logic [AXI_BITS-1:0] s_rdata,
    output logic [CAW-1:0]      c_raddr,
    input  logic [AXI_BITS-1:0] c_rdata,
    output logic [15:0] done_count,
    output logic        busy
);
  localparam int BW = AXI_BITS / 16;
  localparam int BW32 = AXI_BITS / 32;
  localparam int BEAT_BYTES = AXI_BITS / 8;

  logic        active, from_cell;
  logic [31:0] a_addr, a_beats;      // address side: next burst
  logic [31:0] w_addr, w_beats;      // data side: the DRAM address of the next beat, beats left
  logic [31:0] w_in_burst;           // beats left in the data side's burst
  logic [31:0] src;                  // next source word to read
  logic [31:0] r_left;               // beats still to read from the source
  logic [31:0] b_left;               // write responses outstanding
  logic [31:0] bursts;               // bursts issued by the address side

  function automatic logic [31:0] burst_of(input logic [11:0] addr, input logic [31:0] beats);
    logic [31:0] to_boundary, n;
    to_boundary = (32'd4096 - {20'd0, addr}) / BEAT_BYTES;
    n = beats;
    if (n > 16) n = 16;
    if (n > to_boundary) n = to_boundary;
    burst_of = n;
  endfunction

  logic [31:0] a_burst;
  assign a_burst = burst_of(a_addr[11:0], a_beats);
  assign awvalid = active && a_beats != 0;
  assign awaddr = a_addr;
  assign awlen = 8'(a_burst - 1);
  assign desc_ready = !active;
  assign busy = active;
  assign bready = 1'b1;

  // Two-entry buffer between the source read (one cycle) and the W channel.
  logic [AXI_BITS-1:0] buf_data[2];
  logic [1:0] buf_count;
  logic buf_head, buf_tail;
  logic rd_pending;                  // a read issued last cycle, its data arrives now
  logic issue_rd;
  assign issue_rd = active && r_left != 0 && (32'(buf_count) + (rd_pending ? 1 : 0)) < 2;
  assign s_raddr = SAW'(src);
  assign c_raddr = CAW'(src);
  assign wvalid = buf_count != 0;
  assign wdata = buf_data[buf_head];
  assign wlast = w_in_burst == 1;
  logic w_fire;
  assign w_fire = wvalid && wready;

  always_ff @(posedge clk) begin
    if (rst) begin
      active <= 1'b0;
      done_count <= '0;
      buf_count <= '0;
      buf_head <= 1'b0;
      buf_tail <= 1'b0;
      rd_pending <= 1'b0;
    end else begin
      if (desc_valid && desc_ready) begin
        active <= 1'b1;
        from_cell <= `SBE_F(desc, 0, 9, 8) == `SBE_TGT_CELL;
        a_addr <= `SBE_W(desc, 3);
        a_beats <= `SBE_W(desc, 4);
        w_addr <= `SBE_W(desc, 3);
        w_beats <= `SBE_W(desc, 4);
        w_in_burst <= burst_of(`SBE_F(desc, 3, 11, 0), `SBE_W(desc, 4));
        src <= `SBE_W(desc, 5);
        r_left <= `SBE_W(desc, 4);
        b_left <= '0;
        bursts <= '0;
      end
      if (awvalid && awready) begin
        a_addr <= a_addr + a_burst * BEAT_BYTES;
        a_beats <= a_beats - a_burst;
        bursts <= bursts + 1;
      end
      // Source reads into the buffer.
      rd_pending <= issue_rd;
      if (issue_rd) begin
        src <= src + (from_cell ? BW32 : BW);
        r_left <= r_left - 1;
      end
      if (rd_pending) begin
        buf_data[buf_tail] <= from_cell ? c_rdata : s_rdata;
        buf_tail <= ~buf_tail;
      end
      if (w_fire) begin
        buf_head <= ~buf_head;
        w_beats <= w_beats - 1;
        w_addr <= w_addr + BEAT_BYTES;
        if (w_in_burst == 1) w_in_burst <= burst_of(w_addr[11:0] + 12'(BEAT_BYTES), w_beats - 1);
        else w_in_burst <= w_in_burst - 1;
      end
      buf_count <= buf_count + (rd_pending ? 2'd1 : 2'd0) - (w_fire ? 2'd1 : 2'd0);
      // Responses: one per burst; done when the last is back and every beat went out.
      b_left <= b_left + ((awvalid && awready) ? 1 : 0) - (bvalid ? 1 : 0);
      if (active && !(desc_valid && desc_ready) && a_beats == 0 && w_beats == 0 && !(awvalid && awready) &&
          ((bvalid ? b_left - 1 : b_left) == 0) && bursts != 0) begin
        active <= 1'b0;
        done_count <= done_count + 16'd1;
      end
    end
  end
endmodule
