#!/usr/bin/python3
"""Times PyTorch's nn.LSTM on an sbe model: the anchor `sbe bench` runs as a subprocess.

Usage: /usr/bin/python3 tools/bench_torch.py --model M.safetensors --input x.npy
           [--threads N] [--warmup W] [--repeat R] [--output y.npy] [--json]

The model is an nn.LSTM state_dict in safetensors (what `SaveSafetensors` writes: weight_ih_l0,
weight_hh_l0, bias_ih_l0, bias_hh_l0, `_reverse` for the second direction), read here without
the safetensors package. x is (steps, batch, input) float32. Errors are one line, exit 1.
"""
import argparse
import json
import re
import statistics
import struct
import sys
import time


def fail(message):
    print(f"bench_torch.py: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_safetensors(path, np):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if len(data) < 8:
        fail(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        fail(f"{path}: header length {n} past the end of the file")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError as e:
        fail(f"{path}: header is not JSON ({e})")
    dtypes = {"F32": np.float32, "F16": np.float16}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info.get("dtype") not in dtypes:
            fail(f"{path}: tensor {name}: dtype {info.get('dtype')} is not F32 or F16")
        start, end = info["data_offsets"]
        raw = data[8 + n + start:8 + n + end]
        tensors[name] = np.frombuffer(raw, dtype=dtypes[info["dtype"]]).reshape(info["shape"]).astype(np.float32)
    return tensors


def blas_in_use():
    """The BLAS library actually mapped into this process (after a matmul loaded it)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {m.group(1) for m in re.finditer(r"/(lib(?:open)?blas[^/\s]*\.so[^/\s]*)", f.read())}
        return ", ".join(sorted(libs)) or "unknown"
    except OSError:
        return "unknown"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--output")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    try:
        import numpy as np
        import torch
    except ImportError as e:
        fail(f"PyTorch is not installed ({e}); install python3-torch")
    tensors = read_safetensors(a.model, np)
    layers = 1 + max((int(m.group(1)) for k in tensors if (m := re.match(r"weight_ih_l(\d+)$", k))), default=-1)
    if layers < 1:
        fail(f"{a.model}: no weight_ih_l0 tensor")
    bidirectional = "weight_ih_l0_reverse" in tensors
    bias = "bias_ih_l0" in tensors
    hidden = tensors["weight_hh_l0"].shape[1]
    input_size = tensors["weight_ih_l0"].shape[1]
    try:
        x = np.load(a.input)
    except (OSError, ValueError) as e:
        fail(f"{a.input}: {e}")
    if x.ndim != 3 or x.shape[2] != input_size:
        fail(f"{a.input}: shape {x.shape} is not (steps, batch, {input_size})")
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    lstm = torch.nn.LSTM(input_size, hidden, num_layers=layers, bias=bias, bidirectional=bidirectional)
    state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
    try:
        lstm.load_state_dict(state)
    except RuntimeError as e:
        fail(f"{a.model}: not an nn.LSTM state_dict ({str(e).splitlines()[0]})")
    lstm.eval()
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    seconds = []
    with torch.inference_mode():
        for i in range(a.warmup + a.repeat):
            start = time.perf_counter()
            y, _ = lstm(xt)
            if i >= a.warmup:
                seconds.append(time.perf_counter() - start)
    if a.output:
        np.save(a.output, y.numpy())
    result = {"seconds": statistics.median(seconds), "seconds_all": seconds, "torch": torch.__version__,
              "threads": torch.get_num_threads(), "blas": blas_in_use()}
    print(json.dumps(result) if a.json else f"{result['seconds'] * 1e3:.3f} ms (median of {a.repeat})")


if __name__ == "__main__":
    main()
