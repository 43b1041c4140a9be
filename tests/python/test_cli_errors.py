"""Every bad model, input file or argument to `sbe` gets one clear error line, never a crash."""

import struct
import time
import unittest

import numpy as np
import torch

from sbe_test_util import (assert_ok, assert_one_line_error, read_npy, run_sbe, run_sbe_json,
                           temp_dir, write_npy)
import export_torch  # from tools/, which importing sbe_test_util put on sys.path

# The model every input test runs: small, so each case costs only the process start.
INPUT, HIDDEN, STEPS, BATCH = 3, 2, 4, 2


def tiny_tensors(dtype="float32"):
    """{name: (dtype code, shape, bytes)} of a seeded nn.LSTM(INPUT, HIDDEN)."""
    torch.manual_seed(0)
    return export_torch.state_tensors(torch.nn.LSTM(INPUT, HIDDEN), dtype)


def f32_tensor(array):
    array = np.ascontiguousarray(array, dtype="<f4")
    return ("F32", list(array.shape), array.tobytes())


def tensor_array(entry):
    code, shape, raw = entry
    assert code == "F32"
    return np.frombuffer(raw, "<f4").reshape(shape).copy()


def model_image(tensors=None, edit_header=None):
    """Bytes of a safetensors file of `tensors` (default: the tiny model), header edited first."""
    header, data = export_torch.layout_safetensors(tiny_tensors() if tensors is None else tensors)
    if edit_header:
        edit_header(header)
    return export_torch.encode_safetensors(header, data)


class CliErrorTest(unittest.TestCase):
    def setUp(self):
        self.dir = temp_dir(self)

    def write(self, name, data):
        path = self.dir / name
        path.write_bytes(data)
        return str(path)

    def refused(self, args, *names):
        """Runs sbe and asserts a one-line error naming each of `names`; returns the line."""
        return assert_one_line_error(self, run_sbe(*args), *names)

    def refused_model(self, name, data, *names):
        path = self.write(name, data)
        return self.refused(["run", "--model", path, "--steps", 2], path, *names)

    def good_model(self):
        return self.write("good.safetensors", model_image())

    def x_file(self, array=None, name="x.npy"):
        if array is None:
            array = np.random.default_rng(0).uniform(-1, 1, (STEPS, BATCH, INPUT))
            array = array.astype(np.float32)
        return str(write_npy(self.dir / name, array))

    # --- the model -------------------------------------------------------------------------

    def test_good_model_runs(self):
        # Guards the other tests: their files differ from this one only in what they break.
        args = ["run", "--model", self.good_model(), "--input", self.x_file()]
        assert_ok(self, run_sbe(*args), args)

    def test_missing_model_file(self):
        path = str(self.dir / "missing.safetensors")
        self.refused(["run", "--model", path], path)

    def test_unknown_preset(self):
        self.refused(["run", "--model", "deepbench-999"], "deepbench-999")

    def test_empty_file(self):
        self.refused_model("empty.safetensors", b"")

    def test_truncated_file(self):
        image = model_image()
        for cut in (4, 20, len(image) - 5):  # in the length, in the header, in the data
            with self.subTest(cut=cut):
                self.refused_model(f"cut{cut}.safetensors", image[:cut])

    def test_header_length_past_end(self):
        image = model_image()
        for length in (len(image), 1 << 40, (1 << 64) - 1):
            with self.subTest(length=length):
                self.refused_model("long.safetensors", struct.pack("<Q", length) + image[8:])

    def test_invalid_header_json(self):
        for text in (b'{"weight_ih_l0": {"dtype": ', b"[1, 2, 3]", b'{"weight_ih_l0": 5}'):
            with self.subTest(header=text):
                text += b" " * (-len(text) % 8)
                self.refused_model("json.safetensors", struct.pack("<Q", len(text)) + text)

    def test_offsets_out_of_range(self):
        def past_end(header):
            header["bias_hh_l0"]["data_offsets"][1] += 4

        self.refused_model("range.safetensors", model_image(edit_header=past_end))

    def test_overlapping_offsets(self):
        # Both biases have 4*HIDDEN floats: pointing the second at the first one's bytes plus
        # one float keeps every size right, so only the overlap is wrong.
        def overlap(header):
            start = header["bias_ih_l0"]["data_offsets"][0] + 4
            size = 4 * 4 * HIDDEN
            header["bias_hh_l0"]["data_offsets"] = [start, start + size]

        self.refused_model("overlap.safetensors", model_image(edit_header=overlap))

    def test_wrong_dtype(self):
        tensors = tiny_tensors()
        _, shape, _ = tensors["weight_ih_l0"]
        tensors["weight_ih_l0"] = ("I64", shape, np.zeros(shape, "<i8").tobytes())
        self.refused_model("i64.safetensors", model_image(tensors), "weight_ih_l0", "I64")

    def test_inconsistent_shape(self):
        tensors = tiny_tensors()
        tensors["weight_hh_l0"] = f32_tensor(np.zeros((4 * HIDDEN, HIDDEN + 1)))
        self.refused_model("shape.safetensors", model_image(tensors), "weight_hh_l0")

    def test_missing_tensor(self):
        tensors = tiny_tensors()
        del tensors["weight_hh_l0"]
        self.refused_model("missing_hh.safetensors", model_image(tensors), "weight_hh_l0")

    def test_nan_in_weights(self):
        tensors = tiny_tensors()
        w = tensor_array(tensors["weight_hh_l0"])
        w[1, 1] = np.nan
        tensors["weight_hh_l0"] = f32_tensor(w)
        self.refused_model("nan.safetensors", model_image(tensors), "weight_hh_l0")

    def test_model_error_names_file_once(self):
        # "--model f: f: problem" says nothing more than "f: problem" and reads like two errors.
        line = self.refused_model("empty.safetensors", b"")
        path = str(self.dir / "empty.safetensors")
        self.assertEqual(line.count(path), 1, line)

    def test_info_on_bad_model(self):
        path = self.write("empty.safetensors", b"")
        self.refused(["info", "--model", path], path)

    # --- the input files -------------------------------------------------------------------

    def refused_input(self, array, *extra_args):
        x = self.x_file(array)
        return self.refused(["run", "--model", self.good_model(), "--input", x, *extra_args], x)

    def test_input_float64(self):
        self.refused_input(np.zeros((STEPS, BATCH, INPUT), np.float64))

    def test_input_size_mismatch(self):
        self.refused_input(np.zeros((STEPS, BATCH, INPUT + 2), np.float32))

    def test_input_rank_2(self):
        self.refused_input(np.zeros((STEPS, INPUT), np.float32))

    def test_input_fortran_order(self):
        self.refused_input(np.asfortranarray(np.zeros((STEPS, BATCH, INPUT), np.float32)))

    def test_input_truncated(self):
        x = self.x_file()
        with open(x, "r+b") as f:
            f.truncate(f.seek(0, 2) - 8)
        self.refused(["run", "--model", self.good_model(), "--input", x], x)

    def test_input_missing(self):
        x = str(self.dir / "nope.npy")
        self.refused(["run", "--model", self.good_model(), "--input", x], x)

    def test_initial_state_wrong_shape(self):
        # A 1-layer unidirectional model needs (1, BATCH, HIDDEN); the message must point at the
        # state file (or its option), not at x, which is fine.
        for option in ("--h0", "--c0"):
            with self.subTest(option=option):
                state = str(write_npy(self.dir / f"bad_{option[2:]}.npy",
                                      np.zeros((2, BATCH, HIDDEN), np.float32)))
                line = self.refused(["run", "--model", self.good_model(), "--input",
                                     self.x_file(), option, state])
                self.assertTrue(state in line or option in line,
                                f"the message must name {state} or {option}: {line}")

    def test_nan_in_input_propagates_with_a_warning(self):
        x = np.random.default_rng(0).uniform(-1, 1, (STEPS, BATCH, INPUT)).astype(np.float32)
        x[1, 0, 0] = np.nan
        y_path = self.dir / "y.npy"
        args = ["run", "--model", self.good_model(), "--input", self.x_file(x), "--output", y_path]
        result = run_sbe(*args)
        assert_ok(self, result, args)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertTrue(lines[0].startswith("sbe: warning:"), result.stderr)
        y = read_npy(y_path)
        # Sample 0 is NaN from step 1 on; step 0 and sample 1 never saw the NaN.
        self.assertTrue(np.isnan(y[1:, 0]).all(), y)
        self.assertTrue(np.isfinite(y[0]).all() and np.isfinite(y[:, 1]).all(), y)

    # --- arguments -------------------------------------------------------------------------

    def test_bad_sizes(self):
        cases = ((["--batch", 0], "--batch"), (["--steps", -1], "--steps"),
                 (["--steps", "abc"], "--steps"), (["--repeat", 0], "--repeat"))
        for args, name in cases:
            with self.subTest(args=args):
                self.refused(["run", "--model", "deepbench-256", *args], name)

    def test_absurd_batch_and_steps_fail_fast(self):
        # 1e22 elements: must be refused by the size check, before any allocation is tried.
        start = time.monotonic()
        line = self.refused(["run", "--batch", 100000000000, "--steps", 100000000000])
        self.assertLess(time.monotonic() - start, 10)
        self.assertTrue("--batch" in line or "--steps" in line, line)
        self.assertNotIn("out of memory", line)

    def test_unknown_precision_and_executor(self):
        self.refused(["run", "--model", "deepbench-256", "--steps", 1, "--precision", "fp7"],
                     "--precision", "fp7")
        self.refused(["run", "--model", "deepbench-256", "--steps", 1, "--executor", "gpu9"],
                     "--executor", "gpu9")

    def test_unknown_option(self):
        self.refused(["run", "--frobnicate"], "--frobnicate")

    def test_no_subcommand(self):
        self.refused([], "subcommand")


class CliHelpTest(unittest.TestCase):
    def test_help_shows_examples(self):
        for args in ([], ["run"], ["info"]):
            with self.subTest(command=args):
                result = run_sbe(*args, "--help")
                assert_ok(self, result, args)
                self.assertIn("Examples", result.stdout)

    def test_info_json_lists_presets(self):
        info = run_sbe_json(self, "info")
        names = [p["name"] for p in info["presets"]]
        self.assertIn("lrcn", names)
        self.assertIn("deepbench-256", names)
        for p in info["presets"]:
            self.assertGreater(p["input_size"], 0)
            self.assertGreater(p["hidden_size"], 0)
            self.assertGreater(p["steps"], 0)


if __name__ == "__main__":
    unittest.main()
