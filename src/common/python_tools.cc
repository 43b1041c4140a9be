// Running the Python tools (python_tools.h): quoting, capturing, one-line errors.
#include "common/python_tools.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sbe/error.h"

namespace sbe {
namespace {

namespace fs = std::filesystem;

// Single-quoted for the shell; a quote inside is closed, escaped and reopened.
std::string Quote(const std::string& v) {
  std::string q = "'";
  for (char c : v) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string ToolsDir() {
  if (const char* d = std::getenv("SBE_TOOLS_DIR"); d && *d) return d;
  return (fs::path(SBE_SOURCE_DIR) / "tools").string();
}

std::string RunPythonTool(const std::string& script, const std::vector<std::string>& args, const std::string& what) {
  const fs::path tool = fs::path(ToolsDir()) / script;
  if (!fs::exists(tool)) Fail("{} needs {}, which is not there (set SBE_TOOLS_DIR to sbe's tools/)", what, tool.string());
  const fs::path base = fs::temp_directory_path() /
                        fmt::format("sbe_tool_{}_{}", ::getpid(), std::hash<std::string>{}(script + what));
  const std::string out_path = base.string() + ".out", log_path = base.string() + ".log";
  std::string cmd = "/usr/bin/python3 " + Quote(tool.string());
  for (const std::string& a : args) cmd += " " + Quote(a);
  cmd += fmt::format(" > {} 2> {}", Quote(out_path), Quote(log_path));
  const int status = std::system(cmd.c_str());
  std::stringstream out;
  out << std::ifstream(out_path).rdbuf();
  // Keep errors to one line: the tool's last line says what went wrong.
  std::string last, line;
  for (std::ifstream log(log_path); std::getline(log, line);) {
    if (!line.empty()) last = line;
  }
  std::error_code ec;
  fs::remove(out_path, ec);
  fs::remove(log_path, ec);
  if (status != 0) Fail("{} failed: {}", what, last.empty() ? "/usr/bin/python3 did not run" : last);
  return out.str();
}

void RunPlotter(const std::string& script, const nlohmann::json& data, const std::string& out) {
  const std::string data_path = out + ".json";
  std::ofstream(data_path) << data.dump();
  try {
    RunPythonTool(script, {data_path, out}, out + ": plotting (needs /usr/bin/python3 with python3-matplotlib)");
  } catch (const Error&) {
    std::filesystem::remove(data_path);
    throw;
  }
  std::filesystem::remove(data_path);
}

}  // namespace sbe
