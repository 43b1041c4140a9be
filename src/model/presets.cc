// Built-in models (sbe/presets.h), seeded weights.
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
      // The practice suite: shapes of LSTMs in production, where the input is not the hidden
      // size, layers are stacked, directions paired, and small models run long sequences.
      {"speech-3x320-bi", {80, 320, 3, true, true}, 100,
       "speech encoder: 80 log-mel features, 3 bidirectional layers of 320, 1 s of 10 ms frames", 16},
      {"speech-4x256-bi", {40, 256, 4, true, true}, 200,
       "speech encoder: 40 filterbank features, 4 bidirectional layers of 256, 2 s", 16},
      {"speech-5x512-bi", {161, 512, 5, true, true}, 50,
       "DeepSpeech2-sized encoder: 161-bin spectrogram, 5 bidirectional layers of 512", 16},
      {"nmt-4x1024", {1024, 1024, 4, false, true}, 30, "NMT encoder stack: 4 layers of 1024 (GNMT-sized), 30 tokens", 16},
      {"nmt-8x512", {512, 512, 8, false, true}, 30, "NMT stack: 8 layers of 512, 30 tokens", 16},
      {"wide-bi-1024", {512, 1024, 1, true, true}, 50, "wide bidirectional layer: input 512, hidden 1024", 8},
      {"sensor-2x128", {40, 128, 2, false, true}, 500, "sensor model: 40 channels, 2 layers of 128, 500 samples", 64},
      {"sensor-1x64", {16, 64, 1, false, true}, 1000, "sensor model: 16 channels, hidden 64, 1000 samples", 64},
      {"keyword-1x32", {8, 32, 1, false, true}, 1000, "tiny always-on model: 8 features, hidden 32, 1000 steps", 64},
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

std::vector<std::string> PracticePresetNames() {
  std::vector<std::string> names;
  for (const PresetInfo& p : Presets()) {
    if (p.serving_batch > 0) names.push_back(p.name);
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
