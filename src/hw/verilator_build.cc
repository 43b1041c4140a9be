// Verilator models built once per configuration (verilator_build.h), and lint.
#include "hw/verilator_build.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "hw/tool_runner.h"
#include "sbe/error.h"

namespace sbe::hw {
namespace {

namespace fs = std::filesystem;

// Bumped whenever the flags below change, so that no cached model built with other flags is
// reused.
constexpr std::string_view kCacheFormat = "sbe-verilator-1";

// FNV-1a 64 over length-prefixed fields, so that ("ab", "c") and ("a", "bc") differ.
struct Hasher {
  uint64_t h = 0xcbf29ce484222325ull;
  void Bytes(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  }
  void Field(std::string_view s) {
    Bytes(std::to_string(s.size()));
    Bytes(":");
    Bytes(s);
  }
};

std::string ReadFile(const fs::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in || fs::is_directory(path)) Fail("{}: no such file ({})", path.string(), what);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Absolute(const std::string& p) { return fs::absolute(p).lexically_normal().string(); }

void HashFiles(Hasher& h, const std::vector<std::string>& files, std::string_view what) {
  h.Field(what);
  for (const std::string& f : files) {
    h.Field(fs::path(f).filename().string());
    h.Field(ReadFile(f, what));
  }
}

// An include folder's own files (not its subfolders), in name order.
void HashIncludeDir(Hasher& h, const std::string& dir, const std::string& top) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) Fail("{}: no such folder (an include folder of {})", dir, top);
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  h.Field("include folder");
  for (const fs::path& f : files) {
    h.Field(f.filename().string());
    h.Field(ReadFile(f, "an include file"));
  }
}

// The arguments shared by builds and lint: top, include folders, defines, parameters, sources.
void AddDesignArgs(std::vector<std::string>& args, const std::string& top, const std::vector<std::string>& sources,
                   const std::vector<std::string>& include_dirs, const std::map<std::string, int64_t>& parameters,
                   const std::map<std::string, std::string>& defines) {
  args.insert(args.end(), {"--top-module", top});
  for (const std::string& d : include_dirs) args.push_back("-I" + Absolute(d));
  for (const auto& [name, value] : defines) args.push_back(value.empty() ? "-D" + name : "-D" + name + "=" + value);
  for (const auto& [name, value] : parameters) args.push_back(fmt::format("-G{}={}", name, value));
  for (const std::string& s : sources) args.push_back(Absolute(s));
}

void CheckDesign(const std::string& top, const std::vector<std::string>& sources) {
  if (top.empty()) Fail("no top module given for Verilator");
  if (sources.empty()) Fail("{}: no RTL source files given", top);
  for (const std::string& s : sources) {
    std::error_code ec;
    if (!fs::is_regular_file(s, ec)) Fail("{}: no such file (an RTL source of {})", s, top);
  }
}

std::string ExeName(const VerilatorBuild& b) { return b.top + "_sim"; }

std::vector<std::string> BuildArgs(const VerilatorBuild& b) {
  // Warnings are not fatal here (LintRtl is the place for them). The model's own files are
  // compiled with -O2 rather than Verilator's default -Os: co-simulations run long.
  std::vector<std::string> args = {"verilator", "--cc", "--exe", "--build", "-j", std::to_string(b.jobs),
                                   "--x-assign", "fast", "--x-initial", "fast", "-Wno-fatal",
                                   "--Mdir", ".", "-o", ExeName(b), "-MAKEFLAGS", "OPT_FAST=-O2"};
  if (b.trace == TraceKind::kVcd) args.push_back("--trace");
  if (b.trace == TraceKind::kFst) args.push_back("--trace-fst");
  for (const std::string& f : b.cflags) args.insert(args.end(), {"-CFLAGS", f});
  AddDesignArgs(args, b.top, b.sources, b.include_dirs, b.parameters, b.defines);
  for (const std::string& h : b.harness) args.push_back(Absolute(h));
  return args;
}

std::string Hash(const VerilatorBuild& b, const std::string& version) {
  Hasher h;
  h.Field(kCacheFormat);
  h.Field(version);
  // Files by content (not by path, so that a copy of the tree hits the same entry).
  h.Field(b.top);
  for (const auto& [name, value] : b.parameters) h.Field(fmt::format("-G{}={}", name, value));
  for (const auto& [name, value] : b.defines) h.Field(fmt::format("-D{}={}", name, value));
  for (const std::string& f : b.cflags) h.Field("-CFLAGS " + f);
  h.Field(fmt::format("trace {}", static_cast<int>(b.trace)));
  HashFiles(h, b.sources, "an RTL source of " + b.top);
  for (const std::string& d : b.include_dirs) HashIncludeDir(h, d, b.top);
  HashFiles(h, b.harness, "a harness source of " + b.top);
  HashFiles(h, b.depends, "a file the build of " + b.top + " depends on");
  return fmt::format("{:016x}", h.h);
}

// Moves a failed build's folder beside the cache's entries, to be read; returns its path.
fs::path KeepFailed(const fs::path& tmp, const fs::path& dir) {
  fs::path failed = dir;
  failed += ".failed";
  std::error_code ec;
  fs::remove_all(failed, ec);
  fs::rename(tmp, failed, ec);
  return ec ? tmp : failed;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

}  // namespace

std::string VerilatorBuildDir(const VerilatorBuild& b) {
  CheckDesign(b.top, b.sources);
  if (b.cache_dir.empty()) Fail("{}: no cache folder given for its Verilator model", b.top);
  if (FindProgram("verilator").empty()) Fail("verilator not found: {}", InstallHint("verilator"));
  const std::string version = CaptureOutput({"verilator", "--version"});
  return (fs::absolute(b.cache_dir) / (b.top + "-" + Hash(b, version))).lexically_normal().string();
}

std::string BuildVerilatorModel(const VerilatorBuild& b) {
  if (b.jobs < 1) Fail("{}: {} make jobs for its Verilator model; at least 1", b.top, b.jobs);
  const fs::path dir = VerilatorBuildDir(b);
  const fs::path exe = dir / ExeName(b);
  std::error_code ec;
  if (fs::is_regular_file(exe, ec)) return exe.string();
  // Folders only appear whole (renamed into place), so one without its executable was
  // damaged by hand: built again.
  if (fs::exists(dir, ec)) fs::remove_all(dir, ec);

  fs::create_directories(dir.parent_path(), ec);
  if (ec) Fail("{}: cannot create the model cache: {}", dir.parent_path().string(), ec.message());
  static std::atomic<int> serial{0};
  const fs::path tmp = dir.parent_path() / fmt::format(".{}.tmp-{}-{}", dir.filename().string(), ::getpid(), serial++);
  fs::remove_all(tmp, ec);
  fs::create_directory(tmp, ec);
  if (ec) Fail("{}: cannot create a build folder: {}", tmp.string(), ec.message());

  Note(fmt::format("building the Verilator model of {} (about a minute, cached in {})", b.top, dir.string()));
  ToolCommand c;
  c.argv = BuildArgs(b);
  c.work_dir = tmp.string();
  c.log_path = (tmp / "verilator.log").string();
  c.timeout_s = b.timeout_s;
  int status = 0;
  try {
    status = RunProgram(c);
  } catch (const Error& e) {
    const fs::path kept = KeepFailed(tmp, dir);
    throw Error(Replace(e.what(), tmp.string(), kept.string()));
  }
  if (status != 0 || !fs::is_regular_file(tmp / ExeName(b), ec)) {
    const fs::path kept = KeepFailed(tmp, dir);
    throw Error(FailureMessage("verilator", status == 0 ? 1 : status, (kept / "verilator.log").string()));
  }
  // The rename is atomic: whoever renames first wins, and a later one finds the folder there.
  fs::rename(tmp, dir, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    if (!fs::is_regular_file(exe, ignored)) Fail("{}: cannot move the built model into place: {}", dir.string(), ec.message());
  }
  fs::path failed = dir;
  failed += ".failed";
  fs::remove_all(failed, ec);  // an earlier failure of this configuration (a timeout) is history
  return exe.string();
}

void LintRtl(const std::string& top, const std::vector<std::string>& sources,
             const std::vector<std::string>& include_dirs, const std::map<std::string, int64_t>& parameters,
             const std::map<std::string, std::string>& defines) {
  CheckDesign(top, sources);
  std::vector<std::string> args = {"verilator", "--lint-only", "-Wall"};
  AddDesignArgs(args, top, sources, include_dirs, parameters, defines);
  std::string log = (fs::temp_directory_path() / "sbe-lint-XXXXXX").string();
  const int fd = ::mkstemp(log.data());
  if (fd < 0) Fail("{}: cannot create a temporary file: {}", log, std::strerror(errno));
  ::close(fd);
  ToolCommand c;
  c.argv = args;
  c.log_path = log;
  c.timeout_s = 600;
  int status = 0;
  std::string first, last, line;
  try {
    status = RunProgram(c);
    for (std::ifstream in(log); std::getline(in, line);) {
      if (!line.empty()) last = line;
      if (first.empty() && (line.rfind("%Warning", 0) == 0 || line.rfind("%Error", 0) == 0)) first = line;
    }
  } catch (...) {
    ::unlink(log.c_str());
    throw;
  }
  ::unlink(log.c_str());
  if (status != 0) Fail("verilator lint of {}: {}", top, first.empty() ? last : first);
}

}  // namespace sbe::hw
