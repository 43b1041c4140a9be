// A Vivado script for the accelerator of one board and plan: what a hardware engineer takes
// to a machine with Vivado to get the timing that Yosys cannot give (placed and routed, with
// the clock of the board's description). Written by `sbe hw emit`; never run here.
#pragma once

#include <string>

#include "hw/hw_program.h"
#include "sbe/board.h"

namespace sbe::hw {

// The device with package and speed grade of the board that carries `part` (the Arty A7-100T,
// the ZC706, the VC709), or `part` itself when it names them already or is none of those.
std::string FullPartName(const std::string& part);

// Tcl for Vivado's non-project flow, run from the folder `sbe hw emit` wrote: the RTL (rtl/*.sv)
// and the activation tables, sbe_top synthesized out of context with the configuration's
// parameters as generics, a clock of the board's period on `clk`, placed and routed, the
// utilization and timing reports, and one line with the worst slack and the Fmax it implies.
std::string VivadoScript(const HwConfig& config, const Board& board, const std::string& plan);

}  // namespace sbe::hw
