// Board descriptions: parsing and validation of the JSON format, and the presets compiled in
// from boards/.
#include "sbe/board.h"

#include <fmt/ranges.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "plan/board_presets.h"
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

using nlohmann::json;

// Walks the document with a path for messages: "vx690t.json: dram.bandwidth_gbs: ...".
class Reader {
 public:
  Reader(const json& j, std::string name) : j_(j), name_(std::move(name)) {}

  const json& At(const std::string& path) const {
    const json* node = &j_;
    size_t start = 0;
    while (true) {
      const size_t dot = path.find('.', start);
      const std::string key = path.substr(start, dot - start);
      if (!node->is_object() || !node->contains(key)) Fail("{}: missing field '{}'", name_, path);
      node = &(*node)[key];
      if (dot == std::string::npos) return *node;
      start = dot + 1;
    }
  }
  double Positive(const std::string& path) const {
    const json& v = At(path);
    if (!v.is_number()) Fail("{}: field '{}' must be a number", name_, path);
    const double d = v.get<double>();
    if (!(d > 0) || !std::isfinite(d)) Fail("{}: field '{}' must be positive, not {}", name_, path, v.dump());
    return d;
  }
  int64_t PositiveInt(const std::string& path, int64_t max) const {
    const json& v = At(path);
    if (!v.is_number_integer()) Fail("{}: field '{}' must be an integer", name_, path);
    const int64_t i = v.get<int64_t>();
    if (i <= 0 || i > max) Fail("{}: field '{}' = {} is outside [1, {}]", name_, path, i, max);
    return i;
  }
  int64_t NonNegativeInt(const std::string& path, int64_t max) const {
    const json& v = At(path);
    if (!v.is_number_integer()) Fail("{}: field '{}' must be an integer", name_, path);
    const int64_t i = v.get<int64_t>();
    if (i < 0 || i > max) Fail("{}: field '{}' = {} is outside [0, {}]", name_, path, i, max);
    return i;
  }
  double NonNegative(const std::string& path) const {
    const json& v = At(path);
    if (!v.is_number() || v.get<double>() < 0) Fail("{}: field '{}' must be a number >= 0", name_, path);
    return v.get<double>();
  }
  std::string String(const std::string& path) const {
    const json& v = At(path);
    if (!v.is_string()) Fail("{}: field '{}' must be a string", name_, path);
    return v.get<std::string>();
  }

 private:
  const json& j_;
  std::string name_;
};

constexpr int64_t kTera = int64_t{1} << 40;

}  // namespace

double Board::words_per_cycle() const {
  return dram_gbs * 1e9 / word_bytes() / (clock_mhz * 1e6);
}

std::string Board::Summary() const {
  return fmt::format("{}: {} MHz, {} MACs/cycle ({:.0f} GOPS peak), {:.2f} MiB on-chip in {} memory "
                     "blocks, DRAM {:.1f} GB/s sustained ({:.1f} words/cycle), {:.1f} W",
                     name, clock_mhz, macs_per_cycle, peak_gops(), onchip_bytes / 1048576.0, memory_blocks(),
                     dram_gbs, words_per_cycle(), full_watts);
}

Board ParseBoard(const std::string& text, const std::string& name) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) Fail("{}: not a JSON object", name);
  const Reader r(j, name);
  Board b;
  b.name = r.String("name");
  b.description = j.contains("description") ? r.String("description") : "";
  b.part = j.contains("part") ? r.String("part") : "";
  const std::string kind = r.String("kind");
  if (kind == "cpu") {
    Fail("{}: kind \"cpu\": board files describe FPGAs; this machine is the board 'cpu' (measured)", name);
  }
  if (kind != "fpga") Fail("{}: field 'kind' must be \"fpga\"", name);
  b.kind = BoardKind::kFpga;
  b.clock_mhz = r.Positive("clock_mhz");
  if (b.clock_mhz > 10000) Fail("{}: clock_mhz {} is not a plausible clock", name, b.clock_mhz);
  b.macs_per_cycle = r.PositiveInt("pe.macs_per_cycle", int64_t{1} << 24);
  b.pe_counting = r.String("pe.counting");
  b.word_bits = static_cast<int>(r.PositiveInt("word_bits", 64));
  if (b.word_bits % 8 != 0) Fail("{}: word_bits {} is not a whole number of bytes", name, b.word_bits);
  b.bram36 = r.PositiveInt("onchip.bram36", 1 << 24);
  b.uram = r.NonNegativeInt("onchip.uram", 1 << 24);
  b.reserved_bram36 = r.NonNegativeInt("onchip.reserved_bram36", b.bram36 - 1);
  b.lutram_bytes = r.PositiveInt("onchip.lutram_kbits", 1 << 30) * 1024 / 8;
  b.onchip_bytes = (b.bram36 - b.reserved_bram36) * kBram36Bytes + b.uram * kUramBytes;
  b.dram_peak_gbs = r.Positive("dram.peak_gbs");
  b.dram_efficiency = r.Positive("dram.efficiency");
  if (b.dram_efficiency > 1) Fail("{}: field 'dram.efficiency' = {} is above 1", name, b.dram_efficiency);
  b.dram_gbs = b.dram_peak_gbs * b.dram_efficiency;
  b.dram_latency_ns = r.NonNegative("dram.latency_ns");
  b.dram_burst_bytes = r.PositiveInt("dram.burst_bytes", 1 << 20);
  b.dram_port_bits = static_cast<int>(r.PositiveInt("dram.port_bits", 1 << 16));
  b.static_watts = r.NonNegative("power.static_watts");
  b.full_watts = r.Positive("power.full_watts");
  if (b.full_watts < b.static_watts) {
    Fail("{}: power.full_watts {} is below power.static_watts {}", name, b.full_watts, b.static_watts);
  }
  b.mac_latency = static_cast<int>(r.PositiveInt("latency_cycles.mac", 1024));
  b.adder_latency = static_cast<int>(r.PositiveInt("latency_cycles.adder", 1024));
  b.activation_latency = static_cast<int>(r.PositiveInt("latency_cycles.activation", 1 << 16));
  // Optional: descriptions written before the simulator existed have a one-element tail.
  if (j.contains("tail")) {
    b.tail_elements_per_cycle = static_cast<int>(r.PositiveInt("tail.elements_per_cycle", 1 << 16));
  }
  // The port cannot deliver more than its width per cycle: a description claiming more
  // bandwidth than its port carries is impossible, not optimistic.
  const double port_gbs = b.dram_port_bits / 8.0 * b.clock_mhz * 1e-3;
  if (b.dram_gbs > port_gbs * 1.0001) {
    Fail("{}: dram.peak_gbs {} x efficiency {} exceeds what a {}-bit port carries at {} MHz ({:.1f} GB/s)",
         name, b.dram_peak_gbs, b.dram_efficiency, b.dram_port_bits, b.clock_mhz, port_gbs);
  }
  if (j.contains("sources") && j["sources"].is_object()) {
    for (const auto& [k, v] : j["sources"].items()) {
      if (v.is_string()) b.sources[k] = v.get<std::string>();
    }
  }
  return b;
}

nlohmann::json BoardJson(const Board& b) {
  return {{"name", b.name},
          {"description", b.description},
          {"kind", BoardKindName(b.kind)},
          {"part", b.part},
          {"clock_mhz", b.clock_mhz},
          {"macs_per_cycle", b.macs_per_cycle},
          {"pe_counting", b.pe_counting},
          {"word_bits", b.word_bits},
          {"dram_gbs", b.dram_gbs},
          {"dram_peak_gbs", b.dram_peak_gbs},
          {"dram_efficiency", b.dram_efficiency},
          {"onchip_bytes", b.onchip_bytes},
          {"bram36", b.bram36},
          {"uram", b.uram},
          {"reserved_bram36", b.reserved_bram36},
          {"lutram_bytes", b.lutram_bytes},
          {"static_watts", b.static_watts},
          {"full_watts", b.full_watts},
          {"peak_gops", b.peak_gops()}};
}

std::vector<std::string> BoardPresetNames() {
  std::vector<std::string> names;
  for (const auto& [n, _] : BoardPresetTexts()) names.push_back(n);
  return names;
}

Board LoadBoard(const std::string& spec) {
  for (const auto& [n, text] : BoardPresetTexts()) {
    if (n == spec) return ParseBoard(text, "board " + n);
  }
  if (spec.find('/') == std::string::npos && spec.find(".json") == std::string::npos) {
    Fail("board {}: not a preset ({}) nor a .json file", spec, fmt::join(BoardPresetNames(), ", "));
  }
  return ParseBoard(ReadFileBytes(spec, 1 << 20), spec);
}

}  // namespace sbe
