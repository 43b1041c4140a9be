// Helpers shared by the file-format readers and writers (reads go through ReadFileBytes).
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <string_view>

#include "sbe/error.h"

namespace sbe {

// Writes `bytes` to `path`, replacing the file; throws Error naming the path on failure.
inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) Fail("{}: cannot open for writing", path);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  f.close();
  if (!f) Fail("{}: write error", path);
}

// A string read from a file (a tensor name, a dtype) as it may appear in an error message,
// which must stay one short line whatever the file holds: control bytes escaped as \xNN,
// and cut after 100 bytes.
inline std::string Printable(std::string_view s) {
  constexpr size_t kMaxShown = 100;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxShown) out += "...";
  return out;
}

}  // namespace sbe
