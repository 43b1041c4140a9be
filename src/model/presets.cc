// Built-in models: the paper's LRCN layer and DeepBench's inference LSTMs, seeded weights.
#include "sbe/presets.h"

#include <cmath>

#include <fmt/ranges.h>

#include "common/random.h"
#include "sbe/error.h"

namespace sbe {

const std::vector<PresetInfo>& Presets() {
  // LRCN: 4 * 256 * (1792 + 256) = 2^21 weights per frame and 32 frames (PAPER.md, "The
  // workload"). DeepBench's inference LSTMs: input = hidden, one layer, its sequence lengths.
  static const std::vector<PresetInfo> presets = {
      {"lrcn", {1792, 256, 1, false, true}, 32,
       "LRCN activity recognition (the paper's workload): 2^21 weights per frame, 32 frames"},
      {"deepbench-256", {256, 256, 1, false, true}, 150, "DeepBench inference LSTM, hidden 256"},
      {"deepbench-512", {512, 512, 1, false, true}, 25, "DeepBench inference LSTM, hidden 512"},
      {"deepbench-1024", {1024, 1024, 1, false, true}, 25,
       "DeepBench inference LSTM, hidden 1024"},
      {"deepbench-1536", {1536, 1536, 1, false, true}, 50,
       "DeepBench inference LSTM, hidden 1536"},
      {"deepbench-2048", {2048, 2048, 1, false, true}, 25,
       "DeepBench inference LSTM, hidden 2048"},
  };
  return presets;
}

bool IsPreset(const std::string& name) {
  for (const PresetInfo& p : Presets()) {
    if (p.name == name) return true;
  }
  return false;
}

LstmInput RandomLstmInput(const LstmShape& shape, int64_t steps, int64_t batch, uint64_t seed) {
  LstmInput in;
  in.x = TensorF({steps, batch, shape.input_size});
  Random rng(seed ^ 0x9e3779b97f4a7c15ull);
  for (float& v : in.x.data) v = rng.Uniform(-1.0f, 1.0f);
  return in;
}

const PresetInfo& FindPreset(const std::string& name) {
  for (const PresetInfo& p : Presets()) {
    if (p.name == name) return p;
  }
  Fail("model {}: not a preset ({})", name, PresetNames());
}

int PresetSteps(const std::string& name) { return FindPreset(name).steps; }

std::vector<std::string> DeepBenchPresetNames() {
  std::vector<std::string> names;
  for (const PresetInfo& p : Presets()) {
    if (p.name.rfind("deepbench-", 0) == 0) names.push_back(p.name);
  }
  return names;
}

std::string PresetNames() {
  std::vector<std::string> names;
  for (const PresetInfo& p : Presets()) names.push_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

LstmModel MakeRandomModel(const LstmShape& shape, uint64_t seed, const std::string& name) {
  LstmModel model;
  model.name = name;
  model.source = name;
  model.shape = shape;
  Random rng(seed);
  // nn.LSTM.reset_parameters: every weight and bias ~ U(-k, k), k = 1/sqrt(hidden_size).
  const float k = static_cast<float>(1.0 / std::sqrt(static_cast<double>(shape.hidden_size)));
  auto draw = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = rng.Uniform(-k, k);
    return v;
  };
  const size_t rows = static_cast<size_t>(shape.GateRows());
  for (int layer = 0; layer < shape.num_layers; ++layer) {
    for (int dir = 0; dir < shape.directions(); ++dir) {
      CellWeights c;
      c.w_ih = draw(rows * shape.LayerInputSize(layer));
      c.w_hh = draw(rows * shape.hidden_size);
      if (shape.has_bias) {
        c.b_ih = draw(rows);
        c.b_hh = draw(rows);
      }
      model.cells.push_back(std::move(c));
    }
  }
  model.Validate();
  return model;
}

LstmModel MakePreset(const std::string& name, uint64_t seed) {
  for (const PresetInfo& p : Presets()) {
    if (p.name != name) continue;
    LstmModel model = MakeRandomModel(p.shape, seed, p.name);
    model.source = "preset";
    model.default_steps = p.steps;
    return model;
  }
  Fail("unknown preset '{}' (presets: {})", name, PresetNames());
}

}  // namespace sbe
