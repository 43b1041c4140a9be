#include "hw/vivado.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace sbe::hw {

std::string FullPartName(const std::string& part) {
  // The evaluation boards of the presets: Digilent Arty A7-100T, Xilinx ZC706 and VC709.
  static const std::array<std::pair<const char*, const char*>, 3> kBoards{{
      {"xc7a100t", "xc7a100tcsg324-1"},
      {"xc7z045", "xc7z045ffg900-2"},
      {"xc7vx690t", "xc7vx690tffg1761-2"},
  }};
  for (const auto& [device, full] : kBoards) {
    if (part == device) return full;
  }
  return part;
}

std::string VivadoScript(const HwConfig& config, const Board& board, const std::string& plan) {
  std::string generics;
  for (const auto& [name, value] : config.Parameters()) generics += fmt::format(" \\\n    -generic {}={}", name, value);
  const double period_ns = 1000.0 / board.clock_mhz;
  return fmt::format(
      R"tcl(# sbe_top for board {board}, plan {plan}: Vivado, non-project flow.
# Written by `sbe hw emit`. NOT RUN where it was written (no Vivado there): the figures sbe
# reports come from Yosys, which has no timing model of this family; this script is how to get
# placed-and-routed timing and utilization for the design.
#   vivado -mode batch -source vivado.tcl        (from this folder)
# The accelerator is synthesized out of context (no I/O buffers): in a block design, connect
# s_axil_* to the processor's AXI4-Lite master, m_axi_* to the memory (its data width is
# AXI_BITS), irq to an interrupt input, and clk / rst (active high) to the fabric clock.
set here [file dirname [file normalize [info script]]]
cd $here
set part "{part}"
if {{$part eq ""}} {{ error "board {board} names no part: set part to the FPGA (xc7a100tcsg324-1, ...)" }}
set period_ns {period:.3f}
read_verilog -sv [lsort [glob $here/rtl/*.sv]]
read_mem [list $here/sigmoid.mem $here/tanh.mem]
synth_design -top sbe_top -part $part -mode out_of_context -include_dirs [list $here/rtl]{generics}
create_clock -name clk -period $period_ns [get_ports clk]
opt_design
place_design
phys_opt_design
route_design
report_utilization -file $here/vivado_utilization.rpt
report_timing_summary -file $here/vivado_timing.rpt
set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
puts [format "sbe: worst setup slack %.3f ns at %.3f ns (%.0f MHz): Fmax about %.0f MHz" \
    $wns $period_ns [expr {{1000.0 / $period_ns}}] [expr {{1000.0 / ($period_ns - $wns)}}]]
write_checkpoint -force $here/sbe_top_routed.dcp
)tcl",
      fmt::arg("board", board.name), fmt::arg("plan", plan), fmt::arg("part", FullPartName(board.part)),
      fmt::arg("period", period_ns), fmt::arg("generics", generics));
}

}  // namespace sbe::hw
