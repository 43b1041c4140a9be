// ONNX import (temporary: being written).
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
LstmModel ParseOnnx(const std::string&, const std::string& name) {
  Fail("{}: ONNX import is not available in this build yet", name);
}
LstmModel LoadOnnx(const std::string& path) { return ParseOnnx(ReadFileBytes(path), path); }
}  // namespace sbe
