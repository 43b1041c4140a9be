// The `cpu` board: this machine described in the board format, from CPUID and a short
// measurement of its memory read bandwidth.
#pragma once

#include "sbe/board.h"

namespace sbe {

Board DetectCpuBoard();
// Sustained read bandwidth of main memory with all cores, GB/s (a ~0.1 s measurement).
double MeasureReadBandwidthGbs();

}  // namespace sbe
