// `sbe serve`: the inference server (src/serve, docs/SERVING.md).
#include <malloc.h>

#include <csignal>
#include <pthread.h>

#include "cli/cli_common.h"
#include "sbe/presets.h"
#include "serve/grpc_frontend.h"
#include "serve/http_frontend.h"
#include "serve/log.h"
#include "serve/service.h"

namespace sbe::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models{"lrcn"};
  ExecutorArgs exec;
  serve::HttpOptions http;
  int grpc_port = 8001;
  int max_batch = 64;
  int64_t max_queue_delay_us = 0;
  int max_sequences = 1024;
  double sequence_idle_timeout_s = 60;
  int64_t max_queue = 4096;
  std::string auth_token_file;
  bool log_requests = false;
};

std::string ReadToken(const std::string& path) {
  std::string token = ReadTokenFile(path, "--auth-token-file");
  if (token.empty()) Fail("--auth-token-file {}: the file is empty", path);
  return token;
}

// "name=spec", or a spec named after itself (a preset) or its file's stem.
std::pair<std::string, std::string> ModelName(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq != std::string::npos) {
    const std::string name = arg.substr(0, eq);
    if (name.empty() || name.find('/') != std::string::npos) Fail("--model {}: the name before '=' must be non-empty, without '/'", arg);
    return {name, arg.substr(eq + 1)};
  }
  std::string stem = arg.substr(arg.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  return {stem.empty() ? arg : stem, arg};
}

void Serve(const ServeArgs& a) {
  if (a.max_batch < 1) Fail("--max-batch {}: must be at least 1", a.max_batch);
  if (a.max_queue_delay_us < 0) Fail("--max-queue-delay-us {}: must be >= 0", a.max_queue_delay_us);
  if (a.max_sequences < 0) Fail("--max-sequences {}: must be >= 0", a.max_sequences);
  if (!(a.sequence_idle_timeout_s > 0)) Fail("--sequence-idle-timeout-s {}: must be positive", a.sequence_idle_timeout_s);
  if (a.max_queue < 1) Fail("--max-queue {}: must be at least 1", a.max_queue);
  if (a.http.threads < 1) Fail("--http-threads {}: must be at least 1", a.http.threads);
  if (a.http.max_request_bytes < 1024) Fail("--max-request-bytes {}: must be at least 1024", a.http.max_request_bytes);
  if (a.http.port < 0 || a.http.port > 65535) Fail("--port {}: expected 0 (any) to 65535", a.http.port);
  if (a.grpc_port < -1 || a.grpc_port > 65535) Fail("--grpc-port {}: expected -1 (off), 0 (any) to 65535", a.grpc_port);
  if (a.exec.precision == Precision::kInt16 && a.exec.input_range.empty()) {
    Fail("--precision int16 needs --input-range LO,HI: requests are batched together, so the server calibrates once, for every user");
  }
  const std::string token = a.auth_token_file.empty() ? "" : ReadToken(a.auth_token_file);

  // Signals are taken by this thread alone (sigwait below), never by a worker mid-batch; a
  // client that hangs up must not kill the process with SIGPIPE.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  serve::InferenceService service(token, a.log_requests);
  serve::BatchingOptions batching;
  batching.max_batch = a.max_batch;
  batching.max_queue_delay = std::chrono::microseconds(a.max_queue_delay_us);
  batching.max_sequences = a.max_sequences;
  batching.sequence_idle_timeout = std::chrono::milliseconds(static_cast<int64_t>(a.sequence_idle_timeout_s * 1000));
  batching.max_queued_samples = a.max_queue;
  nlohmann::json models = nlohmann::json::array();
  for (const std::string& arg : a.models) {
    // Named pair, not a structured binding: clang 14 refuses to capture bindings in the loader lambda.
    const std::pair<std::string, std::string> named = ModelName(arg);
    const std::string& name = named.first;
    const std::string& spec = named.second;
    if (service.models().count(name)) Fail("--model {}: a second model named {} (use name=path)", arg, name);
    LstmModel model = ForArgument("--model", spec, [&] { return LoadModel(spec); });
    const ExecutorOptions options = MakeExecutorOptions(a.exec, model, nullptr);
    const LstmShape s = model.shape;
    service.Add(std::make_unique<serve::ServedModel>(name, std::move(model), options, batching, &service.metrics()));
    models.push_back({{"name", name}, {"source", spec}, {"input_size", s.input_size}, {"hidden_size", s.hidden_size},
                      {"layers", s.num_layers}, {"bidirectional", s.bidirectional}});
  }

  serve::HttpFrontend http(&service, a.http);
  http.Start();
  serve::GrpcOptions g;
  g.host = a.http.host;
  g.port = a.grpc_port;
  g.max_request_bytes = a.http.max_request_bytes;
  g.tls_cert = a.http.tls_cert;
  g.tls_key = a.http.tls_key;
  std::unique_ptr<serve::GrpcFrontend> grpc;
  if (a.grpc_port >= 0) {
    grpc = std::make_unique<serve::GrpcFrontend>(&service, g);
    grpc->Start();
  }
  service.set_ready(true);
  serve::Log("info", "ready",
             {{"host", a.http.host}, {"http_port", http.port()}, {"grpc_port", grpc ? grpc->port() : -1},
              {"tls", !a.http.tls_cert.empty()}, {"auth", !token.empty()}, {"precision", PrecisionName(a.exec.precision)},
              {"max_batch", a.max_batch}, {"max_queue_delay_us", a.max_queue_delay_us}, {"models", models}});

  // Between signals, hand freed memory back to the system. glibc keeps what a burst of large
  // requests freed in each thread's arena (the heap itself stays flat under load, measured with
  // heaptrack), and with hundreds of HTTP threads the resident set would creep up with it.
  int signal = -1;
  const timespec trim_every{2, 0};
  while (signal < 0) {
    signal = sigtimedwait(&signals, nullptr, &trim_every);
    if (signal < 0) malloc_trim(0);
  }
  serve::Log("info", "draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  service.Drain();  // not ready, refuse new work, answer what is queued
  if (grpc) grpc->Stop();
  http.Stop();
  serve::Log("info", "stopped");
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();  // the callback holds it as long as the app
  CLI::App* cmd = app.add_subcommand("serve", "Serve models over the Open Inference Protocol (REST and gRPC), batching concurrent users and streams");
  cmd->add_option("--model", args->models, "A preset, .safetensors or .onnx; NAME=PATH to name it; repeat for several models")
      ->capture_default_str();
  AddExecutorOptions(cmd, &args->exec, false);
  cmd->add_option("--host", args->http.host, "Address to listen on (loopback unless you say otherwise)")->capture_default_str();
  cmd->add_option("--port", args->http.port, "HTTP port (0: any free one; the 'ready' log line says which)")->capture_default_str();
  cmd->add_option("--grpc-port", args->grpc_port, "gRPC port (0: any free one, -1: no gRPC)")->capture_default_str();
  cmd->add_option("--max-batch", args->max_batch, "Most samples in one batch (1: no batching)")->capture_default_str();
  cmd->add_option("--max-queue-delay-us", args->max_queue_delay_us,
                  "How long the oldest request waits for others to join its batch (0: run what has arrived)")
      ->capture_default_str();
  cmd->add_option("--max-sequences", args->max_sequences, "Most live streams per model (beyond: 429)")->capture_default_str();
  cmd->add_option("--sequence-idle-timeout-s", args->sequence_idle_timeout_s, "A stream with no chunk for this long is dropped")
      ->capture_default_str();
  cmd->add_option("--max-queue", args->max_queue, "Most samples waiting per model (beyond: 429)")->capture_default_str();
  cmd->add_option("--http-threads", args->http.threads, "HTTP connections served at once")->capture_default_str();
  cmd->add_option("--max-request-bytes", args->http.max_request_bytes, "Largest request body (beyond: 413)")->capture_default_str();
  cmd->add_option("--auth-token-file", args->auth_token_file, "Require 'Authorization: Bearer TOKEN' (every endpoint but health)");
  cmd->add_option("--tls-cert", args->http.tls_cert, "PEM certificate: serve HTTPS and gRPC over TLS");
  cmd->add_option("--tls-key", args->http.tls_key, "PEM private key of --tls-cert");
  cmd->add_flag("--log-requests", args->log_requests, "Log every request (one JSON line each), not only failures");
  cmd->footer(Examples({"sbe serve                                   # lrcn, fp32, on 127.0.0.1:8000 (REST) and :8001 (gRPC)",
                        "sbe serve --model lrcn --precision int16 --input-range -1,1 --max-batch 32",
                        "sbe serve --model asr=speech.onnx --model lrcn --port 9000 --grpc-port -1",
                        "curl -s localhost:8000/v2/models/lrcn       # the tensors a model takes and gives",
                        "sbe loadgen --model lrcn --rate 500 --duration 10   # open-loop load, p50/p90/p99"}));
  cmd->callback([args] { Serve(*args); });
}

}  // namespace sbe::cli
