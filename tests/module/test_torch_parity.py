"""sbe.torch.LSTM against torch.nn.LSTM in the same process: the drop-in's contract.

Each configuration is an nn.LSTM of awkward sizes (1, primes, not multiples of any vector width)
with fresh random weights and inputs; sbe's fp32 output must be within 1e-5 of PyTorch's, for
plain tensors, batch_first, unbatched inputs, initial states and PackedSequences with unsorted
lengths.
"""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

import sbe  # noqa: E402
import sbe.torch  # noqa: E402,F401
from conftest import assert_close  # noqa: E402

TOL = 1e-5

# (input, hidden) pairs: 1, primes, and sizes just past a vector width.
SIZES = [(1, 1), (2, 3), (5, 7), (13, 1), (1, 17), (31, 37), (67, 33), (17, 129)]
LAYERS = [1, 2, 3]


def configurations():
    """At least 40 configurations walking every option against every other (a cyclic cover,
    not the full product)."""
    cases = []
    for i, (bidir, batch_first, state, packed) in enumerate(itertools.product([False, True], repeat=4)):
        for j in range(3):
            k = 3 * i + j
            inp, hid = SIZES[k % len(SIZES)]
            layers = LAYERS[(k // 2) % len(LAYERS)]
            batch = [1, 2, 3, 5, 7][k % 5]
            steps = [1, 4, 11, 6][k % 4]
            bias = k % 7 != 3
            cases.append(pytest.param(inp, hid, layers, bidir, batch_first, state, packed, batch, steps, bias,
                                      id=f"i{inp}-h{hid}-l{layers}{'-bi' if bidir else ''}"
                                         f"{'-bf' if batch_first else ''}{'-hx' if state else ''}"
                                         f"{'-packed' if packed else ''}-b{batch}-t{steps}"
                                         f"{'' if bias else '-nobias'}"))
    return cases


def make_lstm(rng, inp, hid, layers, bidir, batch_first, bias):
    torch.manual_seed(int(rng.integers(1 << 31)))
    return torch.nn.LSTM(inp, hid, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                         bias=bias).eval()


def random_state(rng, lstm, batch):
    shape = (lstm.num_layers * (2 if lstm.bidirectional else 1), batch, lstm.hidden_size)
    return (torch.from_numpy(rng.standard_normal(shape, dtype=np.float32)),
            torch.from_numpy(rng.standard_normal(shape, dtype=np.float32)))


@pytest.mark.parametrize("inp,hid,layers,bidir,batch_first,state,packed,batch,steps,bias", configurations())
def test_matches_nn_lstm(rng, inp, hid, layers, bidir, batch_first, state, packed, batch, steps, bias):
    lstm = make_lstm(rng, inp, hid, layers, bidir, batch_first, bias)
    ours = sbe.torch.LSTM(lstm, threads=2)
    shape = (batch, steps, inp) if batch_first else (steps, batch, inp)
    x = torch.from_numpy(rng.standard_normal(shape, dtype=np.float32))
    hx = random_state(rng, lstm, batch) if state else None
    if packed:
        # Unsorted lengths, one of them the full length (padding must not reach any output).
        lengths = rng.integers(1, steps + 1, size=batch)
        lengths[rng.integers(batch)] = steps
        x = pack_padded_sequence(x, torch.from_numpy(lengths), batch_first=batch_first, enforce_sorted=False)
    with torch.no_grad():
        y_ref, (h_ref, c_ref) = lstm(x, hx)
    y, (h, c) = ours(x, hx)
    if packed:
        assert isinstance(y, torch.nn.utils.rnn.PackedSequence)
        assert torch.equal(y.batch_sizes, y_ref.batch_sizes)
        assert torch.equal(y.sorted_indices, y_ref.sorted_indices)
        assert torch.equal(y.unsorted_indices, y_ref.unsorted_indices)
        y, y_ref = y.data, y_ref.data
    assert y.dtype == torch.float32 and h.dtype == torch.float32
    assert_close(y.numpy(), y_ref.numpy(), TOL, "output")
    assert_close(h.numpy(), h_ref.numpy(), TOL, "h_n")
    assert_close(c.numpy(), c_ref.numpy(), TOL, "c_n")


@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input(rng, batch_first):
    lstm = make_lstm(rng, 7, 11, 2, True, batch_first, True)
    ours = sbe.torch.LSTM(lstm)
    x = torch.from_numpy(rng.standard_normal((9, 7), dtype=np.float32))
    h0, c0 = (t[:, 0] for t in random_state(rng, lstm, 1))
    with torch.no_grad():
        y_ref, (h_ref, c_ref) = lstm(x, (h0, c0))
    y, (h, c) = ours(x, (h0, c0))
    assert y.shape == y_ref.shape and h.shape == h_ref.shape
    assert_close(y.numpy(), y_ref.numpy(), TOL, "output")
    assert_close(c.numpy(), c_ref.numpy(), TOL, "c_n")


def test_other_dtypes_and_non_contiguous_inputs(rng):
    lstm = make_lstm(rng, 5, 3, 1, False, False, True)
    ours = sbe.torch.LSTM(lstm)
    x = torch.from_numpy(rng.standard_normal((4, 6, 5)))  # float64, as a user may have it
    x_t = x.transpose(0, 1).contiguous().transpose(0, 1)  # same values, not contiguous
    with torch.no_grad():
        y_ref, _ = lstm(x.float())
    for given in (x, x_t, x.half().float()):
        y, _ = ours(given)
        assert_close(y.numpy(), lstm(given.float())[0].detach().numpy(), TOL, "output")
    assert_close(ours(x)[0].numpy(), y_ref.numpy(), TOL, "output")


def test_from_torch_model_runs_like_the_module(rng):
    lstm = make_lstm(rng, 3, 5, 2, False, False, True)
    model = sbe.Model.from_torch(lstm)
    assert (model.input_size, model.hidden_size, model.num_layers) == (3, 5, 2)
    x = rng.standard_normal((6, 2, 3), dtype=np.float32)
    y, (h, c) = model.run(x)
    y_ref, (h_ref, _) = lstm(torch.from_numpy(x))
    assert_close(y, y_ref.detach().numpy(), TOL, "y")
    assert_close(h, h_ref.detach().numpy(), TOL, "h_n")
    # The weights were copied: training the module further does not change the model.
    with torch.no_grad():
        lstm.weight_hh_l0.add_(1.0)
    assert np.array_equal(model.run(x)[0], y)


def test_int16_drop_in_equals_the_engine(rng):
    lstm = make_lstm(rng, 13, 31, 2, True, True, True)
    ours = sbe.torch.LSTM(lstm, precision="int16", input_range=(-4, 4))
    x = torch.from_numpy(rng.uniform(-4, 4, size=(3, 7, 13)).astype(np.float32))
    y, (h, c) = ours(x)
    engine = sbe.Model.from_torch(lstm).compile(precision="int16", input_range=(-4, 4))
    y2, (h2, c2) = engine(x.numpy())
    assert np.array_equal(y.numpy(), y2) and np.array_equal(h.numpy(), h2) and np.array_equal(c.numpy(), c2)
    # And the fixed point stays near PyTorch (a coarse bound: 16-bit formats).
    assert_close(y.numpy(), lstm(x)[0].detach().numpy(), 0.05, "int16 output")


def test_refuses_what_it_cannot_run():
    with pytest.raises(sbe.Error, match="GRU"):
        sbe.torch.LSTM(torch.nn.GRU(4, 4))
    with pytest.raises(sbe.Error, match="proj_size"):
        sbe.torch.LSTM(torch.nn.LSTM(4, 8, proj_size=2))
    ours = sbe.torch.LSTM(torch.nn.LSTM(4, 8))
    with pytest.raises(sbe.Error, match="input"):
        ours(torch.zeros(2, 3, 5))  # 5 features, the module takes 4
    with pytest.raises(sbe.Error):
        ours(torch.zeros(2, 3, 4, 1))
    with pytest.raises(sbe.Error, match="h_0"):
        ours(torch.zeros(2, 3, 4), ("not a tensor", torch.zeros(1, 3, 8)))
    with pytest.raises(sbe.Error, match="h0"):
        ours(torch.zeros(2, 3, 4), (torch.zeros(1, 2, 8), torch.zeros(1, 3, 8)))
    assert issubclass(sbe.Error, ValueError)


def test_is_an_nn_module():
    lstm = torch.nn.LSTM(4, 8, batch_first=True)
    ours = sbe.torch.LSTM(lstm)
    assert isinstance(ours, torch.nn.Module)
    assert "batch_first=True" in repr(ours)
    net = torch.nn.Sequential()
    net.add_module("rnn", ours)  # composes like any module
    assert net.rnn is ours
