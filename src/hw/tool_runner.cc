// Running external programs (tool_runner.h): fork and exec with an argument vector, output
// to a log, a process-group timeout, one-line errors.
#include "hw/tool_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include "sbe/error.h"

namespace sbe::hw {
namespace {

namespace fs = std::filesystem;

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool Contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

// Lines that only repeat that something failed earlier in the log.
bool IsFollowUp(std::string_view line) {
  return StartsWith(line, "make: ***") || (StartsWith(line, "make[") && Contains(line, "***")) ||
         Contains(line, "Exiting due to") || Contains(line, "compilation terminated") ||
         Contains(line, "Command Failed") || Contains(line, "exited with ");
}

bool IsError(std::string_view line) {
  return StartsWith(line, "ERROR:") || Contains(line, ": ERROR:") || Contains(line, "%Error") ||
         Contains(line, ": error:") || Contains(line, ": fatal error:") || StartsWith(line, "error:") ||
         StartsWith(line, "Error:") || Contains(line, "undefined reference to");
}

std::string ErrorLineOf(std::istream& in) {
  std::string line, first_error, last;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    line.erase(0, start);
    if (IsFollowUp(line)) continue;
    last = line;
    if (first_error.empty() && IsError(line)) first_error = line;
  }
  std::string chosen = first_error.empty() ? last : first_error;
  if (chosen.size() > 300) chosen = chosen.substr(0, 297) + "...";
  return chosen;
}

int StatusOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// Why the child could not exec, sent to the parent over a close-on-exec pipe.
struct ChildFailure {
  int stage;  // 0: chdir, 1: exec
  int error;
};

}  // namespace

std::string FindProgram(const std::string& program) {
  if (program.empty()) return "";
  if (program.find('/') != std::string::npos) return IsExecutableFile(program) ? program : "";
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(begin, end - begin);
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (IsExecutableFile(candidate)) return candidate;
    begin = end + 1;
  }
  return "";
}

std::string InstallHint(const std::string& program) {
  if (program == "yosys" || program == "verilator") {
    return fmt::format("install Debian's {} (scripts/setup.sh does)", program);
  }
  return "install it or put it on PATH";
}

int RunProgram(const ToolCommand& c) {
  if (c.argv.empty() || c.argv[0].empty()) Fail("no program to run (an empty command)");
  const std::string& program = c.argv[0];
  const std::string path = FindProgram(program);
  if (path.empty()) Fail("{} not found: {}", program, InstallHint(program));

  // Everything the child touches is made before fork: between fork and exec it may only make
  // async-signal-safe calls (other threads may hold the allocator's locks).
  std::vector<char*> args;
  for (const std::string& a : c.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string log = c.log_path.empty() ? "/dev/null" : c.log_path;
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) Fail("{}: cannot write the log of {}: {}", log, program, std::strerror(errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int report[2];
  if (null_fd < 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    Fail("cannot start {}: {}", program, std::strerror(e));
  }
  const char* work_dir = c.work_dir.empty() ? nullptr : c.work_dir.c_str();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Its own process group, so that a timeout ends make and the compilers below it too.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    ChildFailure failure{0, 0};
    if (work_dir && ::chdir(work_dir) != 0) {
      failure.error = errno;
    } else {
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(path.c_str(), args.data());
      failure = {1, errno};
    }
    [[maybe_unused]] ssize_t n = ::write(report[1], &failure, sizeof failure);
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(log_fd);
  ::close(null_fd);
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    Fail("cannot start {}: {}", program, std::strerror(fork_error));
  }
  ::setpgid(pid, pid);  // also here, so that a kill below never races the child's own call

  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(report[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);

  int wait_status = 0;
  if (got == static_cast<ssize_t>(sizeof failure)) {
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    if (failure.stage == 0) Fail("{}: cannot run {} there: {}", c.work_dir, program, std::strerror(failure.error));
    Fail("cannot run {} ({}): {}", program, path, std::strerror(failure.error));
  }

  const auto start = std::chrono::steady_clock::now();
  auto pause = std::chrono::milliseconds(1);
  double next_progress = c.progress_every_s;
  for (;;) {
    const pid_t r = ::waitpid(pid, &wait_status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) Fail("waiting for {}: {}", program, std::strerror(errno));
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (c.timeout_s > 0 && elapsed > c.timeout_s) {
      ::kill(-pid, SIGTERM);
      // A grace period to exit cleanly, then the whole group is killed.
      for (int i = 0; i < 40 && ::waitpid(pid, &wait_status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      Fail("{} timed out after {:g} s and was stopped{}", program, c.timeout_s,
           c.log_path.empty() ? "" : fmt::format(" (log {})", c.log_path));
    }
    if (c.progress && elapsed >= next_progress) {
      c.progress(elapsed);
      next_progress += c.progress_every_s;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return StatusOf(wait_status);
}

void RunChecked(const ToolCommand& c) {
  const int status = RunProgram(c);
  if (status != 0) throw Error(FailureMessage(c.argv[0], status, c.log_path));
}

std::string CaptureOutput(const std::vector<std::string>& argv, double timeout_s) {
  std::string pattern = (fs::temp_directory_path() / "sbe-tool-XXXXXX").string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) Fail("{}: cannot create a temporary file: {}", pattern, std::strerror(errno));
  ::close(fd);
  ToolCommand c;
  c.argv = argv;
  c.log_path = pattern;
  c.timeout_s = timeout_s;
  int status = 0;
  std::stringstream out;
  try {
    status = RunProgram(c);
    out << std::ifstream(pattern).rdbuf();
  } catch (...) {
    ::unlink(pattern.c_str());
    throw;
  }
  ::unlink(pattern.c_str());
  if (status != 0) {
    std::stringstream copy(out.str());
    Fail("{} failed (exit status {}): {}", argv.at(0), status, ErrorLineOf(copy));
  }
  return out.str();
}

std::string FailureMessage(const std::string& program, int status, const std::string& log_path) {
  if (log_path.empty()) return fmt::format("{} failed (exit status {})", program, status);
  const std::string line = LastErrorLine(log_path);
  return fmt::format("{} failed (exit status {}; log {}){}{}", program, status, log_path, line.empty() ? "" : ": ",
                     line);
}

std::string LastErrorLine(const std::string& log_path) {
  std::ifstream in(log_path);
  if (!in) return "";
  return ErrorLineOf(in);
}

}  // namespace sbe::hw
