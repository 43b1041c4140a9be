// The activation tables as the RTL's ROMs hold them (hw/rtl/sbe_activation.sv): $readmemh
// text of fx::SigmoidTable() and fx::TanhTable(), packed per segment as the SIMD executors
// read them (src/numeric/datapath-inl.h, Pack).
#pragma once

#include <string>

#include "sbe/fixed_point.h"

namespace sbe::hw {

// 1024 lines of 8 hex digits after one `//` comment line: entry k is
// (T[k+1] - T[k]) << 16 | (T[k] & 0xffff).
std::string ActivationTableMem(const fx::ActivationTable& table);

// Writes sigmoid.mem and tanh.mem into `dir` (which must exist); throws sbe::Error naming the
// file it could not write.
void WriteActivationTables(const std::string& dir);

}  // namespace sbe::hw
