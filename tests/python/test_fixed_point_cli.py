"""`sbe run --precision int16`: formats and saturation counts in --json, and bad --input-range."""

import unittest

import numpy as np

from sbe_test_util import (assert_ok, assert_one_line_error, run_sbe, run_sbe_json, temp_dir,
                           write_npy)


class FixedPointCliTest(unittest.TestCase):
    def test_json_reports_formats_and_saturation(self):
        tmp = temp_dir(self)
        x = np.random.default_rng(3).uniform(-1, 1, (5, 2, 256)).astype(np.float32)
        x[0, 0, :7] = 9.0  # outside the range given below: saturates and is counted
        write_npy(tmp / "x.npy", x)
        j = run_sbe_json(self, "run", "--model", "deepbench-256", "--input", str(tmp / "x.npy"),
                         "--precision", "int16", "--input-range", "-2,2", "--check")
        self.assertEqual(j["executor"], "cpu")  # the default for int16
        self.assertEqual(j["precision"], "int16")
        self.assertEqual(j["saturation"]["inputs"], 7)
        self.assertEqual(j["input_range"], [-2.0, 2.0])
        layer = j["formats"]["layers"][0]
        for key in ("input", "h", "input_limit", "directions"):
            self.assertIn(key, layer)
        self.assertEqual(j["formats"]["preactivation"], "Q4.11")
        # Sample 0 was clipped from 9 to 2, so it differs from the reference; sample 1 did not.
        self.assertGreater(j["error_vs_reference"]["y"]["max_abs"], 0.05)
        self.assertLess(j["error_vs_reference"]["y"]["mean_abs"], 0.05)

    def test_in_range_input_is_not_counted(self):
        j = run_sbe_json(self, "run", "--model", "lrcn", "--precision", "int16", "--steps", "3")
        self.assertEqual(j["saturation"]["inputs"], 0)

    def test_bad_input_ranges(self):
        for value, words in (("1,1", "empty"), ("2,-2", "empty"), ("nan,1", "finite"),
                             ("-inf,1", "finite"), ("-1e6,1e6", "32767")):
            with self.subTest(value=value):
                r = run_sbe("run", "--model", "deepbench-256", "--steps", "2", "--precision",
                            "int16", f"--input-range={value}")
                assert_one_line_error(self, r, "--input-range", words)
        r = run_sbe("run", "--model", "deepbench-256", "--precision", "int16", "--input-range", "1")
        assert_one_line_error(self, r, "--input-range")

    def test_executor_and_precision_must_agree(self):
        r = run_sbe("run", "--model", "deepbench-256", "--steps", "2", "--executor", "golden")
        assert_one_line_error(self, r, "golden", "int16")
        r = run_sbe("run", "--model", "deepbench-256", "--steps", "2", "--executor", "reference",
                    "--precision", "int16")
        assert_one_line_error(self, r, "reference")
        assert_ok(self, run_sbe("run", "--model", "deepbench-256", "--steps", "2", "--executor",
                                "golden", "--precision", "int16"))


if __name__ == "__main__":
    unittest.main()
