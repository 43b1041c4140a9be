"""Shared fixtures of the Python module's tests (pytest; docs/PYTHON.md is what they check).

ctest runs them with build/python on PYTHONPATH and SBE_BIN naming the command built beside the
module, so that the module's results are compared with the command's on the same inputs.
"""
import json
import os
import pathlib
import subprocess
import sys
import zlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SBE_BIN = os.environ.get("SBE_BIN", str(REPO / "build" / "sbe"))
# tools/export_torch.py writes nn.LSTMs as safetensors for the command's side of a comparison.
sys.path.insert(0, str(REPO / "tools"))

def run_sbe(*args, expect_ok=True, timeout=300):
    """Runs the command; returns the CompletedProcess, asserting success unless told not to."""
    p = subprocess.run([SBE_BIN, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       check=False)
    if expect_ok:
        assert p.returncode == 0, f"sbe {' '.join(map(str, args))}\n{p.stderr}"
    return p


def run_sbe_json(*args):
    return json.loads(run_sbe(*args, "--json").stdout)


def assert_close(actual, expected, tol, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if actual.size:
        err = float(np.max(np.abs(actual.astype(np.float64) - expected.astype(np.float64))))
        assert err <= tol, f"{what}: max abs error {err:.3g} > {tol:.3g}"


# Fresh random inputs on every run; the seed is in pytest's header, and SBE_TEST_SEED=N repeats
# a run.
SESSION_SEED = int(os.environ.get("SBE_TEST_SEED", np.random.SeedSequence().entropy % 2**31))


def pytest_report_header(config):
    return f"sbe module tests: SBE_TEST_SEED={SESSION_SEED}"


@pytest.fixture
def rng(request):
    return np.random.default_rng([SESSION_SEED, zlib.crc32(request.node.nodeid.encode())])
