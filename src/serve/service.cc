#include "serve/service.h"

#include <fmt/format.h>

#include <chrono>

#include "serve/log.h"

namespace sbe::serve {

InferenceService::InferenceService(std::string auth_token, bool log_requests)
    : auth_token_(std::move(auth_token)), log_requests_(log_requests) {
  metrics_.DeclareCounter("sbe_requests_total", "Inference requests answered, by model, protocol and status");
  metrics_.DeclareCounter("sbe_sequences_expired_total", "Streams dropped after the idle timeout");
  metrics_.DeclareHistogram("sbe_request_seconds", "Time from a request's arrival to its answer", LatencyBounds());
  metrics_.DeclareHistogram("sbe_queue_seconds", "Time a request waited for its batch", LatencyBounds());
  metrics_.DeclareHistogram("sbe_compute_seconds", "Time one batch ran on the executor", LatencyBounds());
  metrics_.DeclareHistogram("sbe_batch_size", "Samples per batch run", {1, 2, 4, 8, 16, 32, 64, 128, 256});
  metrics_.DeclareGauge("sbe_live_sequences", "Streams whose state the server holds");
  metrics_.DeclareGauge("sbe_queued_samples", "Samples waiting for a batch");
}

void InferenceService::Add(std::unique_ptr<ServedModel> model) {
  const std::string name = model->name();
  models_[name] = std::move(model);
}

bool InferenceService::Authorized(std::string_view authorization) const {
  if (auth_token_.empty()) return true;
  const std::string_view prefix = "Bearer ";
  if (authorization.substr(0, prefix.size()) != prefix) return false;
  const std::string_view token = authorization.substr(prefix.size());
  // Compared in time independent of where they differ.
  unsigned diff = token.size() != auth_token_.size();
  for (size_t i = 0; i < auth_token_.size(); ++i) diff |= static_cast<unsigned>(i < token.size() ? token[i] ^ auth_token_[i] : 1);
  return diff == 0;
}

ServedModel& InferenceService::Model(const std::string& name) {
  const auto it = models_.find(name);
  if (it == models_.end()) {
    std::string names;
    for (const auto& [n, m] : models_) names += (names.empty() ? "" : ", ") + n;
    throw ServeError(Status::kNotFound, fmt::format("model '{}' is not served here (models: {})", Printable(name), names));
  }
  return *it->second;
}

nlohmann::json InferenceService::ServerMetadata() const {
  return {{"name", "sbe"}, {"version", SBE_VERSION}, {"extensions", {"binary_tensor_data", "sequence", "metrics"}}};
}

void InferenceService::CountFailure(const std::string& model, const char* protocol, const ServeError& e) {
  // Labels only name served models: a client's made-up names must not grow the metrics.
  const std::string label = models_.count(model) ? model : "unknown";
  metrics_.Add("sbe_requests_total", {{"model", label}, {"protocol", protocol}, {"status", StatusName(e.status())}});
  Log(e.status() == Status::kInternal ? "error" : "info", "request_failed",
      {{"model", model}, {"protocol", protocol}, {"status", StatusName(e.status())}, {"message", e.what()}});
}

InferResponse InferenceService::Infer(const InferRequest& request, const char* protocol) {
  const auto start = std::chrono::steady_clock::now();
  try {
    InferResponse response = Model(request.model).Infer(request);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_.Add("sbe_requests_total", {{"model", request.model}, {"protocol", protocol}, {"status", "ok"}});
    metrics_.Observe("sbe_request_seconds", {{"model", request.model}}, seconds);
    if (log_requests_) {
      Log("info", "request", {{"model", request.model}, {"protocol", protocol}, {"id", request.id},
                              {"sequence_id", request.sequence.id}, {"seconds", seconds}});
    }
    return response;
  } catch (const ServeError& e) {
    CountFailure(request.model, protocol, e);
    throw;
  }
}

void InferenceService::Drain() {
  ready_ = false;
  for (auto& [name, model] : models_) model->Drain();
}

}  // namespace sbe::serve
