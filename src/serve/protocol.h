// The Open Inference Protocol (KServe v2) as sbe speaks it, independent of the transport: the
// request and response of one inference, the errors every front-end maps to its own status
// codes, and the REST encoding (JSON tensors, and the binary-tensor extension: a JSON header
// followed by raw little-endian tensor bytes). The gRPC front-end fills the same structs from
// its protobuf messages, so the served model sees one request type whatever the transport.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sbe::serve {

// What went wrong, in the protocol's terms; each front-end maps it to HTTP or gRPC status.
enum class Status {
  kInvalid,          // 400 / INVALID_ARGUMENT: the request is malformed or does not fit the model
  kUnauthenticated,  // 401 / UNAUTHENTICATED
  kNotFound,         // 404 / NOT_FOUND: unknown model or sequence
  kTooLarge,         // 413 / INVALID_ARGUMENT: over the configured body limit
  kExhausted,        // 429 / RESOURCE_EXHAUSTED: queue or live-stream limit reached
  kUnavailable,      // 503 / UNAVAILABLE: draining for shutdown
  kInternal,         // 500 / INTERNAL
};
int HttpCode(Status s);
const char* StatusName(Status s);  // for logs and metrics labels: "invalid", ...

// A failure to answer one request: one line, sent to that client alone.
class ServeError : public std::runtime_error {
 public:
  ServeError(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  Status status() const { return status_; }

 private:
  Status status_;
};

// The request does not fit the protocol or the model: the one way the readers refuse.
[[noreturn]] inline void Invalid(const std::string& message) { throw ServeError(Status::kInvalid, message); }

// The protocol's datatypes sbe reads and writes (tensors of other types are refused by name).
enum class DataType { kFp32, kInt32, kInt64 };
std::optional<DataType> ParseDataType(std::string_view name);  // "FP32", ...
const char* DataTypeName(DataType t);
int64_t ElementBytes(DataType t);

// One named tensor. Values are held as the served model uses them: floats for FP32, integers
// for INT32/INT64.
struct Tensor {
  std::string name;
  DataType datatype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<float> f32;
  std::vector<int64_t> ints;
  bool binary = false;  // in a response: sent in the binary section, not as JSON numbers
};

// Triton's sequence-batcher parameters: a stream's chunks carry its id, the first one start,
// the last one end.
struct SequenceControl {
  std::string id;  // empty: not part of a sequence (ids given as integers are kept as text)
  bool start = false;
  bool end = false;
};

struct RequestedOutput {
  std::string name;
  bool binary = false;
};

struct InferRequest {
  std::string model;
  std::string id;  // echoed in the response
  std::vector<Tensor> inputs;
  std::vector<RequestedOutput> outputs;  // empty: every output
  bool binary_outputs = false;           // request-level binary_data_output
  SequenceControl sequence;
};

struct InferResponse {
  std::string model;
  std::string id;
  std::vector<Tensor> outputs;
};

// REST body -> request. `header_length`: the Inference-Header-Content-Length header when the
// body carries the binary extension (the JSON header's bytes; the rest is tensor data), else
// absent. Throws ServeError(kInvalid) naming the field at fault.
InferRequest ParseRestRequest(std::string_view body, std::optional<int64_t> header_length);

// Request -> REST body. Tensors marked binary go to the binary section; `header_length` is
// set to the JSON header's size when there is one (the Inference-Header-Content-Length to send).
std::string EncodeRestResponse(const InferResponse& response, std::optional<int64_t>* header_length);
// The same for a request (the load generator and the tests' clients send through it).
std::string EncodeRestRequest(const InferRequest& request, bool binary_inputs, std::optional<int64_t>* header_length);
// REST response body -> response (the client side).
InferResponse ParseRestResponse(std::string_view body, std::optional<int64_t> header_length);

// A client's string (a tensor's name, an id) as it may appear in a one-line message: control
// characters escaped, at most 64 bytes.
std::string Printable(std::string_view s);

// The protocol's error body: {"error": "..."}.
std::string ErrorBody(std::string_view message);

}  // namespace sbe::serve
