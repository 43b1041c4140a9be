"""ONNX import through `sbe run`: hand-built LSTM nodes against an independent numpy version of
the ONNX LSTM spec, torch.onnx.export'ed nn.LSTMs against torch, and refused graphs."""

import unittest
import warnings

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from sbe_test_util import (assert_close, assert_ok, assert_one_line_error, read_npy, run_sbe,
                           temp_dir, write_npy)

TOL = 1e-5


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def onnx_lstm(x, W, R, B, h0, c0, lens, direction, layout):
    """The ONNX LSTM operator, written from its specification (gate order i, o, f, c)."""
    if layout == 1:
        x = x.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    T, Bn, _ = x.shape
    D, H4, _ = W.shape
    H = H4 // 4
    lens = np.full(Bn, T) if lens is None else lens
    Y = np.zeros((T, D, Bn, H))
    Yh, Yc = np.zeros((D, Bn, H)), np.zeros((D, Bn, H))
    for d in range(D):
        reverse = direction == "reverse" or d == 1
        Wb, Rb = (B[d, :H4], B[d, H4:]) if B is not None else (0, 0)
        for b in range(Bn):
            h = np.zeros(H) if h0 is None else h0[d, b].astype(np.float64)
            c = np.zeros(H) if c0 is None else c0[d, b].astype(np.float64)
            steps = range(lens[b] - 1, -1, -1) if reverse else range(lens[b])
            for t in steps:
                g = W[d] @ x[t, b] + R[d] @ h + Wb + Rb
                i, o, f, cc = sigmoid(g[:H]), sigmoid(g[H:2 * H]), sigmoid(g[2 * H:3 * H]), np.tanh(g[3 * H:])
                c = f * c + i * cc
                h = o * np.tanh(c)
                Y[t, d, b] = h
            Yh[d, b], Yc[d, b] = h, c
    if layout == 1:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def lstm_model(path, I, H, direction="forward", bias=True, layout=0, states=False, lens=False,
               seed=0, attrs=None, extra_inputs=None, W=None, opset=14, after=None):
    """Writes a one-node LSTM graph; returns its weights."""
    rng = np.random.default_rng(seed)
    D = 2 if direction == "bidirectional" else 1
    W = rng.uniform(-0.5, 0.5, (D, 4 * H, I)).astype(np.float32) if W is None else W
    R = rng.uniform(-0.5, 0.5, (D, 4 * H, H)).astype(np.float32)
    B = rng.uniform(-0.5, 0.5, (D, 8 * H)).astype(np.float32) if bias else None
    inits = [numpy_helper.from_array(W, "W"), numpy_helper.from_array(R, "R")]
    if bias:
        inits.append(numpy_helper.from_array(B, "B"))
    x_shape = ["B", "T", I] if layout == 1 else ["T", "B", I]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    node_inputs = ["X", "W", "R", "B" if bias else "", "", "", ""]
    if lens:
        inputs.append(helper.make_tensor_value_info("lens", TensorProto.INT32, ["B"]))
        node_inputs[4] = "lens"
    if states:
        for name in ("h0", "c0"):
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
        node_inputs[5:7] = ["h0", "c0"]
    node_inputs += extra_inputs or []
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()
    node = helper.make_node("LSTM", node_inputs, ["Y", "Y_h", "Y_c"], hidden_size=H,
                            direction=direction, **({"layout": layout} if layout else {}),
                            **(attrs or {}))
    nodes = [node] + (after or [])
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
               for n in ("Y", "Y_h", "Y_c")] if not after else \
              [helper.make_tensor_value_info(after[-1].output[0], TensorProto.FLOAT, None)]
    graph = helper.make_graph(nodes, "lstm", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, str(path))
    return W, R, B


class OnnxSpecTest(unittest.TestCase):
    def check(self, I, H, T, Bn, direction="forward", bias=True, layout=0, states=False,
              lens=None, seed=0):
        tmp = temp_dir(self)
        W, R, B = lstm_model(tmp / "m.onnx", I, H, direction, bias, layout, states,
                             lens is not None, seed)
        rng = np.random.default_rng(seed + 1)
        D = W.shape[0]
        x = rng.uniform(-1, 1, (Bn, T, I) if layout else (T, Bn, I)).astype(np.float32)
        args = ["run", "--model", str(tmp / "m.onnx"), "--input", str(tmp / "x.npy"),
                "--output", str(tmp / "y.npy"), "--state-output", str(tmp / "st")]
        write_npy(tmp / "x.npy", x)
        h0 = c0 = None
        if states:
            shape = (Bn, D, H) if layout else (D, Bn, H)
            h0 = rng.uniform(-1, 1, shape).astype(np.float32)
            c0 = rng.uniform(-1, 1, shape).astype(np.float32)
            write_npy(tmp / "h0.npy", h0)
            write_npy(tmp / "c0.npy", c0)
            args += ["--h0", str(tmp / "h0.npy"), "--c0", str(tmp / "c0.npy")]
        if lens is not None:
            np.save(tmp / "lens.npy", np.array(lens, dtype=np.int32))
            args += ["--seq-lens", str(tmp / "lens.npy")]
        assert_ok(self, run_sbe(*args))
        Y, Yh, Yc = onnx_lstm(x.astype(np.float64), W, R, B, h0, c0,
                              None if lens is None else np.array(lens), direction, layout)
        assert_close(self, read_npy(tmp / "y.npy"), Y, TOL, "Y")
        assert_close(self, read_npy(tmp / "st_h.npy"), Yh, TOL, "Y_h")
        assert_close(self, read_npy(tmp / "st_c.npy"), Yc, TOL, "Y_c")

    def test_forward(self):
        self.check(5, 7, 6, 3)

    def test_reverse(self):
        self.check(4, 3, 5, 2, direction="reverse")

    def test_bidirectional(self):
        self.check(6, 5, 4, 3, direction="bidirectional")

    def test_without_bias(self):
        self.check(3, 4, 5, 2, direction="bidirectional", bias=False)

    def test_initial_states(self):
        self.check(5, 6, 4, 2, direction="bidirectional", states=True)

    def test_sequence_lengths_mixed_in_one_batch(self):
        self.check(4, 5, 6, 4, direction="bidirectional", lens=[6, 2, 1, 4])
        self.check(3, 2, 5, 3, direction="reverse", states=True, lens=[5, 3, 1])

    def test_layout_1(self):
        self.check(5, 4, 6, 3, direction="bidirectional", layout=1, states=True)

    def test_awkward_sizes(self):
        self.check(1, 1, 1, 1)
        self.check(13, 17, 3, 5, direction="bidirectional", states=True, lens=[3, 1, 2, 3, 2])


class TorchExportTest(unittest.TestCase):
    def export_and_compare(self, layers, bidirectional, batch_first, with_state, opset, dynamic, seed):
        import torch
        torch.manual_seed(seed)
        I, H, T, Bn = 7, 5, 4, 3
        lstm = torch.nn.LSTM(I, H, layers, bidirectional=bidirectional, batch_first=batch_first)
        D = 2 if bidirectional else 1
        x = torch.randn((Bn, T, I) if batch_first else (T, Bn, I))
        h0, c0 = torch.randn(layers * D, Bn, H), torch.randn(layers * D, Bn, H)
        tmp = temp_dir(self)
        args = (x, (h0, c0)) if with_state else (x,)
        names = ["x", "h0", "c0"] if with_state else ["x"]
        axes = {"x": {0: "d0", 1: "d1"}} if dynamic else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(lstm, args, str(tmp / "m.onnx"), opset_version=opset,
                              input_names=names, output_names=["y", "hn", "cn"], dynamic_axes=axes)
        with torch.no_grad():
            y, (hn, cn) = lstm(*args)
        write_npy(tmp / "x.npy", x.numpy())
        cmd = ["run", "--model", str(tmp / "m.onnx"), "--input", str(tmp / "x.npy"),
               "--output", str(tmp / "y.npy"), "--state-output", str(tmp / "st")]
        if with_state:
            write_npy(tmp / "h0.npy", h0.numpy())
            write_npy(tmp / "c0.npy", c0.numpy())
            cmd += ["--h0", str(tmp / "h0.npy"), "--c0", str(tmp / "c0.npy")]
        assert_ok(self, run_sbe(*cmd))
        assert_close(self, read_npy(tmp / "y.npy"), y.numpy(), TOL, "y")
        assert_close(self, read_npy(tmp / "st_h.npy"), hn.numpy(), TOL, "h_n")
        assert_close(self, read_npy(tmp / "st_c.npy"), cn.numpy(), TOL, "c_n")

    def test_exports(self):
        cases = [(1, False, False, False, 9, False), (2, True, False, True, 13, True),
                 (3, False, True, False, 17, True), (2, False, False, True, 7, False),
                 (3, True, True, True, 14, True), (1, True, False, False, 11, False)]
        for k, case in enumerate(cases):
            with self.subTest(layers=case[0], bidirectional=case[1], batch_first=case[2],
                              state=case[3], opset=case[4]):
                self.export_and_compare(*case, seed=k)


class OnnxRefusedTest(unittest.TestCase):
    def refused(self, *words, **kwargs):
        tmp = temp_dir(self)
        lstm_model(tmp / "bad.onnx", 3, 4, **kwargs)
        r = run_sbe("run", "--model", str(tmp / "bad.onnx"), "--steps", "2")
        assert_one_line_error(self, r, "bad.onnx", *words)

    def test_unsupported_attributes(self):
        self.refused("clip", attrs={"clip": 3.0})
        self.refused("Relu", attrs={"activations": ["Relu", "Tanh", "Tanh"]})
        self.refused("input_forget", attrs={"input_forget": 1})
        self.refused("activation_alpha", attrs={"activation_alpha": [1.0]})

    def test_peepholes(self):
        tmp = temp_dir(self)
        self.refused("peephole", extra_inputs=["P"])

    def test_unsupported_operator(self):
        self.refused("Add", after=[helper.make_node("Add", ["Y", "Y"], ["Z"])])

    def test_wrong_w_shape_and_nan(self):
        self.refused("W has shape", W=np.zeros((1, 12, 3), np.float32))
        W = np.zeros((1, 16, 3), np.float32)
        W[0, 5, 1] = np.nan
        self.refused("non-finite", W=W)

    def test_opset_out_of_range(self):
        self.refused("opset", opset=5)

    def test_garbage_and_truncated_files(self):
        tmp = temp_dir(self)
        (tmp / "junk.onnx").write_bytes(b"\x08\x07this is not a protobuf\xff\xff\xff")
        assert_one_line_error(self, run_sbe("run", "--model", str(tmp / "junk.onnx")), "junk.onnx")
        lstm_model(tmp / "whole.onnx", 3, 4)
        data = (tmp / "whole.onnx").read_bytes()
        (tmp / "cut.onnx").write_bytes(data[: len(data) // 2])
        assert_one_line_error(self, run_sbe("run", "--model", str(tmp / "cut.onnx")), "cut.onnx")


if __name__ == "__main__":
    unittest.main()
