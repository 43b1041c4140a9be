// Writes the golden fixture set: `make_golden_fixtures DIR` (tests/data/golden in the repo).
// Run only when the datapath's definition changes on purpose; the diff is the review.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "golden_cases.h"
#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/golden.h"

namespace {

template <typename T>
nlohmann::json Ints(const sbe::Tensor<T>& t) {
  return {{"shape", t.shape}, {"values", t.data}};
}

nlohmann::json Formats(const sbe::QuantizedModel& q) {
  nlohmann::json layers = nlohmann::json::array();
  for (int l = 0; l < q.shape.num_layers; ++l) {
    nlohmann::json cells = nlohmann::json::array();
    for (int d = 0; d < q.shape.directions(); ++d) {
      cells.push_back({q.cell(l, d).w_ih_format.frac_bits, q.cell(l, d).w_hh_format.frac_bits});
    }
    layers.push_back({{"input_frac_bits", q.layers[l].input_format.frac_bits},
                      {"input_limit", q.layers[l].input_limit},
                      {"h_frac_bits", q.layers[l].h_format.frac_bits},
                      {"weight_frac_bits", cells}});
  }
  return layers;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden_fixtures DIR\n");
    return 2;
  }
  try {
    for (const sbe::testing::GoldenCase& c : sbe::testing::MakeGoldenCases()) {
      const std::filesystem::path dir = std::filesystem::path(argv[1]) / c.name;
      std::filesystem::create_directories(dir);
      sbe::SaveSafetensors((dir / "model.safetensors").string(), c.model);
      sbe::WriteNpy((dir / "x.npy").string(), c.input.x);
      if (!c.input.h0.empty()) sbe::WriteNpy((dir / "h0.npy").string(), c.input.h0);
      if (!c.input.c0.empty()) sbe::WriteNpy((dir / "c0.npy").string(), c.input.c0);
      const sbe::QuantizedModel q = sbe::Calibrate(c.model, c.range);
      sbe::SaturationCounts counts;
      const sbe::FixedOutput out = sbe::RunGolden(q, sbe::QuantizeInput(q, c.input, &counts), &counts);
      const nlohmann::json j = {
          {"reverse", c.model.shape.reverse},
          {"input_range", {c.range.lo, c.range.hi}},
          {"seq_lens", c.input.seq_lens},
          {"formats", Formats(q)},
          {"saturation", {{"inputs", counts.inputs}, {"preacts", counts.preacts}}},
          {"expected", {{"y", Ints(out.y)}, {"h_n", Ints(out.h_n)}, {"c_n", Ints(out.c_n)}}}};
      std::ofstream(dir / "case.json") << j.dump() << "\n";
      std::printf("%-24s %s, saturated: %lld inputs, %lld pre-activations\n", c.name.c_str(),
                  c.model.shape.ToString().c_str(), static_cast<long long>(counts.inputs),
                  static_cast<long long>(counts.preacts));
    }
  } catch (const sbe::Error& e) {
    std::fprintf(stderr, "make_golden_fixtures: %s\n", e.what());
    return 1;
  }
  return 0;
}
