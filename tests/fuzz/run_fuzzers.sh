#!/usr/bin/env bash
# Runs every fuzzer of a fuzz build for SECONDS each, starting from the seed corpora in
# tests/fuzz/corpus (copied, so the repository is not modified). Exits non-zero when a fuzzer
# finds a crash, a leak, undefined behaviour or a slow input; reproducers are kept in
# BUILD_DIR/fuzz-artifacts.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
usage="usage: run_fuzzers.sh BUILD_DIR SECONDS"
build=${1:?$usage}
seconds=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
artifacts="$(cd "$build" && pwd)/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# UBSan findings must end the run (the build also compiles with -fno-sanitize-recover).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

status=0
found=0
for fuzzer in "$build"/tests/fuzz/fuzz_*; do
  [ -f "$fuzzer" ] && [ -x "$fuzzer" ] || continue
  found=$((found + 1))
  name=$(basename "$fuzzer")
  format=${name#fuzz_}
  corpus="$work/$format"
  mkdir -p "$corpus"
  if [ -d "$here/corpus/$format" ]; then cp -r "$here/corpus/$format/." "$corpus/"; fi
  log="$work/$name.log"
  echo "fuzz: $name for ${seconds}s from $(ls "$corpus" | wc -l) seeds"
  if "$fuzzer" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/$name-" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $name ok, ${execs:-?} executions, corpus grew to $(ls "$corpus" | wc -l) inputs"
  else
    echo "fuzz: $name FAILED (reproducer in $artifacts)"
    tail -n 60 "$log"
    status=1
  fi
done
if [ "$found" -eq 0 ]; then
  echo "fuzz: no fuzz_* executables under $build/tests/fuzz (configure with -DSBE_FUZZ=ON)" >&2
  exit 2
fi
exit $status
