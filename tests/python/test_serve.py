"""`sbe serve` end to end: outputs through the server equal `sbe run` on the same inputs
(bit-exact in int16) for whole sequences batched with other users and for streams split into
random chunks, over REST (JSON and binary tensors, through curl) and gRPC (grpcio with stubs
generated from the .proto); bad input answered with a 4xx and a one-line message while the
server goes on serving; limits, authentication, TLS, metrics and draining on SIGTERM."""

import concurrent.futures
import json
import signal
import socket
import subprocess
import time
import unittest

import numpy as np
import torch

from sbe_test_util import assert_one_line_error, read_npy, run_sbe, temp_dir, write_npy  # also puts tools/ on the path
import export_torch
from serve_client import Server, curl, grpc_infer, grpc_stubs, rest_infer

INT16 = ("--precision", "int16", "--input-range", "-2,2")


def save_model(path, inp, hid, layers, bidirectional=False, seed=0):
    torch.manual_seed(seed)
    export_torch.save_lstm(torch.nn.LSTM(inp, hid, layers, bidirectional=bidirectional), str(path))
    return path


def sbe_run(tmp, model, x_bf, lengths=None, precision=INT16, tag="r"):
    """`sbe run` on one request's input x (batch, steps, features): y (batch-first), h_n, c_n
    (batch, cells, hidden), the server's layouts."""
    write_npy(tmp / f"{tag}_x.npy", np.ascontiguousarray(x_bf.transpose(1, 0, 2)))
    args = ["run", "--model", model, "--input", tmp / f"{tag}_x.npy", "--output", tmp / f"{tag}_y.npy",
            "--state-output", tmp / f"{tag}_s", "--threads", "2", *precision]
    if lengths is not None:
        write_npy(tmp / f"{tag}_l.npy", np.asarray(lengths, dtype=np.int64))
        args += ["--seq-lens", tmp / f"{tag}_l.npy"]
    r = run_sbe(*args)
    assert r.rc == 0, r.stderr
    y = read_npy(tmp / f"{tag}_y.npy").transpose(1, 0, 2)
    h = read_npy(tmp / f"{tag}_s_h.npy").transpose(1, 0, 2)
    c = read_npy(tmp / f"{tag}_s_c.npy").transpose(1, 0, 2)
    return {"output": y, "h_n": h, "c_n": c}


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import pathlib
        import tempfile
        cls._tmp = tempfile.TemporaryDirectory()
        cls.tmp = pathlib.Path(cls._tmp.name)
        cls.uni = str(save_model(cls.tmp / "uni.safetensors", 13, 11, 2, seed=1))
        cls.bi = str(save_model(cls.tmp / "bi.safetensors", 5, 7, 1, bidirectional=True, seed=2))
        cls.pb2, cls.pb2_grpc = grpc_stubs(cls.tmp)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def stub(self, server):
        import grpc
        channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc}")
        self.addCleanup(channel.close)
        return self.pb2_grpc.GRPCInferenceServiceStub(channel)

    def metric(self, server, name):
        _, _, body = curl(server.url("/metrics"))
        return sum(float(l.split()[-1]) for l in body.decode().splitlines() if l.startswith(name))

    # --- correctness ---------------------------------------------------------------------------

    def check_whole_sequences(self, precision, exact):
        rng = np.random.default_rng(11)
        tmp = temp_dir(self)
        # A queue delay long enough that the concurrent requests below share batches.
        with Server("--model", f"uni={self.uni}", "--model", f"bi={self.bi}", *precision,
                    "--max-queue-delay-us", "50000", "--max-batch", "8") as server:
            stub = self.stub(server)
            cases = []
            for i in range(12):
                model, inp = (("uni", 13), ("bi", 5))[i % 2]
                b, steps = int(rng.integers(1, 4)), int(rng.choice([1, 2, 7, 9]))
                x = rng.uniform(-2, 2, size=(b, steps, inp)).astype(np.float32)
                lengths = rng.integers(0, steps + 1, size=b) if i % 3 == 0 else None
                cases.append((model, x, lengths, ("json", "binary", "grpc", "grpc-raw")[i % 4]))

            def send(case):
                model, x, lengths, how = case
                if how.startswith("grpc"):
                    return 200, grpc_infer(stub, self.pb2, model, x, raw=how == "grpc-raw", lengths=lengths)
                return rest_infer(server.http, model, x, lengths, binary=how == "binary")

            with concurrent.futures.ThreadPoolExecutor(12) as pool:
                answers = list(pool.map(send, cases))
            for k, ((model, x, lengths, how), (status, got)) in enumerate(zip(cases, answers)):
                self.assertEqual(status, 200, got)
                want = sbe_run(tmp, self.uni if model == "uni" else self.bi, x, lengths, precision, tag=str(k))
                for name in ("output", "h_n", "c_n"):
                    self.assertEqual(got[name].shape, want[name].shape, f"{how} {name}")
                    if exact:
                        self.assertTrue(np.array_equal(got[name], want[name]), f"case {k} ({how}) {name}")
                    else:
                        np.testing.assert_allclose(got[name], want[name], atol=1e-5, err_msg=f"case {k} ({how}) {name}")
            # The requests did meet in batches.
            self.assertGreater(self.metric(server, "sbe_batch_size_sum"), self.metric(server, "sbe_batch_size_count"))

    def test_whole_sequences_int16_bit_exact_with_sbe_run(self):
        self.check_whole_sequences(INT16, exact=True)

    def test_whole_sequences_fp32_match_sbe_run(self):
        self.check_whole_sequences((), exact=False)

    def test_streams_in_random_chunks_equal_the_whole_sequence(self):
        rng = np.random.default_rng(5)
        tmp = temp_dir(self)
        with Server("--model", f"uni={self.uni}", *INT16, "--max-queue-delay-us", "20000") as server:
            stub = self.stub(server)
            streams = []
            for s in range(6):
                steps = int(rng.integers(2, 20))
                x = rng.uniform(-2, 2, size=(1, steps, 13)).astype(np.float32)
                cuts = np.sort(rng.choice(np.arange(1, steps), size=int(rng.integers(1, min(6, steps))), replace=False))
                streams.append((100 + s, x, np.split(x, cuts, axis=1)))

            def run_stream(stream):
                sid, _, chunks = stream
                ys = []
                for k, chunk in enumerate(chunks):
                    seq = (sid, k == 0, k == len(chunks) - 1)
                    how = (sid + k) % 3
                    if how == 2:
                        out = grpc_infer(stub, self.pb2, "uni", chunk, sequence=seq, raw=k % 2 == 0)
                    else:
                        status, out = rest_infer(server.http, "uni", chunk, sequence=seq, binary=how == 1)
                        assert status == 200, out
                    ys.append(out["output"])
                return np.concatenate(ys, axis=1), out

            with concurrent.futures.ThreadPoolExecutor(6) as pool:
                results = list(pool.map(run_stream, streams))
            for (sid, x, chunks), (y, last) in zip(streams, results):
                want = sbe_run(tmp, self.uni, x, tag=f"s{sid}")
                self.assertTrue(np.array_equal(y, want["output"]), f"stream {sid}, {len(chunks)} chunks")
                self.assertTrue(np.array_equal(last["h_n"], want["h_n"]))
                self.assertTrue(np.array_equal(last["c_n"], want["c_n"]))
            # Every stream ended: no state is left behind.
            self.assertEqual(self.metric(server, "sbe_live_sequences"), 0)

    # --- bad input -----------------------------------------------------------------------------

    def test_bad_requests_get_a_4xx_and_the_server_goes_on(self):
        with Server("--model", f"uni={self.uni}", "--model", f"bi={self.bi}", "--max-request-bytes", "65536") as server:
            url = server.url("/v2/models/uni/infer")
            good = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": [0.5] * 26}]}).encode()
            cases = [
                (b"{not json", 400, "malformed JSON"),
                (b"[1, 2]", 400, "expected a JSON object"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 12], "data": [0] * 24}]}).encode(), 400, "expected (batch >= 1, steps >= 1, 13)"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP16", "shape": [1, 1, 13], "data": [0] * 13}]}).encode(), 400, "FP16"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": [0] * 25}]}).encode(), 400, "25 values"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": ["a"] * 26}]}).encode(), 400, "numbers"),
                (json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [0]}]}).encode(), 400, "input 'x'"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": [0] * 26},
                                        {"name": "lengths", "datatype": "INT64", "shape": [1], "data": [3]}]}).encode(), 400, "outside [0, 2]"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [4000000000, 4000000000, 13], "data": []}]}).encode(), 400, ""),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": [0] * 26}],
                             "parameters": {"sequence_id": 77}}).encode(), 404, "sequence 77 is not live"),
                (json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 2, 13], "data": [0] * 26}],
                             "outputs": [{"name": "nope"}]}).encode(), 400, "output 'nope'"),
                (b"{" + b" " * 70000 + b"}", 413, "limit of 65536 bytes"),
            ]
            for body, code, text in cases:
                status, _, answer = curl(url, body, ["Content-Type: application/json"])
                self.assertEqual(status, code, (body[:80], answer))
                message = json.loads(answer)["error"]
                self.assertNotIn("\n", message)
                self.assertIn(text, message)
                self.assertEqual(curl(url, good)[0], 200)
            # Binary extension: a header length past the body, and sizes that do not add up.
            for header_len, blob in (("99999", b""), ("abc", b"")):
                status, _, answer = curl(url, good + blob, [f"Inference-Header-Content-Length: {header_len}"])
                self.assertEqual(status, 400, answer)
            hdr = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 1, 13], "parameters": {"binary_data_size": 52}}]}).encode()
            status, _, answer = curl(url, hdr + b"\0" * 40, [f"Inference-Header-Content-Length: {len(hdr)}"])
            self.assertEqual(status, 400)
            self.assertIn("runs past the body", json.loads(answer)["error"])
            # Unknown model and endpoint; a stream of a bidirectional model.
            status, _, answer = curl(server.url("/v2/models/nope/infer"), good)
            self.assertEqual(status, 404)
            self.assertIn("model 'nope' is not served here (models: bi, uni)", json.loads(answer)["error"])
            self.assertEqual(curl(server.url("/v3/whatever"))[0], 404)
            status, out = rest_infer(server.http, "bi", np.zeros((1, 2, 5)), sequence=(5, True, False))
            self.assertEqual(status, 400)
            self.assertIn("bidirectional", out)
            # A client that hangs up mid-body, and one that sends garbage bytes.
            for payload in (b"POST /v2/models/uni/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"inputs\"",
                            bytes(range(256)) * 4):
                with socket.create_connection(("127.0.0.1", server.http)) as s:
                    s.sendall(payload)
            self.assertEqual(curl(url, good)[0], 200)
            # gRPC: a wrong shape and an unknown model are INVALID_ARGUMENT and NOT_FOUND.
            import grpc
            stub = self.stub(server)
            for model, x, code in (("uni", np.zeros((1, 1, 3)), grpc.StatusCode.INVALID_ARGUMENT),
                                   ("nope", np.zeros((1, 1, 13)), grpc.StatusCode.NOT_FOUND)):
                with self.assertRaises(grpc.RpcError) as e:
                    grpc_infer(stub, self.pb2, model, x)
                self.assertEqual(e.exception.code(), code)
            req = self.pb2.ModelInferRequest(model_name="uni")
            req.inputs.add(name="input", datatype="FP32", shape=[1, 1, 13])
            req.raw_input_contents.append(b"\0" * 7)
            with self.assertRaises(grpc.RpcError) as e:
                stub.ModelInfer(req, timeout=30)
            self.assertEqual(e.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertIn("7 raw bytes", e.exception.details())
            self.assertEqual(curl(url, good)[0], 200)
            self.assertGreater(self.metric(server, 'sbe_requests_total{model="uni",protocol="rest",status="invalid"}'), 10)

    def test_limits_on_streams_and_queue(self):
        with Server("--model", f"uni={self.uni}", "--max-sequences", "2", "--sequence-idle-timeout-s", "0.5") as server:
            x = np.zeros((1, 1, 13), dtype=np.float32)
            for sid in (1, 2):
                self.assertEqual(rest_infer(server.http, "uni", x, sequence=(sid, True, False))[0], 200)
            status, message = rest_infer(server.http, "uni", x, sequence=(3, True, False))
            self.assertEqual(status, 429)
            self.assertIn("2 sequences are live (the limit)", message)
            import grpc
            with self.assertRaises(grpc.RpcError) as e:
                grpc_infer(self.stub(server), self.pb2, "uni", x, sequence=(4, True, False))
            self.assertEqual(e.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
            time.sleep(2)  # idle past the timeout: both streams expire
            status, message = rest_infer(server.http, "uni", x, sequence=(1, False, False))
            self.assertEqual(status, 404)
            self.assertIn("idle past the timeout", message)
            self.assertEqual(self.metric(server, "sbe_sequences_expired_total"), 2)
            self.assertEqual(rest_infer(server.http, "uni", x, sequence=(3, True, True))[0], 200)
        with Server("--model", f"uni={self.uni}", "--max-queue", "2", "--max-queue-delay-us", "300000") as server:
            x = np.zeros((2, 1, 13), dtype=np.float32)
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                first = pool.submit(rest_infer, server.http, "uni", x)
                time.sleep(0.1)
                status, message = rest_infer(server.http, "uni", x)
                self.assertEqual(status, 429)
                self.assertIn("samples are queued (the limit)", message)
                self.assertEqual(first.result()[0], 200)

    def test_bearer_token_and_tls(self):
        tmp = temp_dir(self)
        (tmp / "token").write_text("s3cret\n")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", tmp / "key.pem", "-out", tmp / "cert.pem"], check=True, capture_output=True)
        with Server("--model", f"uni={self.uni}", "--auth-token-file", tmp / "token",
                    "--tls-cert", tmp / "cert.pem", "--tls-key", tmp / "key.pem") as server:
            base = f"https://127.0.0.1:{server.http}"
            tls = ["--cacert", str(tmp / "cert.pem")]
            self.assertEqual(curl(base + "/v2/health/ready", extra=tls)[0], 200)  # health asks no token
            self.assertEqual(curl(base + "/v2/models/uni", extra=tls)[0], 401)
            self.assertEqual(curl(base + "/metrics", headers=["Authorization: Bearer wrong"], extra=tls)[0], 401)
            status, _, body = curl(base + "/v2/models/uni", headers=["Authorization: Bearer s3cret"], extra=tls)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["inputs"][0]["shape"], [-1, -1, 13])
            import grpc
            creds = grpc.ssl_channel_credentials(root_certificates=(tmp / "cert.pem").read_bytes())
            with grpc.secure_channel(f"localhost:{server.grpc}", creds) as channel:
                stub = self.pb2_grpc.GRPCInferenceServiceStub(channel)
                self.assertTrue(stub.ServerLive(self.pb2.ServerLiveRequest(), timeout=30).live)
                with self.assertRaises(grpc.RpcError) as e:
                    grpc_infer(stub, self.pb2, "uni", np.zeros((1, 1, 13)))
                self.assertEqual(e.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
                out = grpc_infer(stub, self.pb2, "uni", np.zeros((1, 1, 13)), metadata=(("authorization", "Bearer s3cret"),))
                self.assertEqual(out["output"].shape, (1, 1, 11))

    # --- operations ----------------------------------------------------------------------------

    def test_protocol_endpoints_and_metrics(self):
        with Server("--model", f"uni={self.uni}") as server:
            for path, key, value in (("/v2/health/live", "live", True), ("/v2/health/ready", "ready", True),
                                     ("/v2", "name", "sbe"), ("/v2/models/uni/ready", "ready", True),
                                     ("/v2/models/uni/versions/1", "name", "uni")):
                status, _, body = curl(server.url(path))
                self.assertEqual(status, 200, path)
                self.assertEqual(json.loads(body)[key], value, path)
            self.assertEqual(curl(server.url("/v2/models/nope/ready"))[0], 404)
            stub = self.stub(server)
            meta = stub.ModelMetadata(self.pb2.ModelMetadataRequest(name="uni"), timeout=30)
            self.assertEqual([t.name for t in meta.outputs], ["output", "h_n", "c_n"])
            self.assertTrue(stub.ServerReady(self.pb2.ServerReadyRequest(), timeout=30).ready)
            self.assertEqual(rest_infer(server.http, "uni", np.zeros((3, 4, 13)))[0], 200)
            _, hdrs, body = curl(server.url("/metrics"))
            text = body.decode()
            for family in ("sbe_requests_total", "sbe_request_seconds_bucket", "sbe_queue_seconds_bucket",
                           "sbe_compute_seconds_bucket", "sbe_batch_size_bucket", "sbe_live_sequences"):
                self.assertIn(family, text)
            self.assertIn('sbe_requests_total{model="uni",protocol="rest",status="ok"} 1', text)
            self.assertIn('sbe_batch_size_sum{model="uni"} 3', text)
            # The load generator: a short open-loop run, every request answered.
            r = run_sbe("loadgen", "--port", server.http, "--model", "uni", "--rate", "200", "--duration", "1",
                        "--steps", "5", "--json")
            self.assertEqual(r.rc, 0, r.stderr)
            load = json.loads(r.stdout)
            self.assertEqual(load["failed"], 0)
            self.assertGreater(load["completed"], 100)
            self.assertGreater(load["latency_ms"]["p99"], 0)
            r = run_sbe("loadgen", "--port", server.http, "--model", "uni", "--streams", "4", "--frames", "8", "--chunk", "3", "--json")
            self.assertEqual(json.loads(r.stdout)["completed"], 12, r.stderr)
            self.assertEqual(self.metric(server, "sbe_live_sequences"), 0)

    def test_sigterm_drains_in_flight_work(self):
        server = Server("--model", f"uni={self.uni}", "--max-queue-delay-us", "500000")
        with server:
            x = np.zeros((1, 3, 13), dtype=np.float32)
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                futures = [pool.submit(rest_infer, server.http, "uni", x) for _ in range(3)]
                time.sleep(0.2)  # queued, waiting for their batch
                server.proc.send_signal(signal.SIGTERM)
                self.assertEqual([f.result()[0] for f in futures], [200, 200, 200])
            self.assertEqual(server.proc.wait(30), 0)
            events = [json.loads(l)["event"] for l in server.log().splitlines() if l.startswith("{")]
            self.assertEqual(events[-2:], ["draining", "stopped"])

    def test_configuration_errors_are_one_line(self):
        tmp = temp_dir(self)
        (tmp / "empty").write_text("")
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        self.addCleanup(busy.close)
        for args, text in (
            (("--model", "nope.safetensors"), "--model nope.safetensors"),
            (("--model", self.uni, "--precision", "int16"), "needs --input-range"),
            (("--model", self.uni, "--max-batch", "0"), "--max-batch 0"),
            (("--model", self.uni, "--port", busy.getsockname()[1]), f"--port {busy.getsockname()[1]}: cannot listen"),
            (("--model", self.uni, "--auth-token-file", tmp / "empty"), "is empty"),
            (("--model", self.uni, "--tls-cert", tmp / "empty"), "give both"),
            (("--model", f"a={self.uni}", "--model", f"a={self.bi}"), "a second model named a"),
        ):
            r = run_sbe("serve", "--grpc-port", "-1", *args, timeout=60)
            assert_one_line_error(self, r, text)


if __name__ == "__main__":
    unittest.main()
