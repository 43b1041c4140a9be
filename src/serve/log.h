// Structured logs: one JSON object per line on stderr ({"ts", "level", "event", ...}), so that
// a log shipper or `jq` reads them without a parser of our own.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace sbe::serve {

void Log(const char* level, const std::string& event, nlohmann::json fields = nlohmann::json::object());

}  // namespace sbe::serve
