// The Python helpers under tools/ (the plotters, PyTorch's side of `sbe bench`), run with
// Debian's /usr/bin/python3. Only figures and the PyTorch anchor need them: every number sbe
// reports is computed in C++.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sbe {

// The folder of the tools: $SBE_TOOLS_DIR when set, else the source tree's tools/ (compiled in).
std::string ToolsDir();
// Runs tools/SCRIPT with the given arguments (each quoted) and returns its stdout. On failure
// throws Error "WHAT failed: <the tool's last line>".
std::string RunPythonTool(const std::string& script, const std::vector<std::string>& args, const std::string& what);
// Writes `data` beside `out` as JSON and runs tools/SCRIPT DATA OUT (a plotter); the data file
// is removed after. Throws Error naming `out` when the plot cannot be drawn.
void RunPlotter(const std::string& script, const nlohmann::json& data, const std::string& out);

}  // namespace sbe
