// Today's date as reports and cached measurements record it: YYYY-MM-DD, local time.
#pragma once

#include <ctime>
#include <string>

namespace sbe {

inline std::string Today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace sbe
