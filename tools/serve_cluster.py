#!/usr/bin/python3
"""Two `sbe serve` replicas behind HAProxy on loopback ports (deploy/haproxy.cfg): whole
sequences balanced, stream chunks hashed on sequence_id to the replica holding their state.

    tools/serve_cluster.py --port 8080 -- --model lrcn --precision int16 --input-range -1,1

prints one JSON line (the balancer's port, each replica's port and pid) once every replica is
ready and HAProxy sees them healthy, then runs until SIGINT/SIGTERM and stops them all. The
tests import Cluster from here (tests/python/test_serve_cluster.py).
"""

import argparse
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[1]
CONFIG = REPO / "deploy" / "haproxy.cfg"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"serve_cluster: {what} after {timeout} s")


def wait_ready(proc, log_path, timeout=120):
    """The 'ready' log line of the `sbe serve` process `proc` (its stderr goes to log_path), as
    a dict (http_port, grpc_port, ...); raises RuntimeError when it exits or times out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in pathlib.Path(log_path).read_text().splitlines():
            if '"event":"ready"' in line:
                return json.loads(line)
        if proc.poll() is not None:
            raise RuntimeError(f"sbe serve exited {proc.returncode}: {pathlib.Path(log_path).read_text()[-4000:]}")
        time.sleep(0.05)
    raise RuntimeError(f"sbe serve not ready after {timeout} s")


class Cluster:
    """Context manager: .port (the balancer), .replicas [{"port", "proc", "log"}], .kill(i)."""

    def __init__(self, sbe, serve_args, port=0, replicas=2):
        if replicas != 2:
            raise ValueError("deploy/haproxy.cfg names two replicas")
        self.sbe, self.serve_args = str(sbe), [str(a) for a in serve_args]
        self.port = port or free_port()
        self.stats_port = free_port()
        self.replicas = []
        self.dir = tempfile.TemporaryDirectory(prefix="sbe-cluster-")

    def __enter__(self):
        try:
            for i in range(2):
                log = pathlib.Path(self.dir.name) / f"replica{i + 1}.log"
                f = open(log, "w")
                proc = subprocess.Popen([self.sbe, "serve", "--port", "0", "--grpc-port", "-1", *self.serve_args],
                                        stdout=subprocess.DEVNULL, stderr=f)
                self.replicas.append({"proc": proc, "log": log, "file": f, "port": None})
            for r in self.replicas:
                r["port"] = wait_ready(r["proc"], r["log"])["http_port"]
            env = {**os.environ, "SBE_LB_PORT": str(self.port), "SBE_STATS_PORT": str(self.stats_port),
                   "SBE_REPLICA1_PORT": str(self.replicas[0]["port"]), "SBE_REPLICA2_PORT": str(self.replicas[1]["port"])}
            self.haproxy_log = open(pathlib.Path(self.dir.name) / "haproxy.log", "w")
            self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(CONFIG)], env=env,
                                            stdout=self.haproxy_log, stderr=subprocess.STDOUT)
            _wait(self._all_up, "HAProxy does not see both replicas up")
            return self
        except BaseException:
            self.__exit__()
            raise

    def _all_up(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=2) as r:
                rows = [l.split(",") for l in r.read().decode().splitlines() if l and not l.startswith("#")]
        except OSError:
            return False
        servers = [row for row in rows if row[1] in ("r1", "r2")]
        return len(servers) == 4 and all(row[17].startswith("UP") for row in servers)

    def kill(self, i, sig=signal.SIGKILL):
        self.replicas[i]["proc"].send_signal(sig)
        self.replicas[i]["proc"].wait(30)

    def describe(self):
        return {"lb_port": self.port, "stats": f"http://127.0.0.1:{self.stats_port}/stats",
                "replicas": [{"port": r["port"], "pid": r["proc"].pid} for r in self.replicas],
                "haproxy_pid": self.haproxy.pid}

    def __exit__(self, *exc):
        if getattr(self, "haproxy", None) and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(30)
        if getattr(self, "haproxy_log", None):
            self.haproxy_log.close()
        for r in self.replicas:
            if r["proc"].poll() is None:
                r["proc"].terminate()
                r["proc"].wait(60)
            r["file"].close()
        self.dir.cleanup()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sbe", default=str(REPO / "build" / "sbe"), help="the sbe binary (default: build/sbe)")
    p.add_argument("--port", type=int, default=8080, help="the balancer's port (default 8080)")
    p.add_argument("serve_args", nargs="*", help="after --: arguments of every `sbe serve` replica")
    a = p.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with Cluster(a.sbe, a.serve_args, a.port) as c:
        print(json.dumps(c.describe()), flush=True)
        while not stop:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
