// The golden fixture cases, built from fixed seeds (see golden_cases.h).
#include "golden_cases.h"

#include "common/random.h"
#include "sbe/presets.h"

namespace sbe::testing {
namespace {

TensorF Uniform(std::vector<int64_t> shape, float amplitude, uint64_t seed) {
  TensorF t(std::move(shape));
  Random rng(seed);
  for (float& v : t.data) v = rng.Uniform(-amplitude, amplitude);
  return t;
}

GoldenCase Make(std::string name, LstmShape shape, int64_t T, int64_t B, uint64_t seed,
                bool with_state = false, InputRange range = {}) {
  GoldenCase c;
  c.name = std::move(name);
  c.model = MakeRandomModel(shape, seed, c.name);
  c.input.x = Uniform({T, B, shape.input_size}, static_cast<float>(range.max_abs()), seed + 1);
  if (with_state) {
    c.input.h0 = Uniform({shape.num_cells(), B, shape.hidden_size}, 0.9f, seed + 2);
    c.input.c0 = Uniform({shape.num_cells(), B, shape.hidden_size}, 3.0f, seed + 3);
  }
  c.range = range;
  return c;
}

}  // namespace

std::vector<GoldenCase> MakeGoldenCases() {
  std::vector<GoldenCase> cases;
  cases.push_back(Make("scalar", {1, 1, 1, false, true}, 1, 1, 10));
  cases.push_back(Make("awkward_state", {13, 7, 1, false, true}, 5, 3, 20, true));
  cases.push_back(Make("odd_sizes", {67, 37, 1, false, true}, 4, 5, 30, false, {-2.5, 2.5}));
  cases.push_back(Make("bidirectional_2layer", {11, 9, 2, true, true}, 6, 2, 40, true));
  GoldenCase deep = Make("deep_no_bias_lengths", {5, 17, 3, false, false}, 7, 4, 50);
  deep.input.seq_lens = {7, 3, 1, 5};
  cases.push_back(std::move(deep));
  GoldenCase rev = Make("reverse_lengths", {9, 6, 1, false, true}, 5, 3, 60, true);
  rev.model.shape.reverse = true;
  rev.input.seq_lens = {2, 5, 0};
  cases.push_back(std::move(rev));
  // Inputs far outside the calibrated range and weights large enough to clip pre-activations.
  GoldenCase sat = Make("saturating", {8, 5, 1, true, true}, 4, 2, 70, false, {-1, 1});
  for (CellWeights& w : sat.model.cells) {
    for (float& v : w.w_ih) v *= 40.0f;
    for (float& v : w.b_ih) v *= 20.0f;
  }
  for (size_t i = 0; i < sat.input.x.data.size(); i += 3) sat.input.x.data[i] *= 6.0f;
  cases.push_back(std::move(sat));
  return cases;
}

}  // namespace sbe::testing
