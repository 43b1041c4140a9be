// Every executor of the registry through the one interface: fp32 against the double reference,
// int16 equal to the golden model, on an awkward model; the plan each reports; the refusals,
// in the library's words (the CLI adds the flags).
#include <gtest/gtest.h>

#include "common/random.h"
#include "expect_error.h"
#include "sbe/executor.h"
#include "sbe/presets.h"
#include "sbe/reference.h"

namespace sbe {
namespace {

LstmInput RandomInput(const LstmShape& s, int64_t T, int64_t B, uint64_t seed) {
  Random rng(seed);
  LstmInput in;
  in.x = TensorF({T, B, s.input_size});
  for (float& v : in.x.data) v = rng.Uniform(-1, 1);
  in.h0 = TensorF({s.num_cells(), B, s.hidden_size});
  for (float& v : in.h0.data) v = rng.Uniform(-0.5f, 0.5f);
  for (int64_t b = 0; b < B; ++b) in.seq_lens.push_back(1 + (b * 7) % T);
  return in;
}

ExecutorOptions OptionsFor(const ExecutorInfo& e, Precision p, const LstmInput& in) {
  ExecutorOptions o;
  o.precision = p;
  o.threads = 2;
  o.calibration_sample = &in.x;
  if (e.needs_board) o.board = LoadBoard("z7045");
  return o;
}

TEST(Executors, EveryOneRunsTheSameCall) {
  const LstmShape s{13, 11, 2, true, true};  // primes: no vector width divides them
  const LstmModel m = MakeRandomModel(s, 21, "awkward");
  const LstmInput in = RandomInput(s, 7, 5, 3);
  const LstmResult<double> want = RunReference(m, in);
  ExecutorOptions golden_options;
  golden_options.precision = Precision::kInt16;
  golden_options.calibration_sample = &in.x;
  const LstmOutput golden = MakeExecutor("golden", m, golden_options)->Run(in);
  ASSERT_GE(Executors().size(), 4u);
  for (const ExecutorInfo& e : Executors()) {
    for (Precision p : e.precisions) {
      SCOPED_TRACE(e.name + " " + PrecisionName(p));
      const auto executor = MakeExecutor(e.name, m, OptionsFor(e, p, in));
      EXPECT_EQ(executor->name(), e.name);
      const LstmOutput got = executor->Run(in);
      if (p == Precision::kFp32) {
        EXPECT_LE(CompareToReference(got.y, want.y).max, 1e-5);
        EXPECT_LE(CompareToReference(got.c_n, want.c_n).max, 1e-5);
      } else {
        EXPECT_EQ(executor->arithmetic(), "int16");
        EXPECT_EQ(got.y.data, golden.y.data);
        EXPECT_EQ(got.h_n.data, golden.h_n.data);
        EXPECT_EQ(got.c_n.data, golden.c_n.data);
      }
      // Executors that follow a plan report the one they ran, for this input.
      const nlohmann::json details = executor->Details();
      if (e.name == "cpu" || e.name == "sim") {
        ASSERT_TRUE(details.contains("plan")) << details.dump();
        EXPECT_EQ(details["plan"]["steps"].get<int64_t>(), in.steps());
      }
      if (e.name == "sim") {
        EXPECT_EQ(details["simulation"]["samples"].get<int64_t>(), in.batch());
        EXPECT_GT(details["simulation"]["cycles"].get<int64_t>(), 0);
      }
    }
  }
}

TEST(Executors, RefuseInTheLibrarysWords) {
  const LstmModel m = MakeRandomModel({3, 4, 1, false, true}, 1, "m");
  ExecutorOptions o;
  EXPECT_TRUE(testing::ThrowsError([&] { MakeExecutor("gpu9", m, o); }, "unknown executor 'gpu9'", "golden"));
  EXPECT_TRUE(testing::ThrowsError([&] { MakeExecutor("golden", m, o); }, "golden", "does not run fp32"));
  o.precision = Precision::kInt16;
  EXPECT_TRUE(testing::ThrowsError([&] { MakeExecutor("reference", m, o); }, "reference", "does not run int16"));
  EXPECT_TRUE(testing::ThrowsError([&] { MakeExecutor("sim", m, o); }, "sim", "needs an FPGA board"));
  for (const char* name : {"gpu9", "golden", "sim"}) {
    try {
      ExecutorOptions bad;
      bad.precision = std::string(name) == "golden" ? Precision::kFp32 : Precision::kInt16;
      MakeExecutor(name, m, bad);
      ADD_FAILURE() << name << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace sbe
