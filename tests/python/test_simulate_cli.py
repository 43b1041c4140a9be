"""`sbe simulate`: the JSON report, outputs equal to `sbe run --precision int16`, traces, and bad
input through the command line."""

import json
import unittest

import numpy as np

from sbe_test_util import (SBE_REPO, assert_ok, assert_one_line_error, read_npy, run_sbe,
                           run_sbe_json, temp_dir, write_npy)

FIELDS = ("board", "model", "arch", "batch", "blocks", "cycles", "seconds", "gops",
          "ms_per_sample", "mj_per_sample", "pe_utilization", "dram_utilization", "stall_cycles")


class SimulateCliTest(unittest.TestCase):
    def test_json_has_the_issue_fields_and_adds_up(self):
        for arch in ("stall-free", "baseline"):
            with self.subTest(arch=arch):
                j = run_sbe_json(self, "simulate", "--board", "z7045", "--model", "deepbench-256",
                                 "--steps", "5", "--batch", "3", "--samples", "4", "--arch", arch,
                                 "--check")
                for field in FIELDS:
                    self.assertIn(field, j)
                self.assertEqual(j["arch"], arch)
                self.assertEqual((j["batch"], j["samples"], j["batches"]), (3, 4, 2))
                self.assertTrue(j["check_vs_golden"]["bit_exact"])
                self.assertEqual(j["cycles"], j["busy_cycles"] + j["stall_cycles"]["total"])
                self.assertTrue(0 < j["pe_utilization"] <= 1)
                self.assertTrue(0 < j["dram_utilization"] <= 1)
                self.assertAlmostEqual(j["seconds"], j["cycles"] / 142e6, delta=1e-9)
                # Every PE-cycle accounted for: multiply-adds, idle lanes and rows, stalls.
                pe = j["pe_cycles"]
                self.assertEqual(pe["total"], 896 * j["cycles"])
                self.assertEqual(pe["useful"] + pe["idle_lanes"] + pe["idle_rows"] + pe["stalled"], pe["total"])
                self.assertAlmostEqual(pe["shares"]["useful"], j["pe_utilization"], delta=1e-12)

    def test_the_input_part_hoisted_is_bit_exact_and_near_the_compute_bound(self):
        hoisted = run_sbe_json(self, "simulate", "--board", "z7045", "--model", "lrcn", "--batch", "1",
                               "--input-part", "hoisted", "--check")
        self.assertTrue(hoisted["check_vs_golden"]["bit_exact"])
        self.assertGreater(hoisted["gops"], 0.75 * 2 * 896 * 0.142)
        per_step = run_sbe_json(self, "simulate", "--board", "z7045", "--model", "lrcn", "--batch", "1",
                                "--input-part", "per-step", "--timing-only")
        self.assertGreater(per_step["dram_read_bytes"], 10 * hoisted["dram_read_bytes"])
        assert_one_line_error(self, run_sbe("simulate", "--input-part", "hoisted", "--arch", "baseline",
                                            "--steps", "2", "--model", "deepbench-256"), "baseline")

    def test_outputs_equal_the_golden_model_through_sbe_run(self):
        tmp = temp_dir(self)
        x = np.random.default_rng(3).uniform(-1, 1, (6, 5, 256)).astype(np.float32)
        write_npy(tmp / "x.npy", x)
        sim = run_sbe("simulate", "--model", "deepbench-256", "--input", tmp / "x.npy",
                      "--batch", "2", "--output", tmp / "sim.npy")
        assert_ok(self, sim)
        run = run_sbe("run", "--model", "deepbench-256", "--input", tmp / "x.npy", "--precision",
                      "int16", "--output", tmp / "golden.npy")
        assert_ok(self, run)
        np.testing.assert_array_equal(read_npy(tmp / "sim.npy"), read_npy(tmp / "golden.npy"))

    def test_trace_opens_as_chrome_trace_json(self):
        path = temp_dir(self) / "trace.json"
        j = run_sbe_json(self, "simulate", "--model", "deepbench-256", "--steps", "3",
                         "--samples", "2", "--batch", "2", "--trace", path)
        trace = json.loads(path.read_text())
        phases = {e["ph"] for e in trace["traceEvents"]}
        self.assertEqual(phases, {"M", "X"})
        self.assertEqual(j["trace"]["events"], sum(e["ph"] == "X" for e in trace["traceEvents"]))
        names = " ".join(e["name"] for e in trace["traceEvents"] if e["ph"] == "X")
        for word in ("load", "mv", "tail", "x l0"):
            self.assertIn(word, names)

    def test_stall_free_beats_the_baseline(self):
        args = ("simulate", "--board", "vx690t", "--model", "lrcn", "--batch", "8", "--timing-only")
        sbe = run_sbe_json(self, *args)
        base = run_sbe_json(self, *args, "--arch", "baseline")
        self.assertGreater(sbe["gops"], 2 * base["gops"])
        self.assertGreater(base["stall_cycles"]["accumulator"], base["cycles"] // 2)

    def test_bad_input_gives_one_line_errors(self):
        tmp = temp_dir(self)
        board = json.loads((SBE_REPO / "boards" / "z7045.json").read_text())
        board["onchip"]["bram36"] = 1
        board["onchip"]["reserved_bram36"] = 0
        (tmp / "tiny.json").write_text(json.dumps(board))
        board["clock_mhz"] = -5
        (tmp / "negative.json").write_text(json.dumps(board))
        cases = [
            (("--batch", "0"), ("--batch 0",)),
            (("--batch", "many"), ("--batch many",)),
            (("--arch", "systolic"), ("--arch systolic",)),
            (("--board", "cpu"), ("--board cpu", "FPGA")),
            (("--board", tmp / "tiny.json"), ("on-chip",)),
            (("--board", tmp / "negative.json"), ("negative.json", "clock_mhz")),
            (("--samples", "0"), ("--samples 0",)),
            (("--timing-only", "--check"), ("--timing-only",)),
            (("--model", "deepbench-256", "--steps", "2", "--trace", tmp / "no" / "t.json"),
             ("--trace",)),
        ]
        for args, words in cases:
            with self.subTest(args=args):
                assert_one_line_error(self, run_sbe("simulate", *args), *words)


if __name__ == "__main__":
    unittest.main()
