// Built-in models: the paper's LRCN layer, DeepBench's inference LSTMs, and the practice
// suite's LSTMs shaped like the ones deployed (speech encoders, NMT stacks, small sensor
// models, wide bidirectional layers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbe/lstm_io.h"
#include "sbe/model.h"

namespace sbe {

struct PresetInfo {
  std::string name;
  LstmShape shape;
  int steps;
  std::string description;
  int serving_batch = 0;  // practice presets: the batch the practice suite also runs them at
};

const std::vector<PresetInfo>& Presets();
bool IsPreset(const std::string& name);
// The preset of that name; throws Error listing the presets when there is none.
const PresetInfo& FindPreset(const std::string& name);
int PresetSteps(const std::string& name);
// DeepBench's inference LSTMs among the presets, by hidden size: the deepbench suite of
// `sbe bench` and `sbe report`.
std::vector<std::string> DeepBenchPresetNames();
// The practice suite's presets (`sbe bench --suite practice`).
std::vector<std::string> PracticePresetNames();
// "lrcn, deepbench-256, ..." for messages and help.
std::string PresetNames();
// Builds a preset with weights drawn from U(-1/sqrt(H), 1/sqrt(H)), as nn.LSTM initialises
// them, from a deterministic generator seeded with `seed`.
LstmModel MakePreset(const std::string& name, uint64_t seed);
// Same initialisation for any shape (tests, random models).
LstmModel MakeRandomModel(const LstmShape& shape, uint64_t seed, const std::string& name);

// Inputs x (steps, batch, shape.input_size) drawn from U[-1, 1), as `sbe run` makes them without
// --input; the generator's stream is apart from the one MakePreset draws weights from with the
// same seed. Throws Error on a shape too large to allocate.
LstmInput RandomLstmInput(const LstmShape& shape, int64_t steps, int64_t batch, uint64_t seed);

// Loads a preset name, or a .safetensors / .onnx file (by extension, else by content).
LstmModel LoadModel(const std::string& spec, uint64_t seed = 0);

}  // namespace sbe
