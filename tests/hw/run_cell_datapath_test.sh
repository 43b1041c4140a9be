#!/usr/bin/env bash
# hw.cell_datapath: sbe_cell_datapath against the golden model, bit for bit.
# Builds the Verilator testbench (tests/hw/cell_datapath_tb.cc) into WORK/obj, writes the
# vectors with make_cell_vectors (accelerator tables and stress tables) and runs both.
# usage: run_cell_datapath_test.sh MAKE_CELL_VECTORS REPO WORK
set -euo pipefail
gen=$1 repo=$2 work=$3
rtl=$repo/hw/rtl

# The verilated program is not part of the CMake build: a sanitized or otherwise configured
# build must not pass its flags to it.
unset CXXFLAGS CFLAGS CPPFLAGS LDFLAGS MAKEFLAGS

mkdir -p "$work/real" "$work/stress" "$work/obj"
"$gen" real "$work/real" 200000 1
"$gen" stress "$work/stress" 100000 2

# -O1: the build dominates the run, and the simulation is short either way.
verilator --cc --exe --build -j 2 --Mdir "$work/obj" -o Vcell_datapath_tb \
  --top-module sbe_cell_datapath -y "$rtl" \
  -CFLAGS "-O1 -I$repo/tests/hw" -MAKEFLAGS "OPT_FAST=-O1 OPT_SLOW=-O1 OPT_GLOBAL=-O1" \
  "$rtl/sbe_cell_datapath.sv" "$repo/tests/hw/cell_datapath_tb.cc" >"$work/verilator.log" 2>&1 ||
  { cat "$work/verilator.log"; exit 1; }

(cd "$work/real" && "$work/obj/Vcell_datapath_tb" vectors.bin)
(cd "$work/stress" && "$work/obj/Vcell_datapath_tb" vectors.bin)
