// The descriptor format (docs/HARDWARE.md, "Descriptors"): 16 little-endian 32-bit words.
`ifndef SBE_DESC_SVH
`define SBE_DESC_SVH
`define SBE_DESC_BITS 512
`define SBE_W(d, i) d[(i)*32 +: 32]
// Bits hi:lo of word i (Yosys takes no part-select of a part-select).
`define SBE_F(d, i, hi, lo) d[(i)*32 + (lo) +: (hi) - (lo) + 1]
`define SBE_OP_END 4'd0
`define SBE_OP_LOAD 4'd1
`define SBE_OP_COMPUTE 4'd2
`define SBE_OP_TAIL 4'd3
`define SBE_OP_STORE 4'd4
`define SBE_TGT_WEIGHTS 2'd0
`define SBE_TGT_STATE 2'd1
`define SBE_TGT_CELL 2'd2
`define SBE_TGT_BIAS 2'd3
`endif
