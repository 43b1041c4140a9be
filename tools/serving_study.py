#!/usr/bin/python3
"""The serving study of docs/SERVING.md: `sbe serve` under open-loop load from `sbe loadgen`,
dynamic batching against --max-batch 1, side by side in one run on this machine.

  1. For each model (deepbench-1024, lrcn), each server configuration is offered Poisson load at
     rising rates; the highest rate it sustains (p99 under the bound, >= 95% of the offered
     requests answered, no errors) is its capacity. The ratio of capacities is the headline.
  2. 64 live streams of lrcn (32 frames in chunks of 4): stream-batched against one stream at
     a time (--max-batch 1).
  3. The latency-throughput curves of (1) as a figure.

    /usr/bin/python3 tools/serving_study.py --out docs/serving   # about 15 minutes here

writes OUT/serving.json (every point measured) and OUT/serving.png, and prints the tables.
"""

import argparse
import json
import os
import pathlib
import platform
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from serve_cluster import wait_ready  # noqa: E402


class Server:
    def __init__(self, sbe, args):
        self.argv = [sbe, "serve", "--port", "0", "--grpc-port", "-1", *map(str, args)]

    def __enter__(self):
        self.log_path = f"/tmp/sbe-study-{os.getpid()}.log"
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = wait_ready(self.proc, self.log_path)["http_port"]
        return self

    def metrics(self):
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics") as r:
            text = r.read().decode()
        values = {}
        for line in text.splitlines():
            if line.startswith("sbe_batch_size_sum") or line.startswith("sbe_batch_size_count"):
                values[line.split("{")[0]] = float(line.split()[-1])
        return values

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.log.close()


def loadgen(sbe, port, model, *args):
    r = subprocess.run([sbe, "loadgen", "--port", str(port), "--model", model, "--json", *map(str, args)],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"serving_study: sbe loadgen failed: {r.stderr}")
    return json.loads(r.stdout)


def sustained(point, bound_ms):
    return (point["failed"] == 0 and point["latency_ms"]["p99"] <= bound_ms
            and point["completed"] >= 0.95 * point["sent"])


def sweep(sbe, model, steps, server_args, start_rate, bound_ms, duration, log):
    points = []
    with Server(sbe, ["--model", model, *server_args]) as server:
        loadgen(sbe, server.port, model, "--rate", start_rate, "--duration", 1, "--steps", steps)  # warm up
        rate, misses = start_rate, 0
        while misses < 2 and rate < 1e5:
            before = server.metrics()
            p = loadgen(sbe, server.port, model, "--rate", rate, "--duration", duration, "--steps", steps)
            after = server.metrics()
            batches = after["sbe_batch_size_count"] - before["sbe_batch_size_count"]
            p["mean_batch"] = (after["sbe_batch_size_sum"] - before["sbe_batch_size_sum"]) / max(batches, 1)
            p["sustained"] = sustained(p, bound_ms)
            points.append(p)
            log(f"  {model} {' '.join(map(str, server_args))}: offered {p['offered_per_s']:.0f}/s -> "
                f"{p['throughput_per_s']:.0f}/s, p50 {p['latency_ms']['p50']:.1f} p99 {p['latency_ms']['p99']:.1f} ms, "
                f"mean batch {p['mean_batch']:.1f}{'' if p['sustained'] else '  (not sustained)'}")
            misses = 0 if p["sustained"] else misses + 1
            rate *= 1.3
    best = max((p["offered_per_s"] for p in points if p["sustained"]), default=0)
    return {"server_args": server_args, "points": points, "capacity_per_s": best}


def machine_line():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sbe", default=str(REPO / "build" / "sbe"))
    p.add_argument("--out", default=str(REPO / "docs" / "serving"))
    p.add_argument("--duration", type=float, default=6, help="seconds per load point (default 6)")
    p.add_argument("--threads", type=int, default=2, help="the server's engine threads (default 2)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "int16"])
    a = p.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = []

    def log(s):
        print(s, flush=True)
        lines.append(s)

    common = ["--threads", a.threads, "--precision", a.precision]
    if a.precision == "int16":
        common += ["--input-range", "-1,1"]
    # p99 bounds: a few times one full batch's compute on this machine, so a server that keeps up
    # meets them and one that falls behind (a growing queue) does not.
    models = [("deepbench-1024", 25, 40, 250.0), ("lrcn", 32, 150, 100.0)]
    study = {"machine": machine_line(), "precision": a.precision, "threads": a.threads, "duration_s": a.duration,
             "command": " ".join(sys.argv), "models": {}}
    for model, steps, start, bound in models:
        log(f"{model} ({steps} steps per request), p99 bound {bound:g} ms")
        batched = sweep(a.sbe, model, steps, [*common, "--max-batch", 64], start, bound, a.duration, log)
        single = sweep(a.sbe, model, steps, [*common, "--max-batch", 1], start, bound, a.duration, log)
        study["models"][model] = {"steps": steps, "p99_bound_ms": bound, "batched": batched, "max_batch_1": single,
                                  "ratio": batched["capacity_per_s"] / max(single["capacity_per_s"], 1e-9)}
    # Streams: 64 live streams, 32 frames each in chunks of 4, each chunk sent when the last is answered.
    study["streams"] = {}
    for label, args in (("stream_batched", ["--max-batch", 64]), ("one_stream_at_a_time", ["--max-batch", 1])):
        with Server(a.sbe, ["--model", "lrcn", *common, *args]) as server:
            loadgen(a.sbe, server.port, "lrcn", "--streams", 8, "--frames", 8, "--chunk", 4)  # warm up
            r = loadgen(a.sbe, server.port, "lrcn", "--streams", 64, "--frames", 32, "--chunk", 4)
            study["streams"][label] = r
            log(f"  lrcn streams, {label}: {r['frames_per_s']:.0f} frames/s, chunk p50 {r['latency_ms']['p50']:.1f} "
                f"p99 {r['latency_ms']['p99']:.1f} ms, {r['failed']} failed")
    s = study["streams"]
    study["streams"]["ratio"] = s["stream_batched"]["frames_per_s"] / s["one_stream_at_a_time"]["frames_per_s"]

    (out / "serving.json").write_text(json.dumps(study, indent=1))
    log("")
    log(f"machine: {study['machine']}; server engine {a.precision}, {a.threads} threads; load generator on the same machine")
    log(f"{'model':16} {'capacity, dynamic batching':>28} {'capacity, --max-batch 1':>25} {'ratio':>7}")
    for model, m in study["models"].items():
        log(f"{model:16} {m['batched']['capacity_per_s']:>24.0f}/s {m['max_batch_1']['capacity_per_s']:>23.0f}/s {m['ratio']:>6.1f}x")
    log(f"lrcn, 64 streams: {s['stream_batched']['frames_per_s']:.0f} frames/s stream-batched against "
        f"{s['one_stream_at_a_time']['frames_per_s']:.0f} one stream at a time: {s['ratio']:.1f}x")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(study["models"]), figsize=(11, 4))
    for ax, (model, m) in zip(axes, study["models"].items()):
        for key, label, style in (("batched", "dynamic batching (--max-batch 64)", "o-"), ("max_batch_1", "--max-batch 1", "s--")):
            pts = m[key]["points"]
            ax.plot([p["throughput_per_s"] for p in pts], [p["latency_ms"]["p99"] for p in pts], style, label=f"{label}, p99")
            ax.plot([p["throughput_per_s"] for p in pts], [p["latency_ms"]["p50"] for p in pts], style, alpha=0.4, label=f"{label}, p50")
        ax.axhline(m["p99_bound_ms"], color="grey", lw=0.8, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel("answered requests / s")
        ax.set_ylabel("latency (ms)")
        ax.set_title(f"{model}, {m['steps']} steps per request")
        ax.legend(fontsize=7)
    fig.suptitle(f"sbe serve under open-loop load ({a.precision}; {study['machine']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "serving.png", dpi=110)
    (out / "serving.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
