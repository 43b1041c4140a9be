// The REST encoding of the Open Inference Protocol: JSON tensors and the binary-tensor extension.
#include "serve/protocol.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "sbe/error.h"
#include "sbe/tensor.h"

namespace sbe::serve {

using nlohmann::json;

int HttpCode(Status s) {
  switch (s) {
    case Status::kInvalid: return 400;
    case Status::kUnauthenticated: return 401;
    case Status::kNotFound: return 404;
    case Status::kTooLarge: return 413;
    case Status::kExhausted: return 429;
    case Status::kUnavailable: return 503;
    case Status::kInternal: return 500;
  }
  return 500;
}

const char* StatusName(Status s) {
  switch (s) {
    case Status::kInvalid: return "invalid";
    case Status::kUnauthenticated: return "unauthenticated";
    case Status::kNotFound: return "not_found";
    case Status::kTooLarge: return "too_large";
    case Status::kExhausted: return "exhausted";
    case Status::kUnavailable: return "unavailable";
    case Status::kInternal: return "internal";
  }
  return "internal";
}

std::optional<DataType> ParseDataType(std::string_view name) {
  if (name == "FP32") return DataType::kFp32;
  if (name == "INT32") return DataType::kInt32;
  if (name == "INT64") return DataType::kInt64;
  return std::nullopt;
}

const char* DataTypeName(DataType t) {
  switch (t) {
    case DataType::kFp32: return "FP32";
    case DataType::kInt32: return "INT32";
    case DataType::kInt64: return "INT64";
  }
  return "FP32";
}

int64_t ElementBytes(DataType t) { return t == DataType::kInt64 ? 8 : 4; }

namespace {

int64_t NumElements(const std::vector<int64_t>& shape, const std::string& what) {
  try {
    return CheckedNumElements(shape, what);
  } catch (const Error& e) {
    Invalid(e.what());
  }
}

std::vector<int64_t> ReadShape(const json& t, const std::string& what) {
  const auto it = t.find("shape");
  if (it == t.end() || !it->is_array()) Invalid(what + ": 'shape' must be an array of integers");
  std::vector<int64_t> shape;
  for (const json& d : *it) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) Invalid(what + ": 'shape' must be an array of integers >= 0");
    shape.push_back(d.get<int64_t>());
  }
  return shape;
}

// Row-major values from `data`, flat or nested as the shape (the protocol allows both).
void Flatten(const json& data, Tensor* t, size_t depth, int64_t limit, const std::string& what) {
  if (data.is_array()) {
    if (depth >= t->shape.size() && !t->shape.empty()) Invalid(what + ": 'data' is nested deeper than its shape");
    for (const json& v : data) Flatten(v, t, depth + 1, limit, what);
    return;
  }
  const int64_t have = static_cast<int64_t>(t->datatype == DataType::kFp32 ? t->f32.size() : t->ints.size());
  if (have >= limit) Invalid(fmt::format("{}: 'data' has more than the shape's {} values", what, limit));
  if (t->datatype == DataType::kFp32) {
    if (!data.is_number()) Invalid(what + ": FP32 'data' must hold numbers");
    const double v = data.get<double>();
    if (!(std::fabs(v) <= std::numeric_limits<float>::max())) Invalid(fmt::format("{}: {} is out of FP32's range", what, v));
    t->f32.push_back(static_cast<float>(v));
  } else {
    if (!data.is_number_integer()) Invalid(fmt::format("{}: {} 'data' must hold integers", what, DataTypeName(t->datatype)));
    t->ints.push_back(data.get<int64_t>());
  }
}

void ReadBinary(std::string_view bytes, Tensor* t) {
  if (bytes.empty()) return;  // a tensor with a zero dimension (memcpy must not see null)
  const int64_t n = static_cast<int64_t>(bytes.size()) / ElementBytes(t->datatype);
  if (t->datatype == DataType::kFp32) {
    t->f32.resize(n);
    std::memcpy(t->f32.data(), bytes.data(), bytes.size());
  } else if (t->datatype == DataType::kInt32) {
    t->ints.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      int32_t v;
      std::memcpy(&v, bytes.data() + 4 * i, 4);
      t->ints[i] = v;
    }
  } else {
    t->ints.resize(n);
    std::memcpy(t->ints.data(), bytes.data(), bytes.size());
  }
}

void WriteBinary(const Tensor& t, std::string* out) {
  if (t.f32.empty() && t.ints.empty()) return;
  if (t.datatype == DataType::kFp32) {
    out->append(reinterpret_cast<const char*>(t.f32.data()), t.f32.size() * sizeof(float));
  } else if (t.datatype == DataType::kInt32) {
    for (int64_t v : t.ints) {
      const int32_t w = static_cast<int32_t>(v);
      out->append(reinterpret_cast<const char*>(&w), 4);
    }
  } else {
    out->append(reinterpret_cast<const char*>(t.ints.data()), t.ints.size() * 8);
  }
}

bool BoolParameter(const json& params, const char* key, const std::string& where) {
  const auto it = params.find(key);
  if (it == params.end()) return false;
  if (!it->is_boolean()) Invalid(fmt::format("{}: parameter '{}' must be true or false", where, key));
  return it->get<bool>();
}

json ParseJson(std::string_view text, const char* what) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    Invalid(fmt::format("{}: malformed JSON at byte {}", what, e.byte));
  } catch (const json::exception&) {  // a number too large for a double
    Invalid(fmt::format("{}: a number out of range", what));
  }
}

// The JSON part and the binary part of a body.
std::pair<std::string_view, std::string_view> SplitBody(std::string_view body, std::optional<int64_t> header_length) {
  if (!header_length) return {body, {}};
  if (*header_length < 0 || *header_length > static_cast<int64_t>(body.size())) {
    Invalid(fmt::format("Inference-Header-Content-Length {} is outside the body's {} bytes", *header_length, body.size()));
  }
  return {body.substr(0, *header_length), body.substr(*header_length)};
}

// Reads the tensors of "inputs" (a request) or "outputs" (a response), taking binary data from
// `binary` in order.
std::vector<Tensor> ReadTensors(const json& list, std::string_view binary, const char* field) {
  if (!list.is_array()) Invalid(fmt::format("'{}' must be an array of tensors", field));
  std::vector<Tensor> tensors;
  size_t offset = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& j = list[i];
    if (!j.is_object()) Invalid(fmt::format("{}[{}]: must be an object", field, i));
    Tensor t;
    const auto name = j.find("name");
    if (name == j.end() || !name->is_string()) Invalid(fmt::format("{}[{}]: 'name' must be a string", field, i));
    t.name = name->get<std::string>();
    const std::string what = fmt::format("{} '{}'", field == std::string("inputs") ? "input" : "output", Printable(t.name));
    const auto type = j.find("datatype");
    if (type == j.end() || !type->is_string()) Invalid(what + ": 'datatype' must be a string");
    const auto dt = ParseDataType(type->get<std::string>());
    if (!dt) Invalid(fmt::format("{}: datatype {} is not one of FP32, INT32, INT64", what, type->get<std::string>()));
    t.datatype = *dt;
    t.shape = ReadShape(j, what);
    const int64_t n = NumElements(t.shape, what);
    const auto params = j.find("parameters");
    std::optional<int64_t> binary_size;
    if (params != j.end()) {
      if (!params->is_object()) Invalid(what + ": 'parameters' must be an object");
      const auto size = params->find("binary_data_size");
      if (size != params->end()) {
        if (!size->is_number_integer() || size->get<int64_t>() < 0) Invalid(what + ": 'binary_data_size' must be an integer >= 0");
        binary_size = size->get<int64_t>();
      }
    }
    if (binary_size) {
      if (*binary_size != n * ElementBytes(t.datatype)) {
        Invalid(fmt::format("{}: binary_data_size {} is not the {} bytes of shape {} in {}", what, *binary_size,
                            n * ElementBytes(t.datatype), ShapeToString(t.shape), DataTypeName(t.datatype)));
      }
      if (offset + *binary_size > binary.size()) {
        Invalid(fmt::format("{}: binary data runs past the body ({} bytes after the JSON header)", what, binary.size()));
      }
      ReadBinary(binary.substr(offset, *binary_size), &t);
      offset += *binary_size;
    } else {
      const auto data = j.find("data");
      if (data == j.end()) Invalid(what + ": neither 'data' nor parameters.binary_data_size");
      Flatten(*data, &t, 0, n, what);
      const size_t got = t.datatype == DataType::kFp32 ? t.f32.size() : t.ints.size();
      if (static_cast<int64_t>(got) != n) {
        Invalid(fmt::format("{}: 'data' has {} values, shape {} needs {}", what, got, ShapeToString(t.shape), n));
      }
    }
    tensors.push_back(std::move(t));
  }
  if (offset != binary.size()) Invalid(fmt::format("{} bytes of binary data belong to no tensor", binary.size() - offset));
  return tensors;
}

json TensorJson(const Tensor& t, std::string* binary) {
  json j = {{"name", t.name}, {"datatype", DataTypeName(t.datatype)}, {"shape", t.shape}};
  if (t.binary && binary) {
    const size_t before = binary->size();
    WriteBinary(t, binary);
    j["parameters"] = {{"binary_data_size", binary->size() - before}};
  } else if (t.datatype == DataType::kFp32) {
    j["data"] = t.f32;
  } else {
    j["data"] = t.ints;
  }
  return j;
}

std::string Assemble(const json& header, const std::string& binary, std::optional<int64_t>* header_length) {
  std::string body = header.dump(-1, ' ', false, json::error_handler_t::replace);
  if (binary.empty()) {
    header_length->reset();
    return body;
  }
  *header_length = static_cast<int64_t>(body.size());
  body += binary;
  return body;
}

}  // namespace

InferRequest ParseRestRequest(std::string_view body, std::optional<int64_t> header_length) {
  const auto [text, binary] = SplitBody(body, header_length);
  const json j = ParseJson(text, "request body");
  if (!j.is_object()) Invalid("request body: expected a JSON object");
  InferRequest r;
  if (const auto id = j.find("id"); id != j.end()) {
    if (!id->is_string()) Invalid("'id' must be a string");
    r.id = id->get<std::string>();
  }
  if (const auto params = j.find("parameters"); params != j.end()) {
    if (!params->is_object()) Invalid("'parameters' must be an object");
    if (const auto seq = params->find("sequence_id"); seq != params->end()) {
      if (seq->is_string()) {
        r.sequence.id = seq->get<std::string>();
      } else if (seq->is_number_unsigned()) {
        r.sequence.id = std::to_string(seq->get<uint64_t>());
      } else {
        Invalid("parameter 'sequence_id' must be a string or an unsigned integer");
      }
      // Triton's convention: id 0 (or "") is no sequence.
      if (r.sequence.id == "0") r.sequence.id.clear();
    }
    r.sequence.start = BoolParameter(*params, "sequence_start", "request");
    r.sequence.end = BoolParameter(*params, "sequence_end", "request");
    r.binary_outputs = BoolParameter(*params, "binary_data_output", "request");
  }
  const auto inputs = j.find("inputs");
  if (inputs == j.end()) Invalid("request body: no 'inputs'");
  r.inputs = ReadTensors(*inputs, binary, "inputs");
  if (const auto outputs = j.find("outputs"); outputs != j.end()) {
    if (!outputs->is_array()) Invalid("'outputs' must be an array");
    for (size_t i = 0; i < outputs->size(); ++i) {
      const json& o = (*outputs)[i];
      if (!o.is_object() || !o.contains("name") || !o["name"].is_string()) Invalid(fmt::format("outputs[{}]: 'name' must be a string", i));
      RequestedOutput out{o["name"].get<std::string>(), r.binary_outputs};
      if (const auto params = o.find("parameters"); params != o.end()) {
        if (!params->is_object()) Invalid(fmt::format("output '{}': 'parameters' must be an object", Printable(out.name)));
        if (params->contains("binary_data")) out.binary = BoolParameter(*params, "binary_data", "output '" + Printable(out.name) + "'");
      }
      r.outputs.push_back(std::move(out));
    }
  }
  return r;
}

std::string EncodeRestResponse(const InferResponse& response, std::optional<int64_t>* header_length) {
  std::string binary;
  json j = {{"model_name", response.model}, {"outputs", json::array()}};
  if (!response.id.empty()) j["id"] = response.id;
  for (const Tensor& t : response.outputs) j["outputs"].push_back(TensorJson(t, &binary));
  return Assemble(j, binary, header_length);
}

std::string EncodeRestRequest(const InferRequest& request, bool binary_inputs, std::optional<int64_t>* header_length) {
  std::string binary;
  json j = {{"inputs", json::array()}};
  if (!request.id.empty()) j["id"] = request.id;
  json params = json::object();
  if (!request.sequence.id.empty()) {
    params["sequence_id"] = request.sequence.id;
    params["sequence_start"] = request.sequence.start;
    params["sequence_end"] = request.sequence.end;
  }
  if (request.binary_outputs) params["binary_data_output"] = true;
  if (!params.empty()) j["parameters"] = params;
  for (Tensor t : request.inputs) {
    t.binary = binary_inputs;
    j["inputs"].push_back(TensorJson(t, &binary));
  }
  for (const RequestedOutput& o : request.outputs) {
    j["outputs"].push_back({{"name", o.name}, {"parameters", {{"binary_data", o.binary}}}});
  }
  return Assemble(j, binary, header_length);
}

InferResponse ParseRestResponse(std::string_view body, std::optional<int64_t> header_length) {
  const auto [text, binary] = SplitBody(body, header_length);
  const json j = ParseJson(text, "response body");
  if (!j.is_object()) Invalid("response body: expected a JSON object");
  if (j.contains("error")) Invalid("response: " + j["error"].dump());
  InferResponse r;
  r.model = j.value("model_name", "");
  r.id = j.value("id", "");
  if (!j.contains("outputs")) Invalid("response body: no 'outputs'");
  r.outputs = ReadTensors(j["outputs"], binary, "outputs");
  return r;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return s.size() > 64 ? out + "..." : out;
}

std::string ErrorBody(std::string_view message) { return json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace sbe::serve
