// The JSON texts of boards/*.json, compiled into the binary so presets need no install path.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sbe {

// (name, JSON text) for every boards/NAME.json at build time, sorted by name.
const std::vector<std::pair<std::string, std::string>>& BoardPresetTexts();

}  // namespace sbe
