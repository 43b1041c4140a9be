#!/usr/bin/env bash
# Runs every fuzzer of a fuzz build for a bounded time each, from the seed corpora in
# tests/fuzz/corpus (copied, so the repository is not modified). Exits non-zero on a crash.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: run_fuzzers.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run_fuzzers.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for fuzzer in "$build"/tests/fuzz/fuzz_*; do
  [ -x "$fuzzer" ] || continue
  name=$(basename "$fuzzer")
  corpus="$work/${name#fuzz_}"
  mkdir -p "$corpus"
  cp -r "$here/corpus/${name#fuzz_}/." "$corpus/" 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  if "$fuzzer" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$work/$name-" >"$work/$name.log" 2>&1; then
    grep -E "stat::number_of_executed_units" "$work/$name.log" | sed "s/^/fuzz: $name /" || true
  else
    echo "fuzz: $name FAILED"
    tail -n 40 "$work/$name.log"
    status=1
  fi
done
exit $status
