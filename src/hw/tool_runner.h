// Running the hardware tools (Verilator, Yosys, a built simulation): an argument vector, never
// a shell string, so that no path is ever parsed by a shell; output to a log file; a timeout
// that ends the whole process group (make and the compilers under Verilator, too).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sbe::hw {

struct ToolCommand {
  std::vector<std::string> argv;  // argv[0]: a program on PATH, or a path to one
  std::string work_dir;           // empty: the current directory
  std::string log_path;           // stdout and stderr (truncated first); empty: discarded
  double timeout_s = 0;           // 0: none; past it the process group is killed
  // Called every progress_every_s seconds while the program runs (long work says where it is).
  std::function<void(double elapsed_s)> progress;
  double progress_every_s = 60;
};

// The program's path: argv0 itself when it holds a '/', else the first executable of that name
// on PATH; empty when there is none.
std::string FindProgram(const std::string& program);
// What to do when `program` is missing: "install Debian's yosys (scripts/setup.sh does)".
std::string InstallHint(const std::string& program);

// Runs the command to its end and returns its exit status (128 + N when signal N ended it).
// Throws Error when the program is not found ("yosys not found: install ..."), cannot start,
// or runs past the timeout (its process group is then killed).
int RunProgram(const ToolCommand& c);
// RunProgram, where a non-zero status is an Error (FailureMessage).
void RunChecked(const ToolCommand& c);
// Runs argv and returns its stdout and stderr; a non-zero status is an Error.
std::string CaptureOutput(const std::vector<std::string>& argv, double timeout_s = 60);

// "PROGRAM failed (exit status N; log LOG): LINE", LINE being LastErrorLine(LOG).
std::string FailureMessage(const std::string& program, int status, const std::string& log_path);
// The line of a log that says what went wrong: the first that reads as an error (Yosys'
// "ERROR:", Verilator's "%Error", a compiler's "error:"), skipping the follow-ups that only
// say something failed before ("make: ***", "Exiting due to"); else the last other line.
// Trimmed to 300 characters; empty when the log is empty or unreadable.
std::string LastErrorLine(const std::string& log_path);

}  // namespace sbe::hw
