// The PE array and its compute unit: COMPUTE descriptors (a column block of W_x or W_h times
// the batch's x_t or h_{t-1}) in the stall-free, column-wise order with the samples
// interleaved (docs/HARDWARE.md, "Organization"). LANES x ROW_LANES multiply-accumulators;
// an item (column k, sample b) occupies lane (C0B + n) mod LANES for cpi cycles, one chunk
// of ROW_LANES gate rows a cycle. A lockstep group is the run of ready items on increasing
// lanes from the next item's lane (the simulator's rule): an item waits only for its own
// weight column, its own operand and its accumulators' read-modify-write (ADDER_LATENCY).
// The partial sums live here, per PE, in three small memories. The tail rounds the input part
// and the hidden part separately, so a step's two parts are kept apart: the part a step adds
// first into a pair by step parity (the x part per step; the recurrence's h part when the
// input part is hoisted), because the next step's first columns add while the tail still
// reads this step's; the h part per step into a single memory, because the next step's W_h
// columns come after its W_x columns, by when the tail is done with it (the descriptor waits
// for that tail). At any time a memory is the array's or the tail's, so each needs one read
// port, addressed by its owner: LUTRAM's simple dual port (docs/HARDWARE.md, "Synthesis").
`include "sbe_desc.svh"
module sbe_pe_array #(
    parameter int LANES = 4,
    parameter int ROW_LANES = 4,
    parameter int WAW = 12,
    parameter int SAW = 14,
    parameter int SLOTS = 4,          // sample slots per lane's accumulators
    parameter int CPI_MAX = 8,        // chunks per column (4H / ROW_LANES)
    parameter int ADDER_LATENCY = 3   // accumulator read to write visible
) (
    input  logic clk,
    input  logic rst,
    input  logic                      desc_valid,
    /* verilator lint_off UNUSEDSIGNAL */  // COMPUTE reads 14 of the 16 words, some in part
    input  logic [`SBE_DESC_BITS-1:0] desc,
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                      desc_ready,
    // Fine waits: the load engine's and the tail's progress.
    input  logic [15:0] load_done,
    input  logic [15:0] load_active,
    input  logic        load_busy,
    input  logic [31:0] load_cols,
    input  logic [15:0] tail_done,
    input  logic [15:0] tail_active,
    input  logic        tail_busy,
    input  logic [31:0] tail_elems,
    // Weight banks (one per lane), one cycle of read latency.
    output logic [LANES*WAW-1:0]          w_raddr,
    input  logic [LANES*ROW_LANES*16-1:0] w_rdata,
    // The state memory's read port A: LANES consecutive words.
    output logic [SAW-1:0]     s_raddr,
    input  logic [LANES*16-1:0] s_rdata,
    // The tail's view of the partial sums: per row PE the chunk, for the slot and parity.
    input  logic                             t_par,
    input  logic [$clog2(SLOTS > 1 ? SLOTS : 2)-1:0]         t_slot,
    input  logic [$clog2(CPI_MAX > 1 ? CPI_MAX : 2)-1:0] t_chunk,  // at row PEs without t_next
    input  logic [ROW_LANES-1:0]             t_next,   // these read chunk t_chunk + 1
    output logic [LANES*ROW_LANES*32-1:0]    t_acc_x,
    output logic [LANES*ROW_LANES*32-1:0]    t_acc_h,
    output logic [LANES*SLOTS-1:0]           t_touched_x,  // of parity t_par
    output logic [LANES*SLOTS-1:0]           t_touched_h,
    input  logic                             t_clear,      // the tail is done with parity t_par
    input  logic                             t_read,       // the tail reads parity t_par this cycle
    input  logic                             t_single,     // ... and the single memory (per step)
    output logic                             conflict,     // sticky: array and tail met on a parity
    output logic [15:0] done_count,
    output logic        busy
);
  localparam int R = ROW_LANES;
  localparam int LL = (LANES > 1) ? $clog2(LANES) : 1;
  localparam int SB = (SLOTS > 1) ? $clog2(SLOTS) : 1;
  localparam int CB = (CPI_MAX > 1) ? $clog2(CPI_MAX) : 1;
  // An accumulator's address in its parity's memory: slot x CPI_MAX + chunk, exactly as deep as
  // the planner counts the banks (no rounding of the fields to powers of two).
  localparam int AD = SLOTS * CPI_MAX;
  localparam int AB = (AD > 1) ? $clog2(AD) : 1;
  localparam int L = ADDER_LATENCY;
  localparam int NS = (L > 1) ? L - 1 : 1;  // sum registers between the read-add and the write

  // ------------------------------------------------------------ the descriptor
  typedef enum logic [1:0] {IDLE, SETUP, ISSUE} state_t;
  state_t state;
  logic        d_part, d_par, d_single;
  logic [31:0] d_wbase, d_ncols, d_obase, d_B, d_g, d_cpi, d_hidx0, d_dk, d_db;
  logic [15:0] d_load, d_tail, d_dbg, d_spl;
  assign desc_ready = state == IDLE;

  // ------------------------------------------------------------ per-lane next item
  logic [31:0] it_k[LANES], it_b[LANES], it_n[LANES], it_waddr[LANES], it_oaddr[LANES];
  logic [15:0] it_slot[LANES];
  logic [LL-1:0] it_kmod[LANES];
  // The set-up walk: item i of the descriptor to lane lane0 + i.
  logic [31:0] su_i, su_k, su_b, su_bg, su_slot;
  logic [LL-1:0] su_lane;
  logic [LL-1:0] next_lane;

  // ------------------------------------------------------------ hazards and touched bits
  logic [LANES*SLOTS-1:0] touched[2];     // the pair's, by parity
  logic [LANES*SLOTS-1:0] touched_s;      // the single memory's
  logic [31:0] now;
  logic        hz_valid[LANES][L];
  logic [SB+1:0] hz_key[LANES][L];        // memory (single, parity), slot
  logic [31:0] hz_start[LANES][L];

  function automatic logic older(input logic [15:0] count, input logic [15:0] idx);
    // count > idx, modulo 2^16: descriptor idx of that unit has finished.
    /* verilator lint_off UNUSEDSIGNAL */
    logic [15:0] d;
    /* verilator lint_on UNUSEDSIGNAL */
    d = count - idx - 16'd1;
    older = !d[15];  // only the sign of the difference matters
  endfunction

  logic ready[LANES], valid[LANES];
  always_comb begin
    for (int l = 0; l < LANES; l++) begin
      logic wr, opr, hz;
      valid[l] = it_k[l] < d_ncols;
      wr = older(load_done, d_load) || (load_busy && load_active == d_load && load_cols > it_k[l]);
      opr = !d_part || d_tail == 16'hFFFF || older(tail_done, d_tail) ||
            (tail_busy && tail_active == d_tail && tail_elems > d_hidx0 + it_n[l]);
      hz = 1'b0;
      for (int h = 0; h < L; h++) begin
        if (hz_valid[l][h] && hz_key[l][h] == {d_single, d_par && !d_single, SB'(it_slot[l])} &&
            now - hz_start[l][h] < L) hz = 1'b1;
      end
      ready[l] = valid[l] && wr && opr && !hz;
    end
  end

  // The group: lanes next_lane .. last, every one ready.
  logic [LANES-1:0] gmask;
  logic any_left;
  logic [LL-1:0] glast;
  always_comb begin
    logic run;
    run = 1'b1;
    gmask = '0;
    glast = next_lane;
    any_left = 1'b0;
    for (int l = 0; l < LANES; l++) if (valid[l]) any_left = 1'b1;
    for (int l = 0; l < LANES; l++) begin
      if (l >= 32'(next_lane)) begin
        if (run && ready[l]) begin
          gmask[l] = 1'b1;
          glast = LL'(l);
        end else begin
          run = 1'b0;
        end
      end
    end
  end

  // ------------------------------------------------------------ the issuing group
  logic        g_busy;             // a group holds the array
  logic [31:0] g_q;                // its chunk this cycle
  logic [31:0] g_cpi;              // its chunks: the next descriptor (a hoisted row block's
                                   // items may be shorter) can start while it still issues
  logic [LANES-1:0] g_mask;
  logic [LL-1:0] g_kmod[LANES];
  logic [31:0] g_waddr[LANES];
  logic [SB-1:0] g_slot[LANES];
  logic [LANES-1:0] g_first;
  logic        g_last;             // the descriptor's last group
  logic        g_single, g_par;
  logic [LL-1:0] g_lane0;          // the first lane: its operand is word 0 of the read
  logic        issue;
  // Back to back: the next group issues in the last chunk's cycle of the one before.
  assign issue = state == ISSUE && (!g_busy || g_q == g_cpi - 1) && gmask[next_lane];
  assign busy = state != IDLE || g_busy || pipe_busy;

  // Weight reads: bank j at the address of a lane whose column is in it (lanes sharing a
  // column share the address).
  always_comb begin
    for (int j = 0; j < LANES; j++) begin
      w_raddr[j*WAW +: WAW] = '0;
      for (int l = LANES - 1; l >= 0; l--) begin
        if (g_mask[l] && 32'(g_kmod[l]) == j) w_raddr[j*WAW +: WAW] = WAW'(g_waddr[l] + g_q);
      end
    end
  end
  assign s_raddr = SAW'(it_oaddr[next_lane]);

  // ------------------------------------------------------------ stage M: products
  logic             m_valid_any;
  logic [LANES-1:0] m_mask;
  logic [SB-1:0]    m_slot[LANES];
  logic [LANES-1:0] m_first;
  logic [CB-1:0]    m_q;
  logic             m_single, m_par, m_last;
  logic [LANES*16-1:0] g_operand;  // the group's operands, read at its issue
  logic [LL-1:0]    m_lane0;
  logic [LL-1:0]    m_kmod[LANES];  // the bank each lane's column came from, as its data arrives
  logic             p_valid;
  logic [LANES-1:0] p_mask;
  logic [SB-1:0]    p_slot[LANES];
  logic [LANES-1:0] p_first;
  logic [CB-1:0]    p_q;
  logic             p_single, p_par, p_last;

  // ------------------------------------------------------------ the row PEs
  // Per PE: the product register (a DSP48's M register), its three accumulator memories
  // (LUTRAM), the read-add and the registers to the write. Control runs beside, per lane.
  logic             s_valid[NS];
  logic [LANES-1:0] s_mask[NS];
  function automatic logic [AB-1:0] AccAddr(input logic [SB-1:0] slot, input logic [CB-1:0] chunk);
    AccAddr = AB'(32'(slot) * CPI_MAX + 32'(chunk));
  endfunction
  logic [LANES*AB-1:0] s_addr[NS];
  logic             s_single[NS], s_par[NS], s_last[NS];
  logic [LANES*AB-1:0] a0;
  always_comb begin
    for (int l = 0; l < LANES; l++) a0[l*AB +: AB] = AccAddr(p_slot[l], p_q);
  end
  // The tail's two read addresses (an element's gate rows span at most two chunks), computed
  // once for all row PEs.
  logic [AB-1:0] ta0, ta1;
  assign ta0 = AccAddr(t_slot, t_chunk);
  assign ta1 = ta0 + 1'b1;
  // Each memory's read port: the array's read-add when its items add into it, else the tail's.
  // The schedule never has both on one memory (a step's sums are read only after its last
  // item; the step two later, and the next step's single-memory items, wait for that tail);
  // `conflict` would say otherwise.
  logic [1:0] arr_reads;
  logic       arr_reads_s;
  assign arr_reads = {p_valid && !p_single && p_par, p_valid && !p_single && !p_par};
  assign arr_reads_s = p_valid && p_single;
  always_ff @(posedge clk) begin
    if (rst) conflict <= 1'b0;
    else if (t_read && (arr_reads[t_par] || (t_single && arr_reads_s))) conflict <= 1'b1;
  end
  logic pipe_busy;
  always_comb begin
    pipe_busy = m_valid_any || p_valid;
    for (int i = 0; i < NS; i++) if (s_valid[i]) pipe_busy = 1'b1;
  end
  assign t_touched_x = touched[t_par];
  assign t_touched_h = touched_s;

  // The write port: the read-add itself when ADDER_LATENCY is 1, else the sum after L - 1
  // more registers, so that a write is visible L cycles after its read.
  logic             wr_valid, wr_single, wr_par, wr_last;
  logic [LANES-1:0] wr_mask;
  logic [LANES*AB-1:0] wr_addr;
  assign wr_valid = (L == 1) ? p_valid : s_valid[NS-1];
  assign wr_mask = (L == 1) ? p_mask : s_mask[NS-1];
  assign wr_single = (L == 1) ? p_single : s_single[NS-1];
  assign wr_par = (L == 1) ? p_par : s_par[NS-1];
  assign wr_last = (L == 1) ? p_last : s_last[NS-1];
  assign wr_addr = (L == 1) ? a0 : s_addr[NS-1];

  for (genvar l = 0; l < LANES; l++) begin : g_lane
    logic signed [15:0] xop;  // the lane's operand: its word of the group's read
    always_comb begin
      logic [LL-1:0] wi;
      wi = LL'(l) - m_lane0;
      if (LANES == 1) wi = '0;
      // Explicit muxes, not an indexed part-select: Yosys turns a select with a computed
      // offset into a shifter over the whole bus, and at 224 PEs those ran it out of memory.
      xop = g_operand[15:0];
      for (int j = 1; j < LANES; j++)
        if (32'(wi) == j) xop = g_operand[j*16 +: 16];
    end
    for (genvar p = 0; p < R; p++) begin : g_pe
      logic signed [31:0] prod_r, sum0, wr_sum;
      logic signed [31:0] acc_p0[AD], acc_p1[AD];  // the pair, by parity
      logic signed [31:0] acc_s[AD];               // the single memory
      logic signed [31:0] s_sum[NS];
      logic signed [31:0] p0, p1, sv;
      logic [AB-1:0] ra, wa, ta, a_0, a_1, a_s;
      assign ra = a0[l*AB +: AB];
      assign wa = wr_addr[l*AB +: AB];
      assign a_0 = arr_reads[0] ? ra : ta;
      assign a_1 = arr_reads[1] ? ra : ta;
      assign a_s = arr_reads_s ? ra : ta;
      assign p0 = acc_p0[a_0];
      assign p1 = acc_p1[a_1];
      assign sv = acc_s[a_s];
      logic signed [15:0] wop;  // row p of the bank this lane's column came from
      always_comb begin
        wop = w_rdata[p*16 +: 16];
        for (int j = 1; j < LANES; j++)
          if (32'(m_kmod[l]) == j) wop = w_rdata[(j*R + p)*16 +: 16];
      end
      always_ff @(posedge clk) prod_r <= wop * xop;
      assign sum0 = prod_r + (p_first[l] ? 32'sd0 : (p_single ? sv : (p_par ? p1 : p0)));
      always_ff @(posedge clk) begin
        s_sum[0] <= sum0;
        for (int i = 1; i < NS; i++) s_sum[i] <= s_sum[i-1];
      end
      assign wr_sum = (L == 1) ? sum0 : s_sum[NS-1];
      always_ff @(posedge clk) begin
        if (wr_valid && wr_mask[l] && wr_single) acc_s[wa] <= wr_sum;
        if (wr_valid && wr_mask[l] && !wr_single && !wr_par) acc_p0[wa] <= wr_sum;
        if (wr_valid && wr_mask[l] && !wr_single && wr_par) acc_p1[wa] <= wr_sum;
      end
      // The tail's reads: the pair's parity t_par, and the single memory.
      assign ta = t_next[p] ? ta1 : ta0;
      assign t_acc_x[(l*R + p)*32 +: 32] = t_par ? p1 : p0;
      assign t_acc_h[(l*R + p)*32 +: 32] = sv;
    end
  end


  always_ff @(posedge clk) begin
    if (rst) begin
      state <= IDLE;
      g_busy <= 1'b0;
      m_valid_any <= 1'b0;
      p_valid <= 1'b0;
      for (int i = 0; i < NS; i++) s_valid[i] <= 1'b0;
      done_count <= '0;
      now <= '0;
      touched[0] <= '0;
      touched[1] <= '0;
      touched_s <= '0;
      for (int l = 0; l < LANES; l++) for (int h = 0; h < L; h++) hz_valid[l][h] <= 1'b0;
    end else begin
      now <= now + 1;
      if (t_clear) begin
        touched[t_par] <= '0;
        if (t_single) touched_s <= '0;
      end
      case (state)
        IDLE: if (desc_valid) begin
          d_part <= `SBE_F(desc, 0, 4, 4);
          d_par <= `SBE_F(desc, 0, 5, 5);
          d_single <= `SBE_F(desc, 0, 6, 6);
          d_wbase <= `SBE_W(desc, 3);
          d_ncols <= `SBE_W(desc, 4);
          d_obase <= `SBE_W(desc, 6);
          d_B <= `SBE_W(desc, 7);
          d_g <= `SBE_W(desc, 8);
          d_cpi <= `SBE_W(desc, 9);
          d_load <= `SBE_F(desc, 10, 15, 0);
          d_tail <= `SBE_F(desc, 11, 15, 0);
          d_hidx0 <= `SBE_W(desc, 12);
          d_dk <= `SBE_W(desc, 13);
          d_db <= `SBE_W(desc, 14);
          d_spl <= `SBE_F(desc, 15, 15, 0);
          d_dbg <= `SBE_F(desc, 15, 31, 16);
          su_i <= '0;
          su_k <= '0;
          su_b <= '0;
          su_bg <= '0;
          su_slot <= '0;
          su_lane <= LL'(`SBE_W(desc, 5));
          next_lane <= LL'(`SBE_W(desc, 5));
          state <= SETUP;
        end
        SETUP: begin
          // Item su_i (column su_k, sample su_b) is lane su_lane's first.
          it_k[su_lane] <= su_k;
          it_b[su_lane] <= su_b;
          it_n[su_lane] <= su_i;
          it_slot[su_lane] <= su_slot[15:0];
          it_kmod[su_lane] <= LL'(su_k);
          it_waddr[su_lane] <= d_wbase;
          it_oaddr[su_lane] <= d_obase + su_i;
          su_i <= su_i + 1;
          su_lane <= (32'(su_lane) == LANES - 1) ? '0 : su_lane + 1'b1;
          if (su_b + 1 == d_B) begin
            su_b <= '0;
            su_k <= su_k + 1;
            su_bg <= '0;
            su_slot <= '0;
          end else if (su_bg + 1 == d_g) begin
            su_b <= su_b + 1;
            su_bg <= '0;
            su_slot <= su_slot + 1;
          end else begin
            su_b <= su_b + 1;
            su_bg <= su_bg + 1;
          end
          if (su_i == LANES - 1) state <= ISSUE;
        end
        ISSUE: if (!any_left) state <= IDLE;
        default: state <= IDLE;
      endcase

      // A group issues: snapshot it, advance its lanes by LANES items.
      if (issue) begin
        g_busy <= 1'b1;
        g_q <= '0;
        g_cpi <= d_cpi;
        g_mask <= gmask;
        g_single <= d_single;
        g_par <= d_par;
        g_lane0 <= next_lane;
        next_lane <= (32'(glast) == LANES - 1) ? '0 : glast + 1'b1;
        begin
          logic more;
          more = 1'b0;
          for (int l = 0; l < LANES; l++) begin
            if (gmask[l]) begin
              logic [31:0] nb, nk;
              logic [15:0] ns;
              logic [LL:0] km;
              g_kmod[l] <= it_kmod[l];
              g_waddr[l] <= it_waddr[l];
              g_slot[l] <= SB'(it_slot[l]);
              if (d_single) begin
                g_first[l] <= !touched_s[l*SLOTS + 32'(it_slot[l])];
                touched_s[l*SLOTS + 32'(it_slot[l])] <= 1'b1;
              end else begin
                g_first[l] <= !touched[d_par][l*SLOTS + 32'(it_slot[l])];
                touched[d_par][l*SLOTS + 32'(it_slot[l])] <= 1'b1;
              end
              for (int h = L - 1; h > 0; h--) begin
                hz_valid[l][h] <= hz_valid[l][h-1];
                hz_key[l][h] <= hz_key[l][h-1];
                hz_start[l][h] <= hz_start[l][h-1];
              end
              hz_valid[l][0] <= 1'b1;
              hz_key[l][0] <= {d_single, d_par && !d_single, SB'(it_slot[l])};
              hz_start[l][0] <= now;
              nb = it_b[l] + d_db;
              nk = it_k[l] + d_dk;
              ns = it_slot[l] + d_dbg;
              if (nb >= d_B) begin
                nb = nb - d_B;
                nk = nk + 1;
                ns = ns - d_spl;
              end
              it_b[l] <= nb;
              it_k[l] <= nk;
              it_slot[l] <= ns;
              it_n[l] <= it_n[l] + LANES;
              it_oaddr[l] <= it_oaddr[l] + LANES;
              km = {1'b0, it_kmod[l]} + (LL+1)'(nk - it_k[l]);
              if (32'(km) >= LANES) begin
                it_kmod[l] <= LL'(32'(km) - LANES);
                it_waddr[l] <= it_waddr[l] + d_cpi;
              end else begin
                it_kmod[l] <= LL'(km);
              end
              if (nk < d_ncols) more = 1'b1;
            end else if (valid[l]) begin
              more = 1'b1;
            end
          end
          g_last <= !more;
        end
      end else if (g_busy) begin
        if (g_q == g_cpi - 1) g_busy <= 1'b0;
        else g_q <= g_q + 1;
      end

      // Stage M: the chunk read last cycle times the operand.
      m_valid_any <= g_busy;
      m_mask <= g_mask;
      for (int l = 0; l < LANES; l++) begin
        m_slot[l] <= g_slot[l];
        m_kmod[l] <= g_kmod[l];
      end
      m_first <= g_first;
      m_q <= CB'(g_q);
      m_single <= g_single;
      m_par <= g_par;
      m_last <= g_last && g_q == g_cpi - 1;
      m_lane0 <= g_lane0;
      if (g_busy && g_q == 0) g_operand <= s_rdata;
      p_valid <= m_valid_any;
      p_mask <= m_mask;
      for (int l = 0; l < LANES; l++) p_slot[l] <= m_slot[l];
      p_first <= m_first;
      p_q <= m_q;
      p_single <= m_single;
      p_par <= m_par;
      p_last <= m_last;
      // Sum pipeline.
      s_valid[0] <= p_valid;
      s_mask[0] <= p_mask;
      s_single[0] <= p_single;
      s_par[0] <= p_par;
      s_last[0] <= p_last;
      s_addr[0] <= a0;
      for (int i = 1; i < NS; i++) begin
        s_valid[i] <= s_valid[i-1];
        s_mask[i] <= s_mask[i-1];
        s_single[i] <= s_single[i-1];
        s_par[i] <= s_par[i-1];
        s_last[i] <= s_last[i-1];
        s_addr[i] <= s_addr[i-1];
      end
      if (wr_valid && wr_last) done_count <= done_count + 16'd1;
    end
  end
endmodule
