#!/usr/bin/python3
"""A/B of two sbe builds on the bench suites: is a change within the noise?

    /usr/bin/python3 tools/ab_bench.py --a OLD/sbe --b NEW/sbe [--suite all] [--rounds 3] [--repeat 5]
    /usr/bin/python3 tools/ab_bench.py --a OLD/sbe --b NEW/sbe --workloads lrcn:1,deepbench-2048:4

For every workload of the suite, runs `sbe bench --model M --batch B --no-torch` of build A,
then of build B, then B, then A, ... (`--rounds` pairs, the order alternating), so that both
builds meet the same drift of a shared machine. Each run times oneDNN beside the engines, so
each engine's time is also taken relative to that run's oneDNN. Prints, per workload and
engine, the median over the rounds of A's and B's milliseconds and oneDNN ratios, and B's
time over A's; writes every run's JSON with --json.
"""
import argparse
import json
import statistics
import subprocess
import sys

SUITES = {
    "lrcn": [("lrcn", b) for b in (1, 8, 32, 128)],
    "deepbench": [(f"deepbench-{h}", b) for h in (256, 512, 1024, 1536, 2048) for b in (1, 2, 4)],
}
SUITES["all"] = SUITES["lrcn"] + SUITES["deepbench"]
ENGINES = [("sbe", "fp32", "stall-free"), ("sbe", "int16", "stall-free"),
           ("sbe", "fp32", "barrier"), ("sbe", "int16", "barrier")]


def bench(binary, model, batch, repeat, threads):
    cmd = [binary, "bench", "--model", model, "--batch", str(batch), "--repeat", str(repeat),
           "--threads", str(threads), "--no-torch", "--json", "-"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {p.stderr.strip().splitlines()[-1:]}")
    return json.loads(p.stdout)


def times(report):
    """{(engine, precision, schedule): seconds} and oneDNN's seconds, of the one workload."""
    results = report["workloads"][0]["results"]
    onednn = next(r["seconds"] for r in results if r["engine"] == "onednn")
    return {(r["engine"], r["precision"], r.get("schedule", "")): r["seconds"] for r in results}, onednn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="the sbe binary before the change")
    ap.add_argument("--b", required=True, help="the sbe binary after the change")
    ap.add_argument("--suite", default="all", choices=sorted(SUITES))
    ap.add_argument("--workloads", help="instead of a suite: MODEL:BATCH,... (e.g. lrcn:8,deepbench-256:1)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write every run's report here")
    args = ap.parse_args()
    runs = []
    print("| workload | engine | A ms | B ms | B ÷ A (time) | A ÷ oneDNN (speed-up) | B ÷ oneDNN (speed-up) |")
    print("|---|---|---|---|---|---|---|")
    workloads = SUITES[args.suite]
    if args.workloads:
        workloads = [(w.split(":")[0], int(w.split(":")[1])) for w in args.workloads.split(",")]
    for model, batch in workloads:
        per = {"a": [], "b": []}
        for r in range(args.rounds):
            for side in (("a", "b") if r % 2 == 0 else ("b", "a")):
                report = bench(getattr(args, side), model, batch, args.repeat, args.threads)
                per[side].append(times(report))
                runs.append({"side": side, "round": r, "report": report})
        for key in ENGINES:
            a_ms = statistics.median(t[key] for t, _ in per["a"]) * 1e3
            b_ms = statistics.median(t[key] for t, _ in per["b"]) * 1e3
            a_x = statistics.median(o / t[key] for t, o in per["a"])
            b_x = statistics.median(o / t[key] for t, o in per["b"])
            print(f"| {model} b{batch} | {key[1]} {key[2]} | {a_ms:.3f} | {b_ms:.3f} | {b_ms / a_ms:.3f} | "
                  f"{a_x:.2f}× | {b_x:.2f}× |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f)


if __name__ == "__main__":
    main()
