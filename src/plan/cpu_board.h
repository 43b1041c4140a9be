// The `cpu` board: this machine described in the board format, from CPUID and a short
// measurement of its memory read bandwidth.
#pragma once

#include "sbe/board.h"

namespace sbe {

Board DetectCpuBoard();
// Sustained read bandwidth of main memory with all cores, GB/s (a ~0.1 s measurement).
double MeasureReadBandwidthGbs();
// int16 multiply-adds per second on all cores, in units of 1e9 (about 0.5 s), with the best
// SIMD target Highway finds at run time.
double MeasurePeakInt16Gmacs();
// The cpu board with macs_per_cycle measured instead of derived from the SIMD width.
Board DetectCpuBoardMeasured();

}  // namespace sbe
