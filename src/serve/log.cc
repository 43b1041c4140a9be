#include "serve/log.h"

#include <chrono>
#include <cstdio>
#include <fmt/chrono.h>
#include <mutex>

namespace sbe::serve {

void Log(const char* level, const std::string& event, nlohmann::json fields) {
  const auto now = std::chrono::system_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  nlohmann::json line = {{"ts", fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(now)), micros)},
                         {"level", level},
                         {"event", event}};
  for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace sbe::serve
