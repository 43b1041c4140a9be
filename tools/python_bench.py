#!/usr/bin/python3
"""The Python module's costs, measured side by side (docs/PERFORMANCE.md, "From Python").

    /usr/bin/python3 tools/python_bench.py [--sbe build/sbe] [--threads 2] [--rounds 5] [--json out.json]

1. Overhead: `engine(x)` from Python against `sbe run` on the same workload (lrcn, batch 1;
   fp32 and int16), the two taking turns for --rounds rounds of --calls timed calls each, so
   that both meet the same drift of a shared machine. `sbe run --repeat N` times the executor
   alone; the Python side times the whole call (argument checks, the input's finiteness scan,
   the result arrays). The overhead is the ratio of the medians over the rounds.
2. The drop-in: `sbe.torch.LSTM` against `torch.nn.LSTM` in this process, on the same module
   and input (lrcn and deepbench-1024, batch 1 and 32), PyTorch and sbe on the same number of
   threads, turns alternating; the speed-up is nn.LSTM's median time over sbe's.

Prints a Markdown table of each and the machine line; --json writes every number.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "build", "python"))
import sbe  # noqa: E402


def median_call_seconds(fn, calls):
    fn()  # warm-up: the first call plans and touches its buffers
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli_seconds(binary, model, precision, threads, calls):
    cmd = [binary, "run", "--model", model, "--batch", "1", "--repeat", str(calls), "--threads", str(threads),
           "--precision", precision, "--json"]
    if precision == "int16":
        cmd += ["--input-range", "-1,1"]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return statistics.median(json.loads(p.stdout)["seconds_all"])


def overhead(args):
    rows = []
    model = sbe.load("lrcn")
    x = np.random.default_rng(0).uniform(-1, 1, size=(model.default_steps, 1, model.input_size)).astype(np.float32)
    for precision in ("fp32", "int16"):
        engine = model.compile(precision=precision, threads=args.threads,
                               input_range=(-1, 1) if precision == "int16" else None)
        py, cli = [], []
        for r in range(args.rounds):
            # The order alternates so that neither side always runs first in a round.
            steps = [("py", lambda: py.append(median_call_seconds(lambda: engine(x), args.calls))),
                     ("cli", lambda: cli.append(cli_seconds(args.sbe, "lrcn", precision, args.threads, args.calls)))]
            for _, step in (steps if r % 2 == 0 else steps[::-1]):
                step()
        rows.append({"workload": "lrcn b1", "precision": precision, "threads": args.threads,
                     "python_ms": 1e3 * statistics.median(py), "sbe_run_ms": 1e3 * statistics.median(cli),
                     "python_rounds_ms": [1e3 * v for v in py], "sbe_run_rounds_ms": [1e3 * v for v in cli]})
        rows[-1]["overhead"] = rows[-1]["python_ms"] / rows[-1]["sbe_run_ms"] - 1
    return rows


def drop_in(args):
    import torch
    import sbe.torch  # noqa: F401
    torch.set_num_threads(args.threads)
    rows = []
    for preset in ("lrcn", "deepbench-1024"):
        shape = sbe.load(preset)
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(shape.input_size, shape.hidden_size).eval()
        ours = {p: sbe.torch.LSTM(lstm, precision=p, threads=args.threads, input_range=(-1, 1))
                for p in ("fp32", "int16")}
        for batch in (1, 32):
            x = torch.rand(shape.default_steps, batch, shape.input_size) * 2 - 1
            with torch.no_grad():
                y_ref = lstm(x)[0]
            row = {"workload": f"{preset} b{batch}", "threads": args.threads, "torch_ms": [], "fp32_ms": [],
                   "int16_ms": []}
            calls = max(3, args.calls // (10 if preset != "lrcn" else 2) // (4 if batch > 1 else 1))
            for r in range(args.rounds):
                runs = [("torch_ms", lambda: lstm(x)), ("fp32_ms", lambda: ours["fp32"](x)),
                        ("int16_ms", lambda: ours["int16"](x))]
                for key, fn in (runs if r % 2 == 0 else runs[::-1]):
                    with torch.no_grad():
                        row[key].append(1e3 * median_call_seconds(fn, calls))
            for key in ("torch_ms", "fp32_ms", "int16_ms"):
                row[key] = statistics.median(row[key])
            row["fp32_speedup"] = row["torch_ms"] / row["fp32_ms"]
            row["int16_speedup"] = row["torch_ms"] / row["int16_ms"]
            row["fp32_max_abs_diff"] = float((ours["fp32"](x)[0] - y_ref).abs().max())
            row["int16_max_abs_diff"] = float((ours["int16"](x)[0] - y_ref).abs().max())
            rows.append(row)
    return rows


def machine_line(binary):
    info = json.loads(subprocess.run([binary, "info", "--json"], capture_output=True, text=True, check=True).stdout)
    import torch
    cpu = info["cpu"]
    simd = cpu.get("simd")
    return (f"{cpu.get('brand', '?')}, {cpu.get('logical_cores', '?')} logical cores, SIMD {simd}; "
            f"sbe {info['version']} (g++ {info['compiler']}), Python {platform.python_version()}, "
            f"PyTorch {torch.__version__}, numpy {np.__version__}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sbe", default=os.path.join(REPO, "build", "sbe"), help="the sbe command to compare with")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads of every engine (default: all)")
    ap.add_argument("--rounds", type=int, default=5, help="turns of each side")
    ap.add_argument("--calls", type=int, default=200, help="timed calls per turn (lrcn b1; fewer for larger work)")
    ap.add_argument("--json", help="write every number here")
    args = ap.parse_args()

    result = {"machine": machine_line(args.sbe), "overhead": overhead(args), "drop_in": drop_in(args)}
    print(f"machine: {result['machine']}\n")
    print("| workload | precision | threads | engine(x) from Python, ms | sbe run, ms | overhead |")
    print("|---|---|---|---|---|---|")
    for r in result["overhead"]:
        print(f"| {r['workload']} | {r['precision']} | {r['threads']} | {r['python_ms']:.3f} | "
              f"{r['sbe_run_ms']:.3f} | {100 * r['overhead']:+.1f}% |")
    print("\n| workload | threads | nn.LSTM, ms | sbe.torch.LSTM fp32, ms | speed-up | int16, ms | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for r in result["drop_in"]:
        print(f"| {r['workload']} | {r['threads']} | {r['torch_ms']:.3f} | {r['fp32_ms']:.3f} | "
              f"{r['fp32_speedup']:.2f}x | {r['int16_ms']:.3f} | {r['int16_speedup']:.2f}x |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
