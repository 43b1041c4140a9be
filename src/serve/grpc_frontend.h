// The Open Inference Protocol over gRPC (grpc_predict_v2.proto): the same service as REST,
// with tensors in typed contents or raw bytes.
#pragma once

#include <memory>
#include <string>

#include "serve/service.h"

namespace sbe::serve {

struct GrpcOptions {
  std::string host = "127.0.0.1";
  int port = 8001;  // 0: any free port; -1: no gRPC
  int64_t max_request_bytes = int64_t{64} << 20;
  std::string tls_cert, tls_key;
};

class GrpcFrontend {
 public:
  GrpcFrontend(InferenceService* service, const GrpcOptions& options);
  ~GrpcFrontend();
  void Start();  // throws Error naming the port when it cannot listen
  int port() const { return port_; }
  void Stop();   // waits for the calls in flight

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace sbe::serve
