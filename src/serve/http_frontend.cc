#include "serve/http_frontend.h"

#include <httplib.h>

#include <dirent.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <charconv>
#include <cstdlib>

#include "sbe/error.h"
#include "serve/log.h"

namespace sbe::serve {

struct HttpFrontend::Impl {
  std::unique_ptr<httplib::Server> server;
};

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kHeaderLength = "Inference-Header-Content-Length";

void Answer(httplib::Response& res, int code, const nlohmann::json& body) {
  res.status = code;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), kJson);
}

void AnswerError(httplib::Response& res, const ServeError& e) {
  res.status = HttpCode(e.status());
  res.set_content(ErrorBody(e.what()), kJson);
}

std::optional<int64_t> HeaderLength(const httplib::Request& req) {
  if (!req.has_header(kHeaderLength)) return std::nullopt;
  const std::string v = req.get_header_value(kHeaderLength);
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < 0) {
    throw ServeError(Status::kInvalid, std::string(kHeaderLength) + " '" + v + "': expected a byte count");
  }
  return n;
}

void Routes(httplib::Server& s, InferenceService* service) {
  s.Get("/v2/health/live", [](const httplib::Request&, httplib::Response& res) { Answer(res, 200, {{"live", true}}); });
  s.Get("/v2/health/ready", [service](const httplib::Request&, httplib::Response& res) {
    Answer(res, service->ready() ? 200 : 503, {{"ready", service->ready()}});
  });
  s.Get("/v2", [service](const httplib::Request&, httplib::Response& res) { Answer(res, 200, service->ServerMetadata()); });
  s.Get("/metrics", [service](const httplib::Request&, httplib::Response& res) {
    res.set_content(service->metrics().Render(), "text/plain; version=0.0.4");
  });
  s.Get(R"(/v2/models/([^/]+)(?:/versions/[^/]+)?/ready)", [service](const httplib::Request& req, httplib::Response& res) {
    try {
      service->Model(req.matches[1]);
      Answer(res, service->ready() ? 200 : 503, {{"name", req.matches[1]}, {"ready", service->ready()}});
    } catch (const ServeError& e) {
      AnswerError(res, e);
    }
  });
  s.Get(R"(/v2/models/([^/]+)(?:/versions/[^/]+)?)", [service](const httplib::Request& req, httplib::Response& res) {
    try {
      Answer(res, 200, service->Model(req.matches[1]).Metadata());
    } catch (const ServeError& e) {
      AnswerError(res, e);
    }
  });
  s.Post(R"(/v2/models/([^/]+)(?:/versions/[^/]+)?/infer)", [service](const httplib::Request& req, httplib::Response& res) {
    const std::string model = req.matches[1];
    InferRequest request;
    try {
      request = ParseRestRequest(req.body, HeaderLength(req));
    } catch (const ServeError& e) {
      service->CountFailure(model, "rest", e);
      return AnswerError(res, e);
    }
    request.model = model;
    try {
      std::optional<int64_t> header_length;
      std::string body = EncodeRestResponse(service->Infer(request, "rest"), &header_length);
      res.status = 200;
      if (header_length) {
        res.set_header(kHeaderLength, std::to_string(*header_length));
        res.set_content(std::move(body), "application/octet-stream");
      } else {
        res.set_content(std::move(body), kJson);
      }
    } catch (const ServeError& e) {
      AnswerError(res, e);
    }
  });
}

// cpp-httplib (Debian's build) listens with a backlog of 5: a burst of clients connecting at once
// (64 streams starting, a replica's clients failing over) overflows it, and the dropped SYNs
// cost each of them a one-second retransmit. Linux lets a listening socket's backlog be raised
// by calling listen() again; the socket is found among the process's descriptors by its port.
void RaiseBacklog(int port) {
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (const dirent* e = readdir(dir)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    const int p = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                                            : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    if (p == port) listen(fd, 4096);
  }
  closedir(dir);
}

}  // namespace

HttpFrontend::HttpFrontend(InferenceService* service, const HttpOptions& o) : impl_(std::make_unique<Impl>()) {
  if (o.tls_cert.empty() != o.tls_key.empty()) Fail("--tls-cert and --tls-key: give both, or neither");
  if (!o.tls_cert.empty()) {
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid()) Fail("--tls-cert {} / --tls-key {}: not a readable certificate and key in PEM", o.tls_cert, o.tls_key);
    impl_->server = std::move(ssl);
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *impl_->server;
  const int threads = o.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_payload_max_length(static_cast<size_t>(o.max_request_bytes));
  s.set_keep_alive_max_count(1 << 30);
  s.set_tcp_nodelay(true);  // answers go out whole, not held back by Nagle for a delayed ACK
  s.set_pre_routing_handler([service](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/v2/health/", 0) == 0 || service->Authorized(req.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    service->CountFailure("", "rest", ServeError(Status::kUnauthenticated, "missing or wrong bearer token"));
    res.set_header("WWW-Authenticate", "Bearer");
    AnswerError(res, ServeError(Status::kUnauthenticated, "missing or wrong bearer token (Authorization: Bearer ...)"));
    return httplib::Server::HandlerResponse::Handled;
  });
  const int64_t limit = o.max_request_bytes;
  s.set_error_handler([limit](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      res.set_content(ErrorBody("request body is larger than the server's limit of " + std::to_string(limit) + " bytes (--max-request-bytes)"), kJson);
    } else if (res.status == 404) {
      res.set_content(ErrorBody("no endpoint " + req.method + " " + req.path), kJson);
    } else {
      res.set_content(ErrorBody("HTTP " + std::to_string(res.status)), kJson);
    }
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::bad_alloc&) {
      what = "out of memory";
    } catch (const std::exception& e) {
      what = e.what();
    }
    Log("error", "handler_failed", {{"message", what}});
    res.status = 500;
    res.set_content(ErrorBody(what), kJson);
  });
  Routes(s, service);
  host_ = o.host;
  requested_port_ = o.port;
}

HttpFrontend::~HttpFrontend() { Stop(); }

void HttpFrontend::Start() {
  httplib::Server& s = *impl_->server;
  if (requested_port_ == 0) {
    port_ = s.bind_to_any_port(host_);
    if (port_ < 0) Fail("--host {}: cannot listen there", host_);
  } else {
    if (!s.bind_to_port(host_, requested_port_)) Fail("--port {}: cannot listen on {}:{} (in use, or not an address of this machine)", requested_port_, host_, requested_port_);
    port_ = requested_port_;
  }
  RaiseBacklog(port_);
  thread_ = std::thread([&s] { s.listen_after_bind(); });
}

void HttpFrontend::Stop() {
  if (!thread_.joinable()) return;
  impl_->server->stop();
  thread_.join();
}

}  // namespace sbe::serve
