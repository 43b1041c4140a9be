// The Open Inference Protocol over HTTP/REST (cpp-httplib): health, metadata, infer with JSON
// or binary tensors, and Prometheus metrics at /metrics.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "serve/service.h"

namespace sbe::serve {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8000;  // 0: any free port (the log says which)
  int threads = 512;  // connections served at once (keep-alive holds a thread each); each waits on its batch
  int64_t max_request_bytes = int64_t{64} << 20;
  std::string tls_cert, tls_key;  // both or neither: HTTPS
};

class HttpFrontend {
 public:
  HttpFrontend(InferenceService* service, const HttpOptions& options);
  ~HttpFrontend();
  // Binds the port (throws Error naming it when it cannot) and serves on a thread of its own.
  void Start();
  int port() const { return port_; }
  // Stops accepting; returns once every connection's handler has finished.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string host_;
  int requested_port_ = 0;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace sbe::serve
