"""The module and the `sbe` command give the same answers: int16 outputs bit for bit, and the
plan, simulate, info and boards documents as the commands' --json prints them."""
import json

import numpy as np
import pytest

import sbe
from conftest import REPO, SBE_BIN, run_sbe, run_sbe_json

CHARLM = REPO / "tests" / "data" / "charlm" / "lstm.safetensors"


def sbe_run_npy(tmp_path, model, x, *extra, h0=None, c0=None, lengths=None):
    """`sbe run` on x (and states, lengths) through .npy files: (y, h_n, c_n)."""
    args = ["run", "--model", model, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy",
            "--state-output", tmp_path / "out", *extra]
    np.save(tmp_path / "x.npy", x)
    if h0 is not None:
        np.save(tmp_path / "h0.npy", h0)
        np.save(tmp_path / "c0.npy", c0)
        args += ["--h0", tmp_path / "h0.npy", "--c0", tmp_path / "c0.npy"]
    if lengths is not None:
        np.save(tmp_path / "lengths.npy", np.asarray(lengths, np.int64))
        args += ["--seq-lens", tmp_path / "lengths.npy"]
    run_sbe(*args)
    return tuple(np.load(tmp_path / f) for f in ("y.npy", "out_h.npy", "out_c.npy"))


def assert_same_bits(ours, theirs):
    y, (h, c) = ours
    for name, a, b in zip(("y", "h_n", "c_n"), (y, h, c), theirs):
        assert a.shape == b.shape, name
        assert np.array_equal(a, b), f"{name}: {np.count_nonzero(a != b)} of {a.size} values differ"


@pytest.mark.parametrize("calibration", ["input", "fixed"])
def test_int16_equals_sbe_run_on_the_character_model(tmp_path, rng, calibration):
    model = sbe.load(str(CHARLM))
    x = rng.uniform(-3, 3, size=(29, 3, model.input_size)).astype(np.float32)
    extra = ["--input-range", "-3,3"] if calibration == "fixed" else []
    kw = {"input_range": (-3, 3)} if calibration == "fixed" else {}
    theirs = sbe_run_npy(tmp_path, CHARLM, x, "--precision", "int16", *extra)
    assert_same_bits(model.run(x, precision="int16", **kw), theirs)
    assert_same_bits(model.compile(precision="int16", **kw)(x), theirs)


def test_int16_equals_sbe_run_on_a_preset_with_state_and_lengths(tmp_path, rng):
    model = sbe.load("deepbench-256", seed=5)
    x = rng.uniform(-1, 1, size=(7, 5, 256)).astype(np.float32)
    h0 = rng.uniform(-1, 1, size=(1, 5, 256)).astype(np.float32)
    c0 = rng.uniform(-1, 1, size=(1, 5, 256)).astype(np.float32)
    lengths = [7, 1, 4, 6, 2]
    theirs = sbe_run_npy(tmp_path, "deepbench-256", x, "--seed", 5, "--precision", "int16", "--threads", 2,
                         h0=h0, c0=c0, lengths=lengths)
    assert_same_bits(model.run(x, h0, c0, precision="int16", threads=2, lengths=lengths), theirs)
    fp32 = sbe_run_npy(tmp_path, "deepbench-256", x, "--seed", 5, h0=h0, c0=c0, lengths=lengths)
    assert_same_bits(model.run(x, h0, c0, lengths=lengths), fp32)  # same engine, same bits


@pytest.mark.parametrize("inp,hid,layers,bidir,batch_first,batch", [
    (1, 1, 1, False, False, 1),
    (5, 7, 2, True, False, 3),
    (13, 31, 3, False, True, 2),
    (37, 17, 2, True, True, 5),
    (67, 129, 1, False, False, 7),
])
def test_int16_equals_sbe_run_on_torch_models(tmp_path, rng, inp, hid, layers, bidir, batch_first, batch):
    torch = pytest.importorskip("torch")
    import export_torch
    torch.manual_seed(int(rng.integers(1 << 31)))
    lstm = torch.nn.LSTM(inp, hid, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    path = tmp_path / "lstm.safetensors"
    export_torch.save_lstm(lstm, path)
    x = rng.standard_normal((batch, 9, inp) if batch_first else (9, batch, inp)).astype(np.float32)
    extra = ["--batch-first"] if batch_first else []
    theirs = sbe_run_npy(tmp_path, path, x, "--precision", "int16", *extra)
    # The same model reached three ways: the file, the torch module, the drop-in.
    assert_same_bits(sbe.load(str(path)).run(x, precision="int16", batch_first=batch_first), theirs)
    assert_same_bits(sbe.Model.from_torch(lstm).run(x, precision="int16"), theirs)
    y, (h, c) = sbe.torch.LSTM(lstm, precision="int16")(torch.from_numpy(x))
    assert_same_bits((y.numpy(), (h.numpy(), c.numpy())), theirs)


def test_info_equals_sbe_info():
    # `sbe info --json` describes the machine too; its "model" object is the model's description.
    assert sbe.load(str(CHARLM)).info() == run_sbe_json("info", "--model", CHARLM)["model"]
    assert sbe.load("lrcn", seed=2).info() == run_sbe_json("info", "--model", "lrcn", "--seed", 2)["model"]


@pytest.mark.parametrize("board,kwargs,flags", [
    ("vx690t", {}, []),
    ("z7045", {"batch": 8, "blocks": 4}, ["--batch", 8, "--blocks", 4]),
    ("arty-a7-100t", {"objective": "latency", "input_part": "per-step"},
     ["--objective", "latency", "--input", "per-step"]),
    ("vx690t", {"block_batch": False, "steps": 5, "curves": True}, ["--non-block-batch", "--steps", 5, "--curves"]),
])
def test_plan_equals_sbe_plan(board, kwargs, flags):
    assert sbe.plan("lrcn", board, **kwargs) == run_sbe_json("plan", "--model", "lrcn", "--board", board, *flags)


def test_cpu_plan_equals_sbe_plan():
    ours = sbe.plan(sbe.load("deepbench-256"), "cpu", batch=4, precision="int16", threads=2)
    theirs = run_sbe_json("plan", "--model", "deepbench-256", "--board", "cpu", "--batch", 4,
                          "--precision", "int16", "--threads", 2)
    assert ours == theirs
    forced = sbe.plan("speech-3x320-bi", "cpu", batch=4, threads=2, decomposition="direction-split")
    assert forced == run_sbe_json("plan", "--model", "speech-3x320-bi", "--board", "cpu", "--batch", 4,
                                  "--threads", 2, "--decomposition", "direction-split")
    assert forced["cpu"]["decomposition"]["kind"] == "direction-split"
    with pytest.raises(sbe.Error, match="decomposition sideways: unknown"):
        sbe.plan("lrcn", "cpu", decomposition="sideways")


def test_simulate_equals_sbe_simulate(tmp_path, rng):
    x = rng.uniform(-1, 1, size=(3, 2, 64)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    small = sbe.Model._from_weights(
        64, 32, 1, False, True,
        [tuple(rng.uniform(-0.2, 0.2, size=s).astype(np.float32) for s in ((128, 64), (128, 32), (128,), (128,)))],
        "small")
    # The random-input form (samples, steps, seed) on a preset.
    ours = sbe.simulate("deepbench-256", "arty-a7-100t", samples=2, steps=3, seed=4, check=True)
    theirs = run_sbe_json("simulate", "--model", "deepbench-256", "--board", "arty-a7-100t", "--samples", 2,
                          "--steps", 3, "--seed", 4, "--check")
    assert ours == theirs
    assert ours["check_vs_golden"]["bit_exact"] is True
    # x given, on a model from weights (no file: the command's side reads the preset instead).
    doc = sbe.simulate(small, "arty-a7-100t", x, input_range=(-1, 1), check=True)
    assert doc["check_vs_golden"]["bit_exact"] is True and doc["cycles"] > 0


def test_boards_equal_the_documents_boards():
    boards = sbe.boards()
    names = [b["name"] for b in boards]
    assert {"vx690t", "z7045", "arty-a7-100t"} <= set(names)
    for b in boards:
        plan = run_sbe_json("plan", "--model", "deepbench-256", "--board", b["name"])
        assert plan["board_info"] == b
