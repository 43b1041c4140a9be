// The hardware tool runners (src/hw): running programs, Verilator builds and their cache, lint,
// Yosys synthesis and the parsing of its output. The tests that run Verilator or Yosys are
// skipped when they are not on PATH.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "expect_error.h"
#include "hw/synth.h"
#include "hw/tool_runner.h"
#include "hw/verilator_build.h"
#include "sbe/error.h"
#include "test_util.h"

namespace sbe::hw {
namespace {

namespace fs = std::filesystem;
using sbe::testing::ThrowsError;

#define SKIP_WITHOUT(program) \
  if (FindProgram(program).empty()) GTEST_SKIP() << program << " is not on PATH (scripts/setup.sh installs it)"

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh folder of this test process.
std::string Dir(const std::string& name) {
  const std::string d = sbe::testing::TempPath(name);
  fs::create_directories(d);
  return d;
}

std::string Write(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = (fs::path(dir) / name).string();
  std::ofstream(path) << text;
  return path;
}

// PATH set to an empty folder for the scope, so that no tool is found.
struct NoToolsOnPath {
  std::string saved;
  NoToolsOnPath() {
    saved = std::getenv("PATH") ? std::getenv("PATH") : "";
    setenv("PATH", Dir("empty_path").c_str(), 1);
  }
  ~NoToolsOnPath() { setenv("PATH", saved.c_str(), 1); }
};

constexpr const char* kCounter = R"(module counter #(parameter int WIDTH = 8, parameter int STEP = 1) (
  input logic clk,
  input logic rst,
  output logic [WIDTH-1:0] count
);
  always_ff @(posedge clk) count <= rst ? '0 : count + WIDTH'(STEP);
endmodule
)";

constexpr const char* kHarness = R"(#include <cstdio>
#include "Vcounter.h"
#include "verilated.h"
int main(int argc, char** argv) {
  VerilatedContext context;
  context.commandArgs(argc, argv);
  Vcounter top(&context);
  top.rst = 1;
  top.clk = 0;
  top.eval();
  top.clk = 1;
  top.eval();
  top.rst = 0;
  for (int i = 0; i < 10; ++i) {
    top.clk = 0;
    top.eval();
    top.clk = 1;
    top.eval();
  }
  std::printf("count=%d\n", static_cast<int>(top.count));
  top.final();
  return 0;
}
)";

// LANES registered multiply-accumulates: one DSP48E1 each (the A/B and P registers inside it).
// The default of 3 lanes shows that chparam took effect when the test asks for one.
constexpr const char* kMac = R"(module mac #(parameter int LANES = 3, parameter int W = 8, parameter int ACC = 32) (
  input logic clk, input logic rst, input logic en,
  input logic signed [LANES*W-1:0] a, b,
  output logic signed [LANES*ACC-1:0] acc);
  for (genvar l = 0; l < LANES; l++) begin : lane
    logic signed [W-1:0] ar, br;
    logic signed [ACC-1:0] r;
    always_ff @(posedge clk) begin
      if (en) begin ar <= a[l*W +: W]; br <= b[l*W +: W]; end
      if (rst) r <= '0;
      else if (en) r <= r + ACC'(ar * br);
    end
    assign acc[l*ACC +: ACC] = r;
  end
endmodule
)";

TEST(HwTools, ParsesYosysStatAndLtp) {
  const std::string data = std::string(SBE_TEST_DATA_DIR) + "/hw/";
  const std::map<std::string, int64_t> cells =
      ParseStatJson(Read(data + "mixed_stat.json"), data + "mixed_stat.json");
  EXPECT_EQ(cells.at("RAM64M"), 18);
  const CellCounts c = CountCells(cells);
  EXPECT_EQ(c.dsp48e1, 1);
  EXPECT_EQ(c.ramb36, 2);
  EXPECT_EQ(c.ramb18, 1);
  EXPECT_EQ(c.lut, 19 + 16 + 11 + 1);           // LUT2, LUT3, LUT4, LUT6
  EXPECT_EQ(c.lutram, 18 * 4 + 1 * 4 + 4 + 1);  // RAM64M, RAM32M, RAM128X1D, SRLC32E
  EXPECT_EQ(c.ff, 41 + 7 + 17);                 // FDRE, FDCE, FDPE
  EXPECT_EQ(c.carry4, 6);
  EXPECT_EQ(c.muxf, 9 + 2);
  EXPECT_EQ(ParseLtpLength(Read(data + "mixed_ltp.log")), 7);  // one LUT, six CARRY4
  EXPECT_EQ(ParseLtpLength("Longest topological path in top (length=-1):\n"), 0);
  EXPECT_FALSE(ParseLtpLength("no ltp here"));
  EXPECT_TRUE(ThrowsError([] { ParseStatJson("{", "x/stat.json"); }, "x/stat.json", "stat -json"));
}

TEST(HwTools, PartsAndFit) {
  const PartCapacity a7 = CapacityOf("XC7A100TCSG324-1");
  EXPECT_EQ(a7.part, "xc7a100t");
  EXPECT_EQ(a7.dsp48e1, 240);
  EXPECT_EQ(a7.ramb36, 135);
  EXPECT_EQ(a7.lut, 63400);
  EXPECT_EQ(a7.lutram, 19000);
  EXPECT_EQ(a7.ff, 126800);
  EXPECT_EQ(CapacityOf("xc7z045").dsp48e1, 900);
  EXPECT_EQ(CapacityOf("xc7vx690t").ramb36, 1470);
  EXPECT_TRUE(ThrowsError([] { CapacityOf("xc7k325t"); }, "xc7k325t", "xc7a100t, xc7z045, xc7vx690t"));

  CellCounts c;
  c.dsp48e1 = 240;
  c.ramb36 = 134;
  c.ramb18 = 2;  // one RAMB36's worth
  c.lut = 63400 - 19000;
  c.lutram = 19000;
  c.ff = 126800;
  EXPECT_TRUE(Fits(c, a7));
  CellCounts more = c;
  more.ramb18 = 3;
  EXPECT_FALSE(Fits(more, a7));
  more = c;
  more.lut += 1;  // logic and memory LUTs share the sites
  EXPECT_FALSE(Fits(more, a7));
  more = c;
  more.dsp48e1 += 1;
  EXPECT_FALSE(Fits(more, a7));
}

TEST(HwTools, MissingProgramIsOneLineError) {
  ToolCommand missing;
  missing.argv = {"sbe-no-such-program", "--version"};
  EXPECT_TRUE(ThrowsError([&] { RunProgram(missing); }, "sbe-no-such-program",
                          "not found: install it or put it on PATH"));
  const std::string dir = Dir("missing");
  const std::string mac = Write(dir, "mac.sv", kMac);
  NoToolsOnPath no_tools;
  SynthRequest r;
  r.sources = {mac};
  r.top = "mac";
  r.work_dir = dir + "/synth";
  EXPECT_TRUE(ThrowsError([&] { Synthesize(r); }, "yosys", "yosys not found: install Debian's yosys (scripts/setup.sh does)"));
  VerilatorBuild b;
  b.top = "mac";
  b.sources = {mac};
  b.cache_dir = dir + "/cache";
  EXPECT_TRUE(ThrowsError([&] { BuildVerilatorModel(b); }, "verilator", "verilator not found: install Debian's verilator"));
}

TEST(HwTools, FailureNamesLogAndFirstError) {
  const std::string log = sbe::testing::TempPath("failing.log");
  ToolCommand c;
  c.argv = {"/bin/sh", "-c",
            "echo reading; echo 'x.sv:3: ERROR: syntax error, unexpected endmodule' >&2; "
            "echo 'make: *** [all] Error 1'; echo '%Error: Exiting due to 1 error(s)'; exit 2"};
  c.log_path = log;
  EXPECT_EQ(RunProgram(c), 2);
  EXPECT_TRUE(ThrowsError([&] { RunChecked(c); }, log, "/bin/sh failed (exit status 2; log " + log +
                                                             "): x.sv:3: ERROR: syntax error, unexpected endmodule"));
  c.argv = {"/bin/sh", "-c", "echo fine"};
  RunChecked(c);
  EXPECT_EQ(Read(log), "fine\n");
  c.work_dir = sbe::testing::TempPath("no_such_folder");
  EXPECT_TRUE(ThrowsError([&] { RunProgram(c); }, c.work_dir, "cannot run /bin/sh there"));
  EXPECT_EQ(CaptureOutput({"/bin/sh", "-c", "echo out; echo err >&2"}), "out\nerr\n");
}

// Long work says where it is: the hook runs at its interval while the program runs, not after.
TEST(HwTools, ProgressWhileTheProgramRuns) {
  ToolCommand c;
  c.argv = {"/bin/sleep", "1"};
  c.progress_every_s = 0.2;
  std::vector<double> calls;
  c.progress = [&](double elapsed) { calls.push_back(elapsed); };
  EXPECT_EQ(RunProgram(c), 0);
  ASSERT_GE(calls.size(), 3u);  // 0.2, 0.4, 0.6, 0.8 (and 1.0, or more on a loaded machine)
  EXPECT_GE(calls.front(), 0.2);
  for (size_t i = 1; i < calls.size(); ++i) EXPECT_GE(calls[i] - calls[i - 1], 0.0);
}

TEST(HwTools, TimeoutKillsTheProcessGroup) {
  const std::string pid_file = sbe::testing::TempPath("background.pid");
  ToolCommand c;
  // A grandchild in the background: the timeout must end it as well as the shell.
  c.argv = {"/bin/sh", "-c", "/bin/sleep 30 & echo $! > " + pid_file + "; wait"};
  c.timeout_s = 0.5;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(ThrowsError([&] { RunProgram(c); }, "/bin/sh", "timed out after 0.5 s"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
  const std::string pid = Read(pid_file).substr(0, Read(pid_file).find('\n'));
  ASSERT_FALSE(pid.empty());
  // Gone, or a zombie waiting for its reaper.
  bool ended = false;
  for (int i = 0; i < 100 && !ended; ++i) {
    const std::string stat = Read("/proc/" + pid + "/stat");
    const size_t paren = stat.rfind(')');
    ended = stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z");
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ended) << "the background sleep " << pid << " still runs";
}

TEST(HwTools, VerilatorBuildsRunsAndCaches) {
  SKIP_WITHOUT("verilator");
  const std::string dir = Dir("verilator");
  VerilatorBuild b;
  b.top = "counter";
  b.sources = {Write(dir, "counter.sv", kCounter)};
  b.harness = {Write(dir, "harness.cc", kHarness)};
  b.parameters = {{"STEP", 3}};
  b.cache_dir = dir + "/cache";
  int notes = 0;
  SetNoteSink([&](std::string_view message) {
    notes += message.find("building the Verilator model of counter") != std::string_view::npos;
  });
  std::string exe;
  try {
    exe = BuildVerilatorModel(b);
  } catch (...) {
    SetNoteSink(nullptr);
    throw;
  }
  EXPECT_EQ(notes, 1);
  EXPECT_EQ(fs::path(exe).parent_path().string(), VerilatorBuildDir(b));
  const std::string out_log = dir + "/run.log";
  ToolCommand run;
  run.argv = {exe};
  run.log_path = out_log;
  run.timeout_s = 30;
  RunChecked(run);
  EXPECT_EQ(Read(out_log), "count=30\n");  // 10 cycles of STEP 3

  // The same configuration again: the cached executable, untouched, and no note.
  const auto built = fs::last_write_time(exe);
  EXPECT_EQ(BuildVerilatorModel(b), exe);
  EXPECT_EQ(fs::last_write_time(exe), built);
  EXPECT_EQ(notes, 1);
  SetNoteSink(nullptr);

  // Another parameter value, or another source, is another configuration.
  VerilatorBuild other = b;
  other.parameters["STEP"] = 5;
  EXPECT_NE(VerilatorBuildDir(other), VerilatorBuildDir(b));
  other = b;
  other.sources = {Write(dir, "counter2.sv", std::string(kCounter) + "// changed\n")};
  EXPECT_NE(VerilatorBuildDir(other), VerilatorBuildDir(b));
  // Only the content counts: a copy elsewhere hits the same entry.
  other = b;
  other.sources = {Write(Dir("verilator_copy"), "counter.sv", kCounter)};
  EXPECT_EQ(VerilatorBuildDir(other), VerilatorBuildDir(b));
}

TEST(HwTools, VerilatorBuildErrorNamesTheLog) {
  SKIP_WITHOUT("verilator");
  const std::string dir = Dir("verilator_bad");
  VerilatorBuild b;
  b.top = "broken";
  b.sources = {Write(dir, "broken.sv", "module broken(input logic a);\n  assign = a;\nendmodule\n")};
  b.harness = {Write(dir, "harness.cc", "int main() { return 0; }\n")};
  b.cache_dir = dir + "/cache";
  SetNoteSink([](std::string_view) {});
  EXPECT_TRUE(ThrowsError([&] { BuildVerilatorModel(b); }, ".failed/verilator.log", "%Error: "));
  SetNoteSink(nullptr);
  b.sources = {dir + "/none.sv"};
  EXPECT_TRUE(ThrowsError([&] { BuildVerilatorModel(b); }, dir + "/none.sv", "no such file"));
}

TEST(HwTools, LintQuotesTheFirstWarning) {
  SKIP_WITHOUT("verilator");
  const std::string dir = Dir("lint");
  LintRtl("counter", {Write(dir, "counter.sv", kCounter)}, {}, {{"WIDTH", 12}});
  const std::string unused = Write(dir, "unused.sv",
                                   "module unused(input logic a, input logic b, output logic y);\n"
                                   "  assign y = a;\nendmodule\n");
  EXPECT_TRUE(ThrowsError([&] { LintRtl("unused", {unused}, {}, {}); }, "unused.sv",
                          "verilator lint of unused: %Warning-UNUSEDSIGNAL"));
}

TEST(HwTools, SynthesizesARegisteredMacIntoOneDsp) {
  SKIP_WITHOUT("yosys");
  const std::string dir = Dir("synth");
  SynthRequest r;
  r.sources = {Write(dir, "mac.sv", kMac)};
  r.top = "mac";
  r.parameters = {{"LANES", 1}, {"W", 16}};
  r.part = "xc7a100t";
  r.work_dir = dir + "/work";
  r.timeout_s = 120;
  const SynthResult s = Synthesize(r);
  EXPECT_EQ(s.dsp48e1, 1);
  EXPECT_EQ(s.ramb36 + s.ramb18, 0);
  EXPECT_TRUE(s.fits);
  EXPECT_GE(s.logic_levels, 0);
  EXPECT_TRUE(fs::is_regular_file(s.log));
  const nlohmann::json j = SynthJson(s);
  for (const char* key : {"part", "top", "dsp48e1", "ramb36", "ramb18", "lut", "lutram", "ff", "carry4",
                          "logic_levels", "logic_levels_counts", "capacity", "fits", "seconds", "log"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["capacity"]["dsp48e1"], 240);

  // Yosys' own error, quoted with its log.
  SynthRequest bad = r;
  bad.sources = {Write(dir, "bad.sv", "module mac(input logic a);\n  assign = a;\nendmodule\n")};
  EXPECT_TRUE(ThrowsError([&] { Synthesize(bad); }, dir + "/work/yosys.log", "ERROR: "));
}

}  // namespace
}  // namespace sbe::hw
