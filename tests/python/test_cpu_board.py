"""The `cpu` board the engine plans on: described by a file ($SBE_CPU_BOARD, what every other
test plans on), or measured on this machine (the only test that measures it); and the kernels'
target capped by $SBE_KERNELS. Bad values of either fail in one line naming the variable."""

import json
import unittest

from sbe_test_util import SBE_REPO, assert_one_line_error, run_sbe, run_sbe_json, temp_dir

DESCRIBED = SBE_REPO / "tests" / "data" / "cpu" / "epyc-zen3-2core.json"


def plan_board(test, *, env=None):
    """`sbe plan --board cpu --json` on lrcn: (the board it planned on, the plan)."""
    r = run_sbe("plan", "--board", "cpu", "--model", "lrcn", "--steps", "3", "--json", env=env)
    test.assertEqual(r.rc, 0, r.stderr)
    j = json.loads(r.stdout)
    return j["board_info"], j


class CpuBoardTest(unittest.TestCase):
    def test_a_described_board_is_planned_on_as_written(self):
        want = json.loads(DESCRIBED.read_text())
        board, plan = plan_board(self, env={"SBE_CPU_BOARD": DESCRIBED})
        self.assertEqual(board["described_by"], str(DESCRIBED))
        self.assertEqual(board["cores"], want["cores"])
        self.assertEqual(board["caches"], want["caches"])
        for k in ("fp32_gflops", "int16_gops", "meeting_us", "cell_ns_fp32"):
            self.assertEqual(board["measured"][k], want["measured"][k], k)
        self.assertEqual(plan["peak_gops"], want["measured"]["fp32_gflops"])
        self.assertLessEqual(plan["predicted_gops"], plan["peak_gops"])
        # The same file gives the same plan, run after run: nothing is measured.
        self.assertEqual(plan_board(self, env={"SBE_CPU_BOARD": DESCRIBED})[1], plan)

    def test_a_saved_board_info_describes_the_same_board(self):
        """`board_info` of one machine's plan, saved, is a description: another run planning on
        it makes the same plan."""
        board, plan = plan_board(self, env={"SBE_CPU_BOARD": DESCRIBED})
        saved = temp_dir(self) / "saved.json"
        saved.write_text(json.dumps(board))
        again_board, again = plan_board(self, env={"SBE_CPU_BOARD": saved})
        self.assertEqual(again_board["described_by"], str(saved))
        self.assertEqual(again["cpu"], plan["cpu"])

    def test_bad_descriptions_are_refused_in_one_line(self):
        d = temp_dir(self)
        good = json.loads(DESCRIBED.read_text())
        cases = {"missing.json": (None, "no such file"),
                 "text.json": ("not json", "not a JSON object"),
                 "fpga.json": (dict(good, kind="fpga"), '"kind" must be "cpu"'),
                 "no_caches.json": ({k: v for k, v in good.items() if k != "caches"}, "caches"),
                 "no_measured.json": ({k: v for k, v in good.items() if k != "measured"}, '"measured"'),
                 "zero_peak.json": (dict(good, measured=dict(good["measured"], fp32_gflops=0)), "zero"),
                 "no_cores.json": (dict(good, cores=0), "must be positive")}
        for name, (content, problem) in cases.items():
            with self.subTest(name):
                path = d / name
                if content is not None:
                    path.write_text(content if isinstance(content, str) else json.dumps(content))
                for args in (("plan", "--board", "cpu", "--model", "lrcn"),
                             ("run", "--model", "lrcn", "--steps", "2")):
                    assert_one_line_error(self, run_sbe(*args, env={"SBE_CPU_BOARD": path}), str(path), problem)

    def test_the_measured_board_is_measured_once_and_kept(self):
        """Without a description the board is this machine's, measured (positive ceilings, no
        claim on their size: the machine may be busy) and kept in the cache for the next run."""
        cache = temp_dir(self) / "cache"
        env = {"SBE_CPU_BOARD": None, "SBE_CACHE_DIR": cache}
        board, plan = plan_board(self, env=env)
        self.assertEqual(board["described_by"], "")
        m = board["measured"]
        self.assertEqual(m["threads"], board["cores"])
        for k in ("fp32_gflops", "fp32_tile_gflops", "int16_gops", "cell_ns_fp32", "cell_ns_int16"):
            self.assertGreater(m[k], 0, k)
        self.assertEqual([l["level"] for l in m["bandwidth"]][-1], "DRAM")
        self.assertTrue(all(l["read_gbs"] > 0 for l in m["bandwidth"]))
        # Whatever the tile measured, no prediction is above the peak it is reported against.
        self.assertLessEqual(plan["predicted_gops"], plan["peak_gops"] * (1 + 1e-9))
        kept = list(cache.glob("cpu-*.json"))
        self.assertEqual(len(kept), 1)
        self.assertEqual(board["cache_path"], str(kept[0]))
        again, _ = plan_board(self, env=env)
        self.assertEqual(again["measured"], m)

    def test_kernels_can_be_capped_to_any_target_this_cpu_runs(self):
        refused = run_sbe("plan", "--board", "cpu", "--model", "lrcn", env={"SBE_KERNELS": "NOSUCH"})
        assert_one_line_error(self, refused, "SBE_KERNELS=NOSUCH", "not a target this CPU runs")
        runnable = refused.stderr.split("(it runs ")[1].split(")")[0].split(", ")
        self.assertGreaterEqual(len(runnable), 1, refused.stderr)
        for target in (runnable[0], runnable[-1]):
            with self.subTest(target):
                board, plan = plan_board(self, env={"SBE_CPU_BOARD": DESCRIBED, "SBE_KERNELS": target})
                self.assertEqual(board["kernels"]["target"], target)
                self.assertEqual(plan["cpu"]["lanes"], board["kernels"]["lanes"])
                ran = run_sbe_json(self, "run", "--model", "lrcn", "--steps", "2", "--precision", "int16",
                                   "--check", env={"SBE_CPU_BOARD": DESCRIBED, "SBE_KERNELS": target})
                self.assertEqual(ran["plan"]["cpu"]["kernels"], target)


if __name__ == "__main__":
    unittest.main()
