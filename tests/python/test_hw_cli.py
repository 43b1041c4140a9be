"""`sbe hw`: the RTL co-simulated through the command (outputs equal to `sbe run --precision int16`,
per-sample lengths included; a waveform), what `emit` writes, and the refusals, each one line."""

import json
import os
import unittest

import numpy as np

from sbe_test_util import (SBE_REPO, assert_ok, assert_one_line_error, read_npy, run_command, run_sbe,
                           run_sbe_json, temp_dir)

TINY = os.path.join(SBE_REPO, "tests", "data", "hw", "tiny.json")
MODEL = os.path.join(SBE_REPO, "tests", "data", "golden", "bidirectional_2layer", "model.safetensors")


class HwCliTest(unittest.TestCase):
    def test_cosim_equals_run_int16_and_reports_both_timings(self):
        d = temp_dir(self)
        y_rtl, y_run = os.path.join(d, "rtl.npy"), os.path.join(d, "run.npy")
        lens = os.path.join(d, "lens.npy")
        np.save(lens, np.array([2, 3, 1], dtype=np.int64))  # per-sample lengths, in no order
        args = ("--model", MODEL, "--steps", "3", "--seed", "5", "--input-range", "-1,1", "--seq-lens", lens)
        j = run_sbe_json(self, "hw", "cosim", "--board", TINY, "--samples", "3", *args, "--output", y_rtl,
                         timeout=900)
        self.assertTrue(j["bit_exact"])
        self.assertEqual(j["mismatches"], 0)
        self.assertGreater(j["cycles"], 0)
        self.assertGreater(j["sim_cycles"], 0)
        self.assertAlmostEqual(j["cycles_over_sim"], j["cycles"] / j["sim_cycles"], delta=1e-12)
        self.assertAlmostEqual(j["seconds"], j["cycles"] / 100e6, delta=1e-12)
        self.assertEqual(j["plan"]["input"], "per-step")
        assert_ok(self, run_sbe("run", "--executor", "golden", "--precision", "int16", "--batch", "3", *args,
                                "--output", y_run))
        y = read_npy(y_rtl)
        np.testing.assert_array_equal(y, read_npy(y_run))
        self.assertFalse(y[1:, 2].any())  # past sample 2's length: zeros, as pad_packed_sequence
        self.assertTrue(y[0, 2].any())

    def test_cosim_writes_a_waveform(self):
        d = temp_dir(self)
        vcd = os.path.join(d, "run.vcd")
        result = run_sbe("hw", "cosim", "--board", TINY, "--model", MODEL, "--steps", "1", "--samples", "1",
                         "--vcd", vcd, timeout=900)
        assert_ok(self, result)
        with open(vcd) as f:
            head = f.read(4096)
        self.assertIn("$timescale", head)
        self.assertIn("m_axi_arvalid", open(vcd).read())

    def test_emit_writes_the_configuration_and_the_dram_image(self):
        d = temp_dir(self)
        j = run_sbe_json(self, "hw", "emit", "--board", TINY, "--model", MODEL, "--steps", "2", "--samples", "2",
                         "--out", d, "--json")
        for name in j["files"]:
            self.assertTrue(os.path.isfile(os.path.join(d, name)), name)
        self.assertEqual(os.path.getsize(os.path.join(d, "dram.bin")), j["dram_bytes"])
        with open(os.path.join(d, "program.json")) as f:
            self.assertEqual(json.load(f)["descriptors"], j["descriptors"])
        with open(os.path.join(d, "sigmoid.mem")) as f:
            lines = [l for l in f.read().split("\n") if l and not l.startswith("//")]
        self.assertEqual(len(lines), 1024)
        config = open(os.path.join(d, "sbe_config.svh")).read()
        self.assertIn("`define SBE_LANES", config)

    def test_emit_writes_a_vivado_script_that_builds_what_it_emitted(self):
        # No Vivado here: tclsh runs the script with each Vivado command it calls replaced by
        # one that records its arguments, and the record is checked against the emitted files.
        d = temp_dir(self)
        j = run_sbe_json(self, "hw", "emit", "--board", TINY, "--model", MODEL, "--steps", "2", "--out", d, "--json")
        record = os.path.join(d, "calls.txt")
        stubs = os.path.join(d, "stubs.tcl")
        with open(stubs, "w") as f:
            f.write(f"set record [open {{{record}}} w]\n")
            for name in ("read_verilog", "read_mem", "synth_design", "create_clock", "opt_design", "place_design",
                         "phys_opt_design", "route_design", "report_utilization", "report_timing_summary",
                         "write_checkpoint"):
                f.write(f"proc {name} args {{ puts $::record [list {name} {{*}}$args] }}\n")
            f.write("proc get_ports args { return port:[lindex $args 0] }\n")
            f.write("proc get_timing_paths args { return path }\n")
            f.write("proc get_property {name object} { return 0.500 }\n")
            f.write(f"source {{{os.path.join(d, 'vivado.tcl')}}}\nclose $record\n")
        out = run_command(["tclsh", stubs])
        assert_ok(self, out)
        calls = {}
        for line in open(record).read().splitlines():
            words = line.split()
            calls.setdefault(words[0], []).append(words[1:])
        self.assertIn("read_verilog", calls)
        sources = [w.strip("{}") for w in calls["read_verilog"][0] if w.strip("{}").endswith(".sv")]
        self.assertIn("sbe_top.sv", [os.path.basename(s) for s in sources])
        self.assertEqual(sorted(os.path.basename(s) for s in sources),
                         sorted(n for n in os.listdir(os.path.join(SBE_REPO, "hw", "rtl")) if n.endswith(".sv")))
        for path in sources + [w.strip("{}") for w in calls["read_mem"][0]]:
            self.assertTrue(os.path.isfile(path), path)
        synth = calls["synth_design"][0]
        self.assertEqual(synth[synth.index("-top") + 1], "sbe_top")
        self.assertEqual(synth[synth.index("-part") + 1], "xc7a100tcsg324-1")  # tiny names the xc7a100t
        generics = dict(synth[i + 1].split("=") for i, w in enumerate(synth) if w == "-generic")
        self.assertEqual({k: int(v) for k, v in generics.items()}, j["hw_config"]["parameters"])
        clock = calls["create_clock"][0]
        self.assertEqual(float(clock[clock.index("-period") + 1]), 10.0)  # tiny's 100 MHz
        self.assertEqual(clock[-1], "port:clk")
        for step in ("opt_design", "place_design", "route_design", "report_timing_summary"):
            self.assertIn(step, calls)
        self.assertIn("Fmax about 105 MHz", out.stdout)  # 0.5 ns of slack at 10 ns

    def test_emit_warns_when_the_rtls_accumulators_outgrow_the_plan(self):
        # A hoisted plan on the Arty: the planner counts the input part's row groups, the RTL
        # gives each of its four memories the most slots of either part at the recurrence's
        # items (twice the distributed RAM here).
        d = temp_dir(self)
        r = run_sbe("hw", "emit", "--board", "arty-a7-100t", "--model", "lrcn", "--steps", "4", "--batch", "2",
                    "--input-part", "hoisted", "--out", d)
        assert_ok(self, r)
        self.assertIn("accumulators need 102144 bytes", r.stderr)
        r = run_sbe("hw", "emit", "--board", TINY, "--model", MODEL, "--steps", "1", "--batch", "1", "--out", d)
        assert_ok(self, r)
        self.assertNotIn("accumulators need", r.stderr)

    def test_refusals_are_one_line(self):
        d = temp_dir(self)
        odd_port = os.path.join(d, "odd_port.json")
        with open(TINY) as f:
            board = json.load(f)
        board["dram"]["port_bits"] = 96  # AXI data widths are powers of two
        with open(odd_port, "w") as f:
            json.dump(board, f)
        cases = [
            (("hw", "cosim", "--board", TINY, "--model", MODEL, "--steps", "3", "--samples", "2",
              "--input-part", "hoisted"), ("single layer", "stack of 2 layers")),
            (("hw", "emit", "--board", odd_port, "--model", "lrcn", "--out", d), ("96-bit memory port",)),
            (("hw", "cosim", "--board", "cpu", "--model", MODEL), ("--board",)),
            (("hw", "cosim", "--board", TINY, "--model", MODEL, "--vcd", "a.vcd", "--fst", "a.fst"),
             ("--vcd", "--fst")),
            (("hw", "synth", "--board", TINY, "--model", MODEL, "--steps", "2", "--part", "xc9z999"),
             ("xc9z999",)),
        ]
        for args, words in cases:
            with self.subTest(args=args):
                assert_one_line_error(self, run_sbe(*args), *words)


if __name__ == "__main__":
    unittest.main()
