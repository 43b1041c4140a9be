"""`sbe run` matches torch.nn.LSTM on exported safetensors; --json, --repeat, presets, seeds."""

import random
import statistics
import sys
import unittest

import numpy as np
import torch

from sbe_test_util import (SBE_REPO, assert_close, assert_ok, assert_one_line_error, read_npy,
                           run_command, run_sbe, run_sbe_json, temp_dir, write_npy)
import export_torch  # from tools/, which importing sbe_test_util put on sys.path

# torch computes in float32 and sbe's reference in double, so this bounds torch's own rounding;
# observed errors are around 1e-6.
TOL = 1e-5

# One configuration per seed: drawn at random, but fixed so that a failure reproduces.
# test_configs_cover_the_space checks that the draw covers what the parity test promises.
CONFIG_SEEDS = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46, 26, 43, 383, 279, 502, 884, 197,
                169, 399, 375, 105, 820, 974, 944, 592, 307, 816, 406, 286, 208, 998, 628, 620]
# Sizes that catch edge cases (1, primes, powers of two and neighbours, the maximum 300) are
# drawn more often than plain uniform draws would pick them.
EDGE_SIZES = [1, 2, 3, 5, 7, 13, 31, 61, 64, 97, 127, 128, 211, 255, 256, 293, 300]
# Multiply-adds per configuration: keeps the double-precision reference (and an
# AddressSanitizer build, about 3x slower) fast; big models run fewer steps instead.
MAX_MACS = 60_000_000


def weight_count(cfg):
    """Weights of all gate matrices, as sbe's model_info.weights and GOPS count them."""
    dirs = 2 if cfg["bidirectional"] else 1
    h = cfg["hidden_size"]
    return sum(dirs * 4 * h * ((cfg["input_size"] if k == 0 else dirs * h) + h)
               for k in range(cfg["num_layers"]))


def draw_config(seed):
    r = random.Random(seed)

    def size():
        return r.choice(EDGE_SIZES) if r.random() < 0.6 else r.randint(1, 300)

    cfg = {
        "seed": seed,
        "input_size": size(),
        "hidden_size": size(),
        "num_layers": r.randint(1, 3),
        "bidirectional": r.random() < 0.5,
        "bias": r.random() < 0.75,
        "batch_first": r.random() < 0.4,
        "initial_state": r.random() < 0.5,
        "batch": r.choice([1, 9]) if r.random() < 0.25 else r.randint(1, 9),
        "steps": r.choice([1, 40]) if r.random() < 0.25 else r.randint(1, 40),
    }
    while weight_count(cfg) * cfg["steps"] * cfg["batch"] > MAX_MACS:
        key = "steps" if cfg["steps"] >= cfg["batch"] else "batch"
        cfg[key] = max(1, cfg[key] // 2)
    return cfg


CONFIGS = [draw_config(s) for s in CONFIG_SEEDS]


def is_prime(n):
    return n > 2 and all(n % d for d in range(2, int(n ** 0.5) + 1))


def make_case(out_dir, cfg, dtype="float32"):
    """Builds the torch module of `cfg` with seeded weights and inputs and exports the case."""
    torch.manual_seed(cfg["seed"])
    lstm = torch.nn.LSTM(cfg["input_size"], cfg["hidden_size"], cfg["num_layers"],
                         bias=cfg["bias"], batch_first=cfg["batch_first"],
                         bidirectional=cfg["bidirectional"])
    rng = np.random.default_rng(cfg["seed"])
    t, b = cfg["steps"], cfg["batch"]
    x = rng.uniform(-1, 1, (b, t, cfg["input_size"]) if cfg["batch_first"]
                    else (t, b, cfg["input_size"]))
    h0 = c0 = None
    if cfg["initial_state"]:
        state_shape = (cfg["num_layers"] * (2 if cfg["bidirectional"] else 1), b,
                       cfg["hidden_size"])
        h0 = rng.uniform(-1, 1, state_shape)
        c0 = rng.normal(0, 1, state_shape)  # cell states are not bounded by tanh
    return export_torch.save_case(lstm, out_dir, x, h0, c0, dtype=dtype)


def run_case(test, paths, batch_first, extra=()):
    """Runs sbe on an exported case; returns {"y", "h_n", "c_n"} as arrays."""
    out = paths["x"].rsplit("/", 1)[0]
    args = ["run", "--model", paths["model"], "--input", paths["x"],
            "--output", f"{out}/sbe_y.npy", "--state-output", f"{out}/sbe_st", *extra]
    if "h0" in paths:
        args += ["--h0", paths["h0"], "--c0", paths["c0"]]
    if batch_first:
        args.append("--batch-first")
    result = run_sbe(*args)
    assert_ok(test, result, args)
    return {"y": read_npy(f"{out}/sbe_y.npy"), "h_n": read_npy(f"{out}/sbe_st_h.npy"),
            "c_n": read_npy(f"{out}/sbe_st_c.npy")}


def assert_matches_torch(test, paths, got, what):
    """Compares sbe's y, h_n, c_n with torch's; returns the largest error."""
    return max(assert_close(test, got[k], read_npy(paths[k]), TOL, f"{what}: {k}")
               for k in ("y", "h_n", "c_n"))


class TorchParityTest(unittest.TestCase):
    def test_configs_cover_the_space(self):
        def has(pred):
            return any(pred(c) for c in CONFIGS)

        sizes = [c["input_size"] for c in CONFIGS] + [c["hidden_size"] for c in CONFIGS]
        self.assertGreaterEqual(len(CONFIGS), 30)
        for layers in (1, 2, 3):
            self.assertTrue(has(lambda c, n=layers: c["num_layers"] == n), f"{layers} layers")
        self.assertTrue(has(lambda c: c["bidirectional"] and c["num_layers"] > 1))
        self.assertTrue(has(lambda c: not c["bias"]))
        self.assertTrue(has(lambda c: c["batch_first"]))
        self.assertTrue(has(lambda c: c["initial_state"] and c["bidirectional"]))
        self.assertTrue(has(lambda c: c["input_size"] == 1))
        self.assertTrue(has(lambda c: c["hidden_size"] == 1))
        self.assertIn(300, sizes)
        self.assertGreaterEqual(sum(map(is_prime, sizes)), 5, "prime sizes")
        for key, values in (("batch", (1, 9)), ("steps", (1, 40))):
            for v in values:
                self.assertTrue(has(lambda c, k=key, v=v: c[k] == v), f"{key} {v}")

    def test_random_configs_match_torch(self):
        worst = 0.0
        for cfg in CONFIGS:
            with self.subTest(**cfg):
                paths = make_case(temp_dir(self), cfg)
                got = run_case(self, paths, cfg["batch_first"])
                worst = max(worst, assert_matches_torch(self, paths, got, f"config {cfg}"))
        # Visible with -v, for the record of how close sbe comes.
        print(f"\n{len(CONFIGS)} configurations, max abs error {worst:.2e}", file=sys.stderr)

    def test_half_precision_state_dicts(self):
        # sbe widens F16/BF16 to float on load; torch with the same rounded weights is the oracle.
        cfgs = {
            "float16": dict(seed=7, input_size=37, hidden_size=53, num_layers=2,
                            bidirectional=True, bias=True, batch_first=False,
                            initial_state=True, batch=3, steps=11),
            "bfloat16": dict(seed=8, input_size=61, hidden_size=29, num_layers=3,
                             bidirectional=False, bias=True, batch_first=True,
                             initial_state=False, batch=4, steps=9),
        }
        for dtype, cfg in cfgs.items():
            with self.subTest(dtype=dtype):
                paths = make_case(temp_dir(self), cfg, dtype)
                got = run_case(self, paths, cfg["batch_first"])
                assert_matches_torch(self, paths, got, dtype)

    def test_header_metadata_is_ignored(self):
        # Files written by safetensors.torch.save_file(..., metadata=...) carry __metadata__.
        d = temp_dir(self)
        cfg = dict(CONFIGS[0], steps=3, batch=2)
        paths = make_case(d, cfg)
        torch.manual_seed(cfg["seed"])
        lstm = torch.nn.LSTM(cfg["input_size"], cfg["hidden_size"], cfg["num_layers"],
                             bias=cfg["bias"], bidirectional=cfg["bidirectional"])
        export_torch.save_lstm(lstm, paths["model"], metadata={"format": "pt"})
        assert_matches_torch(self, paths, run_case(self, paths, cfg["batch_first"]), "metadata")

    def test_export_tool_command(self):
        d = temp_dir(self)
        tool = [sys.executable, SBE_REPO / "tools" / "export_torch.py"]
        result = run_command(tool + ["--input-size", 12, "--hidden-size", 20, "--num-layers", 2,
                                     "--bidirectional", "--batch-first", "--initial-state",
                                     "--steps", 6, "--batch", 3, "--seed", 4, "--out", d])
        self.assertEqual(result.rc, 0, result.stderr)
        self.assertIn("model.safetensors", result.stdout)
        paths = {k: str(d / f"{k}.npy") for k in ("x", "h0", "c0", "y", "h_n", "c_n")}
        paths["model"] = str(d / "model.safetensors")
        assert_matches_torch(self, paths, run_case(self, paths, True), "export_torch.py")

        bad = run_command(tool + ["--input-size", 0, "--hidden-size", 4, "--out", d])
        assert_one_line_error(self, bad, "--input-size", prefix="export_torch.py: error:")


class RunReportTest(unittest.TestCase):
    """The --json report, --repeat, presets and seeds."""

    _info = None  # `sbe info --json`, asked once

    def info_json(self):
        if RunReportTest._info is None:
            RunReportTest._info = run_sbe_json(self, "info")
        return RunReportTest._info

    def test_json_report(self):
        cfg = dict(seed=5, input_size=45, hidden_size=71, num_layers=2, bidirectional=True,
                   bias=True, batch_first=False, initial_state=False, batch=6, steps=13)
        paths = make_case(temp_dir(self), cfg)
        j = run_sbe_json(self, "run", "--model", paths["model"], "--input", paths["x"])
        for key in ("model", "model_info", "executor", "precision", "batch", "steps", "repeat",
                    "seconds", "seconds_all", "ms_per_sample", "gops"):
            self.assertIn(key, j)
        self.assertIsInstance(j["model"], str)
        self.assertTrue(j["model"])
        self.assertIn(j["executor"], self.info_json()["executors"])
        self.assertIn(j["precision"], ("fp64", "fp32", "fp16", "bf16", "int16", "int8"))
        self.assertEqual((j["batch"], j["steps"], j["repeat"]), (6, 13, 1))
        info = j["model_info"]
        self.assertEqual((info["input_size"], info["hidden_size"], info["num_layers"],
                          info["bidirectional"], info["bias"]), (45, 71, 2, True, True))
        weights = weight_count(cfg)
        self.assertEqual(info["weights"], weights)
        seconds = j["seconds"]
        self.assertGreater(seconds, 0)
        self.assertAlmostEqual(j["ms_per_sample"] / (seconds * 1e3 / 6), 1, delta=0.01)
        self.assertAlmostEqual(j["gops"] / (2 * weights * 13 * 6 / seconds / 1e9), 1, delta=0.01)

    def test_repeat(self):
        j = run_sbe_json(self, "run", "--model", "deepbench-256", "--steps", 2, "--batch", 2,
                         "--repeat", 3)
        self.assertEqual(j["repeat"], 3)
        self.assertEqual(len(j["seconds_all"]), 3)
        self.assertTrue(all(s > 0 for s in j["seconds_all"]))
        self.assertAlmostEqual(j["seconds"], statistics.median(j["seconds_all"]), delta=1e-12)

    def test_presets_run(self):
        j = run_sbe_json(self, "run", "--model", "deepbench-256", "--steps", 3)
        self.assertEqual((j["model"], j["steps"], j["batch"]), ("deepbench-256", 3, 1))
        presets = self.info_json()["presets"]
        self.assertIn("lrcn", [p["name"] for p in presets])
        for p in presets:
            with self.subTest(preset=p["name"]):
                j = run_sbe_json(self, "run", "--model", p["name"], "--steps", 2)
                self.assertEqual((j["model"], j["steps"]), (p["name"], 2))
                self.assertEqual(j["model_info"]["weights"], p["weights"])
                self.assertGreater(j["gops"], 0)

    def test_preset_weights_follow_seed(self):
        # A fixed input, so only the weights can differ between seeds.
        d = temp_dir(self)
        x = write_npy(d / "x.npy", np.random.default_rng(1).uniform(-1, 1, (3, 2, 256))
                      .astype(np.float32))

        def y_for(seed, name):
            args = ["run", "--model", "deepbench-256", "--input", x, "--seed", seed,
                    "--output", d / name]
            assert_ok(self, run_sbe(*args), args)
            return read_npy(d / name)

        a, b, c = y_for(7, "a.npy"), y_for(7, "b.npy"), y_for(8, "c.npy")
        self.assertEqual(a.shape, (3, 2, 256))
        self.assertTrue(np.array_equal(a, b), "same seed, different y")
        self.assertFalse(np.allclose(a, c), "different seeds, same y")


if __name__ == "__main__":
    unittest.main()
