// The text of data/published.json, compiled into the binary (CMake), so that the report needs
// no file beside the binary.
#pragma once

namespace sbe {

const char* PublishedFiguresText();

}  // namespace sbe
