"""`sbe report`: the quick report has every section, table and figure, and labels every number;
`--summary` (the main job) prints the paper's first table; bad arguments fail in one line."""

import json
import os
import re
import shutil
import subprocess
import unittest

from sbe_test_util import SBE_BIN, SBE_REPO, assert_ok, assert_one_line_error, run_sbe, temp_dir

SOURCES = ("measured", "simulated", "predicted", "published")
SECTIONS = ["## 1. CPU, GPU vs FPGA", "## 2. Comparison with other FPGA designs",
            "## 3. Batch size and blocking number", "## 4. Stall-free against baseline",
            "## 5. Beyond the paper"]
# Columns that describe the configuration, not a result.
PARAMETERS = {"batch", "steps", "blocks", "blocks chosen", "bits", "DSPs used", "MHz"}
NUMBER = re.compile(r"^[-−]?\d[\d.,]*(e[-+]?\d+)?\s*(×|%|x)?$|^1/\d[\d.]*$")


def markdown_tables(text):
    """[(headers, rows)] of every pipe table in the text."""
    tables, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            cells = lambda l: [c.strip() for c in l.strip().strip("|").split("|")]
            headers, rows = cells(lines[i]), []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            tables.append((headers, rows))
        else:
            i += 1
    return tables


def unlabelled_numbers(headers, rows):
    """Numbers whose column header and whose row say nothing of where they come from."""
    bad = []
    for row in rows:
        row_labelled = any(any(s in c for s in SOURCES) for c in row if not NUMBER.match(c))
        for h, c in zip(headers, row):
            if (NUMBER.match(c) and h not in PARAMETERS and not row_labelled
                    and not any(s in h for s in SOURCES)):
                bad.append((h, c, row))
    return bad


class ReportCliTest(unittest.TestCase):
    def test_quick_report_has_every_table_and_figure_and_labels_every_number(self):
        out = temp_dir(self) / "report"
        # Under the sanitizers (10-20x slower) every section still runs, the suites on sequences
        # of 2 steps: what they check is the code, not the timings.
        short = ["--max-steps", "2"] if os.environ.get("SBE_TEST_SANITIZED") else []
        # A board given as a file: the report names it by the name inside.
        r = run_sbe("report", "--quick", "--out", out, "--threads", "2", "--boards",
                    f"vx690t,z7045,{SBE_REPO / 'boards' / 'u280.json'}", *short, timeout=900)
        assert_ok(self, r)
        # Not a terminal: progress is plain lines on stderr, one per step, ending at the total.
        steps = re.findall(r"report: \[(\d+)/(\d+)\]", r.stderr)
        self.assertGreater(len(steps), 20)
        self.assertEqual(steps[-1][0], steps[-1][1])
        md = (out / "report.md").read_text()
        for s in SECTIONS:
            self.assertIn(s, md)
        # The machine, the versions and the command that regenerates it.
        self.assertIn("**Machine:**", md)
        self.assertIn("oneDNN 2.", md)
        self.assertIn("`sbe report --quick --out", md)
        if short:
            self.assertIn("--max-steps 2`", md)
            self.assertIn("the suites' sequences cut to at most 2 steps", md)

        figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
        self.assertGreaterEqual(len(figures), 7)
        for f in figures:
            data = (out / f).read_bytes()
            self.assertTrue(data.startswith(b"\x89PNG"), f)
            self.assertGreater(len(data), 20000, f)

        tables = markdown_tables(md)
        self.assertGreaterEqual(len(tables), 10)
        for headers, rows in tables:
            self.assertTrue(rows, headers)
            self.assertEqual(unlabelled_numbers(headers, rows), [], headers)

        # Table 1: this CPU measured (engine and oneDNN), both paper boards simulated, the
        # paper's four columns as published rows; the paper's ratios beside recomputed ones.
        headers, rows = tables[0]
        src = headers.index("source")
        sources = [row[src] for row in rows]
        self.assertGreaterEqual(sum(s.startswith("measured") for s in sources), 6)
        self.assertEqual(sum(s.startswith("published") for s in sources), 4)
        simulated = [row for row in rows if row[src].startswith("simulated")]
        self.assertEqual({row[0].split()[0] for row in simulated}, {"vx690t", "z7045"})
        self.assertTrue(any(row[src].endswith("†") for row in simulated))  # values checked
        for text in ("23.7×", "1.3×", "1/208", "1/19.2"):
            self.assertIn(text, md)

        # The paper's boards under the accelerator model: at the planner's batch and at batch 1,
        # hoisted and per step; the PE-cycle shares add up to 100%.
        headers, rows = next(t for t in tables if t[0][:2] == ["board", "configuration"])
        self.assertEqual(len(rows), 6)
        self.assertEqual({r[0] for r in rows}, {"vx690t", "z7045"})
        self.assertEqual(sum(r[4] == "hoisted" for r in rows) >= 1, True)
        shares = headers.index("PE-cycles: MACs / idle lanes / idle rows / stalled (simulated)")
        for r in rows:
            parts = [float(x.strip().rstrip("%")) for x in r[shares].split("/")]
            self.assertAlmostEqual(sum(parts), 100.0, delta=0.3)

        # Section 2: every board preset simulated beside the paper's five published designs.
        headers, rows = next(t for t in tables if t[0][0] == "design")
        src = headers.index("source")
        self.assertEqual(sum(row[src] == "published" for row in rows), 5)
        simulated = {row[1].split(":")[0] for row in rows if row[src].startswith("simulated")}
        self.assertEqual(simulated, {"vx690t", "z7045", "u280", "zu9eg", "arty-a7-100t"})

        # The practice suite: each shape at batch 1 and its serving batch, both precisions
        # against oneDNN, the decomposition each ran.
        headers, rows = next(t for t in tables if "decomposition fp32 / int16" in t[0])
        self.assertEqual(sorted({(r[0], r[1]) for r in rows}),
                         sorted({("speech-3x320-bi", "1"), ("speech-3x320-bi", "16"), ("nmt-8x512", "1"),
                                 ("nmt-8x512", "16"), ("sensor-2x128", "1"), ("sensor-2x128", "64")}))
        kinds = headers.index("decomposition fp32 / int16")
        for r in rows:
            for spec in r[kinds].split(" / "):
                self.assertRegex(spec, r"^[a-z+-]+:\d+x\d+$")

        data = json.loads((out / "report.json").read_text())
        self.assertEqual(data["schema_version"], 3)
        self.assertEqual(data["mode"], "quick")
        # The published figures come from one data file, each with its source.
        self.assertEqual(len(data["published"]["platforms"]), 4)
        self.assertTrue(all(p["source"] for p in data["published"]["platforms"]))
        for p in data["platforms"]:
            self.assertIn(p["source"], SOURCES)
            self.assertGreater(p["gops"], 0)
            self.assertAlmostEqual(p["gops"], 2 * 2**21 * 32 / (p["ms"] * 1e6), delta=0.01 * p["gops"])
        self.assertEqual({s["board"] for s in data["sweeps"]}, {"vx690t", "z7045", "u280"})
        for sweep in data["sweeps"]:
            self.assertEqual(set(sweep["points"]), {"block-batch, W_x per step", "block-batch, W_x hoisted",
                                                    "non block-batch"})
        # Hoisting the LRCN's input part at batch 1 on the Z7045: within 25% of the compute bound.
        z1 = next(p for p in data["platforms"] if p.get("board") == "z7045" and p.get("config") == "batch 1")
        self.assertTrue(z1["plan"]["input_hoisted"])
        self.assertGreater(z1["gops"], 0.75 * 2 * 896 * 142e-3)

    def test_summary_prints_the_first_table_and_writes_nothing(self):
        tmp = temp_dir(self)
        r = run_sbe("report", "--summary", "--out", tmp / "unused", timeout=300)
        assert_ok(self, r)
        self.assertFalse((tmp / "unused").exists())
        for text in ("sbe engine", "oneDNN", "vx690t", "z7045", "Zynq 7Z045 (the paper)",
                     "measured*", "simulated†", "published‡", "int16 against fp32", "machine:"):
            self.assertIn(text, r.stdout)
        err = re.search(r"max \|y_int16 − y_fp32\| = ([\d.e-]+)", r.stdout)
        self.assertIsNotNone(err)
        self.assertLess(float(err.group(1)), 0.05)

    def test_summary_runs_from_a_copied_binary_without_python(self):
        """The main job needs nothing beside the binary: copied into an empty folder outside the
        tree, with the Python tools out of its reach, it prints the table and writes the
        document."""
        tmp = temp_dir(self)
        binary = tmp / "sbe"
        shutil.copy(SBE_BIN, binary)
        env = dict(os.environ, SBE_TOOLS_DIR=str(tmp / "no-tools"), PATH="/nonexistent")
        p = subprocess.run([str(binary), "report", "--summary", "--json", "summary.json"], cwd=tmp, env=env,
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Zynq 7Z045 (the paper)", p.stdout)
        doc = json.loads((tmp / "summary.json").read_text())
        self.assertEqual(doc["schema_version"], 3)
        self.assertEqual(doc["mode"], "summary")
        sources = {row["source"] for row in doc["platforms"]}
        self.assertEqual(sources, {"measured", "simulated", "published"})
        self.assertEqual(sorted(os.listdir(tmp)), ["sbe", "summary.json"])

    def test_bad_arguments_fail_in_one_line(self):
        tmp = temp_dir(self)
        (tmp / "file").write_text("x")
        cases = [(["--boards", "nope"], "nope"),
                 (["--boards", "cpu"], "FPGA"),
                 (["--cpu-watts", "-3"], "--cpu-watts"),
                 (["--threads", "-1"], "--threads"),
                 (["--out", tmp / "file" / "sub"], "--out"),
                 (["--json", tmp / "file" / "doc.json"], "--json")]
        for args, want in cases:
            with self.subTest(args=args):
                assert_one_line_error(self, run_sbe("report", "--quick", *args), want)


if __name__ == "__main__":
    unittest.main()
