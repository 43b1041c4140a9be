// Loads the golden fixtures and checks an executor's integers against them.
#include "golden_contract.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sbe/formats.h"

namespace sbe::testing {
namespace {

template <typename T>
void ExpectTensor(const Tensor<T>& got, const nlohmann::json& want, const std::string& what) {
  ASSERT_EQ(got.shape, want["shape"].get<std::vector<int64_t>>()) << what;
  const std::vector<T> values = want["values"].get<std::vector<T>>();
  ASSERT_EQ(got.data.size(), values.size()) << what;
  size_t mismatches = 0, first = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (got.data[i] != values[i] && mismatches++ == 0) first = i;
  }
  EXPECT_EQ(mismatches, 0u) << what << ": first mismatch at " << first << ": got "
                            << +got.data[first] << ", golden " << +values[first];
}

}  // namespace

std::string GoldenFixtureDir() { return std::string(SBE_TEST_DATA_DIR) + "/golden"; }

std::vector<std::string> GoldenCaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(GoldenFixtureDir())) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ExpectBitExactOnGoldenFixtures(const FixedRunner& run) {
  const std::vector<std::string> names = GoldenCaseNames();
  ASSERT_GE(names.size(), 7u) << "golden fixtures missing under " << GoldenFixtureDir();
  for (const std::string& name : names) {
    SCOPED_TRACE("golden case " + name);
    const std::filesystem::path dir = std::filesystem::path(GoldenFixtureDir()) / name;
    nlohmann::json c;
    std::ifstream(dir / "case.json") >> c;
    LstmModel model = LoadSafetensors((dir / "model.safetensors").string());
    model.shape.reverse = c["reverse"].get<bool>();
    LstmInput in;
    in.x = ReadNpyFloat((dir / "x.npy").string());
    if (std::filesystem::exists(dir / "h0.npy")) in.h0 = ReadNpyFloat((dir / "h0.npy").string());
    if (std::filesystem::exists(dir / "c0.npy")) in.c0 = ReadNpyFloat((dir / "c0.npy").string());
    in.seq_lens = c["seq_lens"].get<std::vector<int64_t>>();
    const QuantizedModel q = Calibrate(model, {c["input_range"][0], c["input_range"][1]});
    for (int l = 0; l < q.shape.num_layers; ++l) {
      const nlohmann::json& f = c["formats"][l];
      EXPECT_EQ(q.layers[l].input_format.frac_bits, f["input_frac_bits"].get<int>());
      EXPECT_EQ(q.layers[l].input_limit, f["input_limit"].get<int64_t>());
      EXPECT_EQ(q.layers[l].h_format.frac_bits, f["h_frac_bits"].get<int>());
      for (int d = 0; d < q.shape.directions(); ++d) {
        EXPECT_EQ(q.cell(l, d).w_ih_format.frac_bits, f["weight_frac_bits"][d][0].get<int>());
        EXPECT_EQ(q.cell(l, d).w_hh_format.frac_bits, f["weight_frac_bits"][d][1].get<int>());
      }
    }
    SaturationCounts counts;
    const FixedOutput out = run(q, QuantizeInput(q, in, &counts));
    EXPECT_EQ(counts.inputs, c["saturation"]["inputs"].get<int64_t>());
    ExpectTensor(out.y, c["expected"]["y"], "y");
    ExpectTensor(out.h_n, c["expected"]["h_n"], "h_n");
    ExpectTensor(out.c_n, c["expected"]["c_n"], "c_n");
  }
}

}  // namespace sbe::testing
