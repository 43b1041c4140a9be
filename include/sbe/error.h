// The one error type of sbe: a failure the user can cause (bad file, bad argument, impossible plan).
#pragma once

#include <fmt/format.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sbe {

// Errors carry one line that names the file or argument and the problem. Library code throws
// them; front-ends (the CLI, the tests) catch them at the top, so nothing deep inside exits.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void Fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Warnings (NaN in an input, saturated values) go to a sink the front-end chooses, so the library
// never writes to a stream itself. The default sink prints "sbe: warning: ..." on stderr;
// SetWarningSink(nullptr) restores it. Returns the sink it replaces, to put back after a scope.
// Sinks run under a lock: they must not wait for anything that may itself warn.
using WarningSink = std::function<void(std::string_view)>;
WarningSink SetWarningSink(WarningSink sink);
void Warn(std::string_view message);

// Something the user should know that is not a problem (a one-time measurement, where a
// file was kept): "sbe: note: ..." on stderr, or the sink SetNoteSink chose.
void SetNoteSink(WarningSink sink);
void Note(std::string_view message);

template <typename... Args>
void Warn(fmt::format_string<Args...> format, Args&&... args) {
  Warn(std::string_view(fmt::format(format, std::forward<Args>(args)...)));
}

}  // namespace sbe
