// The SBE accelerator: registers on AXI4-Lite, DRAM through one AXI4 master, the control
// unit, the load and store engines, the PE array with its weight banks and accumulators, the
// tail, and the on-chip memories of the batch's state (docs/HARDWARE.md).
`include "sbe_desc.svh"
module sbe_top #(
    parameter int AXI_BITS = 128,
    parameter int LANES = 4,
    parameter int ROW_LANES = 4,
    parameter int WDEPTH = 256,        // words (chunks) per weight bank
    parameter int SDEPTH = 1024,       // 16-bit state words (x and h, both parities)
    parameter int CDEPTH = 256,        // 32-bit cell-state words
    parameter int BDEPTH = 256,        // 32-bit bias words
    parameter int IDEPTH = 2,          // hoisted input parts: (step, sample, element) words of 4 x 32 bits
    parameter int SLOTS = 4,
    parameter int CPI_MAX = 8,
    parameter int ADDER_LATENCY = 3,
    parameter int STATE_BANKS = 8,     // power of two >= max(LANES, AXI_BITS / 16)
    parameter int CELL_BANKS = 4,      // power of two >= max(4, AXI_BITS / 32)
    parameter SIGMOID_FILE = "sigmoid.mem",
    parameter TANH_FILE = "tanh.mem"
) (
    input  logic clk,
    input  logic rst,
    // AXI4-Lite registers.
    input  logic        s_axil_awvalid,
    output logic        s_axil_awready,
    input  logic [7:0]  s_axil_awaddr,
    input  logic        s_axil_wvalid,
    output logic        s_axil_wready,
    input  logic [31:0] s_axil_wdata,
    output logic        s_axil_bvalid,
    input  logic        s_axil_bready,
    input  logic        s_axil_arvalid,
    output logic        s_axil_arready,
    input  logic [7:0]  s_axil_araddr,
    output logic        s_axil_rvalid,
    input  logic        s_axil_rready,
    output logic [31:0] s_axil_rdata,
    // AXI4 master (INCR bursts, 16 beats at most, one ID, responses in order).
    output logic                m_axi_arvalid,
    input  logic                m_axi_arready,
    output logic [31:0]         m_axi_araddr,
    output logic [7:0]          m_axi_arlen,
    output logic [2:0]          m_axi_arsize,
    output logic [1:0]          m_axi_arburst,
    input  logic                m_axi_rvalid,
    output logic                m_axi_rready,
    input  logic [AXI_BITS-1:0] m_axi_rdata,
    input  logic [1:0]          m_axi_rresp,
    input  logic                m_axi_rlast,
    output logic                m_axi_awvalid,
    input  logic                m_axi_awready,
    output logic [31:0]         m_axi_awaddr,
    output logic [7:0]          m_axi_awlen,
    output logic [2:0]          m_axi_awsize,
    output logic [1:0]          m_axi_awburst,
    output logic                m_axi_wvalid,
    input  logic                m_axi_wready,
    output logic [AXI_BITS-1:0] m_axi_wdata,
    output logic [AXI_BITS/8-1:0] m_axi_wstrb,
    output logic                m_axi_wlast,
    input  logic                m_axi_bvalid,
    output logic                m_axi_bready,
    input  logic [1:0]          m_axi_bresp,
    output logic                irq
);
  localparam int R = ROW_LANES;
  localparam int WAW = (WDEPTH > 1) ? $clog2(WDEPTH) : 1;
  localparam int SAW = $clog2(SDEPTH);
  localparam int CAW = $clog2((CDEPTH > BDEPTH) ? CDEPTH : BDEPTH);
  localparam int BW = AXI_BITS / 16;
  localparam int BW32 = AXI_BITS / 32;
  localparam int LB = (LANES > 1) ? $clog2(LANES) : 1;

  // ---------------------------------------------------------------- registers
  logic        start, running, done_pulse, done, bad_opcode, axi_error, irq_enable;
  logic [31:0] desc_base, cycles;
  logic        aw_seen, w_seen;
  logic [7:0]  aw_addr;
  logic [31:0] reg_wdata;
  logic [31:0] sat_preacts, sat_cells;
  assign s_axil_awready = !aw_seen;
  assign s_axil_wready = !w_seen;
  assign s_axil_arready = !s_axil_rvalid;
  assign irq = done && irq_enable;
  always_ff @(posedge clk) begin
    start <= 1'b0;
    if (rst) begin
      aw_seen <= 1'b0;
      w_seen <= 1'b0;
      s_axil_bvalid <= 1'b0;
      s_axil_rvalid <= 1'b0;
      done <= 1'b0;
      desc_base <= '0;
      irq_enable <= 1'b0;
      cycles <= '0;
      axi_error <= 1'b0;
    end else begin
      if (s_axil_awvalid && s_axil_awready) begin
        aw_seen <= 1'b1;
        aw_addr <= s_axil_awaddr;
      end
      if (s_axil_wvalid && s_axil_wready) begin
        w_seen <= 1'b1;
        reg_wdata <= s_axil_wdata;
      end
      if (aw_seen && w_seen && !s_axil_bvalid) begin
        case (aw_addr)
          8'h00: if (reg_wdata[0] && !running) begin
            start <= 1'b1;
            done <= 1'b0;
            cycles <= '0;
            axi_error <= 1'b0;
          end
          8'h08: desc_base <= reg_wdata;
          8'h14: irq_enable <= reg_wdata[0];
          default: ;
        endcase
        aw_seen <= 1'b0;
        w_seen <= 1'b0;
        s_axil_bvalid <= 1'b1;
      end
      if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;
      if (s_axil_arvalid && s_axil_arready) begin
        s_axil_rvalid <= 1'b1;
        case (s_axil_araddr)
          8'h04: s_axil_rdata <= {29'd0, bad_opcode || axi_error || acc_conflict, done, running};
          8'h08: s_axil_rdata <= desc_base;
          8'h0C: s_axil_rdata <= cycles;
          8'h10: s_axil_rdata <= {29'd0, acc_conflict, axi_error, bad_opcode};
          8'h14: s_axil_rdata <= {31'd0, irq_enable};
          8'h18: s_axil_rdata <= sat_preacts;
          8'h1C: s_axil_rdata <= sat_cells;
          default: s_axil_rdata <= '0;
        endcase
      end
      if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
      if (running) cycles <= cycles + 1;
      if (done_pulse) done <= 1'b1;
      if ((m_axi_rvalid && m_axi_rready && m_axi_rresp[1]) || (m_axi_bvalid && m_axi_bresp[1])) axi_error <= 1'b1;
    end
  end
  // Units start from zero counts at every start.
  logic urst;
  assign urst = rst || start;

  // ---------------------------------------------------------------- control
  logic [4*16-1:0] unit_done;
  logic [3:0] unit_valid, unit_ready;
  logic [4*`SBE_DESC_BITS-1:0] unit_desc;
  logic        seq_arvalid, seq_arready, ld_arvalid, ld_arready, seq_rvalid, ld_rvalid, ld_rready;
  logic [31:0] seq_araddr, ld_araddr;
  logic [7:0]  seq_arlen, ld_arlen;
  sbe_sequencer #(.AXI_BITS(AXI_BITS)) sequencer (
      .clk(clk), .rst(rst), .start(start), .desc_base(desc_base), .running(running),
      .done_pulse(done_pulse), .bad_opcode(bad_opcode),
      .arvalid(seq_arvalid), .arready(seq_arready), .araddr(seq_araddr), .arlen(seq_arlen),
      .rvalid(seq_rvalid), .rdata(m_axi_rdata),
      .unit_done(unit_done), .unit_valid(unit_valid), .unit_desc(unit_desc), .unit_ready(unit_ready));

  // ---------------------------------------------------------------- the read port
  // Control's reads first (they are small and everything waits on them); data returns in
  // order, so a FIFO of who asked says whose each beat is.
  localparam int TAGS = 16;
  logic        tag_q[TAGS];
  logic [7:0]  len_q[TAGS];
  logic [3:0]  tq_head, tq_tail;
  logic [4:0]  tq_count;
  logic [7:0]  beat;
  logic        r_is_seq;
  assign m_axi_arvalid = (seq_arvalid || ld_arvalid) && 32'(tq_count) < TAGS;
  assign m_axi_araddr = seq_arvalid ? seq_araddr : ld_araddr;
  assign m_axi_arlen = seq_arvalid ? seq_arlen : ld_arlen;
  assign m_axi_arsize = 3'($clog2(AXI_BITS / 8));
  assign m_axi_arburst = 2'b01;
  assign seq_arready = m_axi_arready && 32'(tq_count) < TAGS;
  assign ld_arready = m_axi_arready && 32'(tq_count) < TAGS && !seq_arvalid;
  assign r_is_seq = tag_q[tq_head];
  assign seq_rvalid = m_axi_rvalid && r_is_seq && tq_count != 0;
  assign ld_rvalid = m_axi_rvalid && !r_is_seq && tq_count != 0;
  assign m_axi_rready = tq_count != 0 && (r_is_seq || ld_rready);
  always_ff @(posedge clk) begin
    if (rst) begin
      tq_head <= '0;
      tq_tail <= '0;
      tq_count <= '0;
      beat <= '0;
    end else begin
      logic push, pop;
      push = m_axi_arvalid && m_axi_arready;
      pop = m_axi_rvalid && m_axi_rready && beat == len_q[tq_head];
      if (push) begin
        tag_q[tq_tail] <= seq_arvalid;
        len_q[tq_tail] <= m_axi_arlen;
        tq_tail <= tq_tail + 1'b1;
      end
      if (m_axi_rvalid && m_axi_rready) beat <= pop ? '0 : beat + 1'b1;
      if (pop) tq_head <= tq_head + 1'b1;
      tq_count <= tq_count + (push ? 5'd1 : 5'd0) - (pop ? 5'd1 : 5'd0);
    end
  end

  // ---------------------------------------------------------------- memories
  // Weight banks: one per lane.
  logic                   w_we;
  logic [LB-1:0]          w_bank;
  logic [WAW-1:0]         w_addr;
  logic [R-1:0]           w_mask, w_next;
  logic [R*16-1:0]        w_data;
  logic [LANES*WAW-1:0]   w_raddr;
  logic [LANES*R*16-1:0]  w_rdata;
  // A bank word is ROW_LANES weights written a beat at a time, so each row PE's weight has its
  // own write enable. Two row PEs share a 32-bit memory (one RAMB18 of 512 x 36 with two
  // 16-bit enables, where a 16-bit memory takes a RAMB18 alone): with ROW_LANES and the beat's
  // words both even, rows 2q and 2q + 1 always come in the same beat and the same bank word,
  // so they share the write address.
  logic [WAW-1:0]         w_addr_next;  // one adder for the row PEs a beat runs on into
  assign w_addr_next = w_addr + 1'b1;
  localparam int WPACK = (R % 2 == 0 && BW % 2 == 0) ? 2 : 1;
  for (genvar j = 0; j < LANES; j++) begin : g_wbank
    for (genvar q = 0; q < R / WPACK; q++) begin : g_row
      logic [WPACK*16-1:0] mem[WDEPTH];
      logic [WAW-1:0] wa;
      assign wa = w_next[q*WPACK] ? w_addr_next : w_addr;
      always_ff @(posedge clk) begin
        for (int h = 0; h < WPACK; h++)
          if (w_we && 32'(w_bank) == j && w_mask[q*WPACK + h]) mem[wa][h*16 +: 16] <= w_data[(q*WPACK + h)*16 +: 16];
        w_rdata[(j*R + q*WPACK)*16 +: WPACK*16] <= mem[w_raddr[j*WAW +: WAW]];
      end
    end
  end

  // State: x and h. Written by the load engine (x, h0) or the tail (h, which goes first).
  logic                 ld_s_we, ld_s_grant, tl_h_we;
  logic [SAW-1:0]       ld_s_addr, tl_h_addr, tl_h_raddr, pe_s_raddr, st_s_raddr;
  logic [$clog2(BW+1)-1:0] ld_s_count;
  logic [AXI_BITS-1:0]  ld_s_data, st_s_rdata;
  logic [15:0]          tl_h_data, tl_h_rdata;
  logic [LANES*16-1:0]  pe_s_rdata;
  assign ld_s_grant = !tl_h_we;
  // Read C: the tail's h_{t-1}, which a sample past its length keeps.
  sbe_banked_mem #(.NB(STATE_BANKS), .WIDTH(16), .DEPTH(SDEPTH), .WR_WORDS(BW), .RDA_WORDS(LANES),
                   .RDB_WORDS(BW), .HAS_C(1), .AW(SAW)) state_mem (
      .clk(clk), .we(tl_h_we || ld_s_we), .waddr(tl_h_we ? tl_h_addr : ld_s_addr),
      .wcount(tl_h_we ? ($clog2(BW+1))'(1) : ld_s_count),
      .wdata(tl_h_we ? {{(AXI_BITS-16){1'b0}}, tl_h_data} : ld_s_data),
      .raddr_a(pe_s_raddr), .rdata_a(pe_s_rdata), .raddr_b(st_s_raddr), .rdata_b(st_s_rdata),
      .raddr_c(tl_h_raddr), .rdata_c(tl_h_rdata));

  // Cell state (c) and biases, 32-bit.
  /* verilator lint_off UNUSEDSIGNAL */  // read ports not built or not used
  logic [31:0] unused_b, unused_c, unused_bc;
  /* verilator lint_on UNUSEDSIGNAL */
  logic                 ld_c_we, ld_b_we, ld_c_grant, tl_c_we;
  logic [CAW-1:0]       ld_c_addr, tl_c_addr, tl_c_raddr, tl_b_raddr, st_c_raddr;
  logic [$clog2(BW32+1)-1:0] ld_c_count;
  logic [AXI_BITS-1:0]  ld_c_data, st_c_rdata;
  logic [31:0]          tl_c_data, tl_c_rdata;
  logic [127:0]         tl_b_rdata;
  assign ld_c_grant = !tl_c_we;
  sbe_banked_mem #(.NB(CELL_BANKS), .WIDTH(32), .DEPTH(CDEPTH), .WR_WORDS(BW32), .RDA_WORDS(1),
                   .RDB_WORDS(BW32), .AW(CAW)) cell_mem (
      .clk(clk), .we(tl_c_we || ld_c_we), .waddr(tl_c_we ? tl_c_addr : ld_c_addr),
      .wcount(tl_c_we ? ($clog2(BW32+1))'(1) : ld_c_count),
      .wdata(tl_c_we ? {{(AXI_BITS-32){1'b0}}, tl_c_data} : ld_c_data),
      .raddr_a(tl_c_raddr), .rdata_a(tl_c_rdata), .raddr_b(st_c_raddr), .rdata_b(st_c_rdata),
      .raddr_c('0), .rdata_c(unused_c));
  sbe_banked_mem #(.NB(CELL_BANKS), .WIDTH(32), .DEPTH(BDEPTH), .WR_WORDS(BW32), .RDA_WORDS(4),
                   .RDB_WORDS(1), .AW(CAW)) bias_mem (
      .clk(clk), .we(ld_b_we), .waddr(ld_c_addr), .wcount(ld_c_count), .wdata(ld_c_data),
      .raddr_a(tl_b_raddr), .rdata_a(tl_b_rdata), .raddr_b('0), .rdata_b(unused_b),
      .raddr_c('0), .rdata_c(unused_bc));

  // ---------------------------------------------------------------- units
  logic [15:0] ld_done, ld_active, pe_done, tl_done, tl_active, st_done;
  logic        ld_busy, pe_busy, tl_busy, st_busy;
  logic [31:0] ld_cols, tl_elems;
  assign unit_done = {st_done, tl_done, pe_done, ld_done};

  sbe_load_engine #(.AXI_BITS(AXI_BITS), .LANES(LANES), .ROW_LANES(R), .WAW(WAW), .SAW(SAW), .CAW(CAW)) load (
      .clk(clk), .rst(urst), .desc_valid(unit_valid[0]), .desc(unit_desc[0 +: `SBE_DESC_BITS]),
      .desc_ready(unit_ready[0]),
      .arvalid(ld_arvalid), .arready(ld_arready), .araddr(ld_araddr), .arlen(ld_arlen),
      .rvalid(ld_rvalid), .rready(ld_rready), .rdata(m_axi_rdata),
      .w_we(w_we), .w_bank(w_bank), .w_addr(w_addr), .w_mask(w_mask), .w_next(w_next), .w_data(w_data),
      .s_we(ld_s_we), .s_addr(ld_s_addr), .s_count(ld_s_count), .s_data(ld_s_data), .s_grant(ld_s_grant),
      .c_we(ld_c_we), .b_we(ld_b_we), .c_addr(ld_c_addr), .c_count(ld_c_count), .c_data(ld_c_data),
      .c_grant(ld_c_grant),
      .done_count(ld_done), .busy(ld_busy), .active_index(ld_active), .cols_done(ld_cols));

  logic                           t_par, t_clear, t_read, t_single, acc_conflict;
  logic [$clog2(SLOTS > 1 ? SLOTS : 2)-1:0]       t_slot;
  logic [$clog2(CPI_MAX > 1 ? CPI_MAX : 2)-1:0]     t_chunk;
  logic [R-1:0]                                   t_next;
  logic [LANES*R*32-1:0]          t_acc_x, t_acc_h;
  logic [LANES*SLOTS-1:0]         t_touched_x, t_touched_h;
  sbe_pe_array #(.LANES(LANES), .ROW_LANES(R), .WAW(WAW), .SAW(SAW), .SLOTS(SLOTS), .CPI_MAX(CPI_MAX),
                 .ADDER_LATENCY(ADDER_LATENCY)) pe (
      .clk(clk), .rst(urst), .desc_valid(unit_valid[1]), .desc(unit_desc[`SBE_DESC_BITS +: `SBE_DESC_BITS]),
      .desc_ready(unit_ready[1]),
      .load_done(ld_done), .load_active(ld_active), .load_busy(ld_busy), .load_cols(ld_cols),
      .tail_done(tl_done), .tail_active(tl_active), .tail_busy(tl_busy), .tail_elems(tl_elems),
      .w_raddr(w_raddr), .w_rdata(w_rdata), .s_raddr(pe_s_raddr), .s_rdata(pe_s_rdata),
      .t_par(t_par), .t_slot(t_slot), .t_chunk(t_chunk), .t_next(t_next), .t_acc_x(t_acc_x), .t_acc_h(t_acc_h),
      .t_touched_x(t_touched_x), .t_touched_h(t_touched_h), .t_clear(t_clear), .t_read(t_read), .t_single(t_single),
      .conflict(acc_conflict), .done_count(pe_done), .busy(pe_busy));

  sbe_tail #(.LANES(LANES), .ROW_LANES(R), .SLOTS(SLOTS), .CPI_MAX(CPI_MAX), .SAW(SAW), .CAW(CAW), .IDEPTH(IDEPTH),
             .SIGMOID_FILE(SIGMOID_FILE), .TANH_FILE(TANH_FILE)) tail (
      .clk(clk), .rst(urst), .desc_valid(unit_valid[2]), .desc(unit_desc[2*`SBE_DESC_BITS +: `SBE_DESC_BITS]),
      .desc_ready(unit_ready[2]),
      .t_par(t_par), .t_slot(t_slot), .t_chunk(t_chunk), .t_next(t_next), .t_acc_x(t_acc_x), .t_acc_h(t_acc_h),
      .t_touched_x(t_touched_x), .t_touched_h(t_touched_h), .t_clear(t_clear), .t_read(t_read), .t_single(t_single),
      .b_raddr(tl_b_raddr), .b_rdata(tl_b_rdata), .c_raddr(tl_c_raddr), .c_rdata(tl_c_rdata),
      .h_raddr(tl_h_raddr), .h_rdata(tl_h_rdata),
      .h_we(tl_h_we), .h_waddr(tl_h_addr), .h_wdata(tl_h_data),
      .c_we(tl_c_we), .c_waddr(tl_c_addr), .c_wdata(tl_c_data),
      .done_count(tl_done), .active_index(tl_active), .elems(tl_elems), .busy(tl_busy),
      .sat_preacts(sat_preacts), .sat_cells(sat_cells));

  sbe_store_engine #(.AXI_BITS(AXI_BITS), .SAW(SAW), .CAW(CAW)) store (
      .clk(clk), .rst(urst), .desc_valid(unit_valid[3]), .desc(unit_desc[3*`SBE_DESC_BITS +: `SBE_DESC_BITS]),
      .desc_ready(unit_ready[3]),
      .awvalid(m_axi_awvalid), .awready(m_axi_awready), .awaddr(m_axi_awaddr), .awlen(m_axi_awlen),
      .wvalid(m_axi_wvalid), .wready(m_axi_wready), .wdata(m_axi_wdata), .wlast(m_axi_wlast),
      .bvalid(m_axi_bvalid), .bready(m_axi_bready),
      .s_raddr(st_s_raddr), .s_rdata(st_s_rdata), .c_raddr(st_c_raddr), .c_rdata(st_c_rdata),
      .done_count(st_done), .busy(st_busy));
  assign m_axi_awsize = 3'($clog2(AXI_BITS / 8));
  assign m_axi_awburst = 2'b01;
  assign m_axi_wstrb = '1;

  /* verilator lint_off UNUSEDSIGNAL */
  logic unused;
  assign unused = &{1'b0, m_axi_rlast, pe_busy, st_busy, m_axi_rresp[0], m_axi_bresp[0]};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
