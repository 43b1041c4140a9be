"""Helpers shared by the Python tests of `sbe`: running it, .npy files, temp dirs, error checks.

API (keep it small; test_*.py files import these names):
  SBE_BIN, SBE_REPO          the binary under test and the repository root (from the environment)
  run_sbe(*args, timeout=, env=)   runs sbe, returns Result(rc, stdout, stderr); a timeout fails
                             the test; env: variables to set (a value None unsets it)
  run_command(argv, timeout=, env=)  the same for any command (e.g. tools/export_torch.py)
  run_sbe_json(test, *args, env=)  runs sbe with --json, asserts success, returns the parsed object
  temp_dir(test)             a fresh directory (pathlib.Path), removed when the test ends
  read_npy(path) / write_npy(path, array)
  assert_ok(test, result)    rc 0 and no error line, showing stderr when not
  assert_one_line_error(test, result, *substrings, prefix="sbe: error:")
  assert_close(test, actual, expected, tol, what)   same shape, max abs error <= tol; returns it
Importing this module also puts tools/ on sys.path, so `import export_torch` works.
"""

import collections
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

SBE_REPO = pathlib.Path(os.environ.get("SBE_REPO", pathlib.Path(__file__).resolve().parents[2]))
# ctest sets SBE_BIN to the binary it built; by hand, export it (SBE_BIN=build/sbe python3 -m ...).
SBE_BIN = os.environ.get("SBE_BIN", str(SBE_REPO / "build" / "sbe"))
sys.path.insert(0, str(SBE_REPO / "tools"))

# Generous for one small run, even under AddressSanitizer; a hang must still end the test.
DEFAULT_TIMEOUT_S = 120

Result = collections.namedtuple("Result", "rc stdout stderr")


def run_sbe(*args, timeout=DEFAULT_TIMEOUT_S, env=None):
    """Runs `sbe args...` (each arg passed through str) and returns Result(rc, stdout, stderr)."""
    if not os.access(SBE_BIN, os.X_OK):
        raise AssertionError(f"sbe binary {SBE_BIN!r} is missing; set SBE_BIN")
    return run_command([SBE_BIN, *args], timeout=timeout, env=env)


def run_command(argv, timeout=DEFAULT_TIMEOUT_S, env=None):
    """Runs argv (each item passed through str) and returns Result(rc, stdout, stderr); `env`
    sets variables over this process's environment (None unsets one)."""
    cmd = [str(a) for a in argv]
    environment = None
    if env:
        environment = dict(os.environ)
        for k, v in env.items():
            if v is None:
                environment.pop(k, None)
            else:
                environment[k] = str(v)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout,
                           check=False, env=environment)
    except subprocess.TimeoutExpired as e:
        # An AssertionError makes unittest report a failure of this test, not an error of the run.
        raise AssertionError(f"timed out after {timeout} s: {' '.join(cmd)}") from e
    return Result(p.returncode, p.stdout, p.stderr)


def _describe(result, args=()):
    return (f"sbe {' '.join(map(str, args))}\nrc {result.rc}\n--- stdout\n{result.stdout[-2000:]}"
            f"\n--- stderr\n{result.stderr[-4000:]}")


def assert_ok(test, result, args=()):
    """Asserts the run succeeded: rc 0 and no 'sbe: error:' line (warnings are allowed)."""
    test.assertEqual(result.rc, 0, _describe(result, args))
    test.assertNotIn("sbe: error:", result.stderr, _describe(result, args))


def run_sbe_json(test, *args, timeout=DEFAULT_TIMEOUT_S, env=None):
    """Runs `sbe args... --json`, asserts success and that stdout is one JSON object; returns it."""
    args = args + ("--json",)
    result = run_sbe(*args, timeout=timeout, env=env)
    assert_ok(test, result, args)
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"stdout is not JSON ({e}):\n{_describe(result, args)}") from e


def assert_one_line_error(test, result, *substrings, prefix="sbe: error:"):
    """Asserts a clean refusal: non-zero rc that is not a signal, a crash or an internal error
    (70), and stderr that is exactly one non-empty line starting with `prefix`, containing each
    of `substrings`, with no Python traceback or sanitizer report.
    """
    detail = _describe(result)
    test.assertNotEqual(result.rc, 0, "expected failure\n" + detail)
    test.assertGreater(result.rc, 0, "killed by a signal\n" + detail)
    test.assertNotEqual(result.rc, 70, "internal error (rc 70): an unexpected exception\n" + detail)
    lines = result.stderr.splitlines()
    test.assertEqual(len(lines), 1, "stderr must be exactly one line\n" + detail)
    line = lines[0]
    test.assertTrue(line.startswith(prefix) and line[len(prefix):].strip(),
                    f"stderr must be one non-empty line starting with {prefix!r}\n" + detail)
    test.assertNotIn("Traceback", result.stderr, detail)
    for s in substrings:
        test.assertIn(str(s), line, f"the message must name {s!r}\n" + detail)
    return line


def temp_dir(test):
    """A fresh directory for one test, removed by the test's cleanup."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="sbe_test_"))
    test.addCleanup(shutil.rmtree, path, ignore_errors=True)
    return path


def read_npy(path):
    return np.load(path, allow_pickle=False)


def write_npy(path, array):
    """Saves `array` as given (dtype, order): tests make bad inputs with it, so nothing is fixed."""
    np.save(path, array, allow_pickle=False)
    return path


def assert_close(test, actual, expected, tol, what):
    """Asserts equal shapes and max |actual - expected| <= tol (NaN counts as a failure)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    test.assertEqual(actual.shape, expected.shape, f"{what}: shape")
    if actual.size == 0:
        return 0.0
    err = float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64))))
    if not err <= tol:  # written so that NaN fails too
        test.fail(f"{what}: max abs error {err:.3g} > {tol:.3g}")
    return err
