// CPUID-based detection of the host CPU, done once.
#include "sbe/cpu_info.h"

#include <cpuid.h>

#include <cstring>
#include <thread>

namespace sbe {
namespace {

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs Cpuid(unsigned leaf, unsigned subleaf = 0) {
  Regs r;
  __cpuid_count(leaf, subleaf, r.a, r.b, r.c, r.d);
  return r;
}

bool Bit(unsigned reg, int bit) { return (reg >> bit) & 1u; }

// Deterministic cache parameters: Intel leaf 4 and AMD leaf 0x8000001D share one layout.
void ReadCaches(unsigned leaf, CpuInfo* info) {
  for (unsigned i = 0; i < 16; ++i) {
    const Regs r = Cpuid(leaf, i);
    const unsigned type = r.a & 0x1f;
    if (type == 0) break;
    CacheLevel c;
    c.level = static_cast<int>((r.a >> 5) & 0x7);
    c.type = type == 1 ? "data" : type == 2 ? "instruction" : "unified";
    c.shared_by_threads = static_cast<int>(((r.a >> 14) & 0xfff) + 1);
    const int64_t ways = ((r.b >> 22) & 0x3ff) + 1;
    const int64_t partitions = ((r.b >> 12) & 0x3ff) + 1;
    const int64_t line = (r.b & 0xfff) + 1;
    const int64_t sets = static_cast<int64_t>(r.c) + 1;
    c.size_bytes = ways * partitions * line * sets;
    info->caches.push_back(c);
  }
}

CpuInfo Detect() {
  CpuInfo info;
  info.logical_cores = static_cast<int>(std::thread::hardware_concurrency());
  const Regs v = Cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  info.vendor = vendor;
  const unsigned max_leaf = v.a;
  const unsigned max_ext = Cpuid(0x80000000).a;
  if (max_ext >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = Cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    info.brand = brand;
    while (!info.brand.empty() && info.brand.back() == ' ') info.brand.pop_back();
    info.brand.erase(0, info.brand.find_first_not_of(' '));
  }
  const Regs f1 = Cpuid(1);
  info.sse4_2 = Bit(f1.c, 20);
  info.fma = Bit(f1.c, 12);
  info.f16c = Bit(f1.c, 29);
  // AVX state must be enabled by the OS (OSXSAVE and XCR0), not only present in the CPU.
  const bool osxsave = Bit(f1.c, 27);
  unsigned long long xcr0 = 0;
  if (osxsave) {
    unsigned lo = 0, hi = 0;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6;
  info.avx = Bit(f1.c, 28) && ymm;
  if (max_leaf >= 7) {
    const Regs f7 = Cpuid(7);
    info.avx2 = Bit(f7.b, 5) && ymm;
    info.avx512f = Bit(f7.b, 16) && zmm;
    info.avx512bw = Bit(f7.b, 30) && zmm;
    info.avx512vl = Bit(f7.b, 31) && zmm;
    info.avx512vnni = Bit(f7.c, 11) && zmm;
    info.avx_vnni = Bit(Cpuid(7, 1).a, 4) && ymm;
  }
  if (info.vendor == "AuthenticAMD" && max_ext >= 0x8000001D) {
    ReadCaches(0x8000001D, &info);
  } else if (max_leaf >= 4) {
    ReadCaches(4, &info);
  }
  return info;
}

}  // namespace

int64_t CpuInfo::DataCacheBytes(int level) const {
  for (const CacheLevel& c : caches) {
    if (c.level == level && c.type != "instruction") return c.size_bytes;
  }
  return 0;
}

std::string CpuInfo::SimdSummary() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(sse4_2, "sse4.2");
  add(avx, "avx");
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx512f, "avx512f");
  add(avx512bw, "avx512bw");
  add(avx512vl, "avx512vl");
  add(avx512vnni, "avx512vnni");
  add(avx_vnni, "avxvnni");
  return s.empty() ? "scalar" : s;
}

const CpuInfo& GetCpuInfo() {
  static const CpuInfo info = Detect();
  return info;
}

}  // namespace sbe
