"""`sbe bench`: every engine measured on one small workload, in one JSON report; bad arguments."""

import json
import unittest

from sbe_test_util import (assert_ok, assert_one_line_error, run_sbe, temp_dir)


class BenchCliTest(unittest.TestCase):
    def test_one_small_workload_reports_every_engine(self):
        tmp = temp_dir(self)
        r = run_sbe("bench", "--model", "deepbench-256", "--batch", "1,3", "--steps", "3",
                    "--repeat", "2", "--threads", "2", "--json", tmp / "b.json",
                    "--plot", tmp / "b.png", timeout=300)
        assert_ok(self, r)
        report = json.loads((tmp / "b.json").read_text())
        self.assertIn("machine", report)
        ceilings = report["ceilings"]
        self.assertGreater(ceilings["fp32_gflops"], 0)
        self.assertGreater(ceilings["int16_gops"], 0)
        self.assertEqual([w["batch"] for w in report["workloads"]], [1, 3])
        for w in report["workloads"]:
            engines = {(r["engine"], r["precision"], r.get("schedule")) for r in w["results"]}
            for want in [("onednn", "fp32", None), ("sbe", "fp32", "stall-free"),
                         ("sbe", "fp32", "barrier"), ("sbe", "int16", "stall-free"),
                         ("sbe", "int16", "barrier")]:
                self.assertIn(want, engines)
            self.assertEqual(w["macs"], 3 * w["batch"] * (1024 * 256 * 2))
            for res in w["results"]:
                self.assertEqual(len(res["all_seconds"]), 2)
                self.assertGreater(res["gops"], 0)
                self.assertAlmostEqual(res["gops"], 2 * w["macs"] / res["seconds"] * 1e-9, delta=1e-6 * res["gops"])
                self.assertGreater(res["roofline_gops"], 0)
                # Same weights and inputs: every engine computes what oneDNN computes.
                tol = 2e-2 if res["precision"] == "int16" else 1e-4
                self.assertLess(res["max_abs_diff_vs_onednn"], tol, res)
                if res["engine"] != "onednn":
                    self.assertIn("vs_onednn", res)
        self.assertTrue((tmp / "b.png").stat().st_size > 10000)
        self.assertIn("deepbench-256, batch 3", r.stdout)

    def test_json_to_stdout_is_the_only_output(self):
        r = run_sbe("bench", "--model", "deepbench-256", "--steps", "2", "--repeat", "1",
                    "--no-torch", "--json", "-", timeout=300)
        assert_ok(self, r)
        report = json.loads(r.stdout)
        self.assertEqual(len(report["workloads"]), 1)
        self.assertNotIn("pytorch", {x["engine"] for x in report["workloads"][0]["results"]})
        self.assertIn("bench: [1/1]", r.stderr)  # progress goes to stderr

    def test_bad_arguments(self):
        for args, words in ((["--suite", "huge"], ("--suite huge", "unknown suite")),
                            (["--model", "deepbench-256", "--batch", "0"], ("--batch 0", "at least 1")),
                            (["--repeat", "0"], ("--repeat 0", "at least 1")),
                            (["--threads", "-1"], ("--threads -1", "at least 1")),
                            (["--model", "nope.onnx"], ("nope.onnx",))):
            with self.subTest(args=args):
                assert_one_line_error(self, run_sbe("bench", *args), *words)


if __name__ == "__main__":
    unittest.main()
