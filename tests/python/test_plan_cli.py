"""`sbe plan`: the JSON report, the figures, and bad board files through the command line."""

import json
import unittest

from sbe_test_util import (assert_ok, SBE_REPO, assert_one_line_error, run_sbe, run_sbe_json, temp_dir)

FIELDS = ("board", "model", "case", "batch", "blocks", "alpha", "predicted_gops",
          "predicted_ms_per_sample", "predicted_mj_per_sample")


class PlanCliTest(unittest.TestCase):
    def test_json_has_the_plan_and_its_alternatives(self):
        for board in ("vx690t", "z7045", "u280", "zu9eg"):
            with self.subTest(board=board):
                j = run_sbe_json(self, "plan", "--board", board, "--model", "lrcn")
                for field in FIELDS:
                    self.assertIn(field, j)
                self.assertIn(j["case"], (1, 2, 3))
                self.assertGreater(j["predicted_gops"], 0)
                self.assertLessEqual(j["predicted_gops"], j["peak_gops"] * (1 + 1e-9))
                self.assertTrue(0 < j["alpha"] <= 1)
                self.assertGreater(len(j["alternatives"]), 1)

    def test_cpu_plan_is_the_plan_sbe_run_executes(self):
        """`sbe plan --board cpu` and `sbe run` come from one planner and one measured board: the
        plan object is the same, field for field, including what the user fixed."""
        cases = [("lrcn", "fp32", [], []),
                 ("lrcn", "int16", ["--batch", "8"], ["--batch", "8"]),
                 ("deepbench-256", "fp32", ["--batch", "3", "--blocks", "4", "--threads", "1"],
                  ["--batch", "3", "--blocks", "4", "--threads", "1"]),
                 ("deepbench-1024", "int16", ["--batch", "2", "--sync", "barrier"],
                  ["--batch", "2", "--sync", "barrier"]),
                 ("speech-3x320-bi", "fp32", ["--batch", "4", "--decomposition", "direction-split"],
                  ["--batch", "4", "--decomposition", "direction-split"])]
        for model, precision, plan_args, run_args in cases:
            with self.subTest(model=model, precision=precision, args=plan_args):
                planned = run_sbe_json(self, "plan", "--board", "cpu", "--model", model, "--steps", "3",
                                       "--precision", precision, *plan_args)
                ran = run_sbe_json(self, "run", "--model", model, "--steps", "3", "--precision",
                                   precision, *run_args)
                plan = {k: v for k, v in planned.items()
                        if k not in ("board", "board_info", "model", "model_info", "precision", "peak_gops")}
                self.assertEqual(plan, ran["plan"])
                self.assertEqual(planned["batch"], ran["batch"])
                cpu = plan["cpu"]
                self.assertEqual(cpu["threads"], int(dict(zip(plan_args[::2], plan_args[1::2])).get(
                    "--threads", planned["board_info"]["cores"])))
                if "--blocks" in plan_args:
                    self.assertEqual(plan["blocks"], 4)
                self.assertGreaterEqual(plan["blocks"] * cpu["block_columns"],
                                        planned["model_info"]["hidden_size"])
                self.assertTrue(plan["input_hoisted"])
                self.assertGreater(plan["predicted_gops"], 0)
                self.assertLessEqual(plan["predicted_gops"], planned["peak_gops"] * (1 + 1e-9))
        assert_one_line_error(self, run_sbe("plan", "--board", "cpu", "--blocks", "999"), "--blocks 999")
        assert_one_line_error(self, run_sbe("plan", "--board", "cpu", "--plot", "x.png"), "--board cpu")

    def test_cpu_decompositions_are_candidates_and_the_fastest_is_chosen(self):
        """Every candidate is listed with a prediction that adds up; the chosen one is the
        fastest predicted; a forced kind is honoured, and an impossible or unknown one refused."""
        j = run_sbe_json(self, "plan", "--board", "cpu", "--model", "speech-3x320-bi", "--batch", "16",
                         "--threads", "2")
        cpu = j["cpu"]
        candidates = cpu["candidates"]
        kinds = {c["kind"] for c in candidates}
        self.assertTrue({"hidden-split", "batch-split", "direction-split"} <= kinds, kinds)
        for c in candidates:
            parts = c["input_ms"] + c["compute_ms"] + c["memory_ms"] + c["cell_ms"] + c["meeting_ms"]
            self.assertAlmostEqual(c["predicted_ms"], parts, delta=1e-9 * parts)
            self.assertLessEqual(c["threads"], 2)
        # The fastest, or the one reading fewest weights within 1% of it.
        self.assertLessEqual(candidates[0]["predicted_ms"], 1.01 * min(c["predicted_ms"] for c in candidates))
        self.assertEqual(cpu["decomposition"]["kind"], candidates[0]["kind"])
        self.assertAlmostEqual(j["predicted_ms_per_batch"], candidates[0]["predicted_ms"], delta=1e-9)
        forced = run_sbe_json(self, "plan", "--board", "cpu", "--model", "speech-3x320-bi", "--batch", "16",
                              "--threads", "2", "--decomposition", "batch-split:2x1")
        self.assertEqual(forced["cpu"]["decomposition"],
                         {"kind": "batch-split", "spec": "batch-split:2x1", "direction_teams": 1, "batch_teams": 2,
                          "layer_stages": 1, "teams": 2, "hidden_threads": 1, "threads": 2})
        text = run_sbe("plan", "--board", "cpu", "--model", "speech-3x320-bi", "--batch", "16")
        assert_ok(self, text)
        self.assertIn("decompositions (predicted ms for the whole run", text.stdout)
        assert_one_line_error(self, run_sbe("plan", "--board", "cpu", "--model", "lrcn", "--decomposition",
                                            "direction-split"), "direction-split", "not possible")
        assert_one_line_error(self, run_sbe("run", "--model", "lrcn", "--steps", "2", "--decomposition", "diagonal"),
                              "--decomposition diagonal", "unknown")
        assert_one_line_error(self, run_sbe("run", "--model", "lrcn", "--steps", "2", "--decomposition",
                                            "batch-split:2"), "--decomposition batch-split:2", "TEAMSxTHREADS")

    def test_fixed_batch_and_blocks_are_honoured(self):
        j = run_sbe_json(self, "plan", "--board", "z7045", "--model", "deepbench-1024",
                         "--batch", "4", "--blocks", "32")
        self.assertEqual((j["batch"], j["blocks"], j["case"]), (4, 32, 3))

    def test_the_input_part_is_chosen_or_fixed(self):
        # LRCN on the Z7045 at batch 1: the planner hoists W_x (nearly compute bound); fixed per
        # step it streams W_x every step (memory bound), as in the paper's design.
        auto = run_sbe_json(self, "plan", "--board", "z7045", "--batch", "1")
        self.assertEqual(auto["input"], "hoisted")
        self.assertIsNone(auto["paper_gops"])
        self.assertGreater(auto["predicted_gops"], 0.75 * auto["peak_gops"])
        per_step = run_sbe_json(self, "plan", "--board", "z7045", "--batch", "1", "--input", "per-step")
        self.assertEqual((per_step["input"], per_step["bound"]), ("per-step", "memory"))
        self.assertGreater(per_step["paper_gops"], 0)
        same = run_sbe_json(self, "plan", "--board", "z7045", "--batch", "1", "--input-part", "hoisted")
        self.assertEqual(same["predicted_gops"], auto["predicted_gops"])
        # The microarchitecture the plan assumes: the PE organisation and its banks, the memory
        # blocks for the weights' bytes and ports.
        pe = auto["pe"]
        self.assertEqual(pe["lanes"] * pe["row_lanes"], 896)
        self.assertGreaterEqual(auto["weight_memory_blocks"], 896 // 4)
        text = run_sbe("plan", "--board", "z7045", "--batch", "1").stdout
        for word in ("hoisted", "PE array", "lanes", "memory blocks", "paper"):
            self.assertIn(word, text)
        assert_one_line_error(self, run_sbe("plan", "--input", "sometimes"), "--input-part sometimes")
        assert_one_line_error(self, run_sbe("plan", "--input", "hoisted", "--non-block-batch"),
                              "--non-block-batch")

    def test_curves_and_board_info(self):
        j = run_sbe_json(self, "plan", "--board", "z7045", "--model", "lrcn", "--curves")
        info = j["board_info"]
        self.assertEqual((info["name"], info["clock_mhz"], info["macs_per_cycle"]), ("z7045", 142, 896))
        self.assertAlmostEqual(info["peak_gops"], j["peak_gops"])
        curves = j["curves"]
        # The paper's roofline of cases 1 & 2: B x N_t (eq. 3) up to the peak (eq. 2); case 3
        # never above it.
        for b, gops in curves["roofline_case12"]:
            want = min(j["peak_gops"], b * j["n_t"] * 2 * 142e-3)
            self.assertAlmostEqual(gops, want, delta=1e-6 * gops)
        for b, gops in curves["roofline_case3"]:
            self.assertLessEqual(gops, j["peak_gops"] * (1 + 1e-9))
        self.assertTrue(any(c["label"].startswith("non block-batch") for c in curves["curves"]))
        hoisted = next(c for c in curves["curves"] if "hoisted" in c["label"])
        self.assertEqual(hoisted["points"][0][0], 1)
        self.assertGreater(hoisted["points"][0][1], 0.75 * j["peak_gops"])
        assert_one_line_error(self, run_sbe("plan", "--curves"), "--curves")

    def test_plot_writes_a_png(self):
        out = temp_dir(self) / "plan.png"
        j = run_sbe_json(self, "plan", "--board", "z7045", "--model", "lrcn", "--plot", str(out))
        self.assertEqual(j["plot"], str(out))
        self.assertEqual(out.read_bytes()[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(out.stat().st_size, 20000)

    def test_bad_boards_and_arguments(self):
        tmp = temp_dir(self)
        board = json.loads((SBE_REPO / "boards" / "z7045.json").read_text())
        board["dram"]["peak_gbs"] = 0
        (tmp / "zero_bw.json").write_text(json.dumps(board))
        assert_one_line_error(self, run_sbe("plan", "--board", str(tmp / "zero_bw.json")),
                              "zero_bw.json", "dram.peak_gbs")
        del board["dram"]
        (tmp / "no_dram.json").write_text(json.dumps(board))
        assert_one_line_error(self, run_sbe("plan", "--board", str(tmp / "no_dram.json")),
                              "no_dram.json", "dram")
        board = json.loads((SBE_REPO / "boards" / "z7045.json").read_text())
        board["onchip"] = {"bram36": 2, "uram": 0, "reserved_bram36": 1, "lutram_kbits": 8}
        (tmp / "tiny.json").write_text(json.dumps(board))
        assert_one_line_error(self, run_sbe("plan", "--board", str(tmp / "tiny.json")),
                              "no plan fits")
        assert_one_line_error(self, run_sbe("plan", "--board", "vx9000"), "--board vx9000")
        board["kind"] = "cpu"
        (tmp / "cpu.json").write_text(json.dumps(board))
        assert_one_line_error(self, run_sbe("plan", "--board", str(tmp / "cpu.json")), "board 'cpu'")
        assert_one_line_error(self, run_sbe("plan", "--batch", "0"), "--batch")
        assert_one_line_error(self, run_sbe("plan", "--batch", "many"), "--batch")
        assert_one_line_error(self, run_sbe("plan", "--objective", "speed"), "--objective")


if __name__ == "__main__":
    unittest.main()
