// What this CPU is: brand, cores, SIMD features and cache sizes, read with CPUID (sysfs may
// show no cache sizes on virtual machines).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbe {

struct CacheLevel {
  int level = 0;          // 1, 2, 3
  std::string type;       // "data", "instruction", "unified"
  int64_t size_bytes = 0;
  int shared_by_threads = 0;
};

struct CpuInfo {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD"
  std::string brand;   // "AMD EPYC 7B13", ...
  int logical_cores = 0;
  bool sse4_2 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
  bool avx_vnni = false;  // AVX2-encoded VNNI (Alder Lake, Zen 5)
  std::vector<CacheLevel> caches;

  // Data-cache capacity available to one core at `level` (1, 2) or in total (3); 0 if unknown.
  int64_t DataCacheBytes(int level) const;
  std::string SimdSummary() const;  // "avx2 fma" / "avx512f avx512bw avx512vnni ..."
};

const CpuInfo& GetCpuInfo();

}  // namespace sbe
