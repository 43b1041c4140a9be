// Board descriptions: the presets and every way a description can be wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plan/board_presets.h"
#include "sbe/board.h"
#include "sbe/error.h"

namespace sbe {
namespace {

std::string Vx690tText() {
  for (const auto& [name, text] : BoardPresetTexts()) {
    if (name == "vx690t") return text;
  }
  return "";
}

TEST(Board, PaperBoardsCarryDatasheetFigures) {
  const Board v = LoadBoard("vx690t");
  EXPECT_EQ(v.clock_mhz, 125);
  // 1470 BRAM36 of 4096 usable bytes each (the parity bits hold no 16-bit words), less the
  // blocks kept for the memory controller and DMA.
  EXPECT_EQ(v.bram36, 1470);
  EXPECT_EQ(v.onchip_bytes, (1470 - v.reserved_bram36) * 4096);
  EXPECT_GT(v.reserved_bram36, 0);
  EXPECT_EQ(v.lutram_bytes, int64_t{10888} * 1024 / 8);
  // DRAM rates are sustained: the peak times the controller's efficiency.
  EXPECT_NEAR(v.dram_gbs, v.dram_peak_gbs * v.dram_efficiency, 1e-9);
  EXPECT_LT(v.dram_efficiency, 1.0);
  EXPECT_NEAR(v.words_per_cycle(), 29.86e9 * v.dram_efficiency / 2 / 125e6, 1e-9);  // N_t
  EXPECT_NEAR(v.peak_gops(), 512.0, 1e-9);
  const Board z = LoadBoard("z7045");
  EXPECT_EQ(z.clock_mhz, 142);
  EXPECT_LE(z.macs_per_cycle, 900);  // the XC7Z045 has 900 DSP48E1
  EXPECT_EQ(z.onchip_bytes, (545 - z.reserved_bram36) * 4096);
  // The small, cheap board of the RTL (XC7A100T: 240 DSP48E1, 135 BRAM36, 16-bit DDR3L).
  const Board a = LoadBoard("arty-a7-100t");
  EXPECT_LE(a.macs_per_cycle, 240);
  EXPECT_EQ(a.bram36, 135);
  EXPECT_LT(a.dram_gbs, 1.4);
  for (const std::string& name : BoardPresetNames()) {
    const Board b = LoadBoard(name);
    EXPECT_GT(b.words_per_cycle(), 0) << name;
    EXPECT_FALSE(b.sources.empty()) << name << " must cite its figures";
  }
}

void ExpectRefused(const std::function<void(nlohmann::json&)>& edit, const std::string& word) {
  nlohmann::json j = nlohmann::json::parse(Vx690tText());
  edit(j);
  try {
    ParseBoard(j.dump(), "bad.json");
    ADD_FAILURE() << "accepted; expected an error about " << word;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("bad.json"), std::string::npos) << what;
    EXPECT_NE(what.find(word), std::string::npos) << what;
  }
}

TEST(Board, RefusesBadDescriptions) {
  ExpectRefused([](nlohmann::json& j) { j.erase("clock_mhz"); }, "clock_mhz");
  ExpectRefused([](nlohmann::json& j) { j["dram"].erase("peak_gbs"); }, "dram.peak_gbs");
  ExpectRefused([](nlohmann::json& j) { j["dram"]["peak_gbs"] = 0; }, "dram.peak_gbs");
  ExpectRefused([](nlohmann::json& j) { j["dram"]["peak_gbs"] = -3; }, "dram.peak_gbs");
  ExpectRefused([](nlohmann::json& j) { j["dram"]["peak_gbs"] = "fast"; }, "dram.peak_gbs");
  ExpectRefused([](nlohmann::json& j) { j["dram"]["efficiency"] = 1.2; }, "dram.efficiency");
  ExpectRefused([](nlohmann::json& j) { j["dram"].erase("efficiency"); }, "dram.efficiency");
  ExpectRefused([](nlohmann::json& j) { j["pe"]["macs_per_cycle"] = 0; }, "pe.macs_per_cycle");
  ExpectRefused([](nlohmann::json& j) { j["pe"]["macs_per_cycle"] = 12.5; }, "pe.macs_per_cycle");
  ExpectRefused([](nlohmann::json& j) { j["onchip"]["bram36"] = -1; }, "onchip.bram36");
  ExpectRefused([](nlohmann::json& j) { j["onchip"] = {{"bytes", 1}}; }, "onchip.bram36");
  ExpectRefused([](nlohmann::json& j) { j["onchip"]["reserved_bram36"] = 1470; }, "onchip.reserved_bram36");
  ExpectRefused([](nlohmann::json& j) { j["onchip"].erase("lutram_kbits"); }, "onchip.lutram_kbits");
  ExpectRefused([](nlohmann::json& j) { j["power"]["full_watts"] = 1; }, "full_watts");
  ExpectRefused([](nlohmann::json& j) { j["dram"]["port_bits"] = 64; }, "port");
  ExpectRefused([](nlohmann::json& j) { j["kind"] = "gpu"; }, "kind");
  ExpectRefused([](nlohmann::json& j) { j["kind"] = "cpu"; }, "board 'cpu'");
  ExpectRefused([](nlohmann::json& j) { j["word_bits"] = 12; }, "word_bits");
  EXPECT_THROW(ParseBoard("{not json", "broken.json"), Error);
  EXPECT_THROW(LoadBoard("vx690"), Error);  // a typo of a preset
  EXPECT_THROW(LoadBoard("/nonexistent/board.json"), Error);
}

}  // namespace
}  // namespace sbe
