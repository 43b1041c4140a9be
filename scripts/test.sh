#!/usr/bin/env bash
# Quick start, command 2: set up, build, and run every test: the suite in Release, the suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer, and each fuzzer for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

JOBS=$(nproc)
FUZZ_SECONDS=${SBE_FUZZ_SECONDS:-30}
LOG=$(mktemp -d)
passed=0 failed=0

run_ctest() {  # build dir, label
  echo "== tests ($2)"
  if ctest --test-dir "$1" --output-on-failure -j "$JOBS" | tee "$LOG/$2.log"; then :; fi
  local line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of" "$LOG/$2.log" | tail -n 1 || true)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  local total fail
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + total - fail)); failed=$((failed + fail))
}

run_ctest build release

echo "== build (asan+ubsan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBE_SANITIZE=ON >/dev/null
ninja -C build-asan
# Leaks in the sanitizer run are real failures; halt on the first UB report.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest build-asan asan
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== fuzzers (${FUZZ_SECONDS}s each)"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBE_FUZZ=ON \
  -DSBE_TESTS=OFF -DSBE_PYTHON_MODULE=OFF >/dev/null
ninja -C build-fuzz sbe_fuzzers
n_fuzzers=$(find build-fuzz/tests/fuzz -maxdepth 1 -name 'fuzz_*' -type f -perm -u+x | wc -l)
if tests/fuzz/run_fuzzers.sh build-fuzz "$FUZZ_SECONDS"; then
  passed=$((passed + n_fuzzers))
else
  failed=$((failed + 1))
fi

echo
echo "all: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
