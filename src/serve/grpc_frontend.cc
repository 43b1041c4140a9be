#include "serve/grpc_frontend.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "grpc_predict_v2.grpc.pb.h"
#include "sbe/error.h"

namespace sbe::serve {
namespace {

grpc::StatusCode GrpcCode(Status s) {
  switch (s) {
    case Status::kInvalid: return grpc::StatusCode::INVALID_ARGUMENT;
    case Status::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    case Status::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case Status::kTooLarge: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case Status::kExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case Status::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case Status::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

grpc::Status ToGrpc(const ServeError& e) { return grpc::Status(GrpcCode(e.status()), e.what()); }

bool BoolParam(const google::protobuf::Map<std::string, inference::InferParameter>& params, const char* key) {
  const auto it = params.find(key);
  if (it == params.end()) return false;
  if (it->second.parameter_choice_case() != inference::InferParameter::kBoolParam) Invalid(fmt::format("parameter '{}' must be a bool_param", key));
  return it->second.bool_param();
}

InferRequest FromProto(const inference::ModelInferRequest& p, bool* raw) {
  InferRequest r;
  r.model = p.model_name();
  r.id = p.id();
  const auto& params = p.parameters();
  if (const auto it = params.find("sequence_id"); it != params.end()) {
    const auto& v = it->second;
    if (v.parameter_choice_case() == inference::InferParameter::kInt64Param && v.int64_param() >= 0) {
      r.sequence.id = std::to_string(v.int64_param());
    } else if (v.parameter_choice_case() == inference::InferParameter::kStringParam) {
      r.sequence.id = v.string_param();
    } else {
      Invalid("parameter 'sequence_id' must be an int64_param >= 0 or a string_param");
    }
    if (r.sequence.id == "0") r.sequence.id.clear();
  }
  r.sequence.start = BoolParam(params, "sequence_start");
  r.sequence.end = BoolParam(params, "sequence_end");
  *raw = p.raw_input_contents_size() > 0;
  if (*raw && p.raw_input_contents_size() != p.inputs_size()) {
    Invalid(fmt::format("raw_input_contents has {} entries for {} inputs", p.raw_input_contents_size(), p.inputs_size()));
  }
  for (int i = 0; i < p.inputs_size(); ++i) {
    const auto& in = p.inputs(i);
    Tensor t;
    t.name = in.name();
    const std::string what = "input '" + Printable(t.name) + "'";
    const auto dt = ParseDataType(in.datatype());
    if (!dt) Invalid(fmt::format("{}: datatype {} is not one of FP32, INT32, INT64", what, in.datatype()));
    t.datatype = *dt;
    for (int64_t d : in.shape()) {
      if (d < 0) Invalid(what + ": negative dimension");
      t.shape.push_back(d);
    }
    int64_t n = 0;
    try {
      n = CheckedNumElements(t.shape, what);
    } catch (const Error& e) {
      Invalid(e.what());
    }
    if (*raw) {
      const std::string& bytes = p.raw_input_contents(i);
      if (static_cast<int64_t>(bytes.size()) != n * ElementBytes(t.datatype)) {
        Invalid(fmt::format("{}: {} raw bytes, shape {} in {} needs {}", what, bytes.size(), ShapeToString(t.shape), DataTypeName(t.datatype), n * ElementBytes(t.datatype)));
      }
      if (n == 0) {
        // nothing to copy
      } else if (t.datatype == DataType::kFp32) {
        t.f32.resize(n);
        std::memcpy(t.f32.data(), bytes.data(), bytes.size());
      } else if (t.datatype == DataType::kInt32) {
        for (int64_t k = 0; k < n; ++k) {
          int32_t v;
          std::memcpy(&v, bytes.data() + 4 * k, 4);
          t.ints.push_back(v);
        }
      } else {
        t.ints.resize(n);
        std::memcpy(t.ints.data(), bytes.data(), bytes.size());
      }
    } else {
      const auto& c = in.contents();
      int64_t got = 0;
      if (t.datatype == DataType::kFp32) {
        t.f32.assign(c.fp32_contents().begin(), c.fp32_contents().end());
        got = c.fp32_contents_size();
      } else if (t.datatype == DataType::kInt32) {
        t.ints.assign(c.int_contents().begin(), c.int_contents().end());
        got = c.int_contents_size();
      } else {
        t.ints.assign(c.int64_contents().begin(), c.int64_contents().end());
        got = c.int64_contents_size();
      }
      if (got != n) Invalid(fmt::format("{}: {} values in contents, shape {} needs {}", what, got, ShapeToString(t.shape), n));
    }
    r.inputs.push_back(std::move(t));
  }
  for (const auto& o : p.outputs()) r.outputs.push_back({o.name(), false});
  return r;
}

void ToProto(const InferResponse& r, bool raw, inference::ModelInferResponse* p) {
  p->set_model_name(r.model);
  p->set_model_version("1");
  p->set_id(r.id);
  for (const Tensor& t : r.outputs) {
    auto* out = p->add_outputs();
    out->set_name(t.name);
    out->set_datatype(DataTypeName(t.datatype));
    for (int64_t d : t.shape) out->add_shape(d);
    if (raw) {
      p->add_raw_output_contents(reinterpret_cast<const char*>(t.f32.data()), t.f32.size() * sizeof(float));
    } else {
      out->mutable_contents()->mutable_fp32_contents()->Add(t.f32.begin(), t.f32.end());
    }
  }
}

std::string ReadFile(const std::string& path, const char* flag) {
  std::ifstream f(path, std::ios::binary);
  if (!f) Fail("{} {}: cannot read it", flag, path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class Service final : public inference::GRPCInferenceService::Service {
 public:
  explicit Service(InferenceService* service) : service_(service) {}

  grpc::Status ServerLive(grpc::ServerContext*, const inference::ServerLiveRequest*, inference::ServerLiveResponse* r) override {
    r->set_live(true);
    return grpc::Status::OK;
  }
  grpc::Status ServerReady(grpc::ServerContext*, const inference::ServerReadyRequest*, inference::ServerReadyResponse* r) override {
    r->set_ready(service_->ready());
    return grpc::Status::OK;
  }
  grpc::Status ModelReady(grpc::ServerContext*, const inference::ModelReadyRequest* q, inference::ModelReadyResponse* r) override {
    try {
      service_->Model(q->name());
      r->set_ready(service_->ready());
      return grpc::Status::OK;
    } catch (const ServeError& e) {
      return ToGrpc(e);
    }
  }
  grpc::Status ServerMetadata(grpc::ServerContext* ctx, const inference::ServerMetadataRequest*, inference::ServerMetadataResponse* r) override {
    if (auto denied = Check(ctx)) return *denied;
    const nlohmann::json m = service_->ServerMetadata();
    r->set_name(m["name"]);
    r->set_version(m["version"]);
    for (const auto& e : m["extensions"]) r->add_extensions(e.get<std::string>());
    return grpc::Status::OK;
  }
  grpc::Status ModelMetadata(grpc::ServerContext* ctx, const inference::ModelMetadataRequest* q, inference::ModelMetadataResponse* r) override {
    if (auto denied = Check(ctx)) return *denied;
    try {
      const nlohmann::json m = service_->Model(q->name()).Metadata();
      r->set_name(m["name"]);
      r->add_versions("1");
      r->set_platform(m["platform"]);
      for (const char* side : {"inputs", "outputs"}) {
        for (const auto& t : m[side]) {
          auto* tm = side == std::string("inputs") ? r->add_inputs() : r->add_outputs();
          tm->set_name(t["name"]);
          tm->set_datatype(t["datatype"]);
          for (int64_t d : t["shape"]) tm->add_shape(d);
        }
      }
      return grpc::Status::OK;
    } catch (const ServeError& e) {
      return ToGrpc(e);
    }
  }
  grpc::Status ModelInfer(grpc::ServerContext* ctx, const inference::ModelInferRequest* q, inference::ModelInferResponse* r) override {
    if (auto denied = Check(ctx)) return *denied;
    InferRequest request;
    bool raw = false;
    try {
      request = FromProto(*q, &raw);
    } catch (const ServeError& e) {
      service_->CountFailure(q->model_name(), "grpc", e);
      return ToGrpc(e);
    }
    try {
      ToProto(service_->Infer(request, "grpc"), raw, r);
      return grpc::Status::OK;
    } catch (const ServeError& e) {
      return ToGrpc(e);
    }
  }

 private:
  std::optional<grpc::Status> Check(grpc::ServerContext* ctx) {
    const auto& md = ctx->client_metadata();
    const auto it = md.find("authorization");
    const std::string value = it == md.end() ? "" : std::string(it->second.data(), it->second.size());
    if (service_->Authorized(value)) return std::nullopt;
    const ServeError e(Status::kUnauthenticated, "missing or wrong bearer token (metadata authorization: Bearer ...)");
    service_->CountFailure("", "grpc", e);
    return ToGrpc(e);
  }

  InferenceService* service_;
};

}  // namespace

struct GrpcFrontend::Impl {
  GrpcOptions options;
  std::unique_ptr<Service> service;
  std::unique_ptr<grpc::Server> server;
};

GrpcFrontend::GrpcFrontend(InferenceService* service, const GrpcOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->service = std::make_unique<Service>(service);
  if (options.tls_cert.empty() != options.tls_key.empty()) Fail("--tls-cert and --tls-key: give both, or neither");
}

GrpcFrontend::~GrpcFrontend() { Stop(); }

void GrpcFrontend::Start() {
  const GrpcOptions& o = impl_->options;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!o.tls_cert.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({ReadFile(o.tls_key, "--tls-key"), ReadFile(o.tls_cert, "--tls-cert")});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(fmt::format("{}:{}", o.host, o.port), credentials, &selected);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(o.max_request_bytes, INT32_MAX)));
  builder.SetMaxSendMessageSize(INT32_MAX);
  builder.RegisterService(impl_->service.get());
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || selected == 0) {
    impl_->server.reset();
    Fail("--grpc-port {}: cannot listen on {}:{} (in use, or not an address of this machine)", o.port, o.host, o.port);
  }
  port_ = selected;
}

void GrpcFrontend::Stop() {
  if (!impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(30));
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace sbe::serve
