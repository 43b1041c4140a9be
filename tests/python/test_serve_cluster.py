"""Scale-out: two `sbe serve` replicas behind HAProxy (deploy/haproxy.cfg, started by
tools/serve_cluster.py). Under load, one replica is killed: whole-sequence requests fail over
and every one is answered; streams on the dead replica get a clear error; streams on the live
one go on, bit-exact with `sbe run`."""

import concurrent.futures
import pathlib
import tempfile
import threading
import time
import unittest

import numpy as np
import torch

from sbe_test_util import SBE_BIN, read_npy, run_sbe, write_npy  # also puts tools/ on the path
import export_torch
from serve_client import rest_infer
from serve_cluster import Cluster

INT16 = ("--precision", "int16", "--input-range", "-2,2")


class ClusterTest(unittest.TestCase):
    def test_failover_keeps_whole_sequences_and_fails_dead_streams_clearly(self):
        with tempfile.TemporaryDirectory() as d:
            tmp = pathlib.Path(d)
            torch.manual_seed(3)
            model = str(tmp / "m.safetensors")
            export_torch.save_lstm(torch.nn.LSTM(9, 16, 1), model)
            rng = np.random.default_rng(7)
            streams = [(1000 + s, rng.uniform(-2, 2, size=(1, 24, 9)).astype(np.float32)) for s in range(12)]
            whole = rng.uniform(-2, 2, size=(1, 6, 9)).astype(np.float32)
            with Cluster(SBE_BIN, ["--model", f"m={model}", *INT16, "--threads", "1"]) as cluster:
                killed = threading.Event()

                def run_stream(stream):
                    sid, x = stream
                    ys = []
                    for k in range(8):
                        chunk = x[:, 3 * k:3 * k + 3]
                        status, out = rest_infer(cluster.port, "m", chunk, sequence=(sid, k == 0, k == 7), binary=k % 2 == 0)
                        if status != 200:
                            return ("failed", k, status, out)
                        ys.append(out["output"])
                        time.sleep(0.1)
                    return ("done", np.concatenate(ys, axis=1), out)

                cut = []  # whole sequences whose answer was on the wire when its replica died

                def run_whole(i):
                    # HAProxy replays a request whose replica died before answering; one whose
                    # answer had begun reaches the client as a broken transfer (curl 18, 52 or
                    # 56), never as a wrong answer, and a whole sequence is safe to send again.
                    try:
                        return rest_infer(cluster.port, "m", whole, binary=i % 2 == 0)
                    except AssertionError as e:
                        if not any(f"rc {rc}:" in str(e) for rc in (18, 52, 56)):
                            raise
                        cut.append(str(e))
                        return rest_infer(cluster.port, "m", whole, binary=i % 2 == 0)

                with concurrent.futures.ThreadPoolExecutor(20) as pool:
                    stream_futures = [pool.submit(run_stream, s) for s in streams]
                    whole_futures = []
                    for i in range(160):
                        whole_futures.append(pool.submit(run_whole, i))
                        if i == 60:
                            cluster.kill(0)  # mid-test, mid-stream
                            killed.set()
                        time.sleep(0.01)
                    stream_results = [f.result() for f in stream_futures]
                    whole_results = [f.result() for f in whole_futures]

            # Only requests in flight at the kill can have been cut: at most the 20 workers.
            self.assertLessEqual(len(cut), 20, cut[:3])
            # Nothing else is lost: every whole sequence was answered, the same answer each time.
            self.assertEqual([s for s, _ in whole_results], [200] * len(whole_results),
                             [o for s, o in whole_results if s != 200][:3])
            for _, out in whole_results[1:]:
                self.assertTrue(np.array_equal(out["output"], whole_results[0][1]["output"]))
            # Streams: those on the dead replica fail with a clear error after some chunks; the
            # others complete, bit-exact with `sbe run` on the whole sequence.
            done = failed = 0
            for (sid, x), result in zip(streams, stream_results):
                if result[0] == "failed":
                    _, k, status, message = result
                    self.assertGreater(k, 0, f"stream {sid} failed on its first chunk: {message}")
                    # From the replica the stream moved to (its state is not there), or from
                    # HAProxy for a chunk in flight when the replica died; one line either way.
                    self.assertIn(status, (404, 502, 503), message)
                    self.assertNotIn("\n", message)
                    self.assertIn(f"sequence {sid} is not live" if status == 404 else "start the sequence again", message)
                    failed += 1
                    continue
                done += 1
                _, y, last = result
                write_npy(tmp / "x.npy", np.ascontiguousarray(x.transpose(1, 0, 2)))
                r = run_sbe("run", "--model", model, "--input", tmp / "x.npy", "--output", tmp / "y.npy", *INT16)
                self.assertEqual(r.rc, 0, r.stderr)
                self.assertTrue(np.array_equal(y, read_npy(tmp / "y.npy").transpose(1, 0, 2)), f"stream {sid}")
            self.assertGreater(done, 0, "no stream lived on the surviving replica")
            self.assertGreater(failed, 0, "no stream lived on the killed replica")


if __name__ == "__main__":
    unittest.main()
