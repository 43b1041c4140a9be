#!/usr/bin/env bash
# Quick start, command 2: set up, build, and run every test: the suite in Release, the suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer, the concurrency tests under
# ThreadSanitizer, and each fuzzer for a bounded time. A skipped test is counted as skipped,
# never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
scripts/setup.sh

JOBS=$(nproc)
FUZZ_SECONDS=${SBE_FUZZ_SECONDS:-30}
LOG=$(mktemp -d)
passed=0 failed=0 skipped=0
RUNNER=()  # a command that ctest runs under (the ThreadSanitizer run's: no ASLR)

stage() { echo "== $1 ($(( (SECONDS - start) / 60 )) min in)"; }

run_ctest() {  # build dir, label, ctest arguments...
  local dir=$1 label=$2
  shift 2
  stage "tests ($label)"
  if "${RUNNER[@]}" ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "$@" | tee "$LOG/$label.log"; then :; fi
  local line
  line=$(grep -E "tests passed, [0-9]+ tests failed out of" "$LOG/$label.log" | tail -n 1 || true)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  local total fail skip
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  # ctest counts a skipped test among the passed; it lists it under "did not run".
  skip=$(grep -cE '^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$' "$LOG/$label.log" || true)
  passed=$((passed + total - fail - skip)); failed=$((failed + fail)); skipped=$((skipped + skip))
}

run_ctest build release

stage "build (asan+ubsan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBE_SANITIZE=ON >/dev/null
ninja -C build-asan
# Leaks in the sanitizer run are real failures; halt on the first UB report.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest build-asan asan
unset ASAN_OPTIONS UBSAN_OPTIONS

# ThreadSanitizer: the tests whose threads share memory (the engine's thread pool and stall-free
# flags under every decomposition, the server's batcher, the Python module's engine called from
# many threads with the GIL released). Only what they need is built. ASLR is turned off for
# them: ThreadSanitizer's fixed memory layout fails on kernels with more mmap randomisation.
stage "build (tsan)"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSBE_THREAD_SANITIZE=ON >/dev/null
ninja -C build-tsan sbe_thread_tests _sbe
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
RUNNER=(setarch "$(uname -m)" -R)
"${RUNNER[@]}" true 2>/dev/null || RUNNER=()
run_ctest build-tsan tsan -R '^(CpuEngine|ServeBatcher)\.'
stage "tests (tsan, python module)"
if "${RUNNER[@]}" env LD_PRELOAD="$(g++ -print-file-name=libtsan.so)" PYTHONPATH=build-tsan/python \
     SBE_CPU_BOARD="$PWD/tests/data/cpu/epyc-zen3-2core.json" PYTHONDONTWRITEBYTECODE=1 \
     /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/module/test_engine.py \
     -k "many_threads or gil_is_released" | tee "$LOG/tsan-module.log"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi
unset TSAN_OPTIONS
RUNNER=()

stage "fuzzers (${FUZZ_SECONDS}s each)"
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
echo "test.sh took $(( (SECONDS - start) / 60 )) min"
echo "all: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
