// Resolves a --model argument: a preset name, or a safetensors or ONNX file.
#include <filesystem>
#include <fstream>

#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/presets.h"

namespace sbe {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A safetensors file starts with an 8-byte header length and then '{'; anything else is
// tried as ONNX, whose protobuf has no magic number.
bool LooksLikeSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[9] = {};
  in.read(head, sizeof head);
  return in.gcount() == 9 && head[8] == '{';
}

}  // namespace

LstmModel LoadModel(const std::string& spec, uint64_t seed) {
  if (IsPreset(spec)) return MakePreset(spec, seed);
  std::error_code ec;
  if (!std::filesystem::exists(spec, ec)) {
    Fail("{}: no such file, and not a preset ({})", spec, PresetNames());
  }
  if (EndsWith(spec, ".safetensors")) return LoadSafetensors(spec);
  if (EndsWith(spec, ".onnx")) return LoadOnnx(spec);
  return LooksLikeSafetensors(spec) ? LoadSafetensors(spec) : LoadOnnx(spec);
}

}  // namespace sbe
