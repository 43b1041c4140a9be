// The file between make_cell_vectors (the golden model's answers) and the Verilator testbench
// of sbe_cell_datapath: a header, then `count` records, native layout (both are built on the
// same machine by the same test).
#pragma once

#include <cstdint>

namespace sbe::hwtest {

inline constexpr char kCellVectorsMagic[8] = {'s', 'b', 'e', 'c', 'e', 'l', 'l', '1'};

struct CellVectorsHeader {
  char magic[8];
  uint64_t count;
};

struct CellVector {
  // Inputs, gate order i, f, g, o.
  int32_t acc_x[4], acc_h[4], bias[4];
  int32_t c;
  int8_t x_shift, h_shift;
  uint8_t h_frac;
  uint8_t pad = 0;
  // Expected outputs.
  int32_t c_out;
  int16_t h_out;
  uint8_t sat_preact, sat_cell;
  // The golden intermediates, printed on a mismatch.
  int16_t preact[4], gate[4];
};
static_assert(sizeof(CellVector) == 80);

}  // namespace sbe::hwtest
