#!/usr/bin/env bash
# hw.lint: verilator --lint-only -Wall on each named top module of hw/rtl (TOP.sv, with the
# modules it instantiates found by name in the same directory).
# usage: lint.sh RTL_DIR TOP...
set -uo pipefail
rtl=$1
shift
status=0
for top in "$@"; do
  if verilator --lint-only -Wall -y "$rtl" +incdir+"$rtl" --top-module "$top" "$rtl/$top.sv"; then
    echo "lint ok: $top"
  else
    status=1
  fi
done
exit $status
