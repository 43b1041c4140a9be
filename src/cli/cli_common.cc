// Helpers shared by the subcommands of `sbe`.
#include "cli/cli_common.h"

#include <cstdio>

namespace sbe::cli {

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

nlohmann::json ModelJson(const LstmModel& model) {
  const LstmShape& s = model.shape;
  return {{"name", model.name},
          {"source", model.source},
          {"input_size", s.input_size},
          {"hidden_size", s.hidden_size},
          {"num_layers", s.num_layers},
          {"bidirectional", s.bidirectional},
          {"reverse", !s.bidirectional && s.reverse},
          {"bias", s.has_bias},
          {"weights", s.WeightCount()},
          {"default_steps", model.default_steps},
          {"batch_first", model.io.batch_first},
          {"onnx_outputs", model.io.onnx_outputs}};
}

std::string Examples(std::initializer_list<const char*> lines) {
  std::string s = "\nExamples:\n";
  for (const char* line : lines) s += std::string("  ") + line + "\n";
  return s;
}

}  // namespace sbe::cli
