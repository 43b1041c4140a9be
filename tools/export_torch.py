#!/usr/bin/python3
"""Save a PyTorch nn.LSTM as safetensors for sbe, plus inputs and torch's outputs as .npy."""

import argparse
import copy
import json
import os
import re
import struct
import sys

import numpy as np
import torch

USAGE_EXAMPLES = """\
examples:
  # a random 2-layer LSTM and a batch of 4 sequences of 16 steps, into case/
  /usr/bin/python3 tools/export_torch.py --input-size 64 --hidden-size 128 --num-layers 2 \\
      --steps 16 --batch 4 --out case
  sbe run --model case/model.safetensors --input case/x.npy --output y.npy

  # bidirectional, no bias, batch-first, with random initial states, weights in bfloat16
  /usr/bin/python3 tools/export_torch.py --input-size 40 --hidden-size 96 --bidirectional \\
      --no-bias --batch-first --initial-state --dtype bfloat16 --out case
  sbe run --model case/model.safetensors --input case/x.npy --batch-first \\
      --h0 case/h0.npy --c0 case/c0.npy --output y.npy --state-output st

  # weights trained elsewhere: torch.save(model.lstm.state_dict(), "lstm.pt")
  /usr/bin/python3 tools/export_torch.py --from-state-dict lstm.pt --steps 32 --out case
  # or the whole model's state_dict, keeping only the keys under "encoder.lstm."
  /usr/bin/python3 tools/export_torch.py --from-state-dict model.pt --prefix encoder.lstm. \\
      --out case

The case directory holds model.safetensors, x.npy, h0.npy and c0.npy (with --initial-state),
and torch's outputs y.npy, h_n.npy and c_n.npy, all float32, in nn.LSTM's layouts.
"""

# safetensors dtype codes of the dtypes sbe reads, and how each one's bits are stored.
DTYPES = {
    "float32": ("F32", torch.float32, "<f4"),
    "float16": ("F16", torch.float16, "<f2"),
    # NumPy has no bfloat16: its raw 16 bits are written as an integer of the same width.
    "bfloat16": ("BF16", torch.bfloat16, "<i2"),
}

_LSTM_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


def state_tensors(module_or_state_dict, dtype="float32"):
    """Returns {name: (safetensors dtype code, shape, little-endian bytes)} of an LSTM's weights.

    Accepts an nn.LSTM or its state_dict; refuses keys that are not plain LSTM weights (e.g.
    weight_hr_l0 of an LSTM with proj_size), since sbe would reject them less clearly.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: expected one of {', '.join(DTYPES)}")
    code, torch_dtype, np_dtype = DTYPES[dtype]
    state = module_or_state_dict
    if isinstance(state, torch.nn.Module):
        state = state.state_dict()
    tensors = {}
    for name, value in state.items():
        if not _LSTM_KEY.match(name):
            raise ValueError(f"state_dict key {name!r} is not an nn.LSTM weight "
                             "(weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>); "
                             "projections (proj_size) are not supported")
        t = value.detach().to("cpu", torch_dtype).contiguous()
        if dtype == "bfloat16":
            t = t.view(torch.int16)
        tensors[name] = (code, list(t.shape), t.numpy().astype(np_dtype, copy=False).tobytes())
    return tensors


def layout_safetensors(tensors, metadata=None):
    """Places tensors back to back; returns (header dict, data bytes) for encode_safetensors."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, (code, shape, raw) in tensors.items():
        header[name] = {"dtype": code, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    return header, b"".join(chunks)


def encode_safetensors(header, data):
    """The file image: 8-byte little-endian header length, the JSON header, then the data.

    The header is padded with spaces to a multiple of 8 bytes, as the safetensors library does,
    so the data that follows stays aligned. Tests pass deliberately broken headers through here.
    """
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def save_lstm(module, path, dtype="float32", metadata=None):
    """Writes an nn.LSTM's state_dict (or a state_dict) to `path` as safetensors in `dtype`."""
    header, data = layout_safetensors(state_tensors(module, dtype), metadata)
    with open(path, "wb") as f:
        f.write(encode_safetensors(header, data))
    return path


def round_weights(module, dtype):
    """A float32 copy of the module whose weights went through `dtype` and back.

    That is exactly what sbe holds after loading a float16 or bfloat16 file, so torch run on
    this copy is the reference for such files.
    """
    rounded = copy.deepcopy(module).float()
    torch_dtype = DTYPES[dtype][1]
    with torch.no_grad():
        for p in rounded.parameters():
            p.copy_(p.to(torch_dtype).float())
    return rounded


def _as_tensor(a):
    return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float32))


def save_case(module, out_dir, x, h0=None, c0=None, batch_first=None, dtype="float32"):
    """Writes model.safetensors, x.npy, (h0.npy, c0.npy), y.npy, h_n.npy, c_n.npy into out_dir.

    x (and y) are (steps, batch, input) or, when batch_first (default: the module's own
    setting), (batch, steps, input); h0, c0, h_n and c_n are (layers * directions, batch,
    hidden) either way, as in nn.LSTM. The outputs are torch's, computed in float32 with the
    weights rounded to `dtype`. Returns {file stem: path} of everything written.
    """
    if (h0 is None) != (c0 is None):
        raise ValueError("give both h0 and c0, or neither")
    if not isinstance(module, torch.nn.LSTM):
        raise ValueError(f"expected an nn.LSTM, got {type(module).__name__}")
    if batch_first is None:
        batch_first = module.batch_first
    os.makedirs(out_dir, exist_ok=True)
    paths = {"model": save_lstm(module, os.path.join(out_dir, "model.safetensors"), dtype)}

    ref = round_weights(module, dtype)
    x_t = _as_tensor(x)
    # Run torch in the module's own layout; x and y are stored in the layout asked for.
    swap = batch_first != module.batch_first
    with torch.no_grad():
        state = None if h0 is None else (_as_tensor(h0), _as_tensor(c0))
        y, (h_n, c_n) = ref(x_t.transpose(0, 1) if swap else x_t, state)
        if swap:
            y = y.transpose(0, 1)

    arrays = {"x": x_t}
    if h0 is not None:
        arrays.update(h0=_as_tensor(h0), c0=_as_tensor(c0))
    arrays.update(y=y, h_n=h_n, c_n=c_n)
    for stem, value in arrays.items():
        path = os.path.join(out_dir, stem + ".npy")
        np.save(path, np.ascontiguousarray(value.numpy(), dtype=np.float32))
        paths[stem] = path
    return paths


def _load_state_dict(path, prefix):
    """Loads a torch.save'd state_dict (or nn.LSTM) and keeps the keys under `prefix`."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except TypeError:  # torch before 1.13 has no weights_only
        obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, expected a state_dict")
    state = {k[len(prefix):]: v for k, v in obj.items() if k.startswith(prefix)}
    if "weight_ih_l0" not in state:
        found = sorted({k[: -len("weight_ih_l0")] for k in obj if k.endswith("weight_ih_l0")})
        hint = f"; try --prefix {found[0]!r}" if found and found[0] else ""
        raise ValueError(f"{path}: no {prefix}weight_ih_l0 in the state_dict{hint}")
    return state


def _module_from_state(state, args):
    """Builds the nn.LSTM a state_dict belongs to; explicit size options must agree with it."""
    layers = 1 + max(int(_LSTM_KEY.match(k).group(2)) for k in state if _LSTM_KEY.match(k))
    inferred = {
        "input_size": state["weight_ih_l0"].shape[1],
        "hidden_size": state["weight_ih_l0"].shape[0] // 4,
        "num_layers": layers,
    }
    for key, value in inferred.items():
        given = getattr(args, key)
        if given is not None and given != value:
            raise ValueError(f"--{key.replace('_', '-')} {given} disagrees with "
                             f"{args.from_state_dict} ({value})")
    bidirectional = "weight_ih_l0_reverse" in state
    has_bias = "bias_ih_l0" in state
    lstm = torch.nn.LSTM(inferred["input_size"], inferred["hidden_size"], layers, bias=has_bias,
                         batch_first=args.batch_first, bidirectional=bidirectional)
    try:
        lstm.load_state_dict(state)
    except RuntimeError as e:
        # torch's message spans many lines; the first says what is wrong.
        raise ValueError(f"{args.from_state_dict}: {str(e).strip().splitlines()[0]}") from None
    return lstm


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line instead of usage text plus the error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _parse_args(argv):
    p = _OneLineParser(
        prog="export_torch.py",
        description="Save an nn.LSTM as safetensors for `sbe run --model`, with random inputs "
                    "and torch's outputs as .npy files to compare sbe against.",
        epilog=USAGE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--input-size", type=int, help="features per step (required without "
                   "--from-state-dict)")
    p.add_argument("--hidden-size", type=int, help="hidden units (required without "
                   "--from-state-dict)")
    p.add_argument("--num-layers", type=int, help="stacked layers (default 1)")
    p.add_argument("--bidirectional", action="store_true", help="two directions per layer")
    p.add_argument("--no-bias", action="store_true", help="nn.LSTM(bias=False)")
    p.add_argument("--batch-first", action="store_true",
                   help="x.npy and y.npy are (batch, steps, ...) instead of (steps, batch, ...)")
    p.add_argument("--steps", type=int, default=10, help="sequence length of x (default 10)")
    p.add_argument("--batch", type=int, default=1, help="sequences in x (default 1)")
    p.add_argument("--initial-state", action="store_true",
                   help="also draw h0 and c0 (else both are zero, as in nn.LSTM)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and inputs (default 0)")
    p.add_argument("--dtype", choices=list(DTYPES), default="float32",
                   help="dtype of the weights in the file (default float32); outputs are "
                        "computed with the weights rounded to it")
    p.add_argument("--from-state-dict", metavar="FILE.pt",
                   help="load weights from torch.save(lstm.state_dict()) instead of drawing them")
    p.add_argument("--prefix", default="",
                   help="with --from-state-dict: keep only keys starting with PREFIX, stripped")
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write the case into")
    args = p.parse_args(argv)
    for name in ("input_size", "hidden_size", "num_layers"):
        value = getattr(args, name)
        if value is not None and value < 1:
            p.error(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if args.steps < 1 or args.batch < 1:
        p.error(f"--steps {args.steps} --batch {args.batch}: both must be at least 1")
    if args.from_state_dict is None and (args.input_size is None or args.hidden_size is None):
        p.error("give --input-size and --hidden-size, or --from-state-dict")
    return args


def main(argv=None):
    args = _parse_args(argv)
    torch.manual_seed(args.seed)
    if args.from_state_dict:
        lstm = _module_from_state(_load_state_dict(args.from_state_dict, args.prefix), args)
    else:
        lstm = torch.nn.LSTM(args.input_size, args.hidden_size, args.num_layers or 1,
                             bias=not args.no_bias, batch_first=args.batch_first,
                             bidirectional=args.bidirectional)
    gen = torch.Generator().manual_seed(args.seed + 1)  # inputs apart from the weights' stream
    steps_batch = (args.batch, args.steps) if args.batch_first else (args.steps, args.batch)
    x = torch.rand(*steps_batch, lstm.input_size, generator=gen) * 2 - 1
    h0 = c0 = None
    if args.initial_state:
        state_shape = (lstm.num_layers * (2 if lstm.bidirectional else 1), args.batch,
                       lstm.hidden_size)
        h0 = torch.rand(*state_shape, generator=gen) * 2 - 1
        c0 = torch.rand(*state_shape, generator=gen) * 2 - 1
    paths = save_case(lstm, args.out, x.numpy(), None if h0 is None else h0.numpy(),
                      None if c0 is None else c0.numpy(), args.batch_first, args.dtype)
    print(f"nn.LSTM({lstm.input_size}, {lstm.hidden_size}, num_layers={lstm.num_layers}, "
          f"bias={lstm.bias}, batch_first={args.batch_first}, "
          f"bidirectional={lstm.bidirectional}), weights in {args.dtype}")
    for stem, path in paths.items():
        detail = args.dtype if stem == "model" else str(tuple(np.load(path).shape))
        print(f"wrote {path}  {detail}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # pylint: disable=broad-except
        # One line, like sbe's own errors: a traceback would bury the cause (a missing file, an
        # unpicklable .pt, a state_dict of another module), which is always the user's to fix.
        message = " ".join(str(e).split()) or type(e).__name__
        print(f"export_torch.py: error: {message}", file=sys.stderr)
        sys.exit(1)
