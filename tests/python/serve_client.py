"""Clients of `sbe serve` the project did not write: curl for REST (JSON and the binary-tensor
extension) and Python grpcio with stubs generated from the server's .proto by protoc. Also the
Server fixture: starts `sbe serve` on free ports, reads its 'ready' log line, stops it.

API:
  Server(*args, env=None)            context manager; .http, .grpc ports; .log(); .stop(sig) -> rc
  curl(url, body=None, headers=(), method=None, extra=())  -> (status, headers dict, body bytes)
  rest_infer(port, model, x, lengths=None, sequence=None, binary=False, token=None)
      -> (status, outputs dict name -> np.ndarray, or the error text)
  grpc_stubs(tmp) -> (pb2, pb2_grpc) generated into tmp
  grpc_infer(stub, pb2, model, x, sequence=None, raw=False, metadata=()) -> outputs dict
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from sbe_test_util import SBE_BIN, SBE_REPO  # also puts tools/ on the path
from serve_cluster import wait_ready


class Server:
    def __init__(self, *args, env=None, wait=True):
        self.log_path = f"/tmp/sbe-serve-{os.getpid()}-{time.monotonic_ns()}.log"
        self.args = [SBE_BIN, "serve", "--port", "0", "--grpc-port", "0", *map(str, args)]
        self.env = env
        self.wait = wait
        self.proc = None

    def __enter__(self):
        self.log_file = open(self.log_path, "w+")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log_file,
                                     env={**os.environ, **(self.env or {})})
        if self.wait:
            try:
                ready = wait_ready(self.proc, self.log_path)
            except RuntimeError as e:
                raise AssertionError(str(e)) from e
            self.http, self.grpc = ready["http_port"], ready["grpc_port"]
        return self

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"sbe serve did not stop within {timeout} s of signal {sig}:\n{self.log()}")
        return self.proc.returncode

    def __exit__(self, *exc):
        rc = self.stop()
        log = self.log()
        self.log_file.close()
        os.unlink(self.log_path)
        # A clean drain exits 0; under the sanitizers a leak or a finding at exit does not.
        if exc[0] is None and rc != 0:
            raise AssertionError(f"sbe serve exited {rc} after SIGTERM:\n{log[-6000:]}")

    def url(self, path):
        return f"http://127.0.0.1:{self.http}{path}"


def curl(url, body=None, headers=(), method=None, extra=(), timeout=60):
    """One request through curl; body is bytes. Returns (status, headers, body bytes)."""
    argv = ["curl", "-s", "-S", "--max-time", str(timeout), "-D", "-", "-o", "-", *extra]
    for h in headers:
        argv += ["-H", h]
    if method:
        argv += ["-X", method]
    if body is not None:
        argv += ["--data-binary", "@-"]
    p = subprocess.run(argv + [url], input=body, capture_output=True, timeout=timeout + 10, check=False)
    if p.returncode != 0:
        raise AssertionError(f"curl {url}: rc {p.returncode}: {p.stderr.decode(errors='replace')}")
    out = p.stdout
    # -D - writes the response headers first; with 100-continue there may be two blocks.
    while True:
        head, _, out = out.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        if status != 100:
            break
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    return status, hdrs, out


def _request_json(x, lengths, sequence, binary, outputs):
    inputs, blobs = [], []
    for name, arr, dtype in (("input", x, "FP32"), ("lengths", lengths, "INT64")):
        if arr is None:
            continue
        arr = np.ascontiguousarray(arr, dtype=np.float32 if dtype == "FP32" else np.int64)
        t = {"name": name, "datatype": dtype, "shape": list(arr.shape)}
        if binary:
            t["parameters"] = {"binary_data_size": arr.nbytes}
            blobs.append(arr.tobytes())
        else:
            t["data"] = arr.reshape(-1).tolist()
        inputs.append(t)
    req = {"inputs": inputs, "outputs": [{"name": o, "parameters": {"binary_data": binary}} for o in outputs]}
    if sequence is not None:
        sid, start, end = sequence
        req["parameters"] = {"sequence_id": sid, "sequence_start": start, "sequence_end": end}
    header = json.dumps(req).encode()
    return header, b"".join(blobs)


def parse_rest_response(hdrs, body):
    n = int(hdrs.get("inference-header-content-length", len(body)))
    doc = json.loads(body[:n])
    binary = body[n:]
    outputs, offset = {}, 0
    for t in doc["outputs"]:
        size = t.get("parameters", {}).get("binary_data_size")
        if size is not None:
            a = np.frombuffer(binary[offset:offset + size], dtype=np.float32)
            offset += size
        else:
            a = np.array(t["data"], dtype=np.float32)
        outputs[t["name"]] = a.reshape(t["shape"])
    return outputs


def rest_infer(port, model, x, lengths=None, sequence=None, binary=False, token=None,
               outputs=("output", "h_n", "c_n")):
    header, blob = _request_json(x, lengths, sequence, binary, outputs)
    headers = ["Content-Type: application/json"]
    if binary:
        headers = ["Content-Type: application/octet-stream", f"Inference-Header-Content-Length: {len(header)}"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    status, hdrs, body = curl(f"http://127.0.0.1:{port}/v2/models/{model}/infer", header + blob, headers)
    if status != 200:
        try:
            return status, json.loads(body)["error"]
        except ValueError:  # not from sbe: a proxy's page
            return status, body.decode(errors="replace")
    return status, parse_rest_response(hdrs, body)


def grpc_stubs(tmp):
    """Generates the Python stubs from the server's .proto with protoc and grpc_python_plugin."""
    proto_dir = SBE_REPO / "src" / "serve"
    subprocess.run(["protoc", f"--proto_path={proto_dir}", f"--python_out={tmp}", f"--grpc_python_out={tmp}",
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    str(proto_dir / "grpc_predict_v2.proto")], check=True)
    sys.path.insert(0, str(tmp))
    import grpc_predict_v2_pb2 as pb2
    import grpc_predict_v2_pb2_grpc as pb2_grpc
    return pb2, pb2_grpc


def grpc_infer(stub, pb2, model, x, sequence=None, raw=False, metadata=(), lengths=None):
    req = pb2.ModelInferRequest(model_name=model)
    x = np.ascontiguousarray(x, dtype=np.float32)
    t = req.inputs.add(name="input", datatype="FP32", shape=list(x.shape))
    if raw:
        req.raw_input_contents.append(x.tobytes())
    else:
        t.contents.fp32_contents.extend(x.reshape(-1).tolist())
    if lengths is not None:
        lengths = np.asarray(lengths, dtype=np.int64)
        t = req.inputs.add(name="lengths", datatype="INT64", shape=list(lengths.shape))
        if raw:
            req.raw_input_contents.append(lengths.tobytes())
        else:
            t.contents.int64_contents.extend(lengths.tolist())
    if sequence is not None:
        sid, start, end = sequence
        req.parameters["sequence_id"].int64_param = int(sid)
        req.parameters["sequence_start"].bool_param = start
        req.parameters["sequence_end"].bool_param = end
    resp = stub.ModelInfer(req, metadata=metadata, timeout=60)
    outputs = {}
    for i, o in enumerate(resp.outputs):
        if resp.raw_output_contents:
            a = np.frombuffer(resp.raw_output_contents[i], dtype=np.float32)
        else:
            a = np.array(o.contents.fp32_contents, dtype=np.float32)
        outputs[o.name] = a.reshape(list(o.shape))
    return outputs
