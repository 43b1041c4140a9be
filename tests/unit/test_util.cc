// Temporary files for the unit tests, in one directory per test process.
#include "test_util.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/random.h"

namespace sbe::testing {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / ("sbe_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Every engine and planner test plans on the described CPU of tests/data/cpu, on any machine
// (tests/CMakeLists.txt says why); a developer may export another one before running.
[[maybe_unused]] const bool kDescribedCpu = ::setenv("SBE_CPU_BOARD", SBE_TEST_CPU_BOARD, /*overwrite=*/0) == 0;

}  // namespace

std::string TempPath(const std::string& name) {
  static TempDir dir;
  return (dir.path / name).string();
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

FixedInput RandomFixedInput(const QuantizedModel& q, int64_t T, int64_t B, uint64_t seed,
                            bool with_lengths) {
  Random rng(seed);
  LstmInput in;
  in.x = TensorF({T, B, q.shape.input_size});
  for (float& v : in.x.data) v = rng.Uniform(-1, 1);
  in.h0 = TensorF({q.shape.num_cells(), B, q.shape.hidden_size});
  in.c0 = TensorF({q.shape.num_cells(), B, q.shape.hidden_size});
  for (float& v : in.h0.data) v = rng.Uniform(-0.9f, 0.9f);
  for (float& v : in.c0.data) v = rng.Uniform(-2, 2);
  if (with_lengths) {
    for (int64_t b = 0; b < B; ++b) {
      in.seq_lens.push_back(1 + std::min<int64_t>(T - 1, static_cast<int64_t>(rng.Uniform(0, static_cast<float>(T)))));
    }
  }
  SaturationCounts counts;
  return QuantizeInput(q, in, &counts);
}

void ExpectSameIntegers(const FixedOutput& got, const FixedOutput& want) {
  EXPECT_EQ(got.y.shape, want.y.shape);
  EXPECT_EQ(got.y.data, want.y.data);
  EXPECT_EQ(got.h_n.data, want.h_n.data);
  EXPECT_EQ(got.c_n.data, want.c_n.data);
}

}  // namespace sbe::testing
