// Verilator models of the RTL, built once per configuration into a cache, and lint.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sbe::hw {

enum class TraceKind { kNone, kVcd, kFst };

struct VerilatorBuild {
  std::string top;                               // the top module
  std::vector<std::string> sources;              // RTL files (.sv, .v), packages first
  std::vector<std::string> include_dirs;         // for `include (their files are hashed)
  std::map<std::string, int64_t> parameters;     // the top's parameters (-G)
  std::map<std::string, std::string> defines;    // -DNAME=VALUE (empty value: just defined)
  std::vector<std::string> harness;              // C++ sources of the test bench, one with main()
  std::vector<std::string> cflags;               // for the harness and the model (-CFLAGS)
  std::vector<std::string> depends;              // other files the build reads (the harness's headers)
  TraceKind trace = TraceKind::kNone;            // --trace (VCD) or --trace-fst
  std::string cache_dir;                         // builds live in CACHE_DIR/TOP-HASH/
  int jobs = 2;                                  // make -j
  double timeout_s = 1800;
};

// Builds the model (verilator --cc --exe --build) into CACHE_DIR/TOP-HASH/, HASH covering
// every input file's content, the parameters, defines, flags and Verilator's version, and
// returns the executable's path. When that folder exists the executable is returned as it is
// (nothing printed); otherwise a note says a build is under way. Builds go to a temporary
// folder renamed into place, so concurrent builds of one configuration never see each other's
// half-built files. Errors: a missing input file, Verilator missing, a failed build (naming
// its log, kept in CACHE_DIR/TOP-HASH.failed/).
std::string BuildVerilatorModel(const VerilatorBuild& b);
// The folder BuildVerilatorModel uses (or would use) for `b`.
std::string VerilatorBuildDir(const VerilatorBuild& b);

// verilator --lint-only -Wall on the design; any warning is an Error quoting the first one
// ("verilator lint of TOP: %Warning-WIDTH: file.sv:12:3: ...").
void LintRtl(const std::string& top, const std::vector<std::string>& sources,
             const std::vector<std::string>& include_dirs, const std::map<std::string, int64_t>& parameters,
             const std::map<std::string, std::string>& defines = {});

}  // namespace sbe::hw
