#!/usr/bin/python3
"""A bounded soak of `sbe serve`: minutes of mixed load (open-loop whole sequences, rounds of
live streams, and streams abandoned mid-way that must expire), the server's resident memory
sampled throughout and checked against a bound at the end.

    /usr/bin/python3 tools/serving_soak.py --minutes 3

Passes (exit 0) when every answered request succeeded, abandoned streams expired, no stream is
left live, and the resident set after the run is within --bound-mb of the one after warm-up.
"""

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
from serve_cluster import wait_ready  # noqa: E402


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        return sum(float(l.split()[-1]) for l in r.read().decode().splitlines() if l.startswith(name))


def abandon_stream(port, sid):
    """Starts stream `sid` with one chunk and never ends it."""
    body = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 1792], "data": [0.1] * 3584}],
                       "parameters": {"sequence_id": sid, "sequence_start": True}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/models/lrcn/infer", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        r.read()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sbe", default=str(REPO / "build" / "sbe"))
    p.add_argument("--minutes", type=float, default=3)
    p.add_argument("--rate", type=float, default=150, help="whole sequences per second (default 150)")
    p.add_argument("--bound-mb", type=float, default=64, help="allowed growth of the resident set (default 64 MB)")
    p.add_argument("--json", help="write the result here")
    a = p.parse_args()
    log_path = f"/tmp/sbe-soak-{os.getpid()}.log"
    log = open(log_path, "w+")
    server = subprocess.Popen([a.sbe, "serve", "--port", "0", "--grpc-port", "-1", "--model", "lrcn", "--threads", "2",
                               "--sequence-idle-timeout-s", "2", "--max-sequences", "512"], stderr=log, stdout=subprocess.DEVNULL)
    port = wait_ready(server, log_path)["http_port"]

    def loadgen(*args):
        r = subprocess.run([a.sbe, "loadgen", "--port", str(port), "--model", "lrcn", "--json", *map(str, args)],
                           capture_output=True, text=True, check=False)
        return json.loads(r.stdout) if r.returncode == 0 else {"failed": -1, "error": r.stderr}

    # Warm-up through every path the soak takes (whole sequences, stream rounds, abandoned
    # streams), so that what is measured after it is growth, not first use.
    warm = threading.Thread(target=lambda: loadgen("--streams", 32, "--frames", 32, "--chunk", 4))
    warm.start()
    loadgen("--rate", a.rate, "--duration", 10)
    warm.join()
    for i in range(8):
        abandon_stream(port, 9_000_000 + i)
    time.sleep(5)  # the warm-up's abandoned streams expire
    start_rss = rss_mb(server.pid)
    seconds = a.minutes * 60
    results, samples, abandoned = [], [], 0
    stop = threading.Event()

    def streams():
        nonlocal abandoned
        while not stop.is_set():
            results.append(loadgen("--streams", 32, "--frames", 32, "--chunk", 4))
            for _ in range(8):
                abandoned += 1
                abandon_stream(port, 10_000_000 + abandoned)

    t = threading.Thread(target=streams)
    t.start()
    t0 = time.monotonic()
    whole = []
    while time.monotonic() - t0 < seconds:
        whole.append(loadgen("--rate", a.rate, "--duration", min(20, seconds)))
        samples.append((round(time.monotonic() - t0, 1), round(rss_mb(server.pid), 1)))
    stop.set()
    t.join()
    time.sleep(5)  # past the idle timeout: the abandoned streams expire
    end_rss = rss_mb(server.pid)
    live, expired = metric(port, "sbe_live_sequences"), metric(port, "sbe_sequences_expired_total")
    server.send_signal(signal.SIGTERM)
    rc = server.wait(60)
    failed = sum(r["failed"] for r in whole + results)
    answered = sum(r.get("completed", 0) for r in whole + results)
    result = {"minutes": a.minutes, "answered": answered, "failed": failed, "abandoned_streams": abandoned,
              "expired_streams": expired, "live_streams_at_end": live, "rss_mb_after_warmup": round(start_rss, 1),
              "rss_mb_at_end": round(end_rss, 1), "rss_samples": samples, "bound_mb": a.bound_mb, "exit_code": rc}
    result["passed"] = (failed == 0 and live == 0 and expired >= abandoned and rc == 0
                        and end_rss <= start_rss + a.bound_mb)
    print(json.dumps(result))
    if a.json:
        pathlib.Path(a.json).write_text(json.dumps(result, indent=1))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
