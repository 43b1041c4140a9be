#include "hw/activation_tables.h"

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "numeric/datapath-inl.h"
#include "sbe/error.h"

namespace sbe::hw {

std::string ActivationTableMem(const fx::ActivationTable& table) {
  const fx::HWY_NAMESPACE::PackedTable packed = fx::HWY_NAMESPACE::Pack(table);
  std::string text = "// sbe activation table: entry k = (T[k+1] - T[k]) << 16 | T[k]\n";
  text.reserve(text.size() + fx::kSegments * 9);
  for (const int32_t entry : packed.entry) text += fmt::format("{:08x}\n", static_cast<uint32_t>(entry));
  return text;
}

void WriteActivationTables(const std::string& dir) {
  const auto write = [&](const char* name, const fx::ActivationTable& table) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << ActivationTableMem(table);
    out.close();
    if (!out) Fail("{}: cannot write the activation table", path);
  };
  write("sigmoid.mem", fx::SigmoidTable());
  write("tanh.mem", fx::TanhTable());
}

}  // namespace sbe::hw
