#include "bench/machine_ceilings.h"

#include <algorithm>
#include <limits>

#include "plan/cpu_board.h"
#include "sbe/cpu_info.h"

namespace sbe {

double MachineCeilings::BandwidthFor(int64_t bytes) const {
  for (const BandwidthLevel& l : levels) {
    if (bytes <= l.capacity_bytes) return l.gbs;
  }
  return dram_gbs();
}

double MachineCeilings::Roofline(double ops, double bytes, int64_t working_set, bool int16) const {
  const double peak = int16 ? int16_gops : fp32_gflops;
  if (bytes <= 0) return peak;
  return std::min(peak, BandwidthFor(working_set) * ops / bytes);
}

nlohmann::json MachineCeilings::ToJson() const {
  nlohmann::json levels_json = nlohmann::json::array();
  for (const BandwidthLevel& l : levels) {
    levels_json.push_back({{"level", l.name},
                           {"capacity_bytes", l.capacity_bytes == std::numeric_limits<int64_t>::max()
                                                  ? nlohmann::json(nullptr)
                                                  : nlohmann::json(l.capacity_bytes)},
                           {"read_gbs", l.gbs}});
  }
  return {{"threads", threads}, {"fp32_gflops", fp32_gflops}, {"int16_gops", int16_gops},
          {"bandwidth", levels_json}, {"how", "measured by sbe: FMA and multiply-add-pairs loops, "
                                              "vector reads of a working set per level"}};
}

MachineCeilings MeasureCeilings(int threads) {
  MachineCeilings c;
  c.threads = threads;
  c.fp32_gflops = MeasurePeakFp32Gflops(threads);
  c.int16_gops = 2 * MeasurePeakInt16Gmacs(threads);
  const CpuInfo& cpu = GetCpuInfo();
  const int64_t l2 = cpu.DataCacheBytes(2) * threads, l3 = cpu.DataCacheBytes(3);
  // Probe at half a level's capacity, so the set certainly lives there.
  if (l2 > 0) c.levels.push_back({"L2", l2, MeasureReadBandwidthGbs(l2 / 2, threads)});
  if (l3 > l2) c.levels.push_back({"L3", l3, MeasureReadBandwidthGbs(l3 / 2, threads)});
  const int64_t dram_set = std::max<int64_t>(int64_t{256} << 20, 4 * l3);
  c.levels.push_back({"DRAM", std::numeric_limits<int64_t>::max(), MeasureReadBandwidthGbs(dram_set, threads)});
  return c;
}

}  // namespace sbe
