#!/usr/bin/env bash
# Quick start, command 1: set up, build, and run the main job on the built-in default model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo
build/sbe report --summary   # lrcn: this CPU (sbe fp32, int16; oneDNN) beside the paper's boards, simulated
