// The control unit: fetches descriptors from DRAM ahead of use (several reads in flight, so
// control costs no DRAM latency per descriptor), and hands each to its unit's FIFO in order.
// A unit takes the descriptor at its FIFO's head once every other unit has finished the
// descriptors it waits for (docs/HARDWARE.md, "Descriptors"). END waits for everything.
`include "sbe_desc.svh"
module sbe_sequencer #(
    parameter int AXI_BITS = 128,
    parameter int DEPTH = 4          // descriptors per unit FIFO
) (
    input  logic clk,
    input  logic rst,
    input  logic        start,
    input  logic [31:0] desc_base,
    output logic        running,
    output logic        done_pulse,
    output logic        bad_opcode,
    // Descriptor reads (through the port's arbiter) and their data.
    output logic        arvalid,
    input  logic        arready,
    output logic [31:0] araddr,
    output logic [7:0]  arlen,
    input  logic                rvalid,
    input  logic [AXI_BITS-1:0] rdata,
    // Units: 0 load, 1 compute, 2 tail, 3 store.
    input  logic [4*16-1:0]                unit_done,
    output logic [3:0]                     unit_valid,
    output logic [4*`SBE_DESC_BITS-1:0]    unit_desc,
    input  logic [3:0]                     unit_ready
);
  localparam int DB = `SBE_DESC_BITS;
  // A descriptor is BEATS beats; on a port wider than a descriptor, one beat whose low bits it
  // is (`sbe hw emit` then spaces descriptors a beat apart).
  localparam int BEATS = (AXI_BITS >= DB) ? 1 : DB / AXI_BITS;
  localparam int STRIDE = (AXI_BITS >= DB) ? AXI_BITS / 8 : DB / 8;  // bytes between descriptors
  localparam int INFLIGHT = 8;

  // ---------------------------------------------------------------- fetch
  // Reads are issued only while the prefetch FIFO has room for their data, so the shared,
  // in-order read channel never waits on control (a unit's full FIFO must not hold up the
  // weights it is waiting for).
  logic [31:0] fetch_addr;
  logic        fetching;                 // issue reads until END is seen
  logic [$clog2(INFLIGHT+1)-1:0] outstanding;   // requested, not yet assembled
  logic [$clog2(BEATS+1)-1:0] asm_beats;
  logic [DB-1:0] pf[INFLIGHT];
  logic [$clog2(INFLIGHT)-1:0] pf_head, pf_tail;
  logic [$clog2(INFLIGHT+1)-1:0] pf_count;
  logic        stage_valid;
  logic [DB-1:0] stage;                  // the prefetch FIFO's head
  assign stage_valid = pf_count != 0;
  assign stage = pf[pf_head];
  assign arvalid = running && fetching && 32'(outstanding) + 32'(pf_count) < INFLIGHT;
  assign araddr = fetch_addr;
  assign arlen = 8'(BEATS - 1);

  // ---------------------------------------------------------------- unit FIFOs
  logic [DB-1:0] fifo[4][DEPTH];
  logic [$clog2(DEPTH)-1:0] head[4], tail[4];
  logic [$clog2(DEPTH+1)-1:0] count[4];

  function automatic logic reached(input logic [15:0] finished, input logic [15:0] wait_for);
    // finished >= wait_for, modulo 2^16.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [15:0] d;
    /* verilator lint_on UNUSEDSIGNAL */
    d = finished - wait_for;
    reached = !d[15];
  endfunction

  /* verilator lint_off UNUSEDSIGNAL */  // the waits are words 1 and 2
  function automatic logic waits_ok(input logic [DB-1:0] d, input logic [4*16-1:0] counts);
  /* verilator lint_on UNUSEDSIGNAL */
    waits_ok = reached(counts[0 +: 16], `SBE_F(d, 1, 15, 0)) && reached(counts[16 +: 16], `SBE_F(d, 1, 31, 16)) &&
           reached(counts[32 +: 16], `SBE_F(d, 2, 15, 0)) && reached(counts[48 +: 16], `SBE_F(d, 2, 31, 16));
  endfunction

  // The descriptor the current beat completes.
  logic [DB-1:0] whole;
  if (BEATS == 1) begin : g_one_beat
    /* verilator lint_off UNUSEDSIGNAL */  // a wider beat's high bits are padding
    logic [AXI_BITS-1:0] beat_data;
    /* verilator lint_on UNUSEDSIGNAL */
    assign beat_data = rdata;
    assign whole = beat_data[DB-1:0];
  end else begin : g_beats
    logic [DB-AXI_BITS-1:0] asm_desc;  // the descriptor's earlier beats
    assign whole = {rdata, asm_desc};
    // The earlier beats of the descriptor, in order.
    always_ff @(posedge clk) begin
      if (rvalid && 32'(asm_beats) != BEATS - 1) asm_desc[32'(asm_beats)*AXI_BITS +: AXI_BITS] <= rdata;
    end
  end

  logic [3:0] pop;
  always_comb begin
    for (int u = 0; u < 4; u++) begin
      unit_desc[u*DB +: DB] = fifo[u][head[u]];
      unit_valid[u] = count[u] != 0 && waits_ok(fifo[u][head[u]], unit_done);
      pop[u] = unit_valid[u] && unit_ready[u];
    end
  end

  // Where the staged descriptor goes.
  logic [3:0] op;
  logic [1:0] unit;
  logic       route;
  always_comb begin
    op = `SBE_F(stage, 0, 3, 0);
    unit = 2'(op - 4'd1);
    route = stage_valid && op != `SBE_OP_END && op <= `SBE_OP_STORE && 32'(count[unit]) < DEPTH;
  end

  always_ff @(posedge clk) begin
    done_pulse <= 1'b0;
    if (rst) begin
      running <= 1'b0;
      fetching <= 1'b0;
      for (int u = 0; u < 4; u++) begin
        head[u] <= '0;
        tail[u] <= '0;
        count[u] <= '0;
      end
    end else begin
      if (arvalid && arready) fetch_addr <= fetch_addr + STRIDE;
      // Assemble beats into the prefetch FIFO.
      if (rvalid) begin
        if (32'(asm_beats) == BEATS - 1) begin
          asm_beats <= '0;
          pf[pf_tail] <= whole;
          pf_tail <= pf_tail + 1'b1;
        end else begin
          asm_beats <= asm_beats + 1'b1;
        end
      end
      if (route) begin
        fifo[unit][tail[unit]] <= stage;
        tail[unit] <= tail[unit] + 1'b1;
      end
      for (int u = 0; u < 4; u++) begin
        if (pop[u]) head[u] <= head[u] + 1'b1;
        count[u] <= count[u] + ((route && 32'(unit) == u) ? 1 : 0) - (pop[u] ? 1 : 0);
      end
      begin
        logic got, gone;
        got = rvalid && 32'(asm_beats) == BEATS - 1;
        gone = route || (stage_valid && op > `SBE_OP_STORE);
        if (gone) pf_head <= pf_head + 1'b1;
        pf_count <= pf_count + (got ? 1 : 0) - (gone ? 1 : 0);
        outstanding <= outstanding + ((arvalid && arready) ? 1 : 0) - (got ? 1 : 0);
      end
      // END: stop fetching; done once every unit has finished what it names.
      if (stage_valid && op == `SBE_OP_END) begin
        fetching <= 1'b0;
        if (waits_ok(stage, unit_done) && outstanding == 0) begin
          // Done; what was read ahead past END is dropped at the next start.
          running <= 1'b0;
          done_pulse <= 1'b1;
        end
      end
      if (stage_valid && op > `SBE_OP_STORE) begin
        bad_opcode <= 1'b1;
        fetching <= 1'b0;
        running <= 1'b0;
        done_pulse <= 1'b1;
      end
      if (start && !running) begin
        running <= 1'b1;
        fetching <= 1'b1;
        fetch_addr <= desc_base;
      end
    end
    // A reset or a start (idle only) begins from an empty read-ahead and wins over everything
    // above: what was read past END is dropped.
    if (rst || (start && !running)) begin
      outstanding <= '0;
      asm_beats <= '0;
      pf_head <= '0;
      pf_tail <= '0;
      pf_count <= '0;
      bad_opcode <= 1'b0;
    end
  end
endmodule
