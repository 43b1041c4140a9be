// What the REST and gRPC front-ends share: the served models, the metrics, authentication,
// readiness and the accounting of every request, so that both transports behave the same and
// a front-end is only the mapping of its wire format onto InferRequest.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "serve/metrics.h"
#include "serve/protocol.h"
#include "serve/served_model.h"

namespace sbe::serve {

class InferenceService {
 public:
  // auth_token: "" accepts every request.
  InferenceService(std::string auth_token, bool log_requests);
  void Add(std::unique_ptr<ServedModel> model);

  Metrics& metrics() { return metrics_; }
  // Live: the process answers. Ready: live, models bound, not draining.
  bool ready() const { return ready_; }
  void set_ready(bool ready) { ready_ = ready; }
  // The value of an Authorization header ("Bearer TOKEN"); health endpoints do not ask.
  bool Authorized(std::string_view authorization) const;
  // Throws ServeError(kNotFound) naming the models served.
  ServedModel& Model(const std::string& name);
  const std::map<std::string, std::unique_ptr<ServedModel>>& models() const { return models_; }
  nlohmann::json ServerMetadata() const;

  // Runs a request through its model, counting it (by protocol: "rest", "grpc") and logging
  // failures. Rethrows the ServeError for the front-end to answer with.
  InferResponse Infer(const InferRequest& request, const char* protocol);
  // Counts and logs a request refused before it reached a model (parse errors, auth).
  void CountFailure(const std::string& model, const char* protocol, const ServeError& e);
  // Not ready, no new requests, every queued one answered.
  void Drain();

 private:
  const std::string auth_token_;
  const bool log_requests_;
  std::atomic<bool> ready_{false};
  Metrics metrics_;
  std::map<std::string, std::unique_ptr<ServedModel>> models_;
};

}  // namespace sbe::serve
