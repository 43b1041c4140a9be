"""sbe.Model and sbe.Engine without PyTorch: running, compiling, streaming, threads, errors."""
import sys
import threading

import numpy as np
import pytest

import sbe
from conftest import assert_close


def random_model(rng, inp=13, hid=17, layers=2, bidirectional=False, bias=True):
    """A model from random weights, through the same entry point Model.from_torch uses."""
    dirs = 2 if bidirectional else 1
    scale = 1 / np.sqrt(hid)
    cells = []
    for layer in range(layers):
        width = inp if layer == 0 else hid * dirs
        for _ in range(dirs):
            w = lambda *s: rng.uniform(-scale, scale, size=s).astype(np.float32)  # noqa: E731
            cells.append((w(4 * hid, width), w(4 * hid, hid), w(4 * hid) if bias else None,
                          w(4 * hid) if bias else None))
    return sbe.Model._from_weights(inp, hid, layers, bidirectional, bias, cells, "random")


def test_import_does_not_load_torch():
    # A fresh interpreter: importing sbe must not pull PyTorch in.
    import subprocess
    code = "import sys, sbe; m = sbe.load('deepbench-256'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_presets_and_info():
    assert "lrcn" in sbe.presets()
    model = sbe.load("deepbench-256", seed=3)
    assert (model.input_size, model.hidden_size, model.num_layers) == (256, 256, 1)
    info = model.info()
    assert info["hidden_size"] == 256 and info["name"] == model.name
    same = sbe.load("deepbench-256", seed=3)
    x = np.ones((2, 1, 256), np.float32) * 0.1
    assert np.array_equal(model.run(x)[0], same.run(x)[0])
    assert not np.array_equal(model.run(x)[0], sbe.load("deepbench-256", seed=4).run(x)[0])


def test_run_matches_the_double_reference(rng):
    model = random_model(rng, inp=5, hid=7, layers=2, bidirectional=True)
    x = rng.standard_normal((11, 3, 5), dtype=np.float32)
    h0 = rng.standard_normal((4, 3, 7), dtype=np.float32)
    c0 = rng.standard_normal((4, 3, 7), dtype=np.float32)
    y, (h, c) = model.run(x, h0, c0)
    assert y.shape == (11, 3, 14) and h.shape == (4, 3, 7) and y.dtype == np.float32
    y_ref, (h_ref, c_ref) = model.run(x, h0, c0, executor="reference")
    assert_close(y, y_ref, 1e-5, "y")
    assert_close(h, h_ref, 1e-5, "h")
    assert_close(c, c_ref, 1e-5, "c")


def test_array_likes_batch_first_and_lengths(rng):
    model = random_model(rng, inp=3, hid=5, layers=1)
    x = rng.standard_normal((4, 2, 3), dtype=np.float32)
    y, _ = model.run(x)
    assert np.array_equal(model.run(x.tolist())[0], y)  # nested lists
    assert_close(model.run(x.astype(np.float64))[0], y, 0, "float64 input")
    y_bf, _ = model.run(np.ascontiguousarray(x.transpose(1, 0, 2)), batch_first=True)
    assert np.array_equal(y_bf.transpose(1, 0, 2), y)
    assert np.array_equal(model.run(x.transpose(1, 0, 2), batch_first=True)[0], y_bf)  # a strided view
    # Lengths: each sample stops at its own length, its h_n from there, zeros after.
    y_l, (h_l, _) = model.run(x, lengths=[4, 2])
    y_short, (h_short, _) = model.run(x[:2, 1:2])
    assert np.array_equal(y_l[:2, 1], y_short[:, 0])
    assert np.array_equal(h_l[:, 1], h_short[:, 0])
    assert not y_l[2:, 1].any()


@pytest.mark.parametrize("precision", ["fp32", "int16"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 7, 2), (2, 31, 13)], ids=lambda s: "x".join(map(str, s)))
def test_streaming_equals_the_whole_sequence(rng, precision, shape):
    inp, hid, layers = shape
    model = random_model(rng, inp=inp, hid=hid, layers=layers)
    steps, batch = 23, 3
    x = rng.uniform(-2, 2, size=(steps, batch, inp)).astype(np.float32)
    # int16 needs one calibration for the whole stream: the range is fixed up front.
    engine = model.compile(precision=precision, input_range=(-2, 2), threads=2)
    y_whole, (h_whole, c_whole) = engine(x)
    for _ in range(5):
        cuts = np.sort(rng.choice(np.arange(1, steps), size=rng.integers(1, 8), replace=False))
        state = engine.initial_state(batch) if rng.integers(2) else None
        parts = []
        for chunk in np.split(x, cuts):
            y, state = engine(chunk, state)
            parts.append(y)
        y = np.concatenate(parts)
        if precision == "int16":
            assert np.array_equal(y, y_whole), f"chunks at {cuts}"
            assert np.array_equal(state[0], h_whole) and np.array_equal(state[1], c_whole)
        else:
            assert_close(y, y_whole, 1e-6, f"chunks at {cuts}")
            assert_close(state[1], c_whole, 1e-6, "c_n")


def test_int16_executors_agree_bit_for_bit(rng):
    model = random_model(rng, inp=7, hid=11, layers=2, bidirectional=True)
    x = rng.uniform(-1, 1, size=(5, 3, 7)).astype(np.float32)
    cpu = model.run(x, precision="int16", input_range=(-1, 1))
    golden = model.run(x, precision="int16", executor="golden", input_range=(-1, 1))
    for a, b in zip((cpu[0], *cpu[1]), (golden[0], *golden[1])):
        assert np.array_equal(a, b)
    # Without a range the first call calibrates on its input, as `sbe run` does.
    engine = model.compile(precision="int16")
    engine(x)
    assert engine.details()["precision"] == "int16"


def test_one_engine_from_many_threads(rng):
    model = random_model(rng, inp=31, hid=37, layers=2)
    engine = model.compile(threads=2)
    inputs = [rng.standard_normal((9, int(rng.integers(1, 6)), 31), dtype=np.float32) for _ in range(8)]
    expected = [engine(x)[0] for x in inputs]
    results, errors = {}, []

    def worker(k):
        try:
            for i in range(k, k + 24):
                results[(k, i)] = (i % 8, engine(inputs[i % 8])[0])
        except Exception as e:  # noqa: BLE001 (reported by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(results) == 4 * 24
    for i, y in results.values():
        assert np.array_equal(y, expected[i])


def test_the_gil_is_released_while_the_engine_runs():
    model = sbe.load("deepbench-512")
    engine = model.compile(threads=1)
    x = np.zeros((50, 4, 512), np.float32)
    counter = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            counter[0] += 1

    t = threading.Thread(target=count)
    t.start()
    before = counter[0]
    engine(x)
    engine(x)
    during = counter[0] - before
    done.set()
    t.join()
    # A thread holding the GIL for the whole run would leave the counter nearly still.
    assert during > 1000


def test_outputs_are_owned_numpy_arrays(rng):
    model = random_model(rng, inp=2, hid=3, layers=1)
    engine = model.compile()
    y1, (h1, _) = engine(np.ones((2, 1, 2), np.float32))
    y1_copy = y1.copy()
    engine(np.zeros((2, 1, 2), np.float32))
    assert np.array_equal(y1, y1_copy)  # a later call does not overwrite an earlier result
    y1[:] = 7  # and results are writable arrays of their own
    assert y1.flags.writeable and h1.dtype == np.float32


@pytest.mark.parametrize("call,message", [
    (lambda m: m.run(np.zeros((2, 1, 4), np.float32)), "x"),
    (lambda m: m.run(np.zeros((2, 4), np.float32)), "3 dimensions"),
    (lambda m: m.run(np.zeros((0, 1, 3), np.float32)), "x"),
    (lambda m: m.run(np.array([["a"]])), "dtype"),
    (lambda m: m.run("a string"), "x"),
    (lambda m: m.run(None), "None"),
    (lambda m: m.run(np.zeros((2, 1, 3), np.complex64)), "dtype"),
    (lambda m: m.run(np.zeros((2, 1, 3)), np.zeros((1, 2, 5))), "h0"),
    (lambda m: m.run(np.zeros((2, 1, 3)), lengths=[5]), "lengths"),
    (lambda m: m.run(np.zeros((2, 1, 3)), lengths=[1.5]), "lengths"),
    (lambda m: m.run(np.zeros((2, 1, 3)), precision="int8"), "precision"),
    (lambda m: m.run(np.zeros((2, 1, 3)), executor="gpu"), "executor"),
    (lambda m: m.run(np.zeros((2, 1, 3)), threads=-1), "threads"),
    (lambda m: m.run(np.zeros((2, 1, 3)), precision="int16", input_range=(1, -1)), "range"),
    (lambda m: m.compile(max_batch=2)(np.zeros((2, 3, 3))), "max_batch"),
    (lambda m: m.compile()(np.zeros((2, 1, 3)), state=(1, 2, 3)), "state"),
    (lambda m: m.compile().initial_state(0), "batch"),
    (lambda m: sbe.load("no-such-model"), "no-such-model"),
    (lambda m: sbe.load("/nonexistent/lstm.safetensors"), "lstm.safetensors"),
    (lambda m: sbe.plan(m, "vx690t", steps=4, batch=4, bogus=1), "bogus"),
    (lambda m: sbe.plan(m, "vx690t", steps=4, batch=0), "batch"),
    (lambda m: sbe.plan(m, "no-board", steps=4), "no-board"),
    (lambda m: sbe.plan(m, "vx690t", steps=4, objective="speed"), "objective"),
    (lambda m: sbe.plan(42, "vx690t"), "model"),
    (lambda m: sbe.simulate(m, "cpu"), "cpu"),
    (lambda m: sbe.simulate(m, "arty-a7-100t", np.zeros((2, 2)), steps=2), "x"),
])
def test_bad_input_raises_sbe_error(rng, call, message):
    model = random_model(rng, inp=3, hid=5, layers=1)
    with pytest.raises(sbe.Error) as e:
        call(model)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_non_finite_input_warns(rng):
    model = random_model(rng, inp=3, hid=5, layers=1)
    x = np.zeros((2, 1, 3), np.float32)
    x[1, 0, 2] = np.nan
    with pytest.warns(sbe.Warning, match="x"):
        model.run(x)


def test_a_bad_file_is_an_error_not_a_crash(tmp_path):
    for content in (b"", b"\x00" * 7, b"{\"not\": \"safetensors\"}", bytes(range(256)) * 40):
        path = tmp_path / "bad.safetensors"
        path.write_bytes(content)
        with pytest.raises(sbe.Error, match="bad.safetensors"):
            sbe.load(str(path))
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x08\x07garbage")
    with pytest.raises(sbe.Error, match="bad.onnx"):
        sbe.load(str(path))


def test_a_float32_c_contiguous_input_is_not_copied():
    # 256 MiB of input into a model with one hidden unit: a copy of x would show in the peak
    # resident memory of the call, the outputs are tiny. A fresh interpreter measures it.
    import subprocess
    code = """
import resource, numpy as np, sbe
w = lambda *s: np.full(s, 0.01, np.float32)
model = sbe.Model._from_weights(4096, 1, 1, False, True, [(w(4, 4096), w(4, 1), w(4), w(4))], "wide")
engine = model.compile(threads=1)
engine(np.zeros((2, 1, 4096), np.float32))
x = np.ones((2048, 8, 4096), np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y, _ = engine(x)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    grown_mib = int(out.stdout)
    assert grown_mib < 64, f"the call grew the process by {grown_mib} MiB for a 256 MiB input"
