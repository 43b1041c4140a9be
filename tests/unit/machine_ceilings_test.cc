// The bench's ceilings: combining two measurements, and the roofline they give.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include "sbe/cpu_board.h"

namespace sbe {
namespace {

MachineCeilings Ceilings(double fp32, double probe, double tile, double l2, double dram) {
  MachineCeilings c;
  c.fp32_gflops = fp32;
  c.int16_probe_gops = probe;
  c.int16_tile_gops = tile;
  c.int16_gops = std::max(probe, tile);
  c.levels = {{"L2", 1 << 20, l2}, {"DRAM", INT64_MAX, dram}};
  return c;
}

TEST(MachineCeilings, RaiseKeepsTheFasterOfEachCeiling) {
  MachineCeilings first = Ceilings(100, 180, 260, 150, 31);
  first.Raise(Ceilings(190, 280, 200, 120, 33));
  EXPECT_DOUBLE_EQ(first.fp32_gflops, 190);
  EXPECT_DOUBLE_EQ(first.int16_probe_gops, 280);
  EXPECT_DOUBLE_EQ(first.int16_tile_gops, 260);
  EXPECT_DOUBLE_EQ(first.int16_gops, 280);
  ASSERT_EQ(first.levels.size(), 2u);
  EXPECT_DOUBLE_EQ(first.levels[0].gbs, 150);
  EXPECT_DOUBLE_EQ(first.dram_gbs(), 33);
}

TEST(MachineCeilings, RaiseMatchesLevelsByName) {
  MachineCeilings first = Ceilings(100, 100, 100, 150, 31);
  MachineCeilings other;
  other.levels = {{"DRAM", INT64_MAX, 40}};  // no L2 measured: L2 stays as it was
  first.Raise(other);
  EXPECT_DOUBLE_EQ(first.levels[0].gbs, 150);
  EXPECT_DOUBLE_EQ(first.dram_gbs(), 40);
  EXPECT_DOUBLE_EQ(first.fp32_gflops, 100);
}

TEST(MachineCeilings, RooflineIsTheLowerOfPeakAndBandwidthTimesIntensity) {
  const MachineCeilings c = Ceilings(200, 300, 250, 150, 30);
  // 1 op per byte from DRAM: 30 GOPS; from L2: 150; 100 ops per byte: the peak.
  EXPECT_DOUBLE_EQ(c.Roofline({{1e9, 1e9, int64_t{1} << 30}}, false), 30);
  EXPECT_DOUBLE_EQ(c.Roofline({{1e9, 1e9, 1 << 19}}, false), 150);
  EXPECT_DOUBLE_EQ(c.Roofline({{1e11, 1e9, 1 << 19}}, true), 300);
}

TEST(MachineCeilings, PhasesOfARunAddTheirTimes) {
  const MachineCeilings c = Ceilings(200, 300, 250, 150, 30);
  // A compute-bound phase (1e11 fp32 ops: 0.5 s at the peak) and a DRAM-bound one (3e10 bytes:
  // 1 s at 30 GB/s, its 3e10 ops would take 0.15 s): 1.3e11 ops in 1.5 s, not the 200 GFLOPS a
  // single phase with the same totals (4.3 ops per byte) would be allowed.
  EXPECT_DOUBLE_EQ(c.Roofline({{1e11, 1e8, 1 << 19}, {3e10, 3e10, int64_t{1} << 30}}, false), 1.3e11 / 1.5 * 1e-9);
}

TEST(MachineCeilings, AMeasuredWorkingSetOverridesItsLevel) {
  MachineCeilings c = Ceilings(200, 300, 250, 150, 30);
  c.levels.insert(c.levels.begin() + 1, {"L3", 32 << 20, 90});
  c.working_sets = {{24 << 20, 60}, {32 << 20, 35}};
  EXPECT_DOUBLE_EQ(c.BandwidthFor(32 << 20), 35);  // fills L3: streams nearly at DRAM's rate
  EXPECT_DOUBLE_EQ(c.BandwidthFor(24 << 20), 60);
  EXPECT_DOUBLE_EQ(c.BandwidthFor(16 << 20), 90);  // not measured: the level that holds it
  EXPECT_DOUBLE_EQ(c.BandwidthFor(1 << 19), 150);
  MachineCeilings later = c;
  later.working_sets = {{32 << 20, 41}, {8 << 20, 120}};  // 24 MiB not measured again
  c.Raise(later);
  ASSERT_EQ(c.working_sets.size(), 2u);
  EXPECT_DOUBLE_EQ(c.BandwidthFor(24 << 20), 60);
  EXPECT_DOUBLE_EQ(c.BandwidthFor(32 << 20), 41);
  EXPECT_DOUBLE_EQ(c.Roofline({{1e9, 1e9, 32 << 20}}, true), 41);
}

}  // namespace
}  // namespace sbe
