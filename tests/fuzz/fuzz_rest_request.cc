// libFuzzer target: the server's REST request reader (the Open Inference Protocol's JSON and
// binary-tensor bodies) must refuse any byte string with ServeError, one line, nothing else;
// what it accepts must be consistent tensors that encode and read back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sbe/tensor.h"
#include "serve/protocol.h"

using sbe::serve::InferRequest;
using sbe::serve::ParseRestRequest;
using sbe::serve::ServeError;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the Inference-Header-Content-Length (none when both are zero).
  const int64_t header = (int64_t{data[0]} << 8 | data[1]) - 1;
  const std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    const InferRequest r = ParseRestRequest(body, header < 0 ? std::nullopt : std::optional<int64_t>(header));
    for (const auto& t : r.inputs) {
      const size_t n = t.datatype == sbe::serve::DataType::kFp32 ? t.f32.size() : t.ints.size();
      if (static_cast<int64_t>(n) != sbe::CheckedNumElements(t.shape, "fuzz")) std::abort();
    }
    for (bool binary : {false, true}) {
      std::optional<int64_t> length;
      const std::string again = sbe::serve::EncodeRestRequest(r, binary, &length);
      const InferRequest back = ParseRestRequest(again, length);
      if (back.inputs.size() != r.inputs.size() || back.sequence.id != r.sequence.id) std::abort();
      for (size_t i = 0; i < r.inputs.size(); ++i) {
        if (back.inputs[i].shape != r.inputs[i].shape || back.inputs[i].ints != r.inputs[i].ints) std::abort();
        if (back.inputs[i].f32.size() != r.inputs[i].f32.size()) std::abort();
        if (!r.inputs[i].f32.empty() && std::memcmp(back.inputs[i].f32.data(), r.inputs[i].f32.data(), 4 * r.inputs[i].f32.size()) != 0) std::abort();
      }
    }
  } catch (const ServeError& e) {
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();
  }
  return 0;
}
